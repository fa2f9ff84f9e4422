"""ConvLSTM (Shi et al., NeurIPS 2015) video classifier: a strided conv stem per frame, stacked ConvLSTM
cells unrolled over frames, global pooling of the last hidden state, and a linear classifier.
"""

from __future__ import annotations

import torch
from torch import nn

from archsel.zoo.builders.backbones import per_frame

State = tuple[torch.Tensor, torch.Tensor]  # (hidden, cell)


class ConvLSTMCell(nn.Module):
    """LSTM whose input-to-state and state-to-state transitions are convolutions (no peephole terms)."""

    def __init__(self, in_channels: int, hidden: int, kernel: int = 3) -> None:
        super().__init__()
        self.hidden = hidden
        self.gates = nn.Conv2d(in_channels + hidden, 4 * hidden, kernel, padding=kernel // 2)

    def forward(self, x: torch.Tensor, state: State) -> State:
        h, c = state
        i, f, o, g = self.gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


def _stem(widths: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for cin, cout in zip((3, *widths[:-1]), widths, strict=True):
        conv = nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False)
        layers += [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class ConvLSTMClassifier(nn.Module):
    """Per-frame conv stem → ConvLSTM layers over time → pooled last hidden state → classifier."""

    def __init__(self, stem: tuple[int, ...] = (32, 64, 64), hidden: tuple[int, ...] = (64, 64),
                 kernel: int = 3, num_classes: int = 400) -> None:
        super().__init__()
        self.hidden = hidden
        self.stem = _stem(stem)
        ins = (stem[-1], *hidden[:-1])
        self.cells = nn.ModuleList(ConvLSTMCell(i, h, kernel) for i, h in zip(ins, hidden, strict=True))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(hidden[-1], num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        fmap = per_frame(self.stem, clip)  # [N, T, C', H', W']
        n, t = fmap.shape[:2]
        zeros = [fmap.new_zeros(n, width, *fmap.shape[3:]) for width in self.hidden]
        states = [(z, z) for z in zeros]
        for step in range(t):
            x = fmap[:, step]
            for k, cell in enumerate(self.cells):
                states[k] = cell(x, states[k])
                x = states[k][0]
        return self.fc(self.pool(states[-1][0]).flatten(1))


def convlstm_classifier(stem: tuple[int, ...] = (32, 64, 64), hidden: tuple[int, ...] = (64, 64),
                        kernel: int = 3, num_classes: int = 400) -> ConvLSTMClassifier:
    """ConvLSTM classifier; defaults: stride-2 conv stem (32, 64, 64) → 2 ConvLSTM layers of 64, 3×3."""
    return ConvLSTMClassifier(tuple(stem), tuple(hidden), kernel, num_classes)

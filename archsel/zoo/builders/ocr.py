"""Text-line recognition: seed 004's CRNN example (conv → BN → conv → BN → BiLSTM → FC)."""

from __future__ import annotations

import torch
from torch import nn


class CRNN(nn.Module):
    """Seed 004 §5.2 CRNN with its layer sizes; the sequence runs along the image width.

    The document's code leaves `feat_dim` undefined and squeezes axis 2; we read it as: features per
    column = 64 channels × image height (feat_dim = height), sequence = width, batch-first LSTM.
    `per_step=False` keeps the document's `fc(x[:, -1])` (one label per image); True gives per-column
    logits [N, W, classes] as CTC decoding needs.
    """

    def __init__(self, num_classes: int = 39, height: int = 32, per_step: bool = False) -> None:
        super().__init__()
        self.per_step = per_step
        self.conv1 = nn.Conv2d(1, 32, (3, 3), padding=(1, 1))
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, (3, 3), padding=(1, 1))
        self.bn2 = nn.BatchNorm2d(64)
        self.lstm = nn.LSTM(64 * height, 128, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))  # [N, 64, H, W]
        n, c, h, w = x.shape
        x = x.permute(0, 3, 1, 2).reshape(n, w, c * h)  # [N, W, 64·H]
        x, _ = self.lstm(x)
        return self.fc(x if self.per_step else x[:, -1])


def crnn(num_classes: int = 39, height: int = 32, per_step: bool = False) -> nn.Module:
    """Seed 004's CRNN: conv 1→32, BN, conv 32→64, BN, BiLSTM(64·height → 128), FC 256 → 39."""
    return CRNN(num_classes, height, per_step)

"""Serial CNN → RNN video classifiers: a CNN per frame (2D) or per short segment (3D), then a recurrent
head over time.

Input is a clip [N, C, T, H, W] (torchvision's video layout); the models reshape to frames internally.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from archsel.zoo.builders.backbones import image_trunk, per_frame, video_trunk

RNNKind = Literal["lstm", "gru"]
RNN_TYPES: dict[str, type[nn.LSTM] | type[nn.GRU]] = {"lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentHead(nn.Module):
    """Unidirectional LSTM/GRU over [N, T, F] features; classifies from the last step's output."""

    def __init__(self, in_features: int, hidden: int, layers: int, rnn: RNNKind, num_classes: int,
                 dropout: float = 0.5) -> None:
        super().__init__()
        if rnn not in RNN_TYPES:
            raise ValueError(f"rnn must be one of {sorted(RNN_TYPES)}, not {rnn!r}")
        self.rnn = RNN_TYPES[rnn](in_features, hidden, num_layers=layers, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(feats)
        return self.fc(self.dropout(out[:, -1]))


class FrameRNN(nn.Module):
    """2D CNN trunk on every frame → recurrent head over the frame features (LRCN-style)."""

    def __init__(self, trunk: nn.Module, head: RecurrentHead) -> None:
        super().__init__()
        self.trunk, self.head = trunk, head

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return self.head(per_frame(self.trunk, clip))


class SegmentRNN(nn.Module):
    """3D CNN trunk on consecutive `segment`-frame sub-clips → recurrent head over the time steps.

    Each sub-clip's feature map is averaged over space only, so every remaining time step of every
    segment becomes one step of the recurrence (Baccouche et al. 2011: 3D ConvNet features → LSTM).
    """

    def __init__(self, trunk: nn.Module, width: int, head: RecurrentHead, segment: int) -> None:
        super().__init__()
        self.trunk, self.width, self.head, self.segment = trunk, width, head, segment

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        n, c, t, h, w = clip.shape
        s = self.segment if 0 < self.segment <= t else t
        k = t // s  # whole segments; trailing frames that do not fill one are dropped
        segs = clip[:, :, : k * s].reshape(n, c, k, s, h, w).transpose(1, 2).reshape(n * k, c, s, h, w)
        fmap = self.trunk(segs).mean(dim=(3, 4))  # [N*k, F, s']
        steps = fmap.shape[2]
        feats = fmap.reshape(n, k, self.width, steps).permute(0, 1, 3, 2).reshape(n, k * steps, self.width)
        return self.head(feats)


def frame_rnn(trunk: str = "resnet18", rnn: RNNKind = "lstm", hidden: int = 512, layers: int = 1,
              num_classes: int = 400) -> FrameRNN:
    """A torchvision 2D trunk (pooled) per frame, then a `layers`-deep unidirectional LSTM/GRU."""
    body, width = image_trunk(trunk)
    return FrameRNN(body, RecurrentHead(width, hidden, layers, rnn, num_classes))


def segment_rnn(trunk: str = "r3d_18", segment: int = 4, rnn: RNNKind = "lstm", hidden: int = 512,
                layers: int = 1, num_classes: int = 400) -> SegmentRNN:
    """A torchvision 3D ResNet trunk per `segment`-frame sub-clip, then a unidirectional LSTM/GRU."""
    body, width = video_trunk(trunk)
    return SegmentRNN(body, width, RecurrentHead(width, hidden, layers, rnn, num_classes), segment)

"""ESPCN (Shi et al., CVPR 2016): super-resolution with an efficient sub-pixel convolution layer.

All convolutions work in low-resolution space; the last one emits r²·C channels that PixelShuffle
rearranges into an image r times larger. Paper configuration: (f1, n1) = (5, 64), (f2, n2) = (3, 32),
f3 = 3, tanh activations, on the luminance (Y) channel.
"""

from __future__ import annotations

import torch
from torch import nn


class ESPCN(nn.Module):
    """[N, C, H, W] → [N, C, r·H, r·W]; "same" padding keeps the output exactly r times the input."""

    def __init__(self, upscale: int = 3, channels: int = 1, n1: int = 64, n2: int = 32,
                 f1: int = 5, f2: int = 3, f3: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, n1, f1, padding=f1 // 2), nn.Tanh(),
            nn.Conv2d(n1, n2, f2, padding=f2 // 2), nn.Tanh(),
        )
        self.subpixel = nn.Conv2d(n2, channels * upscale ** 2, f3, padding=f3 // 2)
        self.shuffle = nn.PixelShuffle(upscale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.subpixel(self.features(x)))


def espcn(upscale: int = 3, channels: int = 1) -> nn.Module:
    """ESPCN in the paper's configuration for upscale factor `upscale`."""
    return ESPCN(upscale, channels)

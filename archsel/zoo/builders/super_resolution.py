"""Super-resolution CNNs that upsample with sub-pixel convolutions (PixelShuffle).

- ESPCN (Shi et al., CVPR 2016): all convolutions work in low-resolution space; the last one emits r²·C
  channels that PixelShuffle rearranges into an image r times larger. Paper configuration: (f1, n1) =
  (5, 64), (f2, n2) = (3, 32), f3 = 3, tanh activations, on the luminance (Y) channel.
- EDSR (Lim et al., CVPRW 2017): SRResNet without batch norm: a head conv, residual blocks (conv, ReLU, conv)
  and a body conv with a global skip, then conv + PixelShuffle stages and a conv back to RGB, between fixed
  1×1 mean-shift convolutions, on RGB in the 0-255 range.
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


# --------------------------------------------------------------------------------------------------------
# EDSR (Lim et al., CVPRW 2017): residual blocks without batch norm, sub-pixel upsampling at the end

DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)  # the mean colour of DIV2K's training images, in [0, 1]


class _MeanShift(nn.Conv2d):
    """Fixed 1×1 convolution that subtracts (sign -1) or adds (sign +1) the DIV2K mean colour on a 0-255 scale.

    A convolution, not a subtraction, as in the authors' code: its 12 frozen parameters count, and it runs.
    """

    def __init__(self, sign: int, rgb_range: float = 255.0) -> None:
        super().__init__(3, 3, kernel_size=1)
        assert self.bias is not None
        with torch.no_grad():
            self.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
            self.bias.copy_(sign * rgb_range * torch.tensor(DIV2K_RGB_MEAN))
        self.requires_grad_(False)


class _EDSRBlock(nn.Module):
    """conv3×3 → ReLU → conv3×3, scaled by `res_scale` and added to the input (no batch norm)."""

    def __init__(self, features: int, res_scale: float) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(features, features, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(features, features, 3, padding=1))
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) * self.res_scale + x


def _edsr_upsampler(features: int, scale: int) -> list[nn.Module]:
    """×2^k: k stages of conv3×3 (F → 4F) + PixelShuffle(2); ×3: conv3×3 (F → 9F) + PixelShuffle(3)."""
    if scale == 3:
        return [nn.Conv2d(features, 9 * features, 3, padding=1), nn.PixelShuffle(3)]
    if scale < 2 or scale & (scale - 1):
        raise ValueError(f"EDSR upsamples by 2, 3, 4, 8, ...: not {scale}")
    stages: list[nn.Module] = []
    for _ in range(scale.bit_length() - 1):
        stages += [nn.Conv2d(features, 4 * features, 3, padding=1), nn.PixelShuffle(2)]
    return stages


class EDSR(nn.Module):
    """[N, 3, H, W] in [0, 1] → [N, 3, s·H, s·W]: mean shift, head conv, residual blocks, body conv with a
    global skip, sub-pixel upsampler, tail conv to RGB, mean shift back."""

    def __init__(self, blocks: int = 16, features: int = 64, scale: int = 2, res_scale: float = 1.0) -> None:
        super().__init__()
        self.sub_mean, self.add_mean = _MeanShift(-1), _MeanShift(+1)
        self.head = nn.Conv2d(3, features, 3, padding=1)
        self.body = nn.Sequential(*(_EDSRBlock(features, res_scale) for _ in range(blocks)),
                                  nn.Conv2d(features, features, 3, padding=1))
        self.tail = nn.Sequential(*_edsr_upsampler(features, scale), nn.Conv2d(features, 3, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.sub_mean(x * 255.0))
        x = self.body(x) + x
        return self.add_mean(self.tail(x)) / 255.0


def edsr(blocks: int = 16, features: int = 64, scale: int = 2, res_scale: float = 1.0) -> nn.Module:
    """EDSR: the paper's baseline is 16 blocks of 64 features (res_scale 1); the full model 32 × 256 (0.1)."""
    return EDSR(blocks, features, scale, res_scale)

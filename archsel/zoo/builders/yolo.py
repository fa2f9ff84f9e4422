"""Detector builders: a compact YOLO-style detector in torch.nn, and torchvision detectors as released.

The YOLO-style model follows the YOLOv8 layout of Ultralytics' `yolov8.yaml` (CSP "C2f" backbone, SPPF, PAN
neck, anchor-free decoupled heads with distribution-focal box regression at strides 8/16/32). It is built
by archsel from that description, not an official release and not Ultralytics code. forward() returns the
raw per-scale head outputs (no decoding, no NMS) so it runs on the meta device; decode() turns them into
boxes and class scores, still without NMS.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

STRIDES = (8, 16, 32)


def _divisible(x: float, divisor: int = 8) -> int:
    return math.ceil(x / divisor) * divisor


@dataclass(frozen=True)
class Scale:
    """Compound scaling of an Ultralytics model YAML: depth multiple, width multiple, channel ceiling."""

    depth: float
    width: float
    max_channels: int

    def ch(self, c: int) -> int:
        """Channels: ceil(min(c, max_channels) · width / 8) · 8."""
        return _divisible(min(c, self.max_channels) * self.width)

    def n(self, repeats: int) -> int:
        """Repeats: max(round(repeats · depth), 1) for repeats > 1; a single block stays single."""
        return max(round(repeats * self.depth), 1) if repeats > 1 else repeats


class ConvBNAct(nn.Module):
    """Conv (no bias) → BatchNorm → SiLU (or no activation), padding k // 2 unless given: Ultralytics' `Conv`."""

    def __init__(self, c_in: int, c_out: int, k: int = 1, s: int = 1, *, p: int | None = None, g: int = 1,
                 act: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, s, k // 2 if p is None else p, groups=g, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=0.001, momentum=0.03)
        self.act: nn.Module = nn.SiLU() if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


def dw_conv(c: int, k: int = 3) -> ConvBNAct:
    """Depthwise Conv + BN + SiLU (Ultralytics' DWConv with equal in/out channels)."""
    return ConvBNAct(c, c, k, g=c)


class Bottleneck(nn.Module):
    """Conv(k1) → Conv(k2) with hidden width c_out · e, plus the input when shortcut and widths match."""

    def __init__(self, c_in: int, c_out: int, shortcut: bool, k: tuple[int, int] = (3, 3), e: float = 1.0) -> None:
        super().__init__()
        hidden = int(c_out * e)
        self.cv1 = ConvBNAct(c_in, hidden, k[0])
        self.cv2 = ConvBNAct(hidden, c_out, k[1])
        self.add = shortcut and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """CSP bottleneck with two convolutions: a 1×1 conv split in two halves (c_out · e channels each), a chain
    of n blocks on the second, every output kept and fused by a 1×1 conv. The blocks are 3×3/3×3
    bottlenecks at full width unless `block` (channels → module) gives others (YOLO11's C3k2)."""

    def __init__(self, c_in: int, c_out: int, n: int, shortcut: bool, *, e: float = 0.5,
                 block: Callable[[int], nn.Module] | None = None) -> None:
        super().__init__()
        self.c = int(c_out * e)
        self.cv1 = ConvBNAct(c_in, 2 * self.c, 1)
        self.cv2 = ConvBNAct((2 + n) * self.c, c_out, 1)
        make = block or (lambda c: Bottleneck(c, c, shortcut))
        self.m = nn.ModuleList(make(self.c) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = list(self.cv1(x).chunk(2, 1))
        for block in self.m:
            y.append(block(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    """Spatial pyramid pooling, fast: three chained 5×5 max-pools concatenated."""

    def __init__(self, c_in: int, c_out: int, k: int = 5) -> None:
        super().__init__()
        hidden = c_in // 2
        self.cv1 = ConvBNAct(c_in, hidden, 1)
        self.cv2 = ConvBNAct(hidden * 4, c_out, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class DecoupledHead(nn.Module):
    """Anchor-free decoupled head: per scale a box branch (two 3×3 convs, 1×1 to 4 × reg_max bins) and a class
    branch (two 3×3 convs, or with `depthwise_cls` two depthwise-3×3 + 1×1 pairs as in YOLO11; 1×1 to the
    class logits). `bias_prior` sets Ultralytics' initial output biases. forward returns the raw per-scale
    maps."""

    def __init__(self, channels: tuple[int, ...], num_classes: int, reg_max: int = 16, *,
                 depthwise_cls: bool = False, bias_prior: bool = True) -> None:
        super().__init__()
        self.nc, self.reg_max = num_classes, reg_max
        c_box = max(16, channels[0] // 4, reg_max * 4)
        c_cls = max(channels[0], min(num_classes, 100))
        self.box = nn.ModuleList(
            nn.Sequential(ConvBNAct(c, c_box, 3), ConvBNAct(c_box, c_box, 3), nn.Conv2d(c_box, 4 * reg_max, 1))
            for c in channels)
        self.cls = nn.ModuleList(
            (nn.Sequential(nn.Sequential(dw_conv(c), ConvBNAct(c, c_cls, 1)),
                           nn.Sequential(dw_conv(c_cls), ConvBNAct(c_cls, c_cls, 1)), nn.Conv2d(c_cls, num_classes, 1))
             if depthwise_cls else
             nn.Sequential(ConvBNAct(c, c_cls, 3), ConvBNAct(c_cls, c_cls, 3), nn.Conv2d(c_cls, num_classes, 1)))
            for c in channels)
        # Distribution focal loss integral: a fixed 1×1 conv with weights 0..reg_max-1 (not trained).
        self.dfl = nn.Conv2d(reg_max, 1, 1, bias=False).requires_grad_(False)
        with torch.no_grad():
            self.dfl.weight.copy_(torch.arange(reg_max, dtype=torch.float32).view(1, reg_max, 1, 1))
            if bias_prior:  # Ultralytics' bias prior on the last (1×1) conv of every branch
                for box, cls, stride in zip(self.box, self.cls, STRIDES, strict=True):
                    box_out, cls_out = list(box.children())[-1], list(cls.children())[-1]
                    assert isinstance(box_out, nn.Conv2d) and isinstance(cls_out, nn.Conv2d)
                    assert box_out.bias is not None and cls_out.bias is not None
                    box_out.bias.fill_(1.0)
                    cls_out.bias.fill_(math.log(5 / num_classes / (640 / stride) ** 2))

    def raw(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        """Per scale [N, 4·reg_max + classes, H/s, W/s]."""
        return [torch.cat((b(f), c(f)), 1) for f, b, c in zip(feats, self.box, self.cls, strict=True)]

    def decode(self, raw: list[torch.Tensor]) -> torch.Tensor:
        """[N, 4 + classes, anchors]: boxes (cx, cy, w, h in input pixels) and class probabilities; no NMS."""
        return decode_dfl(raw, self.dfl, self.reg_max, self.nc)

    def forward(self, feats: list[torch.Tensor]) -> Any:
        return tuple(self.raw(feats))


class YOLOStyleDetector(nn.Module):
    """YOLOv8-layout detector scaled by (depth, width, max_channels) like Ultralytics' n/s/m/l/x scales."""

    def __init__(self, depth: float = 0.33, width: float = 0.25, max_channels: int = 1024,
                 num_classes: int = 80) -> None:
        super().__init__()

        sc = Scale(depth, width, max_channels)
        n = sc.n
        c1, c2, c3, c4, c5 = (sc.ch(c) for c in (64, 128, 256, 512, 1024))
        self.stem = nn.Sequential(ConvBNAct(3, c1, 3, 2), ConvBNAct(c1, c2, 3, 2), C2f(c2, c2, n(3), True))
        self.stage3 = nn.Sequential(ConvBNAct(c2, c3, 3, 2), C2f(c3, c3, n(6), True))  # P3/8
        self.stage4 = nn.Sequential(ConvBNAct(c3, c4, 3, 2), C2f(c4, c4, n(6), True))  # P4/16
        self.stage5 = nn.Sequential(ConvBNAct(c4, c5, 3, 2), C2f(c5, c5, n(3), True), SPPF(c5, c5))  # P5/32
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.top_down4 = C2f(c5 + c4, c4, n(3), False)
        self.top_down3 = C2f(c4 + c3, c3, n(3), False)
        self.down3 = ConvBNAct(c3, c3, 3, 2)
        self.bottom_up4 = C2f(c3 + c4, c4, n(3), False)
        self.down4 = ConvBNAct(c4, c4, 3, 2)
        self.bottom_up5 = C2f(c4 + c5, c5, n(3), False)
        self.head = DecoupledHead((c3, c4, c5), num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Raw head outputs per scale: [N, 4·reg_max + classes, H/s, W/s] for s = 8, 16, 32."""
        p3 = self.stage3(self.stem(x))
        p4 = self.stage4(p3)
        p5 = self.stage5(p4)
        t4 = self.top_down4(torch.cat((self.up(p5), p4), 1))
        n3 = self.top_down3(torch.cat((self.up(t4), p3), 1))
        n4 = self.bottom_up4(torch.cat((self.down3(n3), t4), 1))
        n5 = self.bottom_up5(torch.cat((self.down4(n4), p5), 1))
        return self.head([n3, n4, n5])

    def decode(self, raw: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """[N, 4 + classes, anchors]: boxes (cx, cy, w, h in input pixels) and class probabilities; no NMS."""
        return self.head.decode(list(raw))


def anchor_points(feats: list[torch.Tensor], strides: tuple[int, ...] = STRIDES) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell centres [2, A] (in cells) and their strides [1, A] for every level, from the feature shapes."""
    points, scales = [], []
    for f, stride in zip(feats, strides, strict=True):
        h, w = f.shape[-2:]
        ys = torch.arange(h, dtype=f.dtype, device=f.device) + 0.5
        xs = torch.arange(w, dtype=f.dtype, device=f.device) + 0.5
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        points.append(torch.stack((gx, gy)).view(2, -1))
        scales.append(torch.full((1, h * w), float(stride), dtype=f.dtype, device=f.device))
    return torch.cat(points, 1), torch.cat(scales, 1)


def decode_dfl(raw: list[torch.Tensor], dfl: nn.Module, reg_max: int, nc: int) -> torch.Tensor:
    """An anchor-free DFL head's eval output [N, 4 + classes, anchors]: the softmax-weighted box distances
    decoded against the cell centres and strides (cx, cy, w, h in input pixels), class sigmoids; no NMS."""
    batch = raw[0].shape[0]
    points, scale = anchor_points(raw)
    box, cls = torch.cat([r.flatten(2) for r in raw], 2).split((4 * reg_max, nc), 1)
    bins = box.view(batch, 4, reg_max, -1).transpose(2, 1).softmax(1)
    lt, rb = dfl(bins).view(batch, 4, -1).chunk(2, 1)
    x1y1, x2y2 = points - lt, points + rb
    boxes = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * scale
    return torch.cat((boxes, cls.sigmoid()), 1)


def yolo_style(depth: float = 0.33, width: float = 0.25, max_channels: int = 1024,
               num_classes: int = 80) -> nn.Module:
    """The YOLO-style detector; the defaults are YOLOv8-n's scale (depth 0.33, width 0.25)."""
    return YOLOStyleDetector(depth, width, max_channels, num_classes)

"""Ultralytics' YOLOv5(u), YOLOv8 and YOLO11 architectures in torch.nn, for counting and latency estimates.

Published device latencies (Ultralytics' docs: CPU ONNX, T4 and A100 TensorRT, Jetson; Qualcomm AI Hub on
Snapdragon) are for these models, so archsel needs their exact layer structure to count MACs, parameters
and per-op bytes. Everything here is archsel's own code, written from published architecture facts, not
Ultralytics code (which is AGPL-3.0):

- the layer lists and compound-scaling constants (depth, width, max_channels) of Ultralytics' model YAMLs
  (`ultralytics/cfg/models/v5/yolov5.yaml`, `v8/yolov8.yaml`, `v8/yolov8-cls.yaml`, `v8/yolov8-seg.yaml`,
  `11/yolo11.yaml`, `11/yolo11-cls.yaml`) and the original YOLOv5 repository's `models/yolov5*.yaml`;
- the block definitions described in Ultralytics' docs (docs.ultralytics.com/models/yolov5, /yolov8,
  /yolo11; the YOLOv5 architecture summary at docs.ultralytics.com/yolov5/tutorials/architecture_description)
  and the papers they rest on: CSPNet (Wang et al., CVPRW 2020), PANet (Liu et al., CVPR 2018), SPP/SPPF,
  Generalized Focal Loss / DFL (Li et al., NeurIPS 2020), YOLOv3's anchor head (Redmon & Farhadi, 2018).

Conventions reproduced:

- `Conv` = Conv2d (no bias, "same" padding) + BatchNorm2d (eps 1e-3) + SiLU; channel counts are
  `ceil(min(c, max_channels) · width / 8) · 8` and repeats `max(round(n · depth), 1)` for n > 1.
- The detection heads run their inference-time decoding inside forward() in eval mode, as the released
  models do when exported: DFL (softmax over 16 bins, expectation by a fixed 1×1 conv), distances to boxes
  against anchor points and strides computed from the feature shapes, sigmoid class scores, one
  concatenation. NMS is not part of the model (it runs outside it) and is not here. In training mode the
  heads return the raw per-level maps.
- Everything is shape-static: no data-dependent control flow, so the models trace on the meta device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from archsel.zoo.builders.yolo import SPPF, STRIDES, Bottleneck, C2f, DecoupledHead, Scale
from archsel.zoo.builders.yolo import ConvBNAct as Conv

REG_MAX = 16  # DFL bins per box side
CLASSIFY_HIDDEN = 1280  # Classify head: 1×1 conv to 1280 channels (EfficientNet-B0's head width), pool, linear
# YOLOv5's COCO anchors (pixels) for P3/8, P4/16, P5/32 (YOLOv5 models/yolov5*.yaml, P5 640 models)
V5_ANCHORS = ((10, 13, 16, 30, 33, 23), (30, 61, 62, 45, 59, 119), (116, 90, 156, 198, 373, 326))

# [depth, width, max_channels] per scale, from each model YAML's `scales:` table
V5_SCALES = {"n": Scale(0.33, 0.25, 1024), "s": Scale(0.33, 0.50, 1024), "m": Scale(0.67, 0.75, 1024),
             "l": Scale(1.00, 1.00, 1024), "x": Scale(1.33, 1.25, 1024)}
V8_SCALES = {"n": Scale(0.33, 0.25, 1024), "s": Scale(0.33, 0.50, 1024), "m": Scale(0.67, 0.75, 768),
             "l": Scale(1.00, 1.00, 512), "x": Scale(1.00, 1.25, 512)}
V8_CLS_SCALES = {"n": Scale(0.33, 0.25, 1024), "s": Scale(0.33, 0.50, 1024), "m": Scale(0.67, 0.75, 1024),
                 "l": Scale(1.00, 1.00, 1024), "x": Scale(1.00, 1.25, 1024)}
V11_SCALES = {"n": Scale(0.50, 0.25, 1024), "s": Scale(0.50, 0.50, 1024), "m": Scale(0.50, 1.00, 512),
              "l": Scale(1.00, 1.00, 512), "x": Scale(1.00, 1.50, 512)}


def _scale(table: dict[str, Scale], scale: str) -> Scale:
    if scale not in table:
        raise ValueError(f"unknown scale {scale!r}; one of {', '.join(table)}")
    return table[scale]


# ---------------------------------------------------------------------------------------------- blocks
# Conv (yolo.ConvBNAct), Bottleneck, C2f, SPPF, Scale and the DFL head are shared with archsel's YOLO-style
# detector (archsel/zoo/builders/yolo.py).


class C3(nn.Module):
    """CSP bottleneck with three convs (YOLOv5): two 1×1 branches, bottlenecks on one, 1×1 fuse."""

    def __init__(self, c_in: int, c_out: int, n: int = 1, shortcut: bool = True, e: float = 0.5,
                 k: tuple[int, int] = (1, 3)) -> None:
        super().__init__()
        hidden = int(c_out * e)
        self.cv1 = Conv(c_in, hidden, 1)
        self.cv2 = Conv(c_in, hidden, 1)
        self.cv3 = Conv(2 * hidden, c_out, 1)
        self.m = nn.Sequential(*(Bottleneck(hidden, hidden, shortcut, k, e=1.0) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


def c3k(c: int, shortcut: bool) -> C3:
    """YOLO11's C3k: a C3 of two 3×3/3×3 bottlenecks."""
    return C3(c, c, 2, shortcut, k=(3, 3))


def c3k2(c_in: int, c_out: int, n: int, use_c3k: bool, e: float = 0.5, shortcut: bool = True) -> C2f:
    """YOLO11's C3k2: C2f with C3k blocks (use_c3k) or half-width 3×3 bottlenecks."""
    if use_c3k:
        return C2f(c_in, c_out, n, shortcut, e=e, block=lambda c: c3k(c, shortcut))
    return C2f(c_in, c_out, n, shortcut, e=e, block=lambda c: Bottleneck(c, c, shortcut, (3, 3), e=0.5))


class Attention(nn.Module):
    """YOLO11's position-sensitive attention: 1×1 qkv conv, multi-head attention over the H·W positions
    (key width half the head width), a 3×3 depthwise conv on the values as positional encoding, 1×1 out."""

    def __init__(self, dim: int, num_heads: int, attn_ratio: float = 0.5) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.key_dim = int(self.head_dim * attn_ratio)
        self.scale = self.key_dim ** -0.5
        self.qkv = Conv(dim, dim + 2 * self.key_dim * num_heads, 1, act=False)
        self.proj = Conv(dim, dim, 1, act=False)
        self.pe = Conv(dim, dim, 3, g=dim, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(x).view(b, self.num_heads, 2 * self.key_dim + self.head_dim, h * w).split(
            (self.key_dim, self.key_dim, self.head_dim), 2)
        attn = ((q.transpose(-2, -1) @ k) * self.scale).softmax(-1)
        out = (v @ attn.transpose(-2, -1)).view(b, c, h, w) + self.pe(v.reshape(b, c, h, w))
        return self.proj(out)


class PSABlock(nn.Module):
    """Attention then a 1×1 feed-forward (2× expansion), each with a residual."""

    def __init__(self, c: int, num_heads: int) -> None:
        super().__init__()
        self.attn = Attention(c, num_heads)
        self.ffn = nn.Sequential(Conv(c, 2 * c, 1), Conv(2 * c, c, 1, act=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.ffn(x)


class C2PSA(nn.Module):
    """YOLO11's C2PSA: split a 1×1 conv's output in halves, PSA blocks on one (64 channels a head), fuse."""

    def __init__(self, c: int, n: int) -> None:
        super().__init__()
        self.c = c // 2
        self.cv1 = Conv(c, 2 * self.c, 1)
        self.cv2 = Conv(2 * self.c, c, 1)
        self.m = nn.Sequential(*(PSABlock(self.c, num_heads=max(self.c // 64, 1)) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.cv1(x).split((self.c, self.c), 1)
        return self.cv2(torch.cat((a, self.m(b)), 1))


# ----------------------------------------------------------------------------------------------- heads


class DetectHead(DecoupledHead):
    """Anchor-free decoupled head (YOLOv8 / YOLOv5u / YOLO11; archsel.zoo.builders.yolo.DecoupledHead with
    16 DFL bins, no bias prior): per level a box branch (two 3×3 convs, 1×1 to 4 × 16 DFL bins) and a class
    branch (YOLOv8: two 3×3 convs; YOLO11: two depthwise-3×3 + 1×1 pairs), then 1×1 to the class logits.
    Eval: decoded [N, 4 + classes, anchors], boxes as (cx, cy, w, h) in input pixels, class scores after
    sigmoid; no NMS. Train: the raw per-level maps."""

    def __init__(self, channels: tuple[int, ...], num_classes: int, *, depthwise_cls: bool = False) -> None:
        super().__init__(channels, num_classes, REG_MAX, depthwise_cls=depthwise_cls, bias_prior=False)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor | list[torch.Tensor]:
        raw = self.raw(feats)
        return raw if self.training else self.decode(raw)


class AnchorHead(nn.Module):
    """YOLOv5's anchor-based head (YOLOv3 style): per level a 1×1 conv to 3 anchors × (4 box + objectness
    + classes). Eval: every output through a sigmoid, xy = (2σ − 0.5 + cell) · stride, wh = (2σ)² · anchor,
    flattened to [N, 3 · Σ H·W, 5 + classes] (25200 rows at 640); no NMS."""

    anchors: torch.Tensor

    def __init__(self, channels: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.nc, self.na = num_classes, len(V5_ANCHORS[0]) // 2
        self.no = num_classes + 5
        self.m = nn.ModuleList(nn.Conv2d(c, self.na * self.no, 1) for c in channels)
        self.register_buffer("anchors", torch.tensor(V5_ANCHORS, dtype=torch.float32).view(len(STRIDES),
                                                                                           self.na, 2))

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor | list[torch.Tensor]:
        raw = [m(f) for m, f in zip(self.m, feats, strict=True)]
        if self.training:
            return raw
        out = []
        for i, (r, stride) in enumerate(zip(raw, STRIDES, strict=True)):
            b, _, h, w = r.shape
            p = r.view(b, self.na, self.no, h, w).permute(0, 1, 3, 4, 2).sigmoid()
            xy, wh, conf = p.split((2, 2, self.no - 4), 4)
            gy, gx = torch.meshgrid(torch.arange(h, dtype=r.dtype, device=r.device),
                                    torch.arange(w, dtype=r.dtype, device=r.device), indexing="ij")
            grid = torch.stack((gx, gy), -1).view(1, 1, h, w, 2) - 0.5
            anchor = self.anchors[i].to(r.dtype).view(1, self.na, 1, 1, 2)
            xy = (xy * 2 + grid) * stride
            wh = (wh * 2) ** 2 * anchor
            out.append(torch.cat((xy, wh, conf), 4).view(b, -1, self.no))
        return torch.cat(out, 1)


class Proto(nn.Module):
    """Mask prototypes (YOLACT-style): 3×3 conv, 2× transposed-conv upsample, 3×3 conv, 1×1 to 32 masks."""

    def __init__(self, c_in: int, hidden: int, masks: int) -> None:
        super().__init__()
        self.cv1 = Conv(c_in, hidden, 3)
        self.upsample = nn.ConvTranspose2d(hidden, hidden, 2, 2, 0, bias=True)
        self.cv2 = Conv(hidden, hidden, 3)
        self.cv3 = Conv(hidden, masks, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(self.cv2(self.upsample(self.cv1(x))))


class SegmentHead(nn.Module):
    """YOLOv8-seg head: the detect head plus per-anchor mask coefficients (two 3×3 convs, 1×1 to 32) and
    prototypes at stride 4. Eval: ([N, 4 + classes + 32, anchors], prototypes [N, 32, H/4, W/4])."""

    def __init__(self, channels: tuple[int, ...], num_classes: int, proto_channels: int, masks: int = 32) -> None:
        super().__init__()
        self.masks = masks
        c_mask = max(channels[0] // 4, masks)
        self.detect = DetectHead(channels, num_classes)
        self.proto = Proto(channels[0], proto_channels, masks)
        self.coef = nn.ModuleList(
            nn.Sequential(Conv(c, c_mask, 3), Conv(c_mask, c_mask, 3), nn.Conv2d(c_mask, masks, 1))
            for c in channels)

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        batch = feats[0].shape[0]
        protos = self.proto(feats[0])
        coef = torch.cat([c(f).view(batch, self.masks, -1) for c, f in zip(self.coef, feats, strict=True)], 2)
        raw = self.detect.raw(feats)
        if self.training:
            return (*raw, coef, protos)
        return torch.cat((self.detect.decode(raw), coef), 1), protos


class Classify(nn.Module):
    """Ultralytics' classification head: 1×1 Conv to 1280, global average pool, linear; softmax in eval."""

    def __init__(self, c_in: int, num_classes: int) -> None:
        super().__init__()
        self.conv = Conv(c_in, CLASSIFY_HIDDEN, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.0)
        self.linear = nn.Linear(CLASSIFY_HIDDEN, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear(self.drop(self.pool(self.conv(x)).flatten(1)))
        return y if self.training else y.softmax(1)


# ------------------------------------------------------------------------------------ backbones, necks


def _down(c_in: int, c_out: int) -> Conv:
    return Conv(c_in, c_out, 3, 2)


def _v8_backbone(sc: Scale) -> tuple[nn.Sequential, nn.Sequential, nn.Sequential, tuple[int, int, int]]:
    """YOLOv8 layers 0-8: stages ending at P3/8, P4/16, P5/32 (P5 without SPPF)."""
    c1, c2, c3, c4, c5 = (sc.ch(c) for c in (64, 128, 256, 512, 1024))
    p3 = nn.Sequential(_down(3, c1), _down(c1, c2), C2f(c2, c2, sc.n(3), True), _down(c2, c3),
                       C2f(c3, c3, sc.n(6), True))
    p4 = nn.Sequential(_down(c3, c4), C2f(c4, c4, sc.n(6), True))
    p5 = nn.Sequential(_down(c4, c5), C2f(c5, c5, sc.n(3), True))
    return p3, p4, p5, (c3, c4, c5)


def _v11_backbone(sc: Scale, mlx: bool) -> tuple[nn.Sequential, nn.Sequential, nn.Sequential,
                                                  tuple[int, int, int]]:
    """YOLO11 layers 0-8 (C3k2 blocks; m/l/x use C3k inside every C3k2, as Ultralytics' parser does)."""
    c1, c2, c3, c4, c5 = (sc.ch(c) for c in (64, 128, 256, 512, 1024))
    n = sc.n(2)
    p3 = nn.Sequential(_down(3, c1), _down(c1, c2), c3k2(c2, c3, n, mlx, e=0.25), _down(c3, c3),
                       c3k2(c3, c4, n, mlx, e=0.25))
    p4 = nn.Sequential(_down(c4, c4), c3k2(c4, c4, n, True))
    p5 = nn.Sequential(_down(c4, c5), c3k2(c5, c5, n, True))
    return p3, p4, p5, (c4, c4, c5)


class PANDetector(nn.Module):
    """Backbone → SPPF (→ C2PSA) → top-down and bottom-up PAN (Upsample/Concat) → detect head at P3-P5.

    `lateral` (YOLOv5) puts a 1×1 conv on P5 and on the first top-down output before each upsample, and
    concatenates those reduced maps in the bottom-up path, as yolov5.yaml does.
    """

    def __init__(self, p3: nn.Module, p4: nn.Module, p5: nn.Module, widths: tuple[int, int, int],
                 out: tuple[int, int, int], csp: Callable[[int, int, bool], nn.Module], head: nn.Module, *,
                 lateral: bool = False) -> None:
        super().__init__()
        (b3, b4, b5), (o3, o4, o5) = widths, out
        self.p3, self.p4, self.p5 = p3, p4, p5
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.lat5: nn.Module = Conv(b5, o4, 1) if lateral else nn.Identity()
        self.lat4: nn.Module = Conv(o4, o3, 1) if lateral else nn.Identity()
        r5, t4 = (o4, o3) if lateral else (b5, o4)  # widths of the reduced P5 and of the top-down P4
        self.top_down4 = csp(r5 + b4, o4, False)
        self.top_down3 = csp(t4 + b3, o3, False)
        self.down3 = _down(o3, o3)
        self.bottom_up4 = csp(o3 + t4, o4, False)
        self.down4 = _down(o4, o4)
        self.bottom_up5 = csp(o4 + r5, o5, True)
        self.head = head

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        p3 = self.p3(x)
        p4 = self.p4(p3)
        r5 = self.lat5(self.p5(p4))
        t4 = self.lat4(self.top_down4(torch.cat((self.up(r5), p4), 1)))
        n3 = self.top_down3(torch.cat((self.up(t4), p3), 1))
        n4 = self.bottom_up4(torch.cat((self.down3(n3), t4), 1))
        n5 = self.bottom_up5(torch.cat((self.down4(n4), r5), 1))
        return [n3, n4, n5]

    def forward(self, x: torch.Tensor) -> Any:
        """Eval: the head's decoded output (see DetectHead, AnchorHead, SegmentHead); train: raw maps."""
        return self.head(self.features(x))


class YOLOClassifier(nn.Module):
    """Backbone to P5/32 (plus C2PSA for YOLO11) and the Classify head."""

    def __init__(self, body: nn.Module, c_out: int, num_classes: int) -> None:
        super().__init__()
        self.body = body
        self.head = Classify(c_out, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.body(x))
        return out


# --------------------------------------------------------------------------------------------- builders


def _v8_detector(scale: str, head: Callable[[tuple[int, int, int]], nn.Module]) -> PANDetector:
    """The YOLOv8 backbone, SPPF and PAN neck (yolov8.yaml, yolov8-seg.yaml) with `head` on (P3, P4, P5)."""
    sc = _scale(V8_SCALES, scale)
    p3, p4, p5, widths = _v8_backbone(sc)
    p5.append(SPPF(widths[2], widths[2]))
    n = sc.n(3)
    return PANDetector(p3, p4, p5, widths, widths, lambda a, b, _last: C2f(a, b, n, False), head(widths))


def yolov8(scale: str = "n", num_classes: int = 80) -> nn.Module:
    """YOLOv8-{n,s,m,l,x} detection (yolov8.yaml): C2f backbone, SPPF, PAN neck, DFL detect head."""
    return _v8_detector(scale, lambda widths: DetectHead(widths, num_classes))


def yolov8_seg(scale: str = "n", num_classes: int = 80) -> nn.Module:
    """YOLOv8-{n..x}-seg (yolov8-seg.yaml): YOLOv8 with the Segment head (32 masks, 256·width prototypes)."""
    protos = _scale(V8_SCALES, scale).ch(256)
    return _v8_detector(scale, lambda widths: SegmentHead(widths, num_classes, proto_channels=protos))


def yolov8_cls(scale: str = "n", num_classes: int = 1000) -> nn.Module:
    """YOLOv8-{n..x}-cls (yolov8-cls.yaml): the YOLOv8 backbone to P5 (no SPPF) and the Classify head."""
    p3, p4, p5, (_, _, c5) = _v8_backbone(_scale(V8_CLS_SCALES, scale))
    return YOLOClassifier(nn.Sequential(p3, p4, p5), c5, num_classes)


def yolo11(scale: str = "n", num_classes: int = 80) -> nn.Module:
    """YOLO11-{n,s,m,l,x} detection (yolo11.yaml): C3k2 blocks, SPPF, C2PSA, PAN neck, DFL head with a
    depthwise class branch."""
    sc = _scale(V11_SCALES, scale)
    mlx = scale in ("m", "l", "x")
    p3, p4, p5, (c3, c4, c5) = _v11_backbone(sc, mlx)
    p5.extend((SPPF(c5, c5), C2PSA(c5, sc.n(2))))
    n = sc.n(2)
    o3 = sc.ch(256)
    return PANDetector(p3, p4, p5, (c3, c4, c5), (o3, c4, c5),
                       lambda a, b, last: c3k2(a, b, n, mlx or last),
                       DetectHead((o3, c4, c5), num_classes, depthwise_cls=True))


def yolo11_cls(scale: str = "n", num_classes: int = 1000) -> nn.Module:
    """YOLO11-{n..x}-cls (yolo11-cls.yaml): the YOLO11 backbone to P5, C2PSA (no SPPF), Classify head."""
    sc = _scale(V11_SCALES, scale)
    p3, p4, p5, (_, _, c5) = _v11_backbone(sc, scale in ("m", "l", "x"))
    p5.append(C2PSA(c5, sc.n(2)))
    return YOLOClassifier(nn.Sequential(p3, p4, p5), c5, num_classes)


def yolov5(scale: str = "n", num_classes: int = 80, head: str = "anchor-free") -> nn.Module:
    """YOLOv5-{n,s,m,l,x} P5 (yolov5.yaml, v6.0+ layout): 6×6 stride-2 stem conv, C3 blocks, SPPF, PAN neck
    with 1×1 lateral convs. head="anchor-free": YOLOv5u (Ultralytics' YOLOv8 DFL head, as in the
    ultralytics package); head="anchor": the original YOLOv5 anchor-based head (YOLOv5 repository)."""
    if head not in ("anchor-free", "anchor"):
        raise ValueError(f"unknown YOLOv5 head {head!r}; 'anchor-free' (YOLOv5u) or 'anchor' (original)")
    sc = _scale(V5_SCALES, scale)
    c1, c2, c3, c4, c5 = (sc.ch(c) for c in (64, 128, 256, 512, 1024))
    p3 = nn.Sequential(Conv(3, c1, 6, 2, p=2), _down(c1, c2), C3(c2, c2, sc.n(3)), _down(c2, c3),
                       C3(c3, c3, sc.n(6)))
    p4 = nn.Sequential(_down(c3, c4), C3(c4, c4, sc.n(9)))
    p5 = nn.Sequential(_down(c4, c5), C3(c5, c5, sc.n(3)), SPPF(c5, c5))
    n = sc.n(3)
    heads: nn.Module = (DetectHead((c3, c4, c5), num_classes) if head == "anchor-free"
                        else AnchorHead((c3, c4, c5), num_classes))
    return PANDetector(p3, p4, p5, (c3, c4, c5), (c3, c4, c5), lambda a, b, _last: C3(a, b, n, False), heads,
                       lateral=True)


"""Builders for reference-only zoo entries: models others published device latencies for.

Each is written after its source, layer for layer, so that archsel counts the network that was timed:

- Caffe-era networks as ncnn's benchmark/*.param files define them (Tencent/ncnn benchmark/): BVLC AlexNet
  (grouped convolutions, LRN, 227×227), BVLC GoogLeNet (no batch norm, true 5×5 branches, LRN), SqueezeNet
  v1.1 as ncnn's param defines it (conv10 padded by 1), MobileNet v1 (Howard et al. 2017) and chuanqi305's
  MobileNet-SSD (batch norm folded into the convolutions, 21 VOC classes).
- Inception-v4 (Szegedy et al. 2016) with timm inception_v4's layers (the ExecuTorch example ic4).
- DeepLabV3+ on MobileNetV2 as jfzhang95/pytorch-deeplab-xception builds it (Qualcomm AI Hub's source).
- Transformer encoders with the dimensions of their model cards: BERT (and BERT-large), DistilBERT,
  MobileBERT, MiniLM and MPNet sentence embedders, CLIP's text and image towers, DINOv2, VideoMAE and the
  Whisper-tiny encoder. Attention runs through F.scaled_dot_product_attention (what HuggingFace's "sdpa"
  attention calls); weights are random: these are shapes, never trained models.
- Wav2Letter (Collobert et al. 2016) with torchaudio.models.Wav2Letter's layers (the ExecuTorch example w2l).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from archsel.zoo.builders.attention import SinusoidalPositionalEncoding
from archsel.zoo.builders.deeplab_plus import _conv_bn_relu as _deeplab_conv_bn_relu
from archsel.zoo.builders.tv import torchvision_model

# --------------------------------------------------------------------------------------------------------
# Caffe-era CNNs (ncnn benchmark definitions)


def _caffe_pool(kernel: int, stride: int) -> nn.MaxPool2d:
    """Caffe pooling rounds the output size up (ncnn's default pad mode does the same)."""
    return nn.MaxPool2d(kernel, stride, ceil_mode=True)


class BVLCAlexNet(nn.Module):
    """Caffe's bvlc_alexnet deploy net: 96-11×11/4, LRN, 256-5×5 (2 groups), LRN, 384, 384 (2 groups),
    256 (2 groups), three FC layers; 227×227 input."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, 1e-4, 0.75),
            _caffe_pool(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, 1e-4, 0.75), _caffe_pool(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            _caffe_pool(3, 2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def bvlc_alexnet(num_classes: int = 1000) -> nn.Module:
    """BVLC AlexNet as ncnn's benchmark/alexnet.param defines it."""
    return BVLCAlexNet(num_classes)


def _conv_relu(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """Convolution with the batch norm folded into its bias (as deployed), then ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride, padding=k // 2, groups=groups), nn.ReLU(inplace=True))


class _Inception(nn.Module):
    """GoogLeNet's inception module without batch norm: 1×1 | 1×1→3×3 | 1×1→5×5 | 3×3 max-pool→1×1."""

    def __init__(self, c_in: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pool: int) -> None:
        super().__init__()
        self.b1 = _conv_relu(c_in, c1, 1)
        self.b3 = nn.Sequential(_conv_relu(c_in, c3r, 1), _conv_relu(c3r, c3, 3))
        self.b5 = nn.Sequential(_conv_relu(c_in, c5r, 1), _conv_relu(c5r, c5, 5))
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, padding=1, ceil_mode=True), _conv_relu(c_in, pool, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1)


# GoogLeNet's inception modules (Table 1): c_in, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj
_GOOGLENET_BLOCKS = {
    "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128), "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}


class BVLCGoogLeNet(nn.Module):
    """Caffe's bvlc_googlenet deploy net (Szegedy et al. 2015, Table 1), without the auxiliary heads."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            _conv_relu(3, 64, 7, stride=2), _caffe_pool(3, 2), nn.LocalResponseNorm(5, 1e-4, 0.75),
            _conv_relu(64, 64, 1), _conv_relu(64, 192, 3), nn.LocalResponseNorm(5, 1e-4, 0.75),
            _caffe_pool(3, 2),
        )
        b = {k: _Inception(*v) for k, v in _GOOGLENET_BLOCKS.items()}
        self.stage3 = nn.Sequential(b["3a"], b["3b"], _caffe_pool(3, 2))
        self.stage4 = nn.Sequential(b["4a"], b["4b"], b["4c"], b["4d"], b["4e"], _caffe_pool(3, 2))
        self.stage5 = nn.Sequential(b["5a"], b["5b"])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage5(self.stage4(self.stage3(self.stem(x))))
        return self.fc(self.dropout(torch.flatten(self.pool(x), 1)))


def bvlc_googlenet(num_classes: int = 1000) -> nn.Module:
    """BVLC GoogLeNet as ncnn's benchmark/googlenet.param defines it."""
    return BVLCGoogLeNet(num_classes)


def squeezenet1_1_ncnn(num_classes: int = 1000) -> nn.Module:
    """torchvision's SqueezeNet 1.1 with conv10 padded by 1, as ncnn's benchmark/squeezenet.param has it.

    Every other layer (3×3/2 stem, ceil-mode pooling, eight fire modules) is the same as torchvision's.
    """
    model = torchvision_model("squeezenet1_1", num_classes=num_classes)
    classifier = model.get_submodule("classifier")
    assert isinstance(classifier, nn.Sequential)
    classifier[1] = nn.Conv2d(512, num_classes, kernel_size=1, padding=1)
    return model


def _conv_bn_relu(c_in: int, c_out: int, k: int | tuple[int, int], stride: int = 1, groups: int = 1, *,
                  padded: bool = True, eps: float = 1e-5) -> nn.Sequential:
    """Convolution without bias, batch norm, ReLU; padded by half the kernel (unpadded: `padded=False`)."""
    kh, kw = (k, k) if isinstance(k, int) else k
    conv = nn.Conv2d(c_in, c_out, (kh, kw), stride, padding=(kh // 2, kw // 2) if padded else 0, groups=groups,
                     bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out, eps=eps), nn.ReLU(inplace=True))


# MobileNet v1 body (Howard et al. 2017, Table 1): (output channels, stride of the depthwise conv)
_MOBILENET_V1 = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
                 (512, 1), (512, 1), (1024, 2), (1024, 1))


def _mobilenet_v1_body(conv: Callable[..., nn.Sequential], width: float = 1.0) -> tuple[list[nn.Sequential], int]:
    """MobileNet v1's conv0 (3×3/2) and its 13 depthwise-separable blocks, each a Sequential of the 3×3
    depthwise and the 1×1 pointwise `conv`; and the output channels."""
    c = int(32 * width)
    body = [conv(3, c, 3, stride=2)]
    for out, stride in _MOBILENET_V1:
        out = int(out * width)
        body.append(nn.Sequential(conv(c, c, 3, stride, groups=c), conv(c, out, 1)))
        c = out
    return body, c


class MobileNetV1(nn.Module):
    """3×3/2 conv, 13 depthwise-separable blocks (3×3 depthwise + 1×1 pointwise, each BN + ReLU), global
    average pool, FC."""

    def __init__(self, num_classes: int = 1000, width: float = 1.0) -> None:
        super().__init__()
        body, c = _mobilenet_v1_body(_conv_bn_relu, width)
        self.features = nn.Sequential(body[0], *(conv for block in body[1:] for conv in block))  # flat
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def mobilenet_v1(num_classes: int = 1000, width: float = 1.0) -> nn.Module:
    """MobileNet v1 (1.0, 224) as the paper's Table 1 and ncnn's benchmark/mobilenet.param define it."""
    return MobileNetV1(num_classes, width)


class MobileNetSSD(nn.Module):
    """chuanqi305's MobileNet-SSD (300×300, 21 VOC classes) as ncnn's benchmark/mobilenet_ssd.param defines
    it: MobileNet v1 (conv0-conv13, BN folded) plus four extra stages (1×1 reduce, 3×3/2), with 1×1 box and
    class heads on conv11 (3 priors), conv13 and the extras (6 priors each).

    forward returns the raw head outputs (box offsets [N, priors·4] and class scores [N, priors·21],
    flattened like Caffe's Permute+Flatten+Concat); prior boxes are constants and the DetectionOutput
    (decode + NMS) is data-dependent, so neither is part of the count.
    """

    _EXTRAS = ((1024, 256, 512), (512, 128, 256), (256, 128, 256), (256, 64, 128))
    _HEADS = ((512, 3), (1024, 6), (512, 6), (256, 6), (256, 6), (128, 6))  # (channels, priors per cell)

    def __init__(self, num_classes: int = 21) -> None:
        super().__init__()
        body, _ = _mobilenet_v1_body(_conv_relu)
        self.body = nn.ModuleList(body)  # body[0] is conv0, body[i] conv<i>: heads on conv11 and conv13
        self.extras = nn.ModuleList(nn.Sequential(_conv_relu(c_in, mid, 1), _conv_relu(mid, out, 3, stride=2))
                                    for c_in, mid, out in self._EXTRAS)
        self.loc = nn.ModuleList(nn.Conv2d(ch, p * 4, 1) for ch, p in self._HEADS)
        self.conf = nn.ModuleList(nn.Conv2d(ch, p * num_classes, 1) for ch, p in self._HEADS)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        sources = []
        for i, layer in enumerate(self.body):
            x = layer(x)
            if i in (11, 13):
                sources.append(x)
        for extra in self.extras:
            x = extra(x)
            sources.append(x)
        loc = [head(s).permute(0, 2, 3, 1).flatten(1) for head, s in zip(self.loc, sources, strict=True)]
        conf = [head(s).permute(0, 2, 3, 1).flatten(1) for head, s in zip(self.conf, sources, strict=True)]
        return torch.cat(loc, 1), torch.cat(conf, 1)


def mobilenet_v1_ssd300(num_classes: int = 21) -> nn.Module:
    """MobileNet-SSD 300×300 (chuanqi305, VOC) as ncnn's benchmark/mobilenet_ssd.param defines it."""
    return MobileNetSSD(num_classes)


# --------------------------------------------------------------------------------------------------------
# Inception-v4 (Szegedy et al. 2016) as timm's inception_v4 lays it out (TF-slim's graph)


def _cbr(c_in: int, c_out: int, k: int | tuple[int, int], stride: int = 1, same: bool = False) -> nn.Sequential:
    """TF-slim's conv + batch norm (eps 1e-3) + ReLU: unpadded unless `same` (stride 1)."""
    return _conv_bn_relu(c_in, c_out, k, stride, padded=same, eps=1e-3)


class _Concat(nn.Module):
    """Branches on the same input, their outputs concatenated along the channels."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], 1)


def _fork(trunk: nn.Module, *heads: nn.Module) -> nn.Sequential:
    """A trunk whose output feeds several heads, concatenated: Inception-C's split 1×3 / 3×1 ends."""
    return nn.Sequential(trunk, _Concat(*heads))


def _avg_1x1(c_in: int, c_out: int) -> nn.Sequential:
    """The pool branch: 3×3 average pool (stride 1, padding not counted in the mean), 1×1 conv."""
    return nn.Sequential(nn.AvgPool2d(3, 1, padding=1, count_include_pad=False), _cbr(c_in, c_out, 1))


def _inception_a() -> nn.Module:
    """Figure 4, 35×35×384: 1×1 96 | 1×1 64 → 3×3 96 | 1×1 64 → 3×3 96 → 3×3 96 | avg pool → 1×1 96."""
    return _Concat(_cbr(384, 96, 1),
                   nn.Sequential(_cbr(384, 64, 1), _cbr(64, 96, 3, same=True)),
                   nn.Sequential(_cbr(384, 64, 1), _cbr(64, 96, 3, same=True), _cbr(96, 96, 3, same=True)),
                   _avg_1x1(384, 96))


def _inception_b() -> nn.Module:
    """Figure 5, 17×17×1024: 1×1 384 | 1×1 192 → 1×7 224 → 7×1 256 | 1×1 192 → 7×1 192 → 1×7 224 → 7×1 224
    → 1×7 256 | avg pool → 1×1 128 (the 1×7 / 7×1 order of timm's TF-slim graph; the counts are the same)."""
    return _Concat(_cbr(1024, 384, 1),
                   nn.Sequential(_cbr(1024, 192, 1), _cbr(192, 224, (1, 7), same=True),
                                 _cbr(224, 256, (7, 1), same=True)),
                   nn.Sequential(_cbr(1024, 192, 1), _cbr(192, 192, (7, 1), same=True),
                                 _cbr(192, 224, (1, 7), same=True), _cbr(224, 224, (7, 1), same=True),
                                 _cbr(224, 256, (1, 7), same=True)),
                   _avg_1x1(1024, 128))


def _inception_c() -> nn.Module:
    """Figure 6, 8×8×1536: 1×1 256 | 1×1 384 → (1×3 256, 3×1 256) | 1×1 384 → 3×1 448 → 1×3 512 → (1×3 256,
    3×1 256) | avg pool → 1×1 256."""
    return _Concat(_cbr(1536, 256, 1),
                   _fork(_cbr(1536, 384, 1), _cbr(384, 256, (1, 3), same=True), _cbr(384, 256, (3, 1), same=True)),
                   _fork(nn.Sequential(_cbr(1536, 384, 1), _cbr(384, 448, (3, 1), same=True),
                                       _cbr(448, 512, (1, 3), same=True)),
                         _cbr(512, 256, (1, 3), same=True), _cbr(512, 256, (3, 1), same=True)),
                   _avg_1x1(1536, 256))


class InceptionV4(nn.Module):
    """Inception-v4 at 299×299: the stem (Figure 3: 3×3 convs, then three two-branch concatenations to
    35×35×384), 4 × Inception-A, Reduction-A (Figure 7 with k, l, m, n = 192, 224, 256, 384) to 17×17×1024,
    7 × Inception-B, Reduction-B (Figure 8) to 8×8×1536, 3 × Inception-C, global average pool, FC. Every
    convolution is conv + batch norm + ReLU; "V" (valid) convolutions are unpadded."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        stem = [
            _cbr(3, 32, 3, stride=2), _cbr(32, 32, 3), _cbr(32, 64, 3, same=True),
            _Concat(nn.MaxPool2d(3, 2), _cbr(64, 96, 3, stride=2)),
            _Concat(nn.Sequential(_cbr(160, 64, 1), _cbr(64, 96, 3)),
                    nn.Sequential(_cbr(160, 64, 1), _cbr(64, 64, (1, 7), same=True),
                                  _cbr(64, 64, (7, 1), same=True), _cbr(64, 96, 3))),
            _Concat(_cbr(192, 192, 3, stride=2), nn.MaxPool2d(3, 2)),
        ]
        reduction_a = _Concat(_cbr(384, 384, 3, stride=2),
                              nn.Sequential(_cbr(384, 192, 1), _cbr(192, 224, 3, same=True),
                                            _cbr(224, 256, 3, stride=2)),
                              nn.MaxPool2d(3, 2))
        reduction_b = _Concat(nn.Sequential(_cbr(1024, 192, 1), _cbr(192, 192, 3, stride=2)),
                              nn.Sequential(_cbr(1024, 256, 1), _cbr(256, 256, (1, 7), same=True),
                                            _cbr(256, 320, (7, 1), same=True), _cbr(320, 320, 3, stride=2)),
                              nn.MaxPool2d(3, 2))
        self.features = nn.Sequential(
            *stem, *(_inception_a() for _ in range(4)), reduction_a, *(_inception_b() for _ in range(7)),
            reduction_b, *(_inception_c() for _ in range(3)))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(1536, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def inception_v4(num_classes: int = 1000) -> nn.Module:
    """Inception-v4 (299×299) with timm inception_v4's layers."""
    return InceptionV4(num_classes)


# --------------------------------------------------------------------------------------------------------
# DeepLabV3+ MobileNetV2 (jfzhang95/pytorch-deeplab-xception, modeling/)


class _InvertedResidual(nn.Module):
    """jfzhang95's MobileNetV2 block: explicit 'same' padding for the dilated 3×3 depthwise conv."""

    def __init__(self, c_in: int, c_out: int, stride: int, dilation: int, expand: int) -> None:
        super().__init__()
        hidden = round(c_in * expand)
        self.use_residual = stride == 1 and c_in == c_out
        self.dilation = dilation
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True)]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 0, dilation, groups=hidden, bias=False),
                   nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
                   nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total = 2 * self.dilation  # effective 3×3 kernel minus one
        padded = F.pad(x, (total // 2, total - total // 2, total // 2, total - total // 2))
        return x + self.conv(padded) if self.use_residual else self.conv(padded)


class DeepLabV3PlusMobileNetV2(nn.Module):
    """DeepLab(backbone='mobilenet', output_stride=16, num_classes=21) of jfzhang95/pytorch-deeplab-xception:
    MobileNetV2 (stages after stride 16 dilated), ASPP (1×1 and 3×3 at rates 6/12/18, image pooling; 256
    channels), decoder on the stride-4 features (24 → 48 channels), two 3×3 convs of 256, 1×1 classifier,
    bilinear upsampling to the input (align_corners=True)."""

    _SETTING = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1))  # t, c, n, s

    def __init__(self, num_classes: int = 21, output_stride: int = 16) -> None:
        super().__init__()
        c, current, rate = 32, 2, 1
        features: list[nn.Module] = [nn.Sequential(nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c),
                                                   nn.ReLU6(inplace=True))]
        for t, out, n, s in self._SETTING:
            if current == output_stride:
                stride, dilation = 1, rate
                rate *= s
            else:
                stride, dilation = s, 1
                current *= s
            for i in range(n):
                features.append(_InvertedResidual(c, out, stride if i == 0 else 1, dilation, t))
                c = out
        self.low_level = nn.Sequential(*features[:4])
        self.high_level = nn.Sequential(*features[4:])
        # jfzhang95's ASPP is torchvision's layer for layer (1×1, three dilated 3×3, image pooling, 1×1
        # projection with dropout); its pooled branch upsamples a 1×1 map, the same with or without
        # align_corners.
        from torchvision.models.segmentation.deeplabv3 import ASPP

        self.aspp = ASPP(320, [6, 12, 18] if output_stride == 16 else [12, 24, 36], 256)
        self.reduce = _deeplab_conv_bn_relu(24, 48, 1)
        self.last_conv = nn.Sequential(*_deeplab_conv_bn_relu(304, 256, 3), *_deeplab_conv_bn_relu(256, 256, 3),
                                       nn.Conv2d(256, num_classes, 1))  # flat, as jfzhang95's last_conv

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        low = self.low_level(image)
        x = self.aspp(self.high_level(low))
        low = self.reduce(low)
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=True)
        x = self.last_conv(torch.cat((x, low), 1))
        return F.interpolate(x, size=image.shape[-2:], mode="bilinear", align_corners=True)


def deeplabv3plus_mobilenet_v2(num_classes: int = 21, output_stride: int = 16) -> nn.Module:
    """jfzhang95's DeepLabV3+ MobileNetV2 (Qualcomm AI Hub's deeplabv3_plus_mobilenet source)."""
    return DeepLabV3PlusMobileNetV2(num_classes, output_stride)


# --------------------------------------------------------------------------------------------------------
# Transformer encoders


def _quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"gelu": F.gelu, "relu": F.relu,
                                                                   "quick_gelu": _quick_gelu}


class SelfAttention(nn.Module):
    """Multi-head self-attention with separate q/k/v/out projections (HuggingFace layout)."""

    def __init__(self, d: int, heads: int, *, bias: bool = True, k_bias: bool = True) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(d, d, bias=bias)
        self.k = nn.Linear(d, d, bias=bias and k_bias)
        self.v = nn.Linear(d, d, bias=bias)
        self.out = nn.Linear(d, d)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None, causal: bool = False) -> torch.Tensor:
        n, length, d = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(n, length, self.heads, d // self.heads).transpose(1, 2)

        y = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=bias,
                                           is_causal=causal)
        return self.out(y.transpose(1, 2).reshape(n, length, d))


class EncoderLayer(nn.Module):
    """One transformer encoder layer: post-norm (BERT family) or pre-norm (ViT, CLIP, Whisper), optional
    LayerScale (DINOv2)."""

    def __init__(self, d: int, heads: int, ff: int, *, act: str = "gelu", pre_norm: bool = False,
                 eps: float = 1e-12, layer_scale: bool = False, k_bias: bool = True) -> None:
        super().__init__()
        self.pre_norm = pre_norm
        self.act: Callable[[torch.Tensor], torch.Tensor] = _ACTIVATIONS[act]
        self.attn = SelfAttention(d, heads, k_bias=k_bias)
        self.norm1 = nn.LayerNorm(d, eps=eps)
        self.fc1 = nn.Linear(d, ff)
        self.fc2 = nn.Linear(ff, d)
        self.norm2 = nn.LayerNorm(d, eps=eps)
        self.scale1 = nn.Parameter(torch.ones(d)) if layer_scale else None
        self.scale2 = nn.Parameter(torch.ones(d)) if layer_scale else None

    def _mlp(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None, causal: bool = False) -> torch.Tensor:
        if not self.pre_norm:  # BERT: x = LN(x + attn(x)); x = LN(x + mlp(x))
            x = self.norm1(x + self.attn(x, bias, causal))
            return self.norm2(x + self._mlp(x))
        a = self.attn(self.norm1(x), bias, causal)
        x = x + (a * self.scale1 if self.scale1 is not None else a)
        m = self._mlp(self.norm2(x))
        return x + (m * self.scale2 if self.scale2 is not None else m)


class TextEncoder(nn.Module):
    """BERT-family encoder: word (+ position, + token type) embeddings, LayerNorm, post-norm layers.

    `head`: "mlm" (BertForMaskedLM / DistilBertForMaskedLM: dense + GELU + LayerNorm + the decoder tied to
    the word embeddings, logits for every position), "qa" (span start/end logits), "mean" (mean over
    tokens, L2-normalised: sentence-transformers) or "none" (last hidden states). `relative_buckets` > 0
    adds MPNet's relative position bias (one table for all layers).
    """

    def __init__(self, *, vocab: int, d: int, layers: int, heads: int, ff: int, max_len: int,
                 type_vocab: int = 2, eps: float = 1e-12, head: str = "none", relative_buckets: int = 0) -> None:
        super().__init__()
        self.word = nn.Embedding(vocab, d)
        self.position = nn.Embedding(max_len, d)
        self.token_type = nn.Embedding(type_vocab, d) if type_vocab else None
        self.norm = nn.LayerNorm(d, eps=eps)
        self.layers = nn.ModuleList(EncoderLayer(d, heads, ff, eps=eps) for _ in range(layers))
        self.relative = nn.Embedding(relative_buckets, heads) if relative_buckets else None
        self.head = head
        if head == "mlm":
            self.transform = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.LayerNorm(d, eps=eps))
            self.decoder_bias = nn.Parameter(torch.zeros(vocab))
        elif head == "qa":
            self.qa = nn.Linear(d, 2)

    def _relative_bias(self, length: int, device: torch.device) -> torch.Tensor:
        """MPNet's bucketed relative positions (32 buckets, max distance 128) → a bias [1, heads, L, L]."""
        assert self.relative is not None
        buckets, max_distance = self.relative.num_embeddings // 2, 128
        pos = torch.arange(length, device=device)
        rel = pos[None, :] - pos[:, None]
        bucket = (rel > 0).long() * buckets
        n = rel.abs()
        exact = buckets // 2
        large = exact + (torch.log(n.float().clamp(min=1) / exact) / math.log(max_distance / exact)
                         * (buckets - exact)).long().clamp(max=buckets - 1)
        bucket = bucket + torch.where(n < exact, n, large)
        return self.relative(bucket).permute(2, 0, 1).unsqueeze(0)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        length = tokens.shape[1]
        positions = torch.arange(length, device=tokens.device)
        x = self.word(tokens) + self.position(positions)
        if self.token_type is not None:
            x = x + self.token_type(torch.zeros_like(tokens))
        x = self.norm(x)
        bias = self._relative_bias(length, tokens.device) if self.relative is not None else None
        for layer in self.layers:
            x = layer(x, bias)
        if self.head == "mlm":
            return F.linear(self.transform(x), self.word.weight, self.decoder_bias)
        if self.head == "qa":
            return self.qa(x)
        if self.head == "mean":
            return F.normalize(x.mean(dim=1), dim=-1)
        return x


def text_encoder(**kwargs: Any) -> nn.Module:
    """A BERT-family encoder with the given dimensions (see TextEncoder)."""
    return TextEncoder(**kwargs)


class _NoNorm(nn.Module):
    """MobileBERT's NoNorm: an elementwise affine map in place of LayerNorm."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight + self.bias


class _Dense(nn.Module):
    """Linear, then NoNorm of (output + residual)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.dense = nn.Linear(c_in, c_out)
        self.norm = _NoNorm(c_out)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.norm(self.dense(x) + residual)


class MobileBertLayer(nn.Module):
    """MobileBERT layer (google/mobilebert-uncased config): bottlenecks 512 → 128 (input and shared
    query/key), values from the 512-wide input, 4 heads over 128, three stacked FFNs plus the final one
    (128 → 512 → 128, ReLU), output bottleneck 128 → 512; NoNorm throughout."""

    def __init__(self, d: int = 512, inner: int = 128, heads: int = 4, ff: int = 512, ffns: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.in_bottleneck = nn.Sequential(nn.Linear(d, inner), _NoNorm(inner))
        self.qk_bottleneck = nn.Sequential(nn.Linear(d, inner), _NoNorm(inner))
        self.q, self.k, self.v = nn.Linear(inner, inner), nn.Linear(inner, inner), nn.Linear(d, inner)
        self.attn_out = _Dense(inner, inner)
        self.ffn_in = nn.ModuleList(nn.Linear(inner, ff) for _ in range(ffns))
        self.ffn_out = nn.ModuleList(_Dense(ff, inner) for _ in range(ffns))
        self.out_bottleneck = _Dense(inner, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, length, _ = x.shape
        layer_input = self.in_bottleneck(x)
        shared = self.qk_bottleneck(x)

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(n, length, self.heads, -1).transpose(1, 2)

        a = F.scaled_dot_product_attention(split(self.q(shared)), split(self.k(shared)), split(self.v(x)))
        h = self.attn_out(a.transpose(1, 2).reshape(n, length, -1), layer_input)
        for ffn_in, ffn_out in zip(self.ffn_in, self.ffn_out, strict=True):
            h = ffn_out(F.relu(ffn_in(h)), h)
        return self.out_bottleneck(h, x)


class MobileBert(nn.Module):
    """MobileBertModel (google/mobilebert-uncased): 128-wide word embeddings, trigram concatenation (384)
    projected to 512, position and token-type embeddings, NoNorm, 24 MobileBERT layers; returns the
    sequence output and the first token's state (classifier_activation is false: no pooler dense)."""

    def __init__(self, vocab: int = 30522, embed: int = 128, d: int = 512, layers: int = 24,
                 max_len: int = 512) -> None:
        super().__init__()
        self.word = nn.Embedding(vocab, embed)
        self.embed_transform = nn.Linear(3 * embed, d)
        self.position = nn.Embedding(max_len, d)
        self.token_type = nn.Embedding(2, d)
        self.norm = _NoNorm(d)
        self.layers = nn.ModuleList(MobileBertLayer(d) for _ in range(layers))

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.word(tokens)
        trigram = torch.cat([F.pad(e[:, 1:], (0, 0, 0, 1)), e, F.pad(e[:, :-1], (0, 0, 1, 0))], dim=2)
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.embed_transform(trigram) + self.position(positions) + self.token_type(torch.zeros_like(tokens))
        x = self.norm(x)
        for layer in self.layers:
            x = layer(x)
        return x, x[:, 0]


def mobilebert(**kwargs: Any) -> nn.Module:
    """MobileBertModel with google/mobilebert-uncased's configuration."""
    return MobileBert(**kwargs)


class ClipTextEncoder(nn.Module):
    """CLIP's text tower (openai/clip-vit-base-patch32): token + position embeddings (77), 12 pre-norm
    layers of width 512 (8 heads, MLP 2048, quick-GELU) under a causal mask, final LayerNorm, the
    end-of-text token's state projected to the 512-d joint space (no bias)."""

    def __init__(self, vocab: int = 49408, d: int = 512, layers: int = 12, heads: int = 8, ff: int = 2048,
                 context: int = 77, embed_dim: int = 512) -> None:
        super().__init__()
        self.word = nn.Embedding(vocab, d)
        self.position = nn.Embedding(context, d)
        self.layers = nn.ModuleList(EncoderLayer(d, heads, ff, act="quick_gelu", pre_norm=True, eps=1e-5)
                                    for _ in range(layers))
        self.final_norm = nn.LayerNorm(d, eps=1e-5)
        self.projection = nn.Linear(d, embed_dim, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.word(tokens) + self.position(torch.arange(tokens.shape[1], device=tokens.device))
        for layer in self.layers:
            x = layer(x, causal=True)
        x = self.final_norm(x)
        eot = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]  # end-of-text: highest id
        return self.projection(eot)


def clip_text_encoder(**kwargs: Any) -> nn.Module:
    """CLIP ViT-B/32's text encoder with its projection."""
    return ClipTextEncoder(**kwargs)


class VisionTransformer(nn.Module):
    """A ViT image encoder in the layouts CLIP and DINOv2 publish.

    `style="clip"`: patch conv without bias, class token, learned positions, LayerNorm before the layers
    ("pre_layrnorm"), quick-GELU, post-LayerNorm on the class token, projection without bias to
    `embed_dim`. `style="dinov2"`: patch conv with bias, class token, learned positions for a 518×518
    grid interpolated (bicubic) to the input's grid, LayerScale, GELU, final LayerNorm; returns the
    normalised class token (HuggingFace Dinov2Model's pooler output).
    """

    def __init__(self, *, style: str, patch: int, image_size: int, d: int = 768, layers: int = 12,
                 heads: int = 12, ff: int = 3072, embed_dim: int = 512, position_grid: int | None = None) -> None:
        super().__init__()
        self.style = style
        clip_style = style == "clip"
        self.patch = nn.Conv2d(3, d, patch, patch, bias=not clip_style)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        grid = position_grid or image_size // patch
        self.grid = grid
        self.position = nn.Parameter(torch.zeros(1, 1 + grid * grid, d))
        eps = 1e-5 if clip_style else 1e-6
        self.mask_token = None if clip_style else nn.Parameter(torch.zeros(1, d))  # DINOv2's, unused here
        self.pre_norm = nn.LayerNorm(d, eps=eps) if clip_style else None
        self.layers = nn.ModuleList(
            EncoderLayer(d, heads, ff, act="quick_gelu" if clip_style else "gelu", pre_norm=True, eps=eps,
                         layer_scale=not clip_style) for _ in range(layers))
        self.final_norm = nn.LayerNorm(d, eps=eps)
        self.projection = nn.Linear(d, embed_dim, bias=False) if clip_style else None

    def _positions(self, h: int, w: int) -> torch.Tensor:
        if h == w == self.grid:
            return self.position
        cls, grid = self.position[:, :1], self.position[:, 1:]
        d = grid.shape[-1]
        grid = grid.reshape(1, self.grid, self.grid, d).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False)
        return torch.cat([cls, grid.permute(0, 2, 3, 1).reshape(1, h * w, d)], 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.patch(image)
        h, w = x.shape[-2:]
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x.flatten(2).transpose(1, 2)], 1)
        x = x + self._positions(h, w)
        if self.pre_norm is not None:
            x = self.pre_norm(x)
        for layer in self.layers:
            x = layer(x)
        if self.projection is not None:  # CLIP: post-LayerNorm on the class token, then project
            return self.projection(self.final_norm(x[:, 0]))
        return self.final_norm(x)[:, 0]


def vision_transformer(**kwargs: Any) -> nn.Module:
    """A CLIP or DINOv2 image encoder (see VisionTransformer)."""
    return VisionTransformer(**kwargs)


class VideoMAEClassifier(nn.Module):
    """VideoMAEForVideoClassification (MCG-NJU/videomae-base-finetuned-kinetics): 2×16×16 tubelets
    (Conv3d) of a 16×224×224 clip → 1568 tokens of width 768, fixed sinusoidal positions, 12 pre-norm
    layers (12 heads, MLP 3072, GELU; query and value biases, no key bias), mean over tokens, LayerNorm,
    400 Kinetics classes. Takes a clip [N, C, T, H, W] like torchvision's video models."""

    def __init__(self, frames: int = 16, image_size: int = 224, tubelet: int = 2, patch: int = 16,
                 d: int = 768, layers: int = 12, heads: int = 12, ff: int = 3072, num_classes: int = 400) -> None:
        super().__init__()
        self.patch = nn.Conv3d(3, d, (tubelet, patch, patch), (tubelet, patch, patch))
        tokens = (frames // tubelet) * (image_size // patch) ** 2
        self.position = SinusoidalPositionalEncoding(d, max_len=tokens)  # get_sinusoid_encoding_table
        self.layers = nn.ModuleList(EncoderLayer(d, heads, ff, pre_norm=True, k_bias=False)
                                    for _ in range(layers))
        self.fc_norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        x = self.patch(clip).flatten(2).transpose(1, 2)
        x = x + self.position.pe.to(x.dtype)  # the whole table: the token count is fixed by the clip size
        for layer in self.layers:
            x = layer(x)
        return self.head(self.fc_norm(x.mean(dim=1)))


def videomae_classifier(**kwargs: Any) -> nn.Module:
    """VideoMAE ViT-B/16 fine-tuned on Kinetics-400 (16 frames, 224×224)."""
    return VideoMAEClassifier(**kwargs)


class WhisperEncoder(nn.Module):
    """Whisper's audio encoder (openai/whisper-tiny: width 384, 4 layers, 6 heads, MLP 1536): two Conv1d
    + GELU (the second with stride 2: 3000 frames → 1500), sinusoidal positions (an embedding table of
    1500 × 384 in HuggingFace's model), pre-norm layers (no key bias), final LayerNorm.

    `cross_kv_layers` > 0 adds what Qualcomm AI Hub's HfWhisperEncoder exports: the decoder layers'
    cross-attention key (no bias) and value projections of the encoder output, returned as the caches.
    """

    def __init__(self, mels: int = 80, d: int = 384, layers: int = 4, heads: int = 6, ff: int = 1536,
                 positions: int = 1500, cross_kv_layers: int = 0) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(mels, d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)
        self.position = nn.Embedding(positions, d)
        self.layers = nn.ModuleList(EncoderLayer(d, heads, ff, pre_norm=True, eps=1e-5, k_bias=False)
                                    for _ in range(layers))
        self.final_norm = nn.LayerNorm(d, eps=1e-5)
        self.cross_k = nn.ModuleList(nn.Linear(d, d, bias=False) for _ in range(cross_kv_layers))
        self.cross_v = nn.ModuleList(nn.Linear(d, d) for _ in range(cross_kv_layers))

    def forward(self, input_features: torch.Tensor) -> Any:
        x = F.gelu(self.conv2(F.gelu(self.conv1(input_features)))).transpose(1, 2)
        x = x + self.position.weight[: x.shape[1]]
        for layer in self.layers:
            x = layer(x)
        x = self.final_norm(x)
        if not self.cross_k:
            return x
        return tuple(t for k, v in zip(self.cross_k, self.cross_v, strict=True) for t in (k(x), v(x)))


def whisper_encoder(**kwargs: Any) -> nn.Module:
    """Whisper-tiny's encoder (optionally with the decoder's cross-attention K/V projections)."""
    return WhisperEncoder(**kwargs)


# --------------------------------------------------------------------------------------------------------
# Wav2Letter (Collobert et al. 2016) as torchaudio.models.Wav2Letter lays it out

# The acoustic model after the front end: (output channels, kernel, stride, padding); None: the classes
_WAV2LETTER = ((250, 48, 2, 23), *((250, 7, 1, 3),) * 7, (2000, 32, 1, 16), (2000, 1, 1, 0), (None, 1, 1, 0))


class Wav2Letter(nn.Module):
    """[N, features, T] → per-frame class log-probabilities [N, classes, T'], all Conv1d + ReLU.

    On a waveform ("waveform", the paper's raw-audio variant) a front-end conv (250 filters,
    kernel 250 = 15.6 ms, stride 160 = 10 ms at 16 kHz, padding 45) turns samples into frames; power-spectrum
    or MFCC features enter the acoustic model directly. The acoustic model: conv 48/2 (250), seven conv 7
    (250), conv 32 (2000), conv 1 (2000), conv 1 (classes); ReLU after every conv, the last included, then
    log-softmax over the classes.
    """

    def __init__(self, num_classes: int = 40, input_type: str = "waveform", num_features: int = 1) -> None:
        super().__init__()
        if input_type not in ("waveform", "power_spectrum", "mfcc"):
            raise ValueError(f"input_type must be waveform, power_spectrum or mfcc, not {input_type!r}")
        layers: list[nn.Module] = []
        c = num_features
        if input_type == "waveform":
            layers += [nn.Conv1d(c, 250, 250, stride=160, padding=45), nn.ReLU(inplace=True)]
            c = 250
        for out, kernel, stride, padding in _WAV2LETTER:
            out = num_classes if out is None else out
            layers += [nn.Conv1d(c, out, kernel, stride=stride, padding=padding), nn.ReLU(inplace=True)]
            c = out
        self.acoustic_model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.acoustic_model(x), dim=1)


def wav2letter(num_classes: int = 40, input_type: str = "waveform", num_features: int = 1) -> nn.Module:
    """Wav2Letter with torchaudio's constructor arguments (defaults: 40 classes, a 1-channel waveform)."""
    return Wav2Letter(num_classes, input_type, num_features)

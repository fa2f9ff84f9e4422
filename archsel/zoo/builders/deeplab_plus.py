"""DeepLabV3+ (Chen et al., ECCV 2018) on a torchvision ResNet-50 trunk.

Encoder: ResNet-50 with the last stage dilated (output stride 16) and DeepLabV3's ASPP (rates 6/12/18 plus
image pooling, 256 channels; torchvision's ASPP class). Decoder as in the paper's best setting: layer1
features reduced to 48 channels by a 1×1 conv, concatenated with the 4× bilinearly upsampled ASPP output,
refined by two 3×3 convs of 256 channels, classified by a 1×1 conv and upsampled bilinearly to the input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _conv_bn_relu(c_in: int, c_out: int, k: int) -> nn.Sequential:
    conv = nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.ReLU())


class DeepLabV3Plus(nn.Module):
    """Encoder-decoder segmentation network; forward returns logits [N, classes, H, W]."""

    def __init__(self, num_classes: int = 21, low_level_channels: int = 48, decoder_channels: int = 256,
                 atrous_rates: tuple[int, int, int] = (6, 12, 18)) -> None:
        super().__init__()
        from torchvision.models import resnet50
        from torchvision.models.segmentation.deeplabv3 import ASPP

        trunk = resnet50(weights=None, replace_stride_with_dilation=[False, False, True])
        self.stem = nn.Sequential(trunk.conv1, trunk.bn1, trunk.relu, trunk.maxpool)
        self.layer1, self.layer2 = trunk.layer1, trunk.layer2
        self.layer3, self.layer4 = trunk.layer3, trunk.layer4
        self.aspp = ASPP(2048, list(atrous_rates), decoder_channels)
        self.reduce = _conv_bn_relu(256, low_level_channels, 1)
        self.refine = nn.Sequential(_conv_bn_relu(decoder_channels + low_level_channels, decoder_channels, 3),
                                    _conv_bn_relu(decoder_channels, decoder_channels, 3))
        self.classifier = nn.Conv2d(decoder_channels, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        low = self.layer1(self.stem(x))  # stride 4
        high = self.aspp(self.layer4(self.layer3(self.layer2(low))))  # stride 16
        high = F.interpolate(high, size=low.shape[-2:], mode="bilinear", align_corners=False)
        y = self.refine(torch.cat((high, self.reduce(low)), 1))
        return F.interpolate(self.classifier(y), size=size, mode="bilinear", align_corners=False)


def deeplabv3plus_resnet50(num_classes: int = 21) -> nn.Module:
    """DeepLabV3+ with a ResNet-50 encoder at output stride 16 (21 classes: PASCAL VOC)."""
    return DeepLabV3Plus(num_classes)

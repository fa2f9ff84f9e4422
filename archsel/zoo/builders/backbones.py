"""torchvision trunks as feature extractors (classifier head removed), with their feature width.

Shared by every hybrid builder so the trunk surgery lives in one place. Weights are never downloaded.
"""

from __future__ import annotations

import torch
from torch import nn

from archsel.zoo.builders.tv import torchvision_model

# 3D ResNets (torchvision.models.video.resnet): stem + layer1..4, then avgpool + fc.
_VIDEO_RESNETS = ("r3d_18", "mc3_18", "r2plus1d_18")


def _first_linear(module: nn.Module) -> nn.Linear:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            return m
    raise ValueError(f"no nn.Linear in {type(module).__name__}")


def image_trunk(name: str, pooled: bool = True) -> tuple[nn.Module, int]:
    """A torchvision 2D classifier without its head, and its feature width F.

    pooled=True: [N, 3, H, W] -> [N, F] (global average pool); pooled=False: [N, F, h, w] feature map.
    ResNet-style models (a `fc` head) keep everything before `avgpool`; models with `features` and
    `classifier` (MobileNet, EfficientNet, ...) keep `features`; the whole classifier (including
    MobileNetV3's 1024-wide hidden layer) is dropped.
    """
    model = torchvision_model(name)
    body: nn.Module
    if hasattr(model, "fc"):
        width = _first_linear(model.get_submodule("fc")).in_features
        body = nn.Sequential(*[m for n, m in model.named_children() if n not in ("avgpool", "fc")])
    elif hasattr(model, "features") and hasattr(model, "classifier"):
        width = _first_linear(model.get_submodule("classifier")).in_features
        body = model.get_submodule("features")
    else:
        raise ValueError(f"don't know how to take the trunk of torchvision model {name!r}")
    if not pooled:
        return body, width
    return nn.Sequential(body, nn.AdaptiveAvgPool2d(1), nn.Flatten(1)), width


def video_trunk(name: str = "r3d_18") -> tuple[nn.Module, int]:
    """A torchvision 3D ResNet's stem + layer1..4: [N, 3, T, H, W] -> [N, F, T/8, H/16, W/16] (unpooled)."""
    if name not in _VIDEO_RESNETS:
        raise ValueError(f"video trunk {name!r} is not one of {', '.join(_VIDEO_RESNETS)}")
    model = torchvision_model(name)
    width = _first_linear(model.get_submodule("fc")).in_features
    body = nn.Sequential(*[m for n, m in model.named_children() if n not in ("avgpool", "fc")])
    return body, width


def per_frame(module: nn.Module, clip: torch.Tensor) -> torch.Tensor:
    """Apply a 2D `module` to every frame of a clip [N, C, T, H, W]; returns [N, T, *module output dims]."""
    n, c, t, h, w = clip.shape
    out = module(clip.transpose(1, 2).reshape(n * t, c, h, w))
    return out.reshape(n, t, *out.shape[1:])

"""torchvision architectures, built without weights (no download, ever)."""

from __future__ import annotations

from functools import partial
from typing import Any

import torch
from torch import nn

# Builders whose default `weights_backbone` fetches ImageNet weights: pass None explicitly.
_HAS_BACKBONE_WEIGHTS = (
    "fasterrcnn", "retinanet", "fcos", "ssd", "ssdlite", "deeplabv3", "fcn", "lraspp", "maskrcnn",
)


def torchvision_model(name: str, **kwargs: Any) -> nn.Module:
    """torchvision.models.get_model(name) with weights=None (and weights_backbone=None where it applies)."""
    import torchvision

    kwargs.setdefault("weights", None)
    if name.startswith(_HAS_BACKBONE_WEIGHTS):
        kwargs.setdefault("weights_backbone", None)
    model: nn.Module = torchvision.models.get_model(name, **kwargs)
    return model


def torchvision_detector(name: str, **kwargs: Any) -> nn.Module:
    """A torchvision detector without weights, with its backbone norms as in the released model.

    Built with weights=None, torchvision puts trainable BatchNorm2d in the backbone; the released COCO
    models use FrozenBatchNorm2d there (statistics and affine as buffers), so the parameter count would
    differ from the published `num_params`. Swapping them restores the released architecture.
    """
    from torchvision.ops import FrozenBatchNorm2d

    model = torchvision_model(name, **kwargs)
    body = model.get_submodule("backbone.body")
    for parent in list(body.modules()):
        for child_name, child in parent.named_children():
            if isinstance(child, nn.BatchNorm2d):
                setattr(parent, child_name, FrozenBatchNorm2d(child.num_features))
    return model


# torchvision's RegNet design-space parameters (torchvision/models/regnet.py, unchanged): RegNetY has
# squeeze-excitation (se_ratio), RegNetX none.
_REGNET: dict[str, dict[str, Any]] = {
    "regnet_y_400mf": {"depth": 16, "w_0": 48, "w_a": 27.89, "w_m": 2.09, "group_width": 8,
                       "se_ratio": 0.25},
    "regnet_y_800mf": {"depth": 14, "w_0": 56, "w_a": 38.84, "w_m": 2.4, "group_width": 16,
                       "se_ratio": 0.25},
    "regnet_y_1_6gf": {"depth": 27, "w_0": 48, "w_a": 20.71, "w_m": 2.65, "group_width": 24,
                       "se_ratio": 0.25},
    "regnet_x_3_2gf": {"depth": 25, "w_0": 88, "w_a": 26.31, "w_m": 2.25, "group_width": 48},
}


def torchvision_regnet(name: str, num_classes: int = 1000) -> nn.Module:
    """torchvision's RegNet (X or Y) without weights, buildable on the meta device.

    The stage widths are plain numbers computed with tensors; they are computed on the CPU, and only the
    network itself is built on the caller's default device.
    """
    from torchvision.models.regnet import BlockParams, RegNet

    with torch.device("cpu"):
        params = BlockParams.from_init_params(**_REGNET[name])
    norm = partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1)
    return RegNet(params, num_classes=num_classes, norm_layer=norm)

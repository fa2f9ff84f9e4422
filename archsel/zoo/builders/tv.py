"""torchvision architectures, built without weights (no download, ever)."""

from __future__ import annotations

from typing import Any

from torch import nn

# Builders whose default `weights_backbone` fetches ImageNet weights: pass None explicitly.
_HAS_BACKBONE_WEIGHTS = ("fasterrcnn", "retinanet", "fcos", "ssd", "ssdlite", "deeplabv3", "fcn", "lraspp", "maskrcnn")


def torchvision_model(name: str, **kwargs: Any) -> nn.Module:
    """torchvision.models.get_model(name) with weights=None (and weights_backbone=None where it applies)."""
    import torchvision

    kwargs.setdefault("weights", None)
    if name.startswith(_HAS_BACKBONE_WEIGHTS):
        kwargs.setdefault("weights_backbone", None)
    model: nn.Module = torchvision.models.get_model(name, **kwargs)
    return model

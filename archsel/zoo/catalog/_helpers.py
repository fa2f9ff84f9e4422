"""Shorthands for writing catalog entries (metadata only, no torch)."""

from __future__ import annotations

from archsel.zoo.spec import InputSpec, QualityFigure, TensorSpec

TV = "archsel.zoo.builders.tv:torchvision_model"


def image(h: int = 224, w: int | None = None, c: int = 3) -> InputSpec:
    """One image tensor [N, C, H, W]."""
    return InputSpec((TensorSpec("image", (c, h, w or h), ("C", "H", "W")),))


def image_list(h: int, w: int | None = None, c: int = 3) -> InputSpec:
    """A list of images, as torchvision detection models take them."""
    return InputSpec((TensorSpec("images", (c, h, w or h), ("C", "H", "W")),), call="image_list")


def clip(t: int = 16, h: int = 112, w: int | None = None, c: int = 3) -> InputSpec:
    """One video clip [N, C, T, H, W] (torchvision's video layout)."""
    return InputSpec((TensorSpec("clip", (c, t, h, w or h), ("C", "T", "H", "W")),))


def tokens(length: int, vocab: int, name: str = "tokens") -> InputSpec:
    """Token ids [N, L]."""
    return InputSpec((TensorSpec(name, (length,), ("L",), dtype="int64", high=vocab),))


def sequence(length: int, features: int, name: str = "x") -> InputSpec:
    """A feature sequence [N, T, F] (batch first)."""
    return InputSpec((TensorSpec(name, (length, features), ("T", "F")),))


def tv_quality(metric: str, value: float, dataset: str, weights: str) -> tuple[QualityFigure, ...]:
    """A quality figure published with a torchvision weight enum."""
    return (QualityFigure(metric, value, dataset, f"torchvision {weights}.meta['_metrics']"),)

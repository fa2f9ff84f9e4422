"""Shorthands for writing catalog entries (metadata only, no torch)."""

from __future__ import annotations

from collections.abc import Callable

from archsel.zoo.registry import register_model
from archsel.zoo.spec import InputSpec, ModelEntry, QualityFigure, TensorSpec

TV = "archsel.zoo.builders.tv:torchvision_model"
TV_REGNET = "archsel.zoo.builders.tv:torchvision_regnet"


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


TV_PAPER = "torchvision (PyTorch), pre-trained weights and their published metrics"
TV_TABLE_URL = "https://pytorch.org/vision/stable/models.html"


def tv_quality(metric: str, value: float, dataset: str, weights: str, *,
               config_note: str = "") -> tuple[QualityFigure, ...]:
    """A quality figure published with a torchvision weight enum (the row of torchvision's weights table).
    The builder is torchvision's own constructor, so `config_note` is only for an evaluation protocol that
    differs from the entry's default input."""
    return (QualityFigure(
        metric, value, dataset, f"torchvision {weights}.meta['_metrics']", paper=TV_PAPER,
        table=f"{weights}.meta['_metrics'] (the weights' row of torchvision's table)", url=TV_TABLE_URL,
        split="torchvision's reference evaluation with the weights' own transforms", config_note=config_note),)


def tv_classifier(model_id: str, display_name: str, weights: str, top1: float, gmacs: float, params: int, *,
                  description: str, references: tuple[str, ...], crop: int = 224, builder: str = TV,
                  kwargs: dict[str, object] | None = None, lightweight: bool = False, notes: str = "",
                  notes_prefix: str = "", reference_only: bool = False, quality_note: str = "",
                  register: Callable[[ModelEntry], object] = register_model) -> None:
    """Register (with `register`) a torchvision ImageNet classifier with the published figures of `weights`
    (torchvision meta): GMACs, parameters and top-1. `kwargs` go to the builder after the model name;
    `notes_prefix` comes before `notes`; `quality_note` is the top-1 figure's config_note."""
    register(ModelEntry(
        id=model_id, display_name=display_name, family="transformer" if model_id.startswith("vit") else "cnn",
        tasks=("image-classification",), inputs={"image-classification": image(crop)}, builder=builder,
        builder_kwargs={"name": model_id, **(kwargs or {})}, description=description,
        quality=tv_quality("top-1 accuracy %", top1, "ImageNet-1K", weights, config_note=quality_note),
        torchvision_weights=weights,
        published_gmacs=gmacs, published_params=params, lightweight=lightweight, notes=notes_prefix + notes,
        references=references, reference_only=reference_only,
    ))

"""The model registry, in the style of torchvision's register_model / get_model / list_models.

Entries are metadata; builders are imported only when a model is built, so listing never imports torch.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from archsel.errors import UsageError, unknown
from archsel.zoo.spec import ModelEntry

if TYPE_CHECKING:
    import torch
    from torch import nn

_REGISTRY: dict[str, ModelEntry] = {}
_LOADED = False


def register_model(entry: ModelEntry) -> ModelEntry:
    """Add an entry; a duplicate id is rejected."""
    if entry.id in _REGISTRY:
        raise ValueError(f"model id {entry.id!r} is already registered")
    _REGISTRY[entry.id] = entry
    return entry


def _ensure_loaded() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    catalog = importlib.import_module("archsel.zoo.catalog")
    for info in sorted(pkgutil.iter_modules(catalog.__path__), key=lambda m: m.name):
        importlib.import_module(f"{catalog.__name__}.{info.name}")


def _as_patterns(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def list_models(
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    *,
    task: str | None = None,
    family: str | None = None,
    include_references: bool = False,
) -> list[str]:
    """Sorted ids matching any `include` fnmatch pattern and no `exclude` pattern, filtered by task/family
    (reference-only entries only with `include_references`)."""
    ids = [e.id for e in all_entries(include_references)]
    inc, exc = _as_patterns(include), _as_patterns(exclude)
    if inc:
        ids = [i for i in ids if any(fnmatch.fnmatchcase(i, p) for p in inc)]
    if exc:
        ids = [i for i in ids if not any(fnmatch.fnmatchcase(i, p) for p in exc)]
    if task is not None:
        ids = [i for i in ids if task in _REGISTRY[i].tasks]
    if family is not None:
        ids = [i for i in ids if _REGISTRY[i].family == family]
    return ids


def get_model_entry(model_id: str) -> ModelEntry:
    """The entry for `model_id`; an unknown id raises a UsageError with a suggestion."""
    _ensure_loaded()
    try:
        return _REGISTRY[model_id]
    except KeyError:
        raise unknown("model", model_id, _REGISTRY) from None


def all_entries(include_references: bool = False) -> list[ModelEntry]:
    """Every candidate entry (and the reference-only ones with `include_references`), sorted by id."""
    _ensure_loaded()
    return [_REGISTRY[i] for i in sorted(_REGISTRY) if include_references or not _REGISTRY[i].reference_only]


def get_model(model_id: str, *, device: str | torch.device = "meta", **overrides: Any) -> nn.Module:
    """Build the model for `model_id` in eval mode on `device` (default: meta, no memory, no weights)."""
    import torch

    entry = get_model_entry(model_id)
    module_name, _, func_name = entry.builder.partition(":")
    builder = getattr(importlib.import_module(module_name), func_name)
    kwargs = {**entry.builder_kwargs, **overrides}
    with torch.device(device):
        model = builder(**kwargs)
    return model.eval()


def model_key(entry: ModelEntry, task: str) -> dict[str, Any]:
    """What identifies the module an entry builds for `task`, as cache-key data (JSON-ready)."""
    import json

    return {"model_id": entry.id, "task": task, "builder": entry.builder,
            "builder_kwargs": json.loads(json.dumps(entry.builder_kwargs, sort_keys=True, default=str))}


def resolve_task(entry: ModelEntry, task: str | None) -> str:
    """The entry's task to use: `task` if the entry serves it, its first task when None."""
    if task is None:
        return entry.tasks[0]
    if task not in entry.tasks:
        raise UsageError(f"model {entry.id!r} does not serve task {task!r}",
                         hint="it serves " + ", ".join(entry.tasks))
    return task

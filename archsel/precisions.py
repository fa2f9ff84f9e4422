"""The numeric precisions archsel knows: one table for names, aliases, bytes, traced and measured dtypes (no torch).

A profile may list any of them; archsel measures on this machine only those with `measurable` (int8 by
quantizing, archsel.profiling.precision); a count is always traced in the float dtype `trace_dtype`
and bytes scale with `bytes_scale` (relative to fp32) when estimating.
"""

from __future__ import annotations

from dataclasses import dataclass

from archsel.errors import UsageError, unknown


@dataclass(frozen=True)
class Precision:
    name: str
    aliases: tuple[str, ...]
    bytes_scale: float  # bytes per element relative to fp32
    trace_dtype: str  # torch dtype name the graph is traced (and counted) in
    cast_dtype: str | None  # torch dtype a measured model is cast to (None: not a cast, e.g. int8 quantizes)
    measurable: bool  # archsel can run it on this machine


TABLE: tuple[Precision, ...] = (
    Precision("fp32", ("float32", "float"), 1.0, "float32", "float32", True),
    Precision("tf32", ("tensorfloat32",), 1.0, "float32", None, False),
    Precision("fp16", ("float16", "half"), 0.5, "float16", "float16", True),
    Precision("bf16", ("bfloat16",), 0.5, "bfloat16", "bfloat16", True),
    Precision("fp8", ("float8",), 0.25, "float32", None, False),
    Precision("int8", ("qint8",), 0.25, "float32", None, True),
)
BY_NAME: dict[str, Precision] = {p.name: p for p in TABLE}
PRECISIONS: tuple[str, ...] = tuple(BY_NAME)  # every name a profile may list
MEASURABLE: tuple[str, ...] = tuple(p.name for p in TABLE if p.measurable)  # what --dtype takes
CHOICES: tuple[str, ...] = ("auto", *MEASURABLE)  # recommend/compare --precision
_ALIASES = {alias: p.name for p in TABLE for alias in (p.name, *p.aliases)}


def canonical(name: str) -> str | None:
    """'half' → 'fp16', 'BF16' → 'bf16'; None for a name archsel does not know."""
    return _ALIASES.get(name.strip().lower())


def normalize(name: str) -> str:
    """The canonical name of `name`, which must be MEASURABLE (a --dtype); UsageError with a did-you-mean otherwise."""
    key = canonical(name)
    if key is None or key not in MEASURABLE:
        raise unknown("dtype", name, MEASURABLE)
    return key


def get(name: str) -> Precision:
    """The table row of a canonical or alias name (UsageError if unknown)."""
    key = canonical(name)
    if key is None:
        raise UsageError(f"unknown precision {name!r}", hint=f"use one of {', '.join(PRECISIONS)}")
    return BY_NAME[key]

"""Numbers with SI suffixes as users type them on the command line and in query files ('5M', '2G')."""

from __future__ import annotations

import re

from archsel.errors import UsageError

_SI = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "g": 1e9, "G": 1e9, "t": 1e12, "T": 1e12, "b": 1e9, "B": 1e9}
_SI_RE = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([kKmMgGtTbB]?)\s*$")


def parse_si(text: str | float | int | None, what: str) -> float | None:
    """'5M' → 5e6, '2G' (or '2B') → 2e9, '300k', '1.5e6', 7 → 7.0; None stays None. Bad text → UsageError."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise UsageError(f"{what} must be a number with an optional k/M/G/T suffix, got {text!r}")
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = _SI_RE.match(str(text))
        if not m:
            raise UsageError(f"bad {what} {text!r}", hint="a number with an optional k, M, G or T suffix, e.g. 5M")
        value = float(m.group(1).replace("_", "")) * _SI[m.group(2)]
    if not value > 0:
        raise UsageError(f"{what} must be positive, got {text!r}")
    return value

"""Numbers with units, read as users type them and written as every report prints them (one place each).

Counts (MACs, parameters) use decimal SI suffixes (k, M, G, T); memory uses binary units (KiB, MiB, GiB),
whatever a datasheet calls it; a device's published capacity keeps its datasheet wording beside it.
"""

from __future__ import annotations

import math
import re
import sys

from archsel.errors import UsageError

_SI = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "g": 1e9, "G": 1e9, "t": 1e12, "T": 1e12, "b": 1e9, "B": 1e9}
_SI_RE = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([kKmMgGtTbB]?)\s*$")
_BYTES_RE = re.compile(r"^\s*(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)\s*(?P<unit>[A-Za-z]*)\s*$")
_BYTE_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
               "t": 10**12, "tb": 10**12, "ki": 2**10, "kib": 2**10, "mi": 2**20, "mib": 2**20,
               "gi": 2**30, "gib": 2**30, "ti": 2**40, "tib": 2**40}
_SI_STEPS = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))
_IEC_STEPS = (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


# ------------------------------------------------------------------------------------------- reading


def parse_si(text: str | float | int | None, what: str) -> float | None:
    """'5M' → 5e6, '2G' (or '2B') → 2e9, '300k', '1.5e6', 7 → 7.0; None stays None. Bad text → UsageError."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise UsageError(f"{what} must be a number with an optional k/M/G/T suffix, got {text!r}")
    if isinstance(text, int | float):
        value = float(text) if abs(text) <= sys.float_info.max else math.inf  # an int of 400 digits: no float
    else:
        m = _SI_RE.match(str(text))
        if not m:
            raise UsageError(f"bad {what} {text!r}", hint="a number with an optional k, M, G or T suffix, e.g. 5M")
        value = float(m.group(1).replace("_", "")) * _SI[m.group(2)]
    if not (math.isfinite(value) and value > 0):  # 1e400 is inf: it would reach the JSON writer
        raise UsageError(f"{what} must be a finite positive number, got {text!r}")
    return value


def parse_count(text: str, what: str) -> int:
    """'5M' → 5_000_000; '2.5G', '300k', '1e6' too (k, M, G or B, T: decimal), as parse_si reads them."""
    value = parse_si(text, what)
    assert value is not None
    if value < 1:  # 0.4 would round to a budget of nothing
        raise UsageError(f"{what} must be at least 1, got {text!r}")
    return round(value)


def parse_bytes(text: str, what: str = "--max-memory") -> int:
    """'512MiB' → 536870912; KiB/MiB/GiB/TiB (or Ki, Mi, ...) binary; KB/MB/GB/TB (or K, M, ...) decimal."""
    m = _BYTES_RE.match(text)
    unit = m.group("unit").lower() if m else ""
    if not m or unit not in _BYTE_UNITS:
        raise UsageError(f"bad {what} {text!r}", hint="bytes with a unit, e.g. 512MiB, 2GiB or 1.5GB")
    value = float(m.group("num")) * _BYTE_UNITS[unit]
    if not (math.isfinite(value) and value >= 1):
        raise UsageError(f"{what} must be a finite size of at least 1 byte, got {text!r}")
    return round(value)


# ------------------------------------------------------------------------------------------- writing


def _digits(value: float) -> str:
    """3 significant digits, never in scientific notation (999.7 → '1000', 1023 → '1023')."""
    return f"{value:.3g}" if abs(value) < 999.5 else f"{value:.0f}"


def format_si(value: float, unit: str = "", sep: str = "") -> str:
    """A count with a decimal SI suffix, 3 significant digits: 889e6 → '889M', (5e6, sep=' ') → '5 M'."""
    for suffix, size in _SI_STEPS:
        if abs(value) >= size:
            return f"{_digits(value / size)}{sep}{suffix}{unit}"
    return f"{_digits(value)}{sep}{unit}" if unit else _digits(value)


def format_bytes(value: float) -> str:
    """Memory in binary units, 3 significant digits: 50_794_496 → '48.4 MiB', 1000 → '1000 B'."""
    for unit, size in _IEC_STEPS:
        if abs(value) >= size:
            return f"{_digits(value / size)} {unit}"
    return f"{_digits(value)} B"


def format_ms(value: float | None, dash: str = "—") -> str:
    """Milliseconds, 3 significant digits, never in scientific notation, without the unit (the header or the
    sentence names it): 16.5 → '16.5', 1234.5 → '1234'."""
    return dash if value is None else _digits(value)

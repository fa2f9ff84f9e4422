"""What a `recommend` / `compare` query asks, with every option's default and validation (no torch)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from archsel import precisions
from archsel.errors import UsageError, unknown

OBJECTIVES = ("balanced", "latency", "accuracy")
LATENCY_STATS = ("p50", "p90", "p99")
LIST_OPTIONS = ("priority", "family", "exclude")  # repeatable, or comma-separated
PATH_OPTIONS = ("rules", "profiles")
SIZE_OPTIONS = ("max_params", "max_macs")  # numbers with SI suffixes


@dataclass(frozen=True)
class AdviceRequest:
    """Every field a query can set (CLI option or query-file key). None = not given."""

    task: str | None = None
    target: str | None = None
    latency_ms: float | None = None
    latency_tier: str | None = None
    latency_stat: str = "p50"
    streaming: bool | None = None
    data_type: str | None = None
    seq_len: str | None = None
    dataset_size: str | None = None
    priority: tuple[str, ...] = ()
    family: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_params: float | None = None
    max_macs: float | None = None
    precision: str = "auto"
    runtime: str | None = None  # the target's runtime (None: the device's default)
    threads: int | None = None  # CPU runtimes' threads (None: the runtime's own)
    batch: int = 1
    objective: str = "balanced"
    measure: bool = False
    time_budget_s: float | None = None
    top: int = 10
    show_excluded: bool = False
    rules: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()

    def validated(self) -> AdviceRequest:
        """Check the choices and numbers; returns self (UsageError on the first bad field)."""
        if not self.task:
            raise UsageError("no task given", hint="pass --task (e.g. --task video) or a --query file with `task`")
        if self.latency_stat not in LATENCY_STATS:
            raise unknown("latency statistic", self.latency_stat, LATENCY_STATS)
        if self.objective not in OBJECTIVES:
            raise unknown("objective", self.objective, OBJECTIVES)
        if self.precision not in precisions.CHOICES:
            raise unknown("precision", self.precision, precisions.CHOICES)
        if not isinstance(self.batch, int) or isinstance(self.batch, bool) or not 1 <= self.batch <= MAX_BATCH:
            raise UsageError(f"--batch must be a positive integer up to {MAX_BATCH:,}, got {self.batch!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or isinstance(self.threads, bool)
                                         or self.threads < 1):
            raise UsageError(f"--threads must be a positive integer, got {self.threads!r}")
        if self.runtime is not None and not self.target:
            raise UsageError("--runtime needs a --target", hint="the runtime is one of the target device's")
        if not isinstance(self.top, int) or isinstance(self.top, bool) or self.top < 1:
            raise UsageError(f"--top must be a positive integer, got {self.top!r}")
        for option, value in (("--latency-ms", self.latency_ms), ("--time-budget", self.time_budget_s)):
            check_finite_positive(option, value)
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        return data


def request_fields(**options: Any) -> dict[str, Any]:
    """The options a user gave on the command line as AdviceRequest fields (None, False, empty: not given).

    `streaming=False` (--offline) is given; list options split on commas; sizes take SI suffixes.
    """
    from archsel.query.build import split_words
    from archsel.units import parse_si

    out: dict[str, Any] = {}
    for key, value in options.items():
        if value is None or value == [] or value == () or (value is False and key != "streaming"):
            continue
        if key in LIST_OPTIONS:
            value = tuple(split_words(value))
        elif key in PATH_OPTIONS:
            value = tuple(str(p) for p in value)
        elif key in SIZE_OPTIONS:
            value = parse_si(value, "--" + key.replace("_", "-"))
        out[key] = value
    return out


MAX_BATCH = 1_000_000  # beyond it a batch is no longer a deployment question (and overflows torch's sizes)
MIN_POSITIVE = 1e-6  # ms or s: below a nanosecond no budget is real, and headroom ratios overflow


def check_finite_positive(option: str, value: float | None) -> None:
    """UsageError unless `value` is None or a finite number ≥ MIN_POSITIVE (inf would reach the JSON writer)."""
    if value is not None and not (math.isfinite(value) and value >= MIN_POSITIVE):
        raise UsageError(f"{option} must be a finite positive number, got {value:g}",
                         hint=f"at least {MIN_POSITIVE:g}" if math.isfinite(value) and value > 0 else None)

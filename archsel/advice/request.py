"""What a `recommend` / `compare` query asks, with every option's default and validation (no torch)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from archsel.errors import UsageError, unknown

OBJECTIVES = ("balanced", "latency", "accuracy")
LATENCY_STATS = ("p50", "p90", "p99")
PRECISION_CHOICES = ("auto", "fp32", "fp16", "bf16", "int8")
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
        if self.precision not in PRECISION_CHOICES:
            raise unknown("precision", self.precision, PRECISION_CHOICES)
        if not isinstance(self.batch, int) or isinstance(self.batch, bool) or self.batch < 1:
            raise UsageError(f"--batch must be a positive integer, got {self.batch!r}")
        if not isinstance(self.top, int) or isinstance(self.top, bool) or self.top < 1:
            raise UsageError(f"--top must be a positive integer, got {self.top!r}")
        if self.latency_ms is not None and not self.latency_ms > 0:
            raise UsageError(f"--latency-ms must be positive, got {self.latency_ms:g}")
        if self.time_budget_s is not None and not self.time_budget_s > 0:
            raise UsageError(f"--time-budget must be positive, got {self.time_budget_s:g}")
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        return data


FIELD_NAMES = tuple(f.name for f in fields(AdviceRequest))


def merge(base: AdviceRequest, overrides: dict[str, Any]) -> AdviceRequest:
    """`base` with the given (already typed) fields replaced."""
    return replace(base, **overrides)


@dataclass
class CliValues:
    """Options as typed on the command line: None where the user gave nothing (so a query file can fill it)."""

    values: dict[str, Any] = field(default_factory=dict)

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if v is not None and v != () and v != []}

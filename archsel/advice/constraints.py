"""Hard constraints on a costed model: precision, latency budget, memory, parameters, MACs.

One gate logic for every command: `evaluate` judges each constraint that applies (recommend and compare
exclude a candidate on the failed ones, check reports every one as a gate). A failed Verdict says by how
much it is broken (`over`: value / limit − 1), which orders the closest misses when nothing fits. All
figures are per forward pass of the batch.

Which latency is gated: a measured one at `latency_stat` (p50, p90, p99); an estimate at its point
estimate for p50 and at the high end of its error band for p90/p99, or always at the band's high end
with `strict` (check --strict).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archsel.units import format_bytes, format_ms, format_si

if TYPE_CHECKING:
    from archsel.advice.costing import Cost, Latency
    from archsel.targets.profiles import TargetProfile

# constraints a lower precision can fix (variants are tried for these)
PRECISION_FIXABLE = frozenset({"latency", "memory"})


@dataclass(frozen=True)
class Limits:
    """What a query or a check asks a model to satisfy (None: not constrained)."""

    latency_ms: float | None = None
    latency_stat: str = "p50"
    strict: bool = False  # gate an estimate on its band's high end whatever the statistic
    max_params: float | None = None
    max_macs: float | None = None
    max_memory_bytes: float | None = None  # besides the target's own memory, which always applies


@dataclass(frozen=True)
class Verdict:
    """One constraint judged: passed or not, the figure, the limit, where the limit comes from."""

    constraint: str  # precision | latency | memory | params | macs | rules
    passed: bool
    limit: float | None
    value: float | None
    message: str  # one line, e.g. "12.5M params > --max-params 5M"
    source: str = ""  # what set the limit: "--max-params", "jetson-orin-nano memory (8 GB)", ...
    fields: dict[str, Any] = field(default_factory=dict)  # figures of this constraint (statistic, ...)

    @property
    def over(self) -> float:
        """How far past the limit (0.2 = 20 % over); infinite for a constraint without a size."""
        if self.limit is None or self.value is None or self.limit <= 0:
            return math.inf
        return self.value / self.limit - 1.0

    def to_dict(self) -> dict[str, Any]:
        over = self.over
        return {"constraint": self.constraint, "limit": self.limit, "value": self.value,
                "over_fraction": None if math.isinf(over) else round(over, 6), "message": self.message}


def excluded_by(constraint: str, why: str) -> Verdict:
    """A failed verdict without figures (a candidate the rules' --family/--exclude removed)."""
    return Verdict(constraint, False, None, None, why)


def gated_latency(latency: Latency, limits: Limits) -> tuple[float, str]:
    """(the latency the budget is checked on, which statistic that is) — see the module docstring."""
    if latency.kind == "measured":
        return latency.at(limits.latency_stat), limits.latency_stat
    if limits.strict:
        return latency.band_high_ms, "band_high"
    if limits.latency_stat == "p50":
        return latency.p50_ms, "point_estimate"
    return latency.at(limits.latency_stat), f"{limits.latency_stat} (band high)"


def memory_limit(target: TargetProfile | None, limits: Limits) -> tuple[float, str] | None:
    """(the tighter of --max-memory and the target's memory, in bytes; what sets it), or None."""
    found: list[tuple[float, str]] = []
    if limits.max_memory_bytes is not None:
        found.append((float(limits.max_memory_bytes), "--max-memory"))
    if target is not None and target.memory_gb:
        found.append((target.memory_gb * 1e9, f"{target.name} memory ({target.memory_gb:g} GB)"))
    return min(found) if found else None


def precision_verdict(precision: str, target: TargetProfile, runtime: str | None = None) -> Verdict:
    """Whether `target` runs `precision` with `runtime` (None: its default runtime)."""
    rt = target.runtime(runtime)
    ok = rt.runs(precision) is not None
    where = f"{target.name} ({rt.name})" if len(target.runtimes) > 1 else target.name
    return Verdict("precision", ok, None, None, f"{where} {'runs' if ok else 'does not run'} {precision} "
                                                f"(supports {', '.join(rt.accepted_precisions)})",
                   f"{where} precisions", {"supported_precisions": list(rt.accepted_precisions), "runtime": rt.name})


def _size(name: str, value: float, limit: float, option: str, unit: str) -> Verdict:
    ok = value <= limit
    return Verdict(name, ok, limit, value, f"{format_si(value)} {unit} {'≤' if ok else '>'} {option} "
                                           f"{format_si(limit)}", option)


def evaluate(cost: Cost, limits: Limits, target: TargetProfile | None) -> list[Verdict]:
    """Every constraint that applies to `cost`, judged: precision, latency (when it was evaluated), memory,
    params, MACs."""
    found: list[Verdict] = []
    if target is not None:
        found.append(precision_verdict(cost.precision, target, cost.runtime))
    lat = cost.latency
    if limits.latency_ms is not None and lat is not None:
        value, statistic = gated_latency(lat, limits)
        ok = value <= limits.latency_ms
        measured_or_point = lat.kind == "measured" or statistic == "point_estimate"
        label = limits.latency_stat if measured_or_point else statistic.replace("_", " ")
        found.append(Verdict("latency", ok, limits.latency_ms, value,
                             f"{cost.precision} {lat.kind} {label} {format_ms(value)} ms {'≤' if ok else '>'} "
                             f"{limits.latency_ms:g} ms budget ({value / limits.latency_ms - 1:+.0%})",
                             "--latency-ms", {"statistic": statistic, "kind": lat.kind}))
    memory = memory_limit(target, limits)
    if memory is not None:
        limit, source = memory
        ok = cost.memory_bytes <= limit
        found.append(Verdict("memory", ok, limit, cost.memory_bytes,
                             f"{cost.precision} needs {format_bytes(cost.memory_bytes)} {'≤' if ok else '>'} "
                             f"{format_bytes(limit)} ({source})", source))
    if limits.max_params is not None:
        found.append(_size("params", cost.params, limits.max_params, "--max-params", "params"))
    if limits.max_macs is not None:
        found.append(_size("macs", cost.macs, limits.max_macs, "--max-macs", "MACs"))
    return found


def violations(cost: Cost, limits: Limits, target: TargetProfile | None) -> list[Verdict]:
    """The constraints `cost` breaks, in the order of `evaluate`."""
    return [v for v in evaluate(cost, limits, target) if not v.passed]


def overshoot(broken: list[Verdict]) -> float:
    """How far a miss is from fitting: its worst violation (0 when none)."""
    return max((v.over for v in broken), default=0.0)

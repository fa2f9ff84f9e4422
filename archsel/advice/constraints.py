"""Hard constraints on a costed candidate: latency budget, memory, parameters, MACs, precision.

Each broken constraint is a Violation saying by how much it is broken (`over`: value / limit − 1), which
orders the closest misses when nothing fits. All figures are per forward pass of the query's batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsel.advice.costing import Cost
    from archsel.advice.request import AdviceRequest
    from archsel.targets.profiles import TargetProfile

# constraints a lower precision can fix (variants are tried for these)
PRECISION_FIXABLE = frozenset({"latency", "memory"})


@dataclass(frozen=True)
class Violation:
    """One broken hard constraint."""

    constraint: str  # latency | memory | params | macs | precision
    limit: float | None
    value: float | None
    message: str

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


def _si(value: float) -> str:
    for suffix, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def memory_limit_bytes(target: TargetProfile | None) -> float | None:
    """The target's memory capacity in bytes (None when unknown)."""
    if target is None or not target.memory_gb:
        return None
    return target.memory_gb * 1e9


def check(cost: Cost, request: AdviceRequest, target: TargetProfile | None) -> list[Violation]:
    """Every hard constraint `cost` breaks, in a fixed order."""
    found: list[Violation] = []
    if target is not None and cost.precision not in target.precisions:
        found.append(Violation("precision", None, None,
                               f"{target.name} does not run {cost.precision} "
                               f"(supports {', '.join(target.precisions)})"))
    lat = cost.latency
    if request.latency_ms is not None and lat is not None:
        value = lat.at(request.latency_stat)
        if value > request.latency_ms:
            label = request.latency_stat if lat.kind == "measured" or request.latency_stat == "p50" \
                else f"{request.latency_stat} (band high)"
            found.append(Violation("latency", request.latency_ms, value,
                                   f"{cost.precision} {lat.kind} {label} {value:.3g} ms > {request.latency_ms:g} ms "
                                   f"budget ({value / request.latency_ms - 1:+.0%})"))
    limit = memory_limit_bytes(target)
    if limit is not None and target is not None and cost.memory_bytes > limit:
        found.append(Violation("memory", limit, cost.memory_bytes,
                               f"{cost.precision} needs {cost.memory_bytes / 1e9:.3g} GB > "
                               f"{target.memory_gb:g} GB on {target.name}"))
    if request.max_params is not None and cost.params > request.max_params:
        found.append(Violation("params", request.max_params, cost.params,
                               f"{_si(cost.params)} params > --max-params {_si(request.max_params)}"))
    if request.max_macs is not None and cost.macs > request.max_macs:
        found.append(Violation("macs", request.max_macs, cost.macs,
                               f"{_si(cost.macs)} MACs > --max-macs {_si(request.max_macs)}"))
    return found


def overshoot(violations: list[Violation]) -> float:
    """How far a miss is from fitting: its worst violation (0 when none)."""
    return max((v.over for v in violations), default=0.0)

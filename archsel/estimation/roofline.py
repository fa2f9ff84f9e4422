"""Per-operator latency estimate: max(compute time, memory time) + per-op overhead, summed over the graph.

compute time = MACs / (peak MAC rate at the precision × efficiency of the op class)
memory time  = bytes moved / (memory bandwidth × bandwidth efficiency)
The per-op overhead models launch/dispatch cost, which dominates small batches on GPUs (DESIGN.md: an H100
runs resnet50 and mobilenet_v3_large in about the same 3.5 ms at batch 1). Ops that neither compute nor move
bytes (views, transposes: metadata only, no kernel is launched) cost nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

OP_CLASSES: tuple[str, ...] = (
    "conv", "depthwise_conv", "matmul", "attention", "recurrent",
    "norm", "elementwise", "pooling", "data_movement", "other",
)
# Bytes per element at each precision, relative to the float32 trace.
BYTES_SCALE: dict[str, float] = {"fp32": 1.0, "tf32": 1.0, "fp16": 0.5, "bf16": 0.5, "int8": 0.25}
# The peak-rate key each precision runs at (tf32 matmuls fall back to fp32 rate when no tf32 peak is given).
DEFAULT_EFFICIENCY: dict[str, float] = {
    "conv": 0.5, "depthwise_conv": 0.1, "matmul": 0.6, "attention": 0.4, "recurrent": 0.2,
    "norm": 0.1, "elementwise": 0.1, "pooling": 0.1, "data_movement": 0.1, "other": 0.1,
}


# Gathers read only the rows they index, not the whole table the trace lists as read (an embedding of a
# 160 MB table for a batch of ids reads kilobytes): charge them twice their output (read + write).
GATHER_OPS: frozenset[str] = frozenset({
    "aten.embedding.default", "aten.embedding_bag.default", "aten._embedding_bag.default",
    "aten._embedding_bag_forward_only.default", "aten.index_select.default", "aten.gather.default",
    "aten.index.Tensor",
})


def moved_bytes(op: OpLike, batch: int = 1) -> int:
    """Bytes an op really moves at float32 (gathers: see GATHER_OPS).

    A recurrent layer re-reads its weight matrices at every time step, once for the whole batch; its
    MACs are steps × batch × weights, so the weights streamed are 4 × MACs / batch bytes (the trace lists
    them once). This is what makes batch-1 RNNs slow: a matrix-vector product per step, memory-bound.
    """
    if getattr(op, "op", "") in GATHER_OPS:
        return min(op.bytes_read + op.bytes_written, 2 * op.bytes_written)
    if op.kind == "recurrent" and op.macs:
        return max(op.bytes_read + op.bytes_written, 4 * op.macs // max(batch, 1))
    return op.bytes_read + op.bytes_written


def launches(op: OpLike) -> float:
    """How many times the per-op overhead is paid: 0 for views (metadata only, no kernel), else 1."""
    return 1.0 if (op.macs or op.bytes_read or op.bytes_written) else 0.0


class OpLike(Protocol):
    """What the estimator needs of a traced op (archsel.profiling.counting.OpRecord has it)."""

    kind: str
    macs: int
    bytes_read: int
    bytes_written: int


@dataclass(frozen=True)
class DeviceRates:
    """The figures an estimate uses, in base units (MAC/s, byte/s, s)."""

    peak_macs_per_s: Mapping[str, float]  # precision -> MAC/s (= peak FLOP/s / 2)
    bandwidth_bytes_per_s: float
    efficiency: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_EFFICIENCY))
    bandwidth_efficiency: float = 0.7
    overhead_s: float = 10e-6

    @classmethod
    def from_profile(cls, profile: object) -> DeviceRates:
        """Rates from a TargetProfile (peak_tflops, memory_bandwidth_gbs, efficiency, overhead_us)."""
        if getattr(profile, "measured_at_run_time", False):
            raise ValueError(f"{getattr(profile, 'name', 'this target')} is measured, not estimated")
        peaks: Mapping[str, float] = getattr(profile, "peak_tflops", {}) or {}
        eff = {**DEFAULT_EFFICIENCY, **(getattr(profile, "efficiency", {}) or {})}
        bw_eff = float(eff.pop("bandwidth", 0.7))
        overhead_us = getattr(profile, "overhead_us", None)
        return cls(
            peak_macs_per_s={p: v * 1e12 / 2 for p, v in peaks.items()},
            bandwidth_bytes_per_s=float(getattr(profile, "memory_bandwidth_gbs", None) or 0.0) * 1e9,
            efficiency=eff,
            bandwidth_efficiency=bw_eff,
            overhead_s=(overhead_us if overhead_us is not None else 10.0) * 1e-6,
        )

    def mac_rate(self, precision: str, kind: str) -> float:
        """Effective MAC/s of op class `kind` at `precision`."""
        peak = self.peak_macs_per_s.get(precision)
        if peak is None and precision == "tf32":
            peak = self.peak_macs_per_s.get("fp32")
        if not peak:
            raise ValueError(f"no peak compute figure for precision {precision!r}")
        return peak * self.efficiency.get(kind, DEFAULT_EFFICIENCY["other"])


@dataclass
class ClassShare:
    """Estimated time of one op class and how it is bound."""

    kind: str
    ops: int
    macs: int
    bytes: int
    compute_s: float
    memory_s: float
    overhead_s: float
    total_s: float
    compute_bound_ops: int
    memory_bound_ops: int
    compute_bound_s: float = 0.0  # time of the ops that are compute-bound (their compute time)
    memory_bound_s: float = 0.0  # time of the ops that are memory-bound (their memory time)

    @property
    def bound(self) -> str:
        """What limits this class overall: compute, memory, overhead (fixed costs dominate), or none (views only)."""
        if self.total_s <= 0:
            return "none"
        if self.overhead_s > max(self.compute_bound_s, self.memory_bound_s):
            return "overhead"
        return "compute" if self.compute_bound_s >= self.memory_bound_s else "memory"


@dataclass
class Estimate:
    """An estimated latency with its breakdown by op class."""

    precision: str
    total_s: float
    overhead_s: float
    by_class: list[ClassShare]

    @property
    def latency_ms(self) -> float:
        return self.total_s * 1e3

    @property
    def overhead_share(self) -> float:
        return self.overhead_s / self.total_s if self.total_s else 0.0


def estimate_ops(ops: Sequence[OpLike], rates: DeviceRates, precision: str = "fp32", batch: int = 1) -> Estimate:
    """Estimate one forward pass of the traced `ops` (of `batch` samples) at `precision`."""
    scale = BYTES_SCALE.get(precision, 1.0)
    bandwidth = rates.bandwidth_bytes_per_s * rates.bandwidth_efficiency
    if bandwidth <= 0:
        raise ValueError("memory bandwidth must be positive")
    shares: dict[str, ClassShare] = {}
    for op in ops:
        moved = moved_bytes(op, batch) * scale
        compute = op.macs / rates.mac_rate(precision, op.kind) if op.macs else 0.0
        memory = moved / bandwidth
        s = shares.setdefault(op.kind, ClassShare(op.kind, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0))
        s.ops += 1
        s.macs += op.macs
        s.bytes += int(moved)
        s.compute_s += compute
        s.memory_s += memory
        overhead = rates.overhead_s * launches(op)
        s.overhead_s += overhead
        s.total_s += max(compute, memory) + overhead
        if compute >= memory and op.macs:
            s.compute_bound_ops += 1
            s.compute_bound_s += compute
        elif moved:
            s.memory_bound_ops += 1
            s.memory_bound_s += memory
    by_class = sorted(shares.values(), key=lambda c: (-c.total_s, c.kind))
    return Estimate(precision, sum(c.total_s for c in by_class), sum(c.overhead_s for c in by_class), by_class)

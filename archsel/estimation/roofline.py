"""Per-operator latency estimate: max(compute time, memory time) + fixed costs, summed over the graph.

compute time = MACs / (peak MAC rate at the precision × efficiency of the op class)
memory time  = bytes moved / (memory bandwidth × bandwidth efficiency)
               (on a calibrated CPU profile both × the op's slowdown for its size and shape: kernels too
               small to split run on fewer threads, see ParallelCurve; GEMMs with few rows run below a
               square GEMM's rate, see gemm_slowdown)
fixed costs  = a per-op overhead (launch/dispatch; per op class where the profile says so, since a
               depthwise conv's fixed cost on a CPU is many times an add's), a cost per module call (each
               run of consecutive ops of one nn.Module: the framework's call overhead), and for recurrent
               ops a cost per call and per sequential time step of the cell (LSTM, GRU, plain RNN)
The per-op overhead dominates small batches on GPUs (DESIGN.md: an H100 runs resnet50 and
mobilenet_v3_large in about the same 3.5 ms at batch 1). Views and transposes launch no kernel; they cost
only the profile's `view` overhead (host-side bookkeeping), 0 unless given.

A recurrent layer re-reads its weight matrices at every time step: those re-reads are charged at the
cell family's weight bandwidth (a layer's weights usually stay in cache between steps), the rest of its
bytes at memory bandwidth. This is what makes batch-1 RNNs slow: a matrix-vector product per step.

Synchronous devices (CPUs) run each op to completion before the next is dispatched: the latency is the sum
of every op's host (fixed) and device (roofline) time. On an asynchronous device (a GPU; `dispatch: async`)
the host only queues kernels and runs ahead, so host dispatch and device execution overlap: the estimate
replays the two queues (an op's kernel starts when the host has issued it and the device has finished the
previous one) and the latency is when the last kernel ends. Most eager models at small batches are then
host-bound (the sum of the per-op costs); large batches become device-bound (the sum of kernel times,
each at least the profile's `kernel_us`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from archsel import precisions

OP_CLASSES: tuple[str, ...] = (
    "conv", "depthwise_conv", "matmul", "attention", "recurrent",
    "norm", "elementwise", "pooling", "data_movement", "other",
)
# Bytes per element at each precision, relative to the float32 trace.
# The peak-rate key each precision runs at (tf32 matmuls fall back to fp32 rate when no tf32 peak is given).
DEFAULT_EFFICIENCY: dict[str, float] = {
    "conv": 0.5, "depthwise_conv": 0.1, "matmul": 0.6, "attention": 0.4, "recurrent": 0.2,
    "norm": 0.1, "elementwise": 0.1, "pooling": 0.1, "data_movement": 0.1, "other": 0.1,
}


# The per-op overhead key (profile op_overhead_us) of the ops of a fused inference kernel.
FUSED_KEY = "fused"

# Gathers read only the rows they index, not the whole table the trace lists as read (an embedding of a
# 160 MB table for a batch of ids reads kilobytes): charge them twice their output (read + write).
GATHER_OPS: frozenset[str] = frozenset({
    "aten.embedding.default", "aten.embedding_bag.default", "aten._embedding_bag.default",
    "aten._embedding_bag_forward_only.default", "aten.index_select.default", "aten.gather.default",
    "aten.index.Tensor",
})


def moved_bytes(op: OpLike, batch: int = 1) -> int:
    """Bytes an op moves through main memory at float32 (gathers: see GATHER_OPS)."""
    if getattr(op, "op", "") in GATHER_OPS:
        return min(op.bytes_read + op.bytes_written, 2 * op.bytes_written)
    return op.bytes_read + op.bytes_written


def streamed_weight_bytes(op: OpLike, batch: int = 1) -> int:
    """Weight bytes a recurrent op re-reads over its time steps, at float32 (0 for other ops).

    Its MACs are time steps × batch × weight elements, so it streams 4 × MACs / batch bytes of weights: the
    whole batch shares each step's read.
    """
    if op.kind == "recurrent" and op.macs:
        return 4 * op.macs // max(batch, 1)
    return 0


def state_weight_bytes(op: OpLike, batch: int = 1) -> float:
    """Bytes of a recurrent op's hidden-to-hidden weights at float32 (when the trace lacks them: all the
    weights it streams per step)."""
    state = int(getattr(op, "state_weights", 0) or 0)
    if state:
        return 4.0 * state
    steps = int(getattr(op, "steps", 0) or 0)
    return streamed_weight_bytes(op, batch) / steps if steps else 0.0


def work(op: OpLike) -> int:
    """The arithmetic an op's compute time is charged for: its MACs; for a pooling op (no MACs by the
    counting convention), one operation per input element, at the pooling class's rate. Pooling kernels
    are far slower per byte than their memory traffic suggests (on one x86 CPU, a 2x2 max pool ran at
    6 ns per input element where a ReLU took 0.15 ns)."""
    if op.macs:
        return op.macs
    return op.bytes_read // 4 if op.kind == "pooling" else 0


def launches(op: OpLike) -> float:
    """How many times the per-op overhead is paid: 0 for views (metadata only, no kernel), else 1."""
    return 1.0 if (op.macs or op.bytes_read or op.bytes_written) else 0.0


def recurrent_cell(op_name: str) -> str:
    """The cell family of a recurrent aten op: lstm, gru or rnn (tanh/relu; also the default)."""
    name = op_name.split(".")[1] if op_name.startswith("aten.") else op_name
    if "lstm" in name or "mkldnn_rnn" in name:
        return "lstm"
    return "gru" if "gru" in name else "rnn"


@dataclass(frozen=True)
class RecurrentCost:
    """One cell family's costs: fixed seconds per call (host) and per sequential step (device), and the
    byte/s at which its per-step weight re-reads run (0: twice the device's effective memory bandwidth).

    Some libraries switch algorithm with the cell size: cuDNN runs small cells as one fused kernel (a
    fraction of a microsecond per step on the device) but launches kernels from the host at every step
    once the hidden-to-hidden weights reach `large_from_bytes` (then `large_step_s` per step, on the
    host). 0 means no such switch."""

    call_s: float = 0.0
    step_s: float = 0.0
    weight_bandwidth: float = 0.0
    large_step_s: float = 0.0
    large_from_bytes: float = 0.0

    def step_costs(self, op: OpLike, batch: int = 1) -> tuple[float, float]:
        """(host, device) seconds of a recurrent op's sequential steps."""
        steps = int(getattr(op, "steps", 0) or 0)
        if not steps:
            return 0.0, 0.0
        if self.large_from_bytes and state_weight_bytes(op, batch) >= self.large_from_bytes:
            return steps * self.large_step_s, 0.0
        return 0.0, steps * self.step_s


class OpLike(Protocol):
    """What the estimator needs of a traced op (archsel.profiling.counting.OpRecord has it)."""

    kind: str
    macs: int
    bytes_read: int
    bytes_written: int


def cell_cost(op: OpLike, recurrent: Mapping[str, RecurrentCost]) -> RecurrentCost:
    """The costs of a recurrent op's cell family in `recurrent` (zeros when it has none)."""
    return recurrent.get(recurrent_cell(getattr(op, "op", "")), RecurrentCost())


def recurrent_costs(table: Mapping[str, Mapping[str, float]]) -> dict[str, RecurrentCost]:
    """A profile's `recurrent` table (cell -> call_us, step_us, weight_bandwidth_gbs, large_step_us,
    large_from_kb) in base units."""
    return {c: RecurrentCost(v.get("call_us", 0.0) * 1e-6, v.get("step_us", 0.0) * 1e-6,
                             v.get("weight_bandwidth_gbs", 0.0) * 1e9, v.get("large_step_us", 0.0) * 1e-6,
                             v.get("large_from_kb", 0.0) * 1024)
            for c, v in table.items()}


# Thread-scaling families (profile `parallel`) and what each measures an op's size in: dense and depthwise
# convolutions and recurrent cells by MACs (a recurrent op per sequential step: the work one step's kernels
# split between threads), GEMMs and memory-bound ops by the elements they write (oneDNN splits a GEMM's
# output; ATen's elementwise loops run on one thread below 32768 elements, at::internal::GRAIN_SIZE).
PARALLEL_FAMILIES: tuple[str, ...] = ("conv", "depthwise_conv", "matmul", "memory", "lstm", "gru", "rnn")


def parallel_family(op: OpLike) -> str:
    """The thread-scaling family of an op (PARALLEL_FAMILIES)."""
    if op.kind == "recurrent":
        return recurrent_cell(getattr(op, "op", ""))
    if op.kind in ("matmul", "attention"):
        return "matmul"
    return op.kind if op.kind in ("conv", "depthwise_conv") else "memory"


def parallel_size(op: OpLike) -> float:
    """An op's size on its family's thread-scaling curve: MACs (per step for recurrent ops) or elements
    written (float32 trace)."""
    family = parallel_family(op)
    if family in ("conv", "depthwise_conv"):
        return float(op.macs)
    if family in ("matmul", "memory"):
        return op.bytes_written / 4
    steps = int(getattr(op, "steps", 0) or 0)
    return op.macs / steps if steps else float(op.macs)


def interpolate_log(points: Sequence[tuple[float, float]], size: float) -> float:
    """The value at `size` of (size, value) points in size order: linear in log size between two points,
    the first or last point's value beyond them."""
    if size <= points[0][0]:
        return points[0][1]
    for (w0, s0), (w1, s1) in itertools.pairwise(points):
        if size <= w1:
            return s0 + (s1 - s0) * math.log(size / w0) / math.log(w1 / w0)
    return points[-1][1]


@dataclass(frozen=True)
class ParallelCurve:
    """How much `threads` threads speed one family of kernels up over one thread, by kernel size (profile
    `parallel`): measured (size, speedup) points, interpolated linearly in log size between them and held
    at the first and last point's speedup beyond them.

    An op's compute and memory time is its class rate's time × threads / speedup(size): the calibrated
    rates are fitted as if every kernel ran `threads` times faster than on one thread, and each family's
    shortfall is charged per op. Small kernels are not split between threads (ATen's elementwise loops
    below 32768 elements, oneDNN's GEMMs on few rows), and some families never use the other threads well
    (PyTorch's GRU steps on CPUs), so the same class rate serves LSTM and GRU, a large conv and a small
    one. Measured by `archsel calibrate --threads T` on 1 and T threads."""

    threads: int
    points: tuple[tuple[float, float], ...]  # (size, speedup over one thread), sizes increasing

    def speedup_at(self, size: float) -> float:
        """Speedup over one thread of a kernel of `size`."""
        return interpolate_log(self.points, size)

    def slowdown(self, size: float) -> float:
        """Time factor of a kernel of `size` against rates that scale perfectly with the threads."""
        return self.threads / self.speedup_at(size)


def parallel_curves(table: Mapping[str, object]) -> dict[str, ParallelCurve]:
    """A profile's `parallel` table (threads; per family a list of [size, speedup]) as curves."""
    threads = int(table.get("threads", 1) or 1)  # type: ignore[call-overload]
    return {f: ParallelCurve(threads, tuple((float(w), float(x)) for w, x in v))
            for f, v in table.items() if f != "threads" and isinstance(v, list | tuple) and v}


def gemm_table(points: Sequence[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    """A profile's `gemm_efficiency` ([dimension, efficiency] points) as the estimator's table."""
    return tuple((float(d), float(e)) for d, e in points)


def thread_slowdown(op: OpLike, curves: Mapping[str, ParallelCurve]) -> float:
    """Time factor of an op's compute and memory time for its size (1 without a curve for its family)."""
    curve = curves.get(parallel_family(op)) if curves else None
    return curve.slowdown(parallel_size(op)) if curve else 1.0


def gemm_slowdown(op: OpLike, gemm_efficiency: Sequence[tuple[float, float]]) -> float:
    """Time factor of a GEMM for its shape (profile `gemm_efficiency`: its rate relative to a large square
    GEMM's by the smaller of its output dimensions, on one thread), 1 for other ops or without a table.
    Below the table's first point a GEMM is a matrix-vector product bound by its weight reads, which its
    memory time covers: it keeps the first point's factor."""
    dim = int(getattr(op, "gemm_min_dim", 0) or 0)
    return 1.0 / interpolate_log(gemm_efficiency, dim) if dim and gemm_efficiency else 1.0


def kernel_slowdown(op: OpLike, curves: Mapping[str, ParallelCurve],
                    gemm_efficiency: Sequence[tuple[float, float]]) -> float:
    """Time factor of an op's compute and memory time for its size and shape (thread_slowdown x
    gemm_slowdown; 1 where the profile measured neither)."""
    return thread_slowdown(op, curves) * gemm_slowdown(op, gemm_efficiency)


def fused(op: OpLike) -> bool:
    """Whether the op runs inside a fused inference kernel on a real device (PyTorch's transformer fast
    path: profiling/fastpath.py): one Python call dispatches all of the layer's kernels from C++."""
    return bool(getattr(op, "fused", ""))


def fixed_cost(op: OpLike, per_class: Mapping[str, float], default: float,
               recurrent: Mapping[str, RecurrentCost], batch: int = 1) -> float:
    """Fixed host seconds of one op: its class's per-op cost (`default` for classes not in `per_class`;
    views only the "view" entry, else 0), plus a recurrent op's per-call cost and host-side step costs.
    An op of a fused kernel costs the "fused" entry whatever its class (its views nothing)."""
    if fused(op):
        return per_class.get(FUSED_KEY, default) if launches(op) else 0.0
    if not launches(op):
        return per_class.get("view", 0.0)
    fixed = per_class.get(op.kind, default)
    if op.kind == "recurrent":
        cost = cell_cost(op, recurrent)
        fixed += cost.call_s + cost.step_costs(op, batch)[0]
    return fixed


def device_fixed_cost(op: OpLike, kernel_s: float, recurrent: Mapping[str, RecurrentCost],
                      batch: int = 1) -> float:
    """Fixed device seconds of one op: the minimum time of a kernel (0 for views) plus a recurrent op's
    device-side step costs."""
    if not launches(op):
        return 0.0
    fixed = kernel_s
    if op.kind == "recurrent":
        cost = cell_cost(op, recurrent)
        fixed += cost.step_costs(op, batch)[1]
    return fixed


def critical_path(host: Sequence[float], device: Sequence[float]) -> tuple[int, float]:
    """Replay an asynchronous device: op i is issued when the host has spent host[0..i] and its kernel
    starts then or when the previous kernel ends, whichever is later. Returns (k, latency): k is the op
    whose kernel started on an idle device last, so latency = sum(host[:k + 1]) + sum(device[k:])."""
    t_host = t_dev = 0.0
    k = 0
    for i, (h, d) in enumerate(zip(host, device, strict=True)):
        t_host += h
        if t_host >= t_dev:
            k, t_dev = i, t_host + d
        else:
            t_dev += d
    return k, max(t_host, t_dev)


def module_call_starts(ops: Sequence[OpLike]) -> Iterator[bool]:
    """For each op, whether it starts a module call: the first op that launches work after an op of
    another module (views never start one; a fused kernel's ops neither, its per-op cost covers the call)."""
    previous: str | None = None
    for op in ops:
        if not launches(op):
            yield False
            continue
        module = getattr(op, "fused", "") or getattr(op, "module", "")
        yield module != previous and not fused(op)
        previous = module


@dataclass(frozen=True)
class DeviceRates:
    """The figures an estimate uses, in base units (MAC/s, byte/s, s)."""

    peak_macs_per_s: Mapping[str, float]  # precision -> MAC/s (= peak FLOP/s / 2)
    bandwidth_bytes_per_s: float
    efficiency: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_EFFICIENCY))
    bandwidth_efficiency: float = 0.7
    overhead_s: float = 10e-6  # per op that computes or moves bytes, unless op_overhead_s names its class
    op_overhead_s: Mapping[str, float] = field(default_factory=dict)  # OVERHEAD_KEYS -> seconds
    module_call_s: float = 0.0  # per module call: each run of consecutive ops of one module
    recurrent: Mapping[str, RecurrentCost] = field(default_factory=dict)  # RECURRENT_CELLS -> costs
    async_dispatch: bool = False  # host dispatch overlaps device execution (GPUs): see critical_path
    kernel_s: float = 0.0  # minimum device time of a kernel
    parallel: Mapping[str, ParallelCurve] = field(default_factory=dict)  # PARALLEL_FAMILIES -> curve
    gemm_efficiency: tuple[tuple[float, float], ...] = ()  # (smaller output dimension, relative GEMM rate)
    tf32_classes: frozenset[str] = frozenset()  # op classes whose fp32 ops run at the tf32 peak (see tf32_peak)

    @classmethod
    def from_profile(cls, profile: object, precision_rates: Mapping[str, float] | None = None,
                     tf32_classes: Iterable[str] = ()) -> DeviceRates:
        """Rates from a TargetProfile (peak_tflops, memory_bandwidth_gbs, efficiency, overhead_us); a precision
        without a peak figure runs at `precision_rates[p]` × the fp32 peak, and fp32 ops of `tf32_classes` at
        the tf32 peak where the profile gives one (the eager runtime's entry: precision_rates, fp32_as_tf32)."""
        if getattr(profile, "measured_at_run_time", False):
            raise ValueError(f"{getattr(profile, 'name', 'this target')} is measured, not estimated")
        from archsel.estimation.defaults import kind_defaults

        peaks: dict[str, float] = dict(getattr(profile, "peak_tflops", {}) or {})
        for p, rate in (precision_rates or {}).items():
            if p not in peaks and "fp32" in peaks:
                peaks[p] = peaks["fp32"] * rate
        eff = {**DEFAULT_EFFICIENCY, **(getattr(profile, "efficiency", {}) or {})}
        bw_eff = float(eff.pop("bandwidth", 0.7))
        overhead_us = getattr(profile, "overhead_us", None)
        overhead_us = float(overhead_us if overhead_us is not None else 10.0)
        defaults = kind_defaults(str(getattr(profile, "kind", "cpu")))
        recurrent = {**defaults.recurrent, **(getattr(profile, "recurrent", {}) or {})}
        dispatch = getattr(profile, "dispatch", None) or defaults.dispatch
        kernel_us = getattr(profile, "kernel_us", None)
        return cls(
            peak_macs_per_s={p: v * 1e12 / 2 for p, v in peaks.items()},
            bandwidth_bytes_per_s=float(getattr(profile, "memory_bandwidth_gbs", None) or 0.0) * 1e9,
            efficiency=eff,
            bandwidth_efficiency=bw_eff,
            overhead_s=overhead_us * 1e-6,
            op_overhead_s={k: v * 1e-6 for k, v in {FUSED_KEY: defaults.fused_share * overhead_us,
                                                     **(getattr(profile, "op_overhead_us", {}) or {})}.items()},
            module_call_s=float(getattr(profile, "module_call_us", None) or 0.0) * 1e-6,
            recurrent=recurrent_costs(recurrent),
            async_dispatch=dispatch == "async",
            kernel_s=(kernel_us if kernel_us is not None else defaults.kernel_us) * 1e-6,
            parallel=parallel_curves(getattr(profile, "parallel", {}) or {}),
            gemm_efficiency=gemm_table(getattr(profile, "gemm_efficiency", ()) or ()),
            tf32_classes=frozenset(tf32_classes) if "tf32" in peaks else frozenset(),
        )

    @property
    def effective_bandwidth(self) -> float:
        """Byte/s of main-memory traffic (bandwidth × its efficiency)."""
        return self.bandwidth_bytes_per_s * self.bandwidth_efficiency

    def recurrent_cost(self, op: OpLike) -> RecurrentCost:
        """The costs of a recurrent op's cell family (zeros when the profile has none)."""
        return cell_cost(op, self.recurrent)

    def weight_bandwidth(self, op: OpLike) -> float:
        """Byte/s of a recurrent op's per-step weight re-reads (default: twice the effective bandwidth)."""
        return self.recurrent_cost(op).weight_bandwidth or 2 * self.effective_bandwidth

    def fixed_s(self, op: OpLike, batch: int = 1) -> float:
        """Fixed host seconds of one op (see fixed_cost); the module-call cost is added per call, not here."""
        return fixed_cost(op, self.op_overhead_s, self.overhead_s, self.recurrent, batch)

    def device_fixed_s(self, op: OpLike, batch: int = 1) -> float:
        """Fixed device seconds of one op (see device_fixed_cost)."""
        return device_fixed_cost(op, self.kernel_s, self.recurrent, batch)

    def tf32_for(self, precision: str, kind: str) -> bool:
        """Whether op class `kind` at `precision` runs at the tf32 peak: an fp32 op of a class the runtime
        computes on TF32 Tensor Cores by default (PyTorch on Ampere and later: cuDNN convolutions)."""
        return precision == "fp32" and kind in self.tf32_classes and bool(self.peak_macs_per_s.get("tf32"))

    def peak_for(self, precision: str, kind: str) -> float:
        """Peak MAC/s op class `kind` runs against at `precision` (tf32: fp32's where no tf32 peak is given)."""
        if self.tf32_for(precision, kind):
            return self.peak_macs_per_s["tf32"]
        peak = self.peak_macs_per_s.get(precision)
        if peak is None and precision == "tf32":
            peak = self.peak_macs_per_s.get("fp32")
        if not peak:
            raise ValueError(f"no peak compute figure for precision {precision!r}")
        return peak

    def mac_rate(self, precision: str, kind: str) -> float:
        """Effective MAC/s of op class `kind` at `precision`."""
        return self.peak_for(precision, kind) * self.efficiency.get(kind, DEFAULT_EFFICIENCY["other"])


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
    """Estimate one forward pass of the traced `ops` (of `batch` samples) at `precision`.

    Each op has a host time (its fixed costs; a new module call adds the per-call cost) and a device time
    (max(compute, memory) plus the device's fixed costs). Synchronous devices add both for every op; on an
    asynchronous one only the host times up to the critical path's start and the device times from it on
    count (critical_path), and each class's share is its ops' part of that path."""
    scale = precisions.get(precision).bytes_scale
    bandwidth = rates.effective_bandwidth
    if bandwidth <= 0:
        raise ValueError("memory bandwidth must be positive")
    rows = []
    host_s: list[float] = []  # per op: host time, device time
    device_s: list[float] = []
    for op, new_call in zip(ops, module_call_starts(ops), strict=True):
        streamed = streamed_weight_bytes(op, batch) * scale
        moved = moved_bytes(op, batch) * scale + streamed
        ops_done = work(op)
        slow = kernel_slowdown(op, rates.parallel, rates.gemm_efficiency)
        compute = slow * ops_done / rates.mac_rate(precision, op.kind) if ops_done else 0.0
        memory = slow * ((moved - streamed) / bandwidth + (streamed / rates.weight_bandwidth(op) if streamed else 0.0))
        # a new module call pays the framework's per-call cost (nn.Module dispatch, hooks)
        host = rates.fixed_s(op, batch) + (rates.module_call_s if new_call else 0.0)
        dev_fixed = rates.device_fixed_s(op, batch)
        rows.append((op, moved, ops_done, compute, memory, host, dev_fixed))
        host_s.append(host)
        device_s.append(max(compute, memory) + dev_fixed)
    first = critical_path(host_s, device_s)[0] if rates.async_dispatch and rows else 0
    shares: dict[str, ClassShare] = {}
    for i, (op, moved, ops_done, compute, memory, host, dev_fixed) in enumerate(rows):
        s = shares.setdefault(op.kind, ClassShare(op.kind, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0))
        s.ops += 1
        s.macs += op.macs
        s.bytes += int(moved)
        s.compute_s += compute
        s.memory_s += memory
        on_host = not rates.async_dispatch or i <= first  # sync: every op's host time adds
        on_device = not rates.async_dispatch or i >= first
        fixed = (host if on_host else 0.0) + (dev_fixed if on_device else 0.0)
        s.overhead_s += fixed
        s.total_s += fixed + (max(compute, memory) if on_device else 0.0)
        if compute >= memory and ops_done:
            s.compute_bound_ops += 1
            s.compute_bound_s += compute if on_device else 0.0
        elif moved:
            s.memory_bound_ops += 1
            s.memory_bound_s += memory if on_device else 0.0
    by_class = sorted(shares.values(), key=lambda c: (-c.total_s, c.kind))
    return Estimate(precision, sum(c.total_s for c in by_class), sum(c.overhead_s for c in by_class), by_class)

"""Fit a device's per-class efficiencies and per-call overhead to measured model latencies (numpy only).

Unknowns, all non-negative: for each fitted op class c the inverse efficiency x_c (time = MACs / peak × x_c
for a compute-bound op), the inverse bandwidth efficiency x_bw (time = bytes / bandwidth × x_bw for a
memory-bound op), the cost o of a module call (each run of consecutive ops of one nn.Module: the
framework's dispatch, which the micro-benchmarks of bare ops do not see), and the host cost per op of a
fused inference kernel (PyTorch's transformer fast path: its ops are dispatched from C++ in one call).
Known (measured, not fitted): each op class's fixed cost per op, the cost of a view, a recurrent cell's
cost per call and per step, and the bandwidth its weight re-reads start from. With the bound of each op
fixed, a model's latency is linear in the unknowns; the fit minimises relative error (rows divided by
the measured latency) by non-negative least squares, with weak ridge rows pulling each unknown towards its
micro-benchmark prior (so classes absent from the reference models keep the measured rate), and Huber
weights (iteratively reweighted) so that one badly modelled reference cannot drag the rest. Bounds are then
re-derived from the new rates and the fit repeated until it settles.

On an asynchronous device (a GPU) the latency is the critical path of a host queue and a device queue
(roofline.critical_path): with the path fixed (host terms up to the op that found the device idle, device
terms from it on) it is linear again, and the path is re-derived from each new fit like the bounds.

Recurrent models are fitted in a second stage, so that they do not distort the shared bandwidth and
overhead terms: the first stage fits everything else on the other references, the second only the
recurrent efficiency and the effective bandwidth of the per-step weight re-reads (the inverse share of the
measured cache-resident copy bandwidth that a batch-1 matrix-vector product per step achieves; one for
LSTMs, one for GRU and plain RNN cells, which PyTorch runs differently on CPUs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from archsel.estimation.roofline import (
    DEFAULT_EFFICIENCY,
    FUSED_KEY,
    DeviceRates,
    OpLike,
    ParallelCurve,
    RecurrentCost,
    cell_cost,
    critical_path,
    device_fixed_cost,
    fixed_cost,
    fused,
    kernel_slowdown,
    launches,
    module_call_starts,
    moved_bytes,
    recurrent_cell,
    streamed_weight_bytes,
    work,
)
from archsel.targets.schema import OP_CLASSES

FITTED_CLASSES: tuple[str, ...] = ("conv", "depthwise_conv", "matmul", "attention", "recurrent", "pooling")
# Inverse shares of the measured weight re-read bandwidth: LSTMs (oneDNN on CPUs: input projections batched
# over all steps) and GRU/RNN cells (ATen's per-step loop) stream their weights differently.
STREAM_UNKNOWN: dict[str, str] = {"lstm": "weights_lstm", "gru": "weights_gru_rnn", "rnn": "weights_gru_rnn"}
UNKNOWNS: tuple[str, ...] = (*FITTED_CLASSES, "bandwidth", "overhead", "fused", "weights_lstm", "weights_gru_rnn")
# fitted on the recurrent references only
RECURRENT_UNKNOWNS: tuple[str, ...] = ("recurrent", "weights_lstm", "weights_gru_rnn")


def nnls(a: object, b: object, max_iter: int = 500) -> object:
    """Lawson–Hanson non-negative least squares: argmin ||a x - b|| subject to x >= 0."""
    import numpy as np

    A = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    n = A.shape[1]
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    w = A.T @ (y - A @ x)
    for _ in range(max_iter):
        if passive.all() or (w[~passive] <= 1e-12).all():
            break
        j = int(np.argmax(np.where(passive, -np.inf, w)))
        passive[j] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(A[:, passive], y, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            mask = passive & (z <= 0)
            alpha = np.min(x[mask] / (x[mask] - z[mask]))
            x = x + alpha * (z - x)
            passive &= x > 1e-15
        w = A.T @ (y - A @ x)
    return x


@dataclass(frozen=True)
class Known:
    """The measured fixed costs the fit does not touch (seconds, byte/s), and how the device dispatches."""

    extra_s: Mapping[str, float] = field(default_factory=dict)  # op class -> added to o; "view": whole cost
    # cell -> per call / per step seconds, and the measured bandwidth its weight re-reads start from
    recurrent: Mapping[str, RecurrentCost] = field(default_factory=dict)
    async_dispatch: bool = False  # host dispatch overlaps device execution (roofline.critical_path)
    kernel_s: float = 0.0  # minimum device time of a kernel
    parallel: Mapping[str, ParallelCurve] = field(default_factory=dict)  # thread slowdown of small kernels
    gemm_efficiency: tuple[tuple[float, float], ...] = ()  # GEMM rate by shape (roofline.gemm_slowdown)

    def fixed_s(self, op: OpLike, batch: int = 1) -> float:
        """The known part of an op's host time (the fitted cost per module call comes on top)."""
        return fixed_cost(op, self.extra_s, 0.0, self.recurrent, batch)

    def device_fixed_s(self, op: OpLike, batch: int = 1) -> float:
        """The known part of an op's device time (kernel minimum, device-side recurrent steps)."""
        return device_fixed_cost(op, self.kernel_s, self.recurrent, batch)


@dataclass
class Sample:
    """One measured forward pass: the traced ops and the measured median seconds."""

    label: str
    ops: Sequence[OpLike]
    measured_s: float
    batch: int = 1
    peak: float | None = None  # MAC/s at the sample's precision (None: the fit's peak)
    bytes_scale: float = 1.0  # bytes per element at the sample's precision / 4 (float32)
    class_peaks: Mapping[str, float] = field(default_factory=dict)  # op class -> MAC/s where not `peak` (TF32)


Terms = tuple[dict[str, float], float]  # coefficients of the unknowns, constant seconds


def op_terms(op: OpLike, new_call: bool, peak: float, bandwidth: float, x: Mapping[str, float],
             batch: int, known: Known, bytes_scale: float = 1.0,
             class_peaks: Mapping[str, float] | None = None) -> tuple[Terms, Terms]:
    """(host, device) terms of one op under the bound implied by `x`: host = known fixed costs + the
    module-call unknown (an op of a fused kernel: the fused per-op unknown instead); device = the compute
    or memory coefficients + known device fixed costs (and the compute time of unfitted classes). An op of a
    class in `class_peaks` is charged against that peak instead of `peak` (fp32 convs at the TF32 rate)."""
    dev: dict[str, float] = {}
    dev_const = known.device_fixed_s(op, batch)
    slow = kernel_slowdown(op, known.parallel, known.gemm_efficiency)  # compute and memory time alike
    mem_coef = slow * moved_bytes(op, batch) * bytes_scale / bandwidth
    stream_coef, stream_key = 0.0, "weights_lstm"
    if op.kind == "recurrent":
        stream_key = STREAM_UNKNOWN[recurrent_cell(getattr(op, "op", ""))]
        cost = cell_cost(op, known.recurrent)
        stream_bw = cost.weight_bandwidth or 2 * bandwidth / x["bandwidth"]
        stream_coef = slow * streamed_weight_bytes(op, batch) * bytes_scale / stream_bw
    mem = mem_coef * x["bandwidth"] + stream_coef * x[stream_key]
    ops_done = work(op)
    fitted = op.kind in FITTED_CLASSES
    coef = slow * ops_done / (class_peaks or {}).get(op.kind, peak)
    compute = coef * (x[op.kind] if fitted else 1.0 / DEFAULT_EFFICIENCY.get(op.kind, 0.1))
    if ops_done and compute >= mem:
        if fitted:
            dev[op.kind] = coef
        else:
            dev_const += compute
    else:
        dev["bandwidth"] = mem_coef
        dev[stream_key] = dev.get(stream_key, 0.0) + stream_coef
    host = {"overhead": 1.0} if new_call else {}
    if fused(op) and launches(op):  # an op of a fused kernel: the fitted per-op cost instead of its class's
        host["fused"] = 1.0
    return (host, known.fixed_s(op, batch)), (dev, dev_const)


def features(ops: Sequence[OpLike], peak: float, bandwidth: float, x: Mapping[str, float],
             batch: int = 1, known: Known = Known(), bytes_scale: float = 1.0,
             class_peaks: Mapping[str, float] | None = None) -> tuple[dict[str, float], float]:
    """Coefficients of each unknown in one model's latency under the bounds implied by `x`, and the
    constant part (known fixed costs, recurrent weight re-reads, compute-bound ops of unfitted classes).
    On an asynchronous device the host terms count up to the critical path's start and the device terms
    from it on (roofline.critical_path, replayed at `x`)."""
    terms = [op_terms(op, new_call, peak, bandwidth, x, batch, known, bytes_scale, class_peaks)
             for op, new_call in zip(ops, module_call_starts(ops), strict=True)]
    first = 0
    if known.async_dispatch and terms:
        def seconds(t: Terms) -> float:
            return t[1] + sum(c * x[k] for k, c in t[0].items())
        first, _ = critical_path([seconds(h) for h, _d in terms], [seconds(d) for _h, d in terms])
    f = dict.fromkeys(UNKNOWNS, 0.0)
    const = 0.0
    for i, (host, dev) in enumerate(terms):
        for part, counts in ((host, not known.async_dispatch or i <= first),
                             (dev, not known.async_dispatch or i >= first)):
            if counts:
                for k, c in part[0].items():
                    f[k] += c
                const += part[1]
    return f, const


def _solve(samples: Sequence[Sample], peak: float, bandwidth: float, x: Mapping[str, float],
           prior: Mapping[str, float], free: Sequence[str], ridge: float, huber: float,
           known: Known) -> dict[str, float]:
    """One bound assignment: robust NNLS for the unknowns in `free`, the others held at `x`."""
    import numpy as np

    a_rows, rhs = [], []
    for s in samples:
        f, const = features(s.ops, s.peak or peak, bandwidth, x, s.batch, known, s.bytes_scale, s.class_peaks)
        fixed = const + sum(f[k] * x[k] for k in UNKNOWNS if k not in free)
        a_rows.append([f[k] / s.measured_s for k in free])
        rhs.append(1.0 - fixed / s.measured_s)
    a, b = np.array(a_rows), np.array(rhs)
    reg_a = np.diag([np.sqrt(ridge) / prior[k] for k in free])
    reg_b = np.full(len(free), np.sqrt(ridge))
    w = np.ones(len(b))
    sol = np.array([prior[k] for k in free])
    for _ in range(4):  # iteratively reweighted: Huber weights on the relative residual
        sol = np.asarray(nnls(np.vstack([a * w[:, None], reg_a]), np.concatenate([b * w, reg_b])))
        resid = np.abs(a @ sol - b)
        w = np.sqrt(np.where(resid <= huber, 1.0, huber / np.maximum(resid, 1e-12)))
    out = dict(x)
    out.update({k: float(v) for k, v in zip(free, sol, strict=True)})
    for k in free:  # a vanished coefficient would mean infinite efficiency: keep a tenth of the prior
        if k != "overhead":
            out[k] = max(out[k], prior[k] * 0.1)
    return out


def fit(samples: Sequence[Sample], peak: float, bandwidth: float, prior: Mapping[str, float], *,
        known: Known = Known(), ridge: float = 0.03, huber: float = 0.25, rounds: int = 6) -> dict[str, float]:
    """Fitted unknowns (see the module docstring), starting from and regularised towards `prior`."""
    x = {k: float(prior[k]) for k in UNKNOWNS}
    recurrent = [s for s in samples if any(op.kind == "recurrent" and op.macs for op in s.ops)]
    others = [s for s in samples if s not in recurrent]
    stages: list[tuple[list[Sample], list[str]]] = []
    if others:
        stages.append((others, [k for k in UNKNOWNS if k not in RECURRENT_UNKNOWNS]))
    if recurrent:
        stages.append((recurrent, list(RECURRENT_UNKNOWNS) if others else list(UNKNOWNS)))
    for group, free in stages:
        for _ in range(rounds):
            new = _solve(group, peak, bandwidth, x, prior, free, ridge, huber, known)
            settled = all(abs(new[k] - x[k]) <= 1e-3 * max(x[k], 1e-12) for k in free)
            x = new
            if settled:
                break
    return x


def predict(ops: Sequence[OpLike], peak: float, bandwidth: float, x: Mapping[str, float],
            batch: int = 1, known: Known = Known(), bytes_scale: float = 1.0,
            class_peaks: Mapping[str, float] | None = None) -> float:
    """Seconds the fitted model gives for `ops` (the same arithmetic as roofline.estimate_ops; `peak`,
    `class_peaks` and `bytes_scale` at the precision: see precision_peaks)."""
    f, const = features(ops, peak, bandwidth, x, batch, known, bytes_scale, class_peaks)
    return const + sum(f[k] * x[k] for k in UNKNOWNS)


def precision_peaks(rates: DeviceRates, precision: str) -> tuple[float | None, dict[str, float]]:
    """The MAC/s a sample at `precision` is fitted against, as rates.mac_rate charges it: the precision's
    peak (tf32: fp32's where none is given; None: no rate), and the classes that run at another peak (fp32
    ops of the runtime's TF32 classes at the tf32 peak)."""
    peaks = rates.peak_macs_per_s
    peak = peaks.get(precision) or (peaks.get("fp32") if precision == "tf32" else None)
    return peak, {c: rates.peak_for(precision, c) for c in FITTED_CLASSES if rates.tf32_for(precision, c)}


def known_from_rates(rates: DeviceRates) -> Known:
    """What a profile's eager rates hold fixed when the fit refits them: each op class's cost per op (the
    profile's overhead_us, or its op_overhead_us entry), views, recurrent cells, dispatch and kernel minimum.
    The fused kernels' per-op cost is left out: it is an unknown of the fit."""
    per_op = {**dict.fromkeys(OP_CLASSES, rates.overhead_s), **rates.op_overhead_s}
    per_op.pop(FUSED_KEY, None)
    return Known(extra_s=per_op, recurrent=rates.recurrent, async_dispatch=rates.async_dispatch,
                 kernel_s=rates.kernel_s, parallel=rates.parallel, gemm_efficiency=rates.gemm_efficiency)


def prior_from_rates(rates: DeviceRates) -> dict[str, float]:
    """The unknowns at a profile's eager rates (a module call starts from a quarter of the per-op cost:
    judgement, PyTorch's nn.Module dispatch is lighter than an op's)."""
    x = {c: 1.0 / rates.efficiency.get(c, DEFAULT_EFFICIENCY.get(c, DEFAULT_EFFICIENCY["other"]))
         for c in FITTED_CLASSES}
    return {**x, "bandwidth": 1.0 / rates.bandwidth_efficiency,
            "overhead": rates.module_call_s or 0.25 * rates.overhead_s,
            "fused": rates.op_overhead_s.get(FUSED_KEY, rates.overhead_s),
            "weights_lstm": 1.0, "weights_gru_rnn": 1.0}

"""Estimated latency of a model on a hardware profile, under one of its runtimes (imports torch only
through counting).

One trace, then the runtime's cost model: eager PyTorch (`pytorch`) per op, max(compute time at the
profile's effective rate for the op class and precision, memory time at effective bandwidth) + per-op
overhead (archsel.estimation.roofline); a compiled runtime per fused layer with its own parameters
(archsel.estimation.engine). Every estimate is labelled "estimated", names its runtime and carries a band
from the measured error of that method on that device and runtime (archsel.estimation.accuracy).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from archsel import precisions
from archsel.errors import UsageError
from archsel.estimation.accuracy import graph_cost_accuracy, method_accuracy, runtime_accuracy, spec_accuracy
from archsel.estimation.engine import EngineRates, estimate_engine
from archsel.estimation.roofline import DeviceRates, Estimate, estimate_ops

if TYPE_CHECKING:
    from archsel.profiling.counting import CountResult
    from archsel.targets.profiles import TargetProfile
    from archsel.targets.runtimes import RuntimeSpec



@dataclass
class LatencyEstimate:
    """One estimated forward pass of `batch` samples on `target` (see the module docstring)."""

    model_id: str | None
    target: str
    target_class: str
    batch: int
    precision: str
    runtime: str
    latency_ms: float
    band_low_ms: float
    band_high_ms: float
    kind: str
    method: str
    accuracy_note: str
    overhead_share: float
    by_class: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def estimation_method(target: TargetProfile) -> str:
    """'calibrated' when the profile's estimator parameters were fitted on the device, 'published' when
    benchmarks/published_fit.py fitted them to published eager measurements of it, else 'defaults'."""
    source = (target.estimator_source or "").lower()
    if source.startswith("fitted by benchmarks/published_fit.py"):
        return "published"
    return "calibrated" if source.startswith("calibrated") else "defaults"


def check_target(target: TargetProfile, precision: str, runtime: str | None = None) -> tuple[str, RuntimeSpec]:
    """The normalised precision and the runtime (None: the device's default); UsageError for `local`, a
    runtime that does not run there, or a precision the device or the runtime cannot estimate."""
    p = precisions.canonical(precision) or precision.strip().lower()
    if target.measured_at_run_time:
        raise UsageError(f"target {target.name!r} is measured, not estimated",
                         hint="use `archsel profile MODEL --target local` to measure on this machine")
    rt = target.runtime(runtime)
    if p not in target.precisions:
        raise UsageError(f"target {target.name!r} does not support precision {precision!r}",
                         hint=f"it supports {', '.join(target.precisions)}")
    if rt.eager and target.peak(p) is None and not (p == "tf32" and target.peak("fp32")) \
            and p not in rt.precision_rates:
        raise UsageError(f"target {target.name!r} has no peak rate for {p!r}, so it cannot be estimated "
                         f"with {rt.name}", hint=f"peaks are given for {', '.join(target.peak_tflops) or 'nothing'}")
    computed = rt.runs(p)
    if computed is not None:
        p = computed  # an fp32 model on an NPU computes in fp16
        rt = rt.for_precision(p)  # the parameters fitted for that precision, where the entry has them
    rated = None if rt.eager else EngineRates.from_profile(target, rt).peak_macs_per_s  # eager: checked above
    if computed is None or (rated is not None and p not in rated):
        runs = [q for q in rt.precisions if rated is None or q in rated]
        raise UsageError(f"runtime {rt.name!r} on {target.name!r} has no peak rate for {p!r}: it runs "
                         f"{', '.join(runs) or 'no precision it has a rate for'} there",
                         hint=_other_runtimes(target, p))
    return p, rt


def _other_runtimes(target: TargetProfile, precision: str) -> str:
    others = [r.name for r in target.runtimes.values() if precision in r.precisions]
    return f"--runtime {' or '.join(others)} runs it" if others else f"no runtime of {target.name} runs it"


def estimate_count(count: CountResult, target: TargetProfile, *, precision: str = "fp32",
                   runtime: str | None = None, threads: int | None = None) -> LatencyEstimate:
    """Estimate the traced forward pass `count` (float32 trace; bytes scale with `precision`) on `target`
    under `runtime` (None: the device's default; `threads`: CPU runtimes' thread count)."""
    p, rt = check_target(target, precision, runtime)
    if count.dtype != "float32":
        raise ValueError(f"estimate_count needs a float32 trace (got {count.dtype}); precision scales the bytes")
    if not rt.eager:
        return _estimate_compiled(count, target, p, rt, threads)
    rates = DeviceRates.from_profile(target, rt.precision_rates, rt.tf32_classes)
    est = estimate_ops(count.ops, rates, p, count.batch)
    tf32 = f"; {rt.tf32_note()}" if any(rates.tf32_for(p, c) for c in rt.tf32_classes) else ""
    method = estimation_method(target)
    acc = runtime_accuracy(target.name, rt.name) if method == "published" else method_accuracy(method)
    total_ms = est.latency_ms
    if acc is not None:
        low, high, note = total_ms * acc.ratio_low, total_ms * acc.ratio_high, acc.note()
    else:
        low, high = total_ms, total_ms
        note = f"{method} method: no measured accuracy found (run benchmarks/estimate_accuracy.py)"
    if method == "defaults":
        note += "; efficiencies are published per-class defaults, not calibrated on this device"
        if acc is not None and target.kind != "cpu":
            note += (f"; that error was measured on CPUs only (no {target.kind.upper()} was available), so expect "
                     f"larger errors here, above all at batch 1 where per-op overhead dominates")
    source = target.estimator_source or "archsel's generic per-class defaults (no estimator_source in profile)"
    return LatencyEstimate(
        model_id=count.model_id, target=target.name, target_class=target.target_class, batch=count.batch,
        precision=p, runtime=rt.name, latency_ms=total_ms, band_low_ms=low, band_high_ms=high, kind="estimated",
        method=f"eager PyTorch: per-op roofline + overhead{tf32}; efficiencies from {source}", accuracy_note=note,
        overhead_share=est.overhead_share, by_class=_by_class(est),
    )


def _by_class(est: Estimate) -> list[dict[str, object]]:
    return [
        {"op_class": c.kind, "ops": c.ops, "macs": c.macs, "bytes": c.bytes, "time_ms": c.total_s * 1e3,
         "share": c.total_s / est.total_s if est.total_s else 0.0, "bound": c.bound,
         "compute_ms": c.compute_s * 1e3, "memory_ms": c.memory_s * 1e3, "overhead_ms": c.overhead_s * 1e3,
         "compute_bound_ops": c.compute_bound_ops, "memory_bound_ops": c.memory_bound_ops}
        for c in est.by_class
    ]


GraphEstimate = tuple[float | None, float, list[dict[str, object]], str]


def _graph_ms(count: CountResult, precision: str, rt: RuntimeSpec, rates: EngineRates) -> GraphEstimate:
    """The graph cost model's estimate (ms) of a zoo model whose runtime entry has one for `precision` (the graph
    ONNX Runtime runs, exported and quantized here: archsel.profiling.deploy.ort_graph), its fixed costs' share,
    its time by node class and what it says; (None, 0, [], why) where it cannot be made: the trace-based
    estimate stands. UsageError (exit 2) where the runtime is not installed."""
    from archsel.estimation.engine import on_chip_share
    from archsel.estimation.graph_cost import GraphFit
    from archsel.profiling.deploy import one_line, require
    from archsel.profiling.deploy.ort_graph import zoo_graph_nodes

    if rt.name != "onnxruntime":
        return None, 0.0, [], f"no graph reader for {rt.name}: estimated from the trace"
    if count.model_id is None:
        return None, 0.0, [], ("a model of your own: estimated from its trace (the graph cost model reads zoo models' "
                           "graphs)")
    require(rt.name)
    fitted = rt.graph_cost or {}
    shape = tuple(count.input_shapes[0]) if count.input_shapes else None
    try:
        nodes = zoo_graph_nodes(count.model_id, count.batch, precision, task=count.task, input_shape=shape)
    except Exception as exc:  # one model that does not export or quantize keeps its trace-based estimate
        return None, 0.0, [], f"its {rt.name} graph could not be built ({one_line(exc)}): estimated from its trace"
    fit = GraphFit(float(fitted["parallel_efficiency"]), {precision: dict(fitted["seconds"])}, precision)
    unfitted = fit.unfitted_classes(nodes, precision)
    if unfitted:
        return None, 0.0, [], (f"its {rt.name} graph has {', '.join(unfitted)} nodes, which no reference model's "
                               "graph had: estimated from its trace")
    on_chip = rates.on_chip_bytes * on_chip_share(rates.unit, rates.cores, rates.threads)
    classes = fit.breakdown(nodes, precision, rates.threads, on_chip)
    total_ms = sum(c["time_ms"] for c in classes)
    fixed_ms = sum(c["overhead_ms"] for c in classes)
    note = (f"the graph {rt.name} runs, costed node by node (exported and, for int8, quantized here: "
            "archsel.estimation.graph_cost)")
    return total_ms, fixed_ms / total_ms if total_ms > 0 else 0.0, classes, note


def _estimate_compiled(count: CountResult, target: TargetProfile, precision: str, rt: RuntimeSpec,
                       threads: int | None) -> LatencyEstimate:
    """A compiled runtime's estimate (archsel.estimation.engine), banded by its measured error on this device;
    where the runtime's entry has a graph cost model for the precision, that model's (_graph_ms)."""
    rates = EngineRates.from_profile(target, rt, threads)
    est = estimate_engine(count.ops, rates, precision, count.batch)
    total_ms = est.latency_ms
    acc = spec_accuracy(target.name, rt)
    model = "fused layers, per-layer roofline + fixed costs"
    overhead_share, by_class, source = est.overhead_share, _by_class(est), rt.source
    conditions = f"; {rt.tf32_note()}" if any(rates.tf32_for(precision, c) for c in rt.tf32_classes) else ""
    if rates.half_efficiency_macs > 0:
        conditions += (f"; GEMM layers of {rates.half_efficiency_macs:.3g} MACs per thread at half efficiency, "
                       "smaller slower")
    if rt.graph_cost:
        graph_ms, graph_fixed, graph_classes, graph_note = _graph_ms(count, precision, rt, rates)
        if graph_ms is None:
            conditions += f"; {graph_note}"
        else:  # broken down by the graph's node classes, not the trace's op classes
            total_ms, overhead_share, by_class, model, conditions = (graph_ms, graph_fixed, graph_classes,
                                                                     graph_note, "")
            graph_accuracy = rt.graph_cost.get("accuracy") or {}
            acc = graph_cost_accuracy(target.name, rt)
            source = (f"fitted by {graph_accuracy.get('measured_by', 'archsel calibrate')} "
                      f"({graph_accuracy.get('date', '?')})")
    if acc is not None:
        low, high, note = total_ms * acc.ratio_low, total_ms * acc.ratio_high, acc.note()
    else:
        low, high = total_ms, total_ms
        note = (f"no measured accuracy for {rt.name} on {target.name} (benchmarks/published_fit.py has no rows "
                f"for it): parameters are {'fitted' if rt.fitted else 'judgement defaults'}; no band")
    threads_text = f", {rates.threads} of {rates.cores} cores" if rt.unit == "cpu" and rates.cores > 1 else ""
    return LatencyEstimate(
        model_id=count.model_id, target=target.name, target_class=target.target_class, batch=count.batch,
        precision=precision, runtime=rt.name, latency_ms=total_ms, band_low_ms=low, band_high_ms=high,
        kind="estimated", method=f"{rt.name} on the {rt.unit}{threads_text}: {model}{conditions}; parameters {source}",
        accuracy_note=note, overhead_share=overhead_share, by_class=by_class,
    )


def estimate_model(model_id: str, target: TargetProfile, *, batch: int = 1, precision: str = "fp32",
                   task: str | None = None, input_shape: tuple[int, ...] | None = None,
                   runtime: str | None = None) -> LatencyEstimate:
    """Count zoo model `model_id` on the meta device, then estimate it on `target` (see estimate_count)."""
    from archsel.profiling.counting import count_model

    p, rt = check_target(target, precision, runtime)  # before the (slower) count
    count = count_model(model_id, task=task, input_shape=input_shape, batch=batch, dtype="float32")
    return estimate_count(count, target, precision=p, runtime=rt.name)


def required_memory_bytes(count: CountResult, precision: str) -> int:
    """Memory the target needs: weights and buffers plus peak activations, at `precision`'s element size."""
    scale = precisions.get(precision).bytes_scale
    return int((count.param_bytes + count.buffer_bytes + count.peak_activation_bytes) * scale)

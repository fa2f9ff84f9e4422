"""Estimated latency of a model on a hardware profile (imports torch only through counting).

Per op: max(compute time at the profile's effective rate for the op class and precision, memory time at
effective bandwidth) + per-op overhead, summed over the traced graph (archsel.estimation.roofline). Every
estimate is labelled "estimated" and carries a band from the method's measured held-out error
(archsel.estimation.accuracy).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from archsel import precisions
from archsel.errors import UsageError
from archsel.estimation.accuracy import method_accuracy
from archsel.estimation.roofline import DeviceRates, estimate_ops

if TYPE_CHECKING:
    from archsel.profiling.counting import CountResult
    from archsel.targets.profiles import TargetProfile



@dataclass
class LatencyEstimate:
    """One estimated forward pass of `batch` samples on `target` (see the module docstring)."""

    model_id: str | None
    target: str
    target_class: str
    batch: int
    precision: str
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
    """'calibrated' when the profile's estimator parameters were fitted on the device, else 'defaults'."""
    source = (target.estimator_source or "").lower()
    return "calibrated" if source.startswith("calibrated") else "defaults"


def check_target(target: TargetProfile, precision: str) -> str:
    """The normalised precision; UsageError for `local` or a precision the profile cannot estimate."""
    p = precisions.canonical(precision) or precision.strip().lower()
    if target.measured_at_run_time:
        raise UsageError(f"target {target.name!r} is measured, not estimated",
                         hint="use `archsel profile MODEL --target local` to measure on this machine")
    if p not in target.precisions:
        raise UsageError(f"target {target.name!r} does not support precision {precision!r}",
                         hint=f"it supports {', '.join(target.precisions)}")
    if target.peak(p) is None and not (p == "tf32" and target.peak("fp32")):
        raise UsageError(f"target {target.name!r} has no peak rate for {p!r}, so it cannot be estimated",
                         hint=f"peaks are given for {', '.join(target.peak_tflops) or 'nothing'}")
    return p


def estimate_count(count: CountResult, target: TargetProfile, *, precision: str = "fp32") -> LatencyEstimate:
    """Estimate the traced forward pass `count` (float32 trace; bytes scale with `precision`) on `target`."""
    p = check_target(target, precision)
    if count.dtype != "float32":
        raise ValueError(f"estimate_count needs a float32 trace (got {count.dtype}); precision scales the bytes")
    rates = DeviceRates.from_profile(target)
    est = estimate_ops(count.ops, rates, p, count.batch)
    method = estimation_method(target)
    acc = method_accuracy(method)
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
    by_class: list[dict[str, object]] = [
        {"op_class": c.kind, "ops": c.ops, "macs": c.macs, "bytes": c.bytes, "time_ms": c.total_s * 1e3,
         "share": c.total_s / est.total_s if est.total_s else 0.0, "bound": c.bound,
         "compute_ms": c.compute_s * 1e3, "memory_ms": c.memory_s * 1e3, "overhead_ms": c.overhead_s * 1e3,
         "compute_bound_ops": c.compute_bound_ops, "memory_bound_ops": c.memory_bound_ops}
        for c in est.by_class
    ]
    return LatencyEstimate(
        model_id=count.model_id, target=target.name, target_class=target.target_class, batch=count.batch,
        precision=p, latency_ms=total_ms, band_low_ms=low, band_high_ms=high, kind="estimated",
        method=f"per-op roofline + overhead; efficiencies from {source}", accuracy_note=note,
        overhead_share=est.overhead_share, by_class=by_class,
    )


def estimate_model(model_id: str, target: TargetProfile, *, batch: int = 1, precision: str = "fp32",
                   task: str | None = None, input_shape: tuple[int, ...] | None = None) -> LatencyEstimate:
    """Count zoo model `model_id` on the meta device, then estimate it on `target` (see estimate_count)."""
    from archsel.profiling.counting import count_model

    p = check_target(target, precision)  # before the (slower) count
    count = count_model(model_id, task=task, input_shape=input_shape, batch=batch, dtype="float32")
    return estimate_count(count, target, precision=p)


def required_memory_bytes(count: CountResult, precision: str) -> int:
    """Memory the target needs: weights and buffers plus peak activations, at `precision`'s element size."""
    scale = precisions.get(precision).bytes_scale
    return int((count.param_bytes + count.buffer_bytes + count.peak_activation_bytes) * scale)

"""The cost of one candidate: its count (cached), and its latency estimated on a profile or measured here.

Counts are cached in the profile ResultCache ($ARCHSEL_CACHE_DIR) per (model, task, input shapes, batch,
float32 trace, builder, archsel/torch/torchvision versions) with the full op list, so a warm query
estimates every candidate without importing torch. Measured latencies go through archsel.profiling.profiler,
which caches them per device fingerprint.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from archsel import __version__

if TYPE_CHECKING:
    from archsel.profiling.cache import ResultCache
    from archsel.profiling.counting import CountResult
    from archsel.targets.profiles import TargetProfile
    from archsel.zoo.spec import ModelEntry

COUNT_CACHE_FORMAT = 5
MEASURE_BUDGET_S = 5.0  # per candidate and precision, when measuring on this machine


@dataclass
class Latency:
    """One forward pass of the batch: estimated on a profile or measured on this machine."""

    kind: str  # "estimated" | "measured"
    precision: str
    p50_ms: float  # estimate: the point estimate; measured: the median
    p90_ms: float  # estimate: the band's high end (see `at`); measured: p90
    p99_ms: float
    band_low_ms: float  # estimate: band from the method's held-out error; measured: fastest sample
    band_high_ms: float  # estimate: band high end; measured: slowest sample
    device: str  # profile name, or "this machine (<cpu>)"
    method: str
    accuracy_note: str
    detail: dict[str, Any] = field(default_factory=dict)

    def at(self, stat: str) -> float:
        """The latency the budget is checked on: p50, p90 or p99 (for an estimate, p90/p99 = band high)."""
        return {"p50": self.p50_ms, "p90": self.p90_ms, "p99": self.p99_ms}[stat]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Cost:
    """Counted size and the latency of one model at one precision and batch."""

    model_id: str
    precision: str
    batch: int
    input_shapes: list[list[int]]
    macs: int
    params: int
    param_bytes: int
    buffer_bytes: int
    activation_bytes: int
    memory_bytes: int  # weights + buffers + peak activations at `precision` (required_memory_bytes)
    count_path: str  # "meta" | "cpu"
    latency: Latency | None
    notes: list[str] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        """The JSON `metrics` object (sizes; latency is reported on its own)."""
        return {
            "precision": self.precision,
            "batch": self.batch,
            "input_shapes": self.input_shapes,
            "macs": self.macs,
            "flops": 2 * self.macs,
            "params": self.params,
            "param_bytes": self.param_bytes,
            "buffer_bytes": self.buffer_bytes,
            "activation_bytes": self.activation_bytes,
            "memory_bytes": self.memory_bytes,
            "count_path": self.count_path,
        }


# ------------------------------------------------------------------------------------------ counting


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"archsel": __version__}
    for dist in ("torch", "torchvision"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "absent"
    return out


def zoo_input_shapes(entry: ModelEntry, task: str, batch: int) -> list[list[int]]:
    """The shapes count_model uses for `entry` at `batch` (data-dependent models: their small input)."""
    spec = entry.inputs[task]
    if entry.data_dependent:
        spec = entry.small_input.get(task, spec)
    return [[batch, *t.shape] for t in spec.tensors]


def count_key(entry: ModelEntry, task: str, batch: int) -> dict[str, Any]:
    """The cache key of a zoo model's float32 count: everything the count depends on."""
    return {
        "kind": "advice-count",
        "format": COUNT_CACHE_FORMAT,
        "model_id": entry.id,
        "task": task,
        "input_shapes": zoo_input_shapes(entry, task, batch),
        "batch": batch,
        "dtype": "float32",
        "counter": "meta",
        "builder": entry.builder,
        "builder_kwargs": json.loads(json.dumps(entry.builder_kwargs, sort_keys=True, default=str)),
        "versions": _versions(),
    }


def count_to_cache(count: CountResult) -> dict[str, Any]:
    """A CountResult as a cache entry (ops as one compact JSON string)."""
    data = {k: v for k, v in asdict(count).items() if k not in ("ops", "module_params")}
    data["ops_json"] = json.dumps([[o.op, o.kind, o.module, o.macs, o.bytes_read, o.bytes_written, o.counted, o.steps,
                                    o.state_weights, o.fused, o.gemm_min_dim]
                                   for o in count.ops], separators=(",", ":"))
    return data


def count_from_cache(data: dict[str, Any]) -> CountResult:
    """The CountResult stored by count_to_cache (per-module parameter totals are not kept)."""
    from archsel.profiling.counting import CountResult, OpRecord

    fields = {k: v for k, v in data.items() if k != "ops_json"}
    ops = [OpRecord(*row) for row in json.loads(data["ops_json"])]
    return CountResult(**fields, ops=ops)


def cached_count(entry: ModelEntry, task: str, batch: int, cache: ResultCache | None) -> tuple[CountResult, bool]:
    """The float32 count of a zoo model (from the cache when there); returns (count, was_cached)."""
    key = count_key(entry, task, batch)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            try:
                return count_from_cache(hit), True
            except (KeyError, TypeError, ValueError):
                pass  # an entry of another shape: recount and overwrite
    from archsel.profiling.counting import count_model

    count = count_model(entry.id, task=task, batch=batch, dtype="float32")
    if cache is not None:
        cache.put(key, count_to_cache(count))
    return count, False


# ------------------------------------------------------------------------------------------ latency


def estimated(count: CountResult, target: TargetProfile, precision: str) -> Latency:
    """Estimate `count` on `target` at `precision` (archsel.estimation.estimate)."""
    from archsel.estimation.estimate import estimate_count

    est = estimate_count(count, target, precision=precision)
    return Latency(
        kind="estimated", precision=est.precision, p50_ms=est.latency_ms, p90_ms=est.band_high_ms,
        p99_ms=est.band_high_ms, band_low_ms=est.band_low_ms, band_high_ms=est.band_high_ms,
        device=target.name, method=est.method, accuracy_note=est.accuracy_note,
        detail={"overhead_share": round(est.overhead_share, 6)},
    )


def measured_zoo(entry: ModelEntry, task: str, batch: int, precision: str, budget_s: float) -> Latency:
    """Measure a zoo model here (CPU) through archsel.profiling.profiler (cached per device fingerprint)."""
    from archsel.profiling.profiler import ProfileOptions, profile

    options = ProfileOptions(task=task, batches=(batch,), dtypes=(precision,), device="cpu",
                             time_budget_s=budget_s, measure=True, use_cache=True)
    record = profile([entry.id], options, log=lambda _msg: None)[0]
    if record["status"] != "ok" or not record.get("latency"):
        raise RuntimeError(f"measuring failed ({record.get('failure_kind')}): {record.get('error')}")
    return _from_stats(record["latency"], record["conditions"], precision)


def _from_stats(lat: dict[str, Any], conditions: dict[str, Any], precision: str) -> Latency:
    device = f"this machine ({conditions.get('device_name', 'cpu')})"
    detail = {k: lat.get(k) for k in ("samples", "iterations", "stop_reason", "threads", "torch_version",
                                      "mean_ms", "std_ms", "time_budget_s")}
    return Latency(
        kind="measured", precision=precision, p50_ms=lat["p50_ms"], p90_ms=lat["p90_ms"], p99_ms=lat["p99_ms"],
        band_low_ms=lat["min_ms"], band_high_ms=lat["max_ms"], device=device, method=lat["method"],
        accuracy_note=f"{lat['samples']} samples, stopped: {lat['stop_reason']}", detail=detail,
    )


def measured_module(module: Any, inputs: tuple[Any, ...], batch: int, budget_s: float) -> Latency:
    """Measure a user's module (fp32, CPU) with archsel.profiling.timing (not cached: user code changes)."""
    import torch

    from archsel.profiling.cache import _cpu_model
    from archsel.profiling.timing import TimingConfig, measure_latency

    with torch.inference_mode():
        stats = measure_latency(lambda: module(*inputs), config=TimingConfig(time_budget_s=budget_s),
                                device="cpu", batch=batch, dtype="fp32")
    return _from_stats(stats.to_dict(), {"device_name": _cpu_model()}, "fp32")


def make_cost(model_id: str, count: CountResult, precision: str, latency: Latency | None) -> Cost:
    """A Cost from a float32 count at `precision` (memory scaled to the precision's element size)."""
    from archsel.estimation.estimate import required_memory_bytes

    return Cost(
        model_id=model_id, precision=precision, batch=count.batch, input_shapes=count.input_shapes,
        macs=count.macs, params=count.params, param_bytes=count.param_bytes, buffer_bytes=count.buffer_bytes,
        activation_bytes=count.peak_activation_bytes, memory_bytes=required_memory_bytes(count, precision),
        count_path=count.path, latency=latency,
    )

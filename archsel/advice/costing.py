"""The cost of one model, whatever the command: its count, and its latency estimated on a profile or measured.

`cost(item, precision, target, measured=...)` is the one function every command costs a model with
(recommend and compare for each candidate, check for the user's model, profile --target for each
zoo model). An Item says how to count its model and how to measure it here: `zoo_item` for a zoo model
(count cached in the ResultCache, measured through archsel.profiling.profiler, which caches per device
fingerprint), `user_item` for a user's factory (counted on the meta device when it can be; measured by
rebuilding it with real weights; never cached, since user code changes).

Counts are cached per (model, task, input shapes, batch, float32 trace, builder, archsel/torch/torchvision
versions) with the full op list, so a warm query estimates every candidate without importing torch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from archsel import __version__
from archsel.targets.runtimes import EAGER

if TYPE_CHECKING:
    from archsel.isolation import ChildLimits
    from archsel.profiling.cache import ResultCache
    from archsel.profiling.counting import CountResult
    from archsel.targets.profiles import TargetProfile
    from archsel.targets.runtimes import RuntimeSpec
    from archsel.usermodel import UserModel
    from archsel.zoo.spec import ModelEntry

COUNT_CACHE_FORMAT = 7
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
    runtime: str  # the runtime the latency is for (measured here: eager "pytorch")
    method: str
    accuracy_note: str
    detail: dict[str, Any] = field(default_factory=dict)  # estimate: overhead share; measured: the run's figures
    breakdown: list[dict[str, Any]] = field(default_factory=list)  # estimate: time per op class
    notes: list[str] = field(default_factory=list)  # measured: what preparing the precision did

    def at(self, stat: str) -> float:
        """The latency at p50, p90 or p99 (for an estimate, p90/p99 = the band's high end)."""
        return {"p50": self.p50_ms, "p90": self.p90_ms, "p99": self.p99_ms}[stat]


@dataclass
class Cost:
    """Counted size and the latency of one model at one precision and batch."""

    model_id: str
    task: str | None
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
    latency: Latency | None  # None: not evaluated (no target, or the target cannot run the precision)
    runtime: str | None = None  # the target's runtime the cost is judged for (None without a target)

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


@dataclass
class Item:
    """A model to cost: how to count it (float32 trace, done once) and how to measure it at a precision."""

    model_id: str
    count_fn: Callable[[], CountResult]
    # (precision, time budget in s, runtime, threads) -> latency measured here
    measure_fn: Callable[[str, float, str, int | None], Latency]
    user: bool = False
    _count: CountResult | None = field(default=None, repr=False)

    def count(self) -> CountResult:
        if self._count is None:
            self._count = self.count_fn()
        return self._count


# ------------------------------------------------------------------------------------------ counting


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    return {"archsel": __version__, **{dist: _installed_version(dist) for dist in ("torch", "torchvision")}}


def _installed_version(dist: str) -> str:
    """The installed version of `dist` without importing it: from the `DIST-VERSION.dist-info` folder beside
    the package (a glob, ~1 ms), else importlib.metadata (which searches every path entry, ~20 ms)."""
    import importlib.util
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    spec = importlib.util.find_spec(dist)
    if spec is not None and spec.origin:
        found = list(Path(spec.origin).parent.parent.glob(f"{dist}-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len(dist) + 1: -len(".dist-info")]
    try:
        return version(dist)
    except PackageNotFoundError:
        return "absent"


def zoo_input_shapes(entry: ModelEntry, task: str, batch: int) -> list[list[int]]:
    """The shapes count_model uses for `entry` at `batch` (data-dependent models: their small input)."""
    spec = entry.inputs[task]
    if entry.data_dependent:
        spec = entry.small_input.get(task, spec)
    return [[batch, *t.shape] for t in spec.tensors]


def count_key(entry: ModelEntry, task: str, batch: int) -> dict[str, Any]:
    """The cache key of a zoo model's float32 count: everything the count depends on."""
    from archsel.zoo.registry import model_key

    return {
        "kind": "advice-count",
        "format": COUNT_CACHE_FORMAT,
        **model_key(entry, task),
        "input_shapes": zoo_input_shapes(entry, task, batch),
        "batch": batch,
        "dtype": "float32",
        "counter": "meta",
        "versions": _versions(),
    }


def count_to_cache(count: CountResult) -> dict[str, Any]:
    """A CountResult as a cache entry (ops as one compact JSON string)."""
    data = {k: v for k, v in asdict(count).items() if k not in ("ops", "module_params")}
    data["ops_json"] = json.dumps([[o.op, o.kind, o.module, o.macs, o.bytes_read, o.bytes_written, o.counted, o.steps,
                                    o.state_weights, o.fused, o.gemm_min_dim, o.window]
                                   for o in count.ops], separators=(",", ":"))
    return data


def count_from_cache(data: dict[str, Any]) -> CountResult:
    """The CountResult stored by count_to_cache (per-module parameter totals are not kept); a ValueError when
    a field is missing, extra, or of the wrong type or range (archsel.profiling.cache.check_fields)."""
    from archsel.profiling.cache import check_fields, check_rows, field_hints
    from archsel.profiling.counting import CountResult, OpRecord

    hints = {k: h for k, h in field_hints(CountResult).items() if k not in ("ops", "module_params")}
    check_fields(data, {**hints, "ops_json": str}, what="count")
    if set(data) != {*hints, "ops_json"}:
        raise ValueError("count: other fields than a count's")
    rows = json.loads(data["ops_json"])
    check_rows(rows, list(field_hints(OpRecord).values()), what="count: ops_json")
    fields = {k: v for k, v in data.items() if k != "ops_json"}
    return CountResult(**fields, ops=[OpRecord(*row) for row in rows])


# Counts and estimates already made in this process (a query file's queries share candidates and targets):
# a zoo model's count by (model, task, batch); an estimate by the identity of its count and target objects.
_COUNTS: dict[tuple[str, str, int], CountResult] = {}
_ESTIMATES: dict[tuple[int, int, str, str | None, int | None], tuple[CountResult, TargetProfile, Latency]] = {}


def cached_count(entry: ModelEntry, task: str, batch: int, cache: ResultCache | None) -> tuple[CountResult, bool]:
    """The float32 count of a zoo model (from this process or the cache when there); returns (count,
    was_cached)."""
    made = _COUNTS.get((entry.id, task, batch))
    if made is not None:
        return made, True
    key = count_key(entry, task, batch)
    count: CountResult | None = None
    if cache is not None:
        def decode(data: dict[str, Any]) -> CountResult:
            got = count_from_cache(data)
            if (got.model_id, got.task, got.batch, got.dtype) != (entry.id, task, batch, "float32"):
                raise ValueError("count: of another model, task, batch or dtype than its key")
            return got

        count = cache.get_valid(key, decode)  # an entry it cannot use: removed, recounted and replaced below
    was_cached = count is not None
    if count is None:
        from archsel.profiling.counting import count_model

        count = count_model(entry.id, task=task, batch=batch, dtype="float32")
        if cache is not None:
            cache.put(key, count_to_cache(count))
    _COUNTS[(entry.id, task, batch)] = count
    return count, was_cached


# ------------------------------------------------------------------------------------------ items


def zoo_item(model_id: str, task: str | None, batch: int, cache: ResultCache | None,
             input_shape: tuple[int, ...] | None = None) -> Item:
    """A zoo model at `batch` (its first input's shape overridden by `input_shape`, which is never cached)."""
    from archsel.zoo.registry import get_model_entry, resolve_task

    entry = get_model_entry(model_id)
    resolved = resolve_task(entry, task)

    def count() -> CountResult:
        if input_shape is None:
            return cached_count(entry, resolved, batch, cache)[0]
        from archsel.profiling.counting import count_model

        return count_model(entry.id, task=resolved, input_shape=input_shape, batch=batch, dtype="float32")

    def measure(precision: str, budget_s: float, runtime: str, threads: int | None) -> Latency:
        return measured_zoo(entry, resolved, batch, precision, budget_s, runtime, threads)

    return Item(entry.id, count, measure)


def user_item(spec: str, input_text: str, kwargs: dict[str, Any], device: str = "cpu",
              limits: ChildLimits | None = None) -> tuple[Item, UserModel]:
    """The user's model, built and counted now in a child process (archsel.isolation, bounded by `limits`):
    UsageError / UserCodeError surface here, and a child that hung, exited or crashed is a UserCodeError
    saying so. Measured on `device` in a child process too; the model itself never enters this process."""
    from archsel.isolation import ChildLimits

    bounds = limits or ChildLimits()
    user, count = _in_child(spec, "count", "archsel.usermodel:counted_user_model", (spec, input_text, kwargs), bounds)

    def measure(precision: str, budget_s: float, runtime: str, threads: int | None) -> Latency:
        latency: Latency = _in_child(spec, "measure", "archsel.advice.costing:measure_user_model",
                                     (user, device, precision, budget_s, runtime, threads), bounds)
        return latency

    return Item(spec, lambda: count, measure, user=True), user


def _in_child(spec: str, stage: str, target: str, args: tuple[Any, ...], limits: ChildLimits) -> Any:
    """run_isolated, with a child that ended reported as the user's code's doing (a UserCodeError)."""
    from archsel.isolation import ChildEnded, ChildRaised, run_isolated
    from archsel.usermodel import UserCodeError

    try:
        return run_isolated(target, args, limits=limits)
    except ChildEnded as exc:
        raise UserCodeError.rebuilt(spec, stage, exc.kind.capitalize(), exc.detail, ended=True) from None
    except ChildRaised as exc:  # not the user's code: archsel's own (e.g. a forward that runs but cannot be traced)
        raise RuntimeError(str(exc)) from None


def measure_user_model(user: UserModel, device: str, precision: str, budget_s: float, runtime: str,
                       threads: int | None) -> Latency:
    """Build the user's model with real weights on `device` and measure it (runs in archsel.isolation's child)."""
    from archsel.usermodel import load_user_model, user_code

    real = load_user_model(user.spec, user.input_text, device=device, kwargs=user.kwargs, check_forward=True)
    assert real.module is not None
    with user_code():
        return measure_module(real.module, real.inputs, real.batch, precision, device, budget_s, runtime, threads)


# ------------------------------------------------------------------------------------------ latency


def estimate_latency(count: CountResult, target: TargetProfile, precision: str, runtime: str | None = None,
                     threads: int | None = None) -> Latency:
    """Estimate `count` on `target` at `precision` under `runtime` (archsel.estimation.estimate); made once
    per process for the same count, target and conditions (each caller gets its own shallow copy: nothing
    changes an estimate's lists after it is made)."""
    key = (id(count), id(target), precision, runtime, threads)
    made = _ESTIMATES.get(key)
    if made is None:
        from archsel.estimation.estimate import estimate_count

        est = estimate_count(count, target, precision=precision, runtime=runtime, threads=threads)
        latency = Latency(
            kind="estimated", precision=est.precision, p50_ms=est.latency_ms, p90_ms=est.band_high_ms,
            p99_ms=est.band_high_ms, band_low_ms=est.band_low_ms, band_high_ms=est.band_high_ms,
            device=target.name, runtime=est.runtime, method=est.method, accuracy_note=est.accuracy_note,
            detail={"overhead_share": round(est.overhead_share, 6)}, breakdown=list(est.by_class),
        )
        made = _ESTIMATES[key] = (count, target, latency)  # holding both keeps their ids from being reused
    return replace(made[2])


def measured_zoo(entry: ModelEntry, task: str, batch: int, precision: str, budget_s: float,
                 runtime: str = EAGER, threads: int | None = None) -> Latency:
    """Measure a zoo model here (CPU) under `runtime` through archsel.profiling.profiler (cached per device
    fingerprint and runtime version)."""
    from archsel.profiling.profiler import ProfileOptions, profile

    options = ProfileOptions(task=task, batches=(batch,), dtypes=(precision,), device="cpu", threads=threads,
                             time_budget_s=budget_s, measure=True, use_cache=True, runtime=runtime)
    record = profile([entry.id], options)[0]
    if record["status"] != "ok" or not record.get("latency"):
        raise RuntimeError(f"measuring failed ({record.get('failure_kind')}): {record.get('error')}")
    return measured_latency(record["latency"], record["conditions"], precision, record.get("notes") or [],
                            record.get("int8"))


RUNTIME_CONDITIONS = ("runtime_version", "runtime_device", "graph_optimization", "inference_precision", "exporter")


def measured_latency(stats: dict[str, Any], conditions: dict[str, Any], precision: str, notes: list[str],
                     int8: dict[str, Any] | None = None) -> Latency:
    """A Latency from a measurement's statistics (archsel.profiling.timing.LatencyStats.to_dict) and the
    conditions it ran under (device_name, runtime and the runtime's own)."""
    device_name = conditions.get("device_name", "cpu")
    runtime = conditions.get("runtime", EAGER)
    detail = {k: v for k, v in stats.items() if k not in ("measured", "dtype", "device")}
    detail["device_name"] = device_name
    detail.update({k: conditions[k] for k in RUNTIME_CONDITIONS if conditions.get(k) is not None})
    if int8:
        detail["int8"] = int8
    return Latency(
        kind="measured", precision=precision, p50_ms=stats["p50_ms"], p90_ms=stats["p90_ms"], p99_ms=stats["p99_ms"],
        band_low_ms=stats["min_ms"], band_high_ms=stats["max_ms"], device=f"this machine ({device_name})",
        runtime=runtime, method=stats["method"],
        accuracy_note=f"{stats['samples']} samples, stopped: {stats['stop_reason']}",
        detail=detail, notes=list(notes),
    )


def measure_module(module: Any, inputs: tuple[Any, ...], batch: int, precision: str, device: str,
                   budget_s: float, runtime: str = EAGER, threads: int | None = None) -> Latency:
    """Measure a module here at `precision` on `device` under `runtime` (eager: archsel.profiling.precision;
    a deployment runtime: archsel.profiling.deploy); never cached."""
    import torch

    from archsel.profiling.precision import prepare
    from archsel.profiling.profiler import device_name, threads_set
    from archsel.profiling.timing import TimingConfig, measure_latency

    config = TimingConfig(time_budget_s=budget_s)
    conditions = {"device_name": device_name(device), "runtime": runtime}
    with threads_set(threads):
        if runtime != EAGER:
            from archsel.profiling.deploy.measure import deployed
            from archsel.zoo.inputs import regenerate

            with deployed(module, inputs, lambda seed: regenerate(inputs, seed), model_key=None, runtime=runtime,
                          precision=precision, threads=threads or torch.get_num_threads(), batch=batch) as runner:
                stats = measure_latency(runner.call, config=config, device="cpu", batch=batch, dtype=precision)
            return measured_latency(stats.to_dict(), {**conditions, **runner.conditions}, precision, runner.notes,
                                    runner.int8)
        prepared = prepare(module, inputs, dtype=precision, device=device)
        with torch.inference_mode():
            stats = measure_latency(lambda: prepared.model(*prepared.inputs), config=config, device=device,
                                    batch=batch, dtype=prepared.dtype)
    return measured_latency(stats.to_dict(), conditions, prepared.dtype, prepared.notes)


# ------------------------------------------------------------------------------------------ the cost


def measured_runtime(rt: RuntimeSpec | None) -> str:
    """The runtime a measurement here runs: the target's runtime where it runs on this machine, else eager."""
    from archsel.profiling.deploy import MEASURED_RUNTIMES

    return rt.name if rt is not None and rt.name in MEASURED_RUNTIMES else EAGER


def cost(item: Item, precision: str, target: TargetProfile | None, *, measured: bool,
         runtime: str | None = None, threads: int | None = None, budget_s: float = MEASURE_BUDGET_S) -> Cost:
    """Count `item` (once) and take its latency at `precision`: measured here when `measured`, else
    estimated on `target` under `runtime` (None: the target's default); none without a target or where the
    target's runtime cannot run `precision`."""
    from archsel.estimation.estimate import required_memory_bytes

    count = item.count()
    latency: Latency | None = None
    rt = target.runtime(runtime) if target is not None else None
    if rt is None or rt.runs(precision) is not None:
        if measured:
            latency = item.measure_fn(precision, budget_s, measured_runtime(rt), threads)
        elif target is not None:
            latency = estimate_latency(count, target, precision, rt.name if rt else None, threads)
    return Cost(
        model_id=item.model_id, task=count.task, precision=precision, batch=count.batch,
        input_shapes=count.input_shapes, macs=count.macs, params=count.params, param_bytes=count.param_bytes,
        buffer_bytes=count.buffer_bytes, activation_bytes=count.peak_activation_bytes,
        memory_bytes=required_memory_bytes(count, precision), count_path=count.path, latency=latency,
        runtime=rt.name if rt is not None else None,
    )


def estimate_zoo(model_ids: list[str], target: TargetProfile, *, task: str | None,
                 input_shape: tuple[int, ...] | None, batches: tuple[int, ...], precisions: tuple[str, ...],
                 runtime: str | None = None, threads: int | None = None) -> list[Cost]:
    """`profile --target`: every model × precision × batch estimated on `target` under `runtime` (nothing
    measured or cached). A precision the target's runtime cannot estimate is a UsageError before counting."""
    from archsel.estimation.estimate import check_target

    checked = [check_target(target, p, runtime) for p in precisions]
    items = {(m, b): zoo_item(m, task, b, None, input_shape) for m in model_ids for b in batches}  # one count each
    return [cost(items[m, b], p, target, measured=False, runtime=rt.name, threads=threads)
            for m in model_ids for p, rt in checked for b in batches]

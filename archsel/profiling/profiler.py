"""Profile zoo models over batches × dtypes on one device: counts, measured latency, memory, cache.

Each (model, dtype, batch) gives one JSON-ready record. A failure — an exception, out of memory, a
model too slow for its time budget, an unsupported precision — becomes a record with status "failed",
its `failure_kind` and `error`, keeping whatever parts succeeded; the other models go on. Only
successful records are cached. The time budget applies to measuring each (model, dtype, batch); model
building and counting are not bounded by it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from archsel import __version__, precisions
from archsel.errors import ArchselError, UsageError, unknown
from archsel.profiling.cache import ResultCache, device_fingerprint
from archsel.profiling.deploy import EAGER
from archsel.profiling.precision import UnsupportedPrecision, normalize_dtype

if TYPE_CHECKING:
    from archsel.zoo.spec import InputSpec, ModelEntry

CROSS_CHECK_TOLERANCE = 0.01
Log = Callable[[str], None]


@dataclass(frozen=True)
class ProfileOptions:
    """Everything that defines a profile run (and, with the device fingerprint, its cache key)."""

    task: str | None = None
    input_shape: tuple[int, ...] | None = None
    batches: tuple[int, ...] | None = None  # None: (1,), or the batch the input shape names
    dtypes: tuple[str, ...] = ("fp32",)
    device: str = "cpu"
    threads: int | None = None
    channels_last: bool = False
    compile: bool = False
    time_budget_s: float = 10.0
    counter: str = "meta"
    cross_check: bool = False
    by_module: bool = False
    measure: bool = True
    use_cache: bool = True
    runtime: str = EAGER  # what measures: eager PyTorch, or a deployment runtime (archsel.profiling.deploy)


def runtime_version(runtime: str) -> str:
    """The version of the runtime that measures (torch's for eager PyTorch)."""
    if runtime == EAGER:
        import torch

        return str(torch.__version__)
    from archsel.profiling.deploy import backend

    return backend(runtime).version()


def check_runtime(runtime: str, device: str, *, channels_last: bool = False, compile: bool = False) -> str:
    """The runtime to measure with, checked against the other options (UsageError: exit 2)."""
    from archsel.profiling.deploy import require
    from archsel.targets.runtimes import canonical_runtime

    name = canonical_runtime(runtime)
    require(name)
    if name != EAGER:
        if device != "cpu":
            raise UsageError(f"--runtime {name} measures on the CPU here, not on {device}",
                             hint="use --device cpu, or --runtime pytorch on the GPU")
        if channels_last or compile:
            raise UsageError(f"--channels-last and --compile are eager PyTorch options, not {name}'s")
    return name


def resolve_device(device: str) -> str:
    """'cpu', 'cuda' or 'cuda:N'; CUDA without a CUDA device is a UsageError (exit 2)."""
    name = device.strip().lower()
    if name == "gpu":
        name = "cuda"
    if name != "cpu" and not (name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit())):
        raise unknown("device", device, ("cpu", "cuda"))
    if name.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise UsageError(f"--device {device}: no CUDA device is available to torch {torch.__version__}",
                             hint="use --device cpu")
        index = int(name[5:]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise UsageError(f"--device {device}: only {torch.cuda.device_count()} CUDA device(s)")
    return name


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return str(torch.cuda.get_device_name(torch.device(device)))
    from archsel.machine import cpu_model

    return cpu_model()


def resolve_input(entry: ModelEntry, task: str,
                  shape: tuple[int, ...] | None) -> tuple[InputSpec, int | None]:
    """The input spec for `task`, with the first tensor's shape overridden; and the batch the shape named."""
    from archsel.zoo.inputs import override_shape

    spec = entry.input_for(task)
    if shape is None:  # data-dependent entries (detection) are profiled at their small input, as counted
        return (entry.small_input.get(task, spec) if entry.data_dependent else spec), None
    return override_shape(spec, shape)


def classify_failure(exc: BaseException) -> tuple[str, str]:
    """(failure_kind, one-line reason) for an exception raised while profiling one model."""
    from archsel.profiling.timing import TimeBudgetExceeded

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    reason = f"{type(exc).__name__}: {text}"[:500]
    from archsel.profiling.deploy.export import ExportFailed

    if isinstance(exc, TimeBudgetExceeded):
        return "time_budget", text
    if isinstance(exc, ExportFailed):
        return "export", text
    if isinstance(exc, UnsupportedPrecision):
        return "unsupported", text
    if isinstance(exc, ArchselError):
        return "usage", str(exc)
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return "out_of_memory", reason
    if isinstance(exc, (RuntimeError, NotImplementedError)) and (
            "not implemented for" in text or "Unsupported" in text or "no kernel" in text.lower()):
        return "unsupported", reason
    return "error", reason


def _count_fields(count: Any) -> dict[str, Any]:
    return {
        "counter": count.counter,
        "count_path": count.path,
        "macs": count.macs,
        "flops": count.flops,
        "params": count.params,
        "param_bytes": count.param_bytes,
        "buffer_bytes": count.buffer_bytes,
        "peak_activation_bytes": count.peak_activation_bytes,
        "uncounted_ops": dict(sorted(count.uncounted_ops.items())),
        "zero_mac_modules": list(count.zero_mac_modules),
        "count_seconds": count.seconds,
    }


_EMPTY_COUNTS = dict.fromkeys(
    ("counter", "count_path", "macs", "flops", "params", "param_bytes", "buffer_bytes",
     "peak_activation_bytes", "uncounted_ops", "zero_mac_modules", "count_seconds"))


class _Run:
    """State for one profile() call: options, device facts, cache, log."""

    def __init__(self, options: ProfileOptions, cache: ResultCache | None, log: Log) -> None:
        import torch

        self.o = options
        self.device = resolve_device(options.device)
        self.cache = cache if options.use_cache else None
        self.log = log
        self.threads = options.threads or torch.get_num_threads()
        self.fingerprint = device_fingerprint(self.device) if self.cache is not None else {}
        self.runtime_version = runtime_version(options.runtime)
        self.conditions_base = {
            "device": self.device,
            "device_name": device_name(self.device),
            "runtime": options.runtime,
            "runtime_version": self.runtime_version,
            "threads": self.threads,
            "torch_version": torch.__version__,
            "archsel_version": __version__,
            "time_budget_s": options.time_budget_s,
            "counter": options.counter,
            "measured": options.measure,
        }

    def key(self, model_id: str, task: str, shapes: list[list[int]], batch: int,
            dtype: str) -> dict[str, Any]:
        return record_key(self.o, model_id, task, shapes, batch, dtype, threads=self.threads,
                          fingerprint=self.fingerprint, runtime_version=self.runtime_version)


def record_key(o: ProfileOptions, model_id: str, task: str, shapes: list[list[int]], batch: int, dtype: str, *,
               threads: int, fingerprint: dict[str, Any], runtime_version: str) -> dict[str, Any]:
    """The cache key of one record: what was measured, how, and on which device (its fingerprint: this
    machine's, or a fleet node's)."""
    return {
        "model_id": model_id, "task": task, "input_shapes": shapes, "batch": batch, "dtype": dtype,
        "threads": threads, "channels_last": o.channels_last, "compile": o.compile,
        "time_budget_s": o.time_budget_s, "counter": o.counter, "cross_check": o.cross_check,
        "by_module": o.by_module, "measure": o.measure, "fingerprint": fingerprint,
        **({"runtime": o.runtime, "runtime_version": runtime_version} if o.runtime != EAGER else {}),
    }


@dataclass(frozen=True)
class PlannedModel:
    """One model of a profile run: its task, input and batches, or the usage error that stops it."""

    entry: ModelEntry
    task: str | None
    spec: InputSpec | None
    batches: tuple[int, ...]
    error: ArchselError | None = None

    def shapes(self, batch: int) -> list[list[int]]:
        assert self.spec is not None
        return [[batch, *t.shape] for t in self.spec.tensors]


def planned_dtypes(options: ProfileOptions) -> tuple[str, ...]:
    """The dtypes `options` asks for, normalised (UsageError for an unknown one), in order, without repeats."""
    return tuple(dict.fromkeys(normalize_dtype(d) for d in options.dtypes))


def plan_models(model_ids: list[str], options: ProfileOptions) -> list[PlannedModel]:
    """Each model's task, input and batches under `options` (unknown ids raise UsageError; a task or shape
    a model cannot take is that model's error)."""
    from archsel.zoo.registry import get_model_entry, resolve_task

    planned: list[PlannedModel] = []
    for entry in [get_model_entry(m) for m in model_ids]:
        try:
            task = resolve_task(entry, options.task)
            spec, shape_batch = resolve_input(entry, task, options.input_shape)
            if shape_batch is not None and options.batches is not None and options.batches != (shape_batch,):
                raise UsageError(f"--input names batch {shape_batch} but --batch asks for "
                                 + ",".join(map(str, options.batches)), hint="give the batch in one place")
        except ArchselError as exc:
            planned.append(PlannedModel(entry, options.task, None, options.batches or (1,), exc))
            continue
        planned.append(PlannedModel(entry, task, spec, options.batches or ((shape_batch,) if shape_batch else (1,))))
    return planned


def _count(model_id: str, task: str, shape: tuple[int, ...] | None, batch: int, counter: str,
           dtype: str = "fp32") -> Any:
    """Count at the profiled dtype (int8: the float32 graph; dynamic quantization keeps it)."""
    from archsel.profiling.counting import count_model

    return count_model(model_id, task=task, input_shape=shape, batch=batch, counter=counter,
                       dtype=precisions.get(dtype).trace_dtype)


def _cross_check(model_id: str, task: str, shape: tuple[int, ...] | None, batch: int,
                 first: Any) -> dict[str, Any]:
    from archsel.profiling.counting import COUNTERS, counter_missing

    macs = {first.counter: first.macs}
    errors: dict[str, str] = {}
    skipped: dict[str, str] = {}  # counters not installed here: left out, not a disagreement
    for other in COUNTERS:
        if other in macs:
            continue
        if missing := counter_missing(other):
            skipped[other] = missing
            continue
        try:
            macs[other] = _count(model_id, task, shape, batch, other).macs
        except Exception as exc:
            errors[other] = classify_failure(exc)[1]
    values = list(macs.values())
    top = max(values) if values else 0
    rel = (max(values) - min(values)) / top if top else 0.0
    return {"macs": dict(sorted(macs.items())), "errors": errors, "skipped": skipped, "max_rel_diff": rel,
            "tolerance": CROSS_CHECK_TOLERANCE, "agree": not errors and rel <= CROSS_CHECK_TOLERANCE}


@contextlib.contextmanager
def threads_set(n: int | None) -> Iterator[None]:
    """torch's intra-op threads set to `n` (None: unchanged) inside the block, restored after."""
    import torch

    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _measure(run: _Run, model: Any, spec: InputSpec, batch: int, dtype: str, count: Any,
             record: dict[str, Any]) -> None:
    """Prepare `model` for `dtype`, then measure memory and latency into `record`."""
    import torch

    from archsel.profiling.memory import measure_memory
    from archsel.profiling.precision import prepare
    from archsel.profiling.timing import TimingConfig, measure_latency
    from archsel.zoo.inputs import make_inputs

    o = run.o
    inputs = make_inputs(spec, batch, device=run.device)
    if o.runtime != EAGER:
        _measure_deployed(run, model, spec, inputs, batch, dtype, count, record)
        return
    prepared = prepare(model, inputs, dtype=dtype, device=run.device, channels_last=o.channels_last,
                       compile=o.compile)
    record["notes"].extend(prepared.notes)
    cond = record["conditions"]
    cond.update(prepared.conditions())
    cond["compiled"] = False
    cond["compile_error"] = None
    with torch.inference_mode():
        eager = prepared.model

        def call() -> Any:
            return prepared.model(*prepared.inputs)

        if o.compile:
            try:
                call()
                cond["compiled"] = True
            except Exception as exc:
                kind, reason = classify_failure(exc)
                if kind == "out_of_memory":
                    raise
                cond["compile_error"] = reason
                prepared.model = getattr(eager, "_orig_mod", eager)
                record["notes"].append(f"torch.compile failed ({reason}); measured in eager mode")
                run.log(f"archsel: warning: torch.compile failed for {record['model_id']}: {reason}; eager")
        record["memory"] = measure_memory(call, run.device, count, dtype)
        stats = measure_latency(call, config=TimingConfig(time_budget_s=o.time_budget_s), device=run.device,
                                batch=batch, dtype=dtype, threads=None)
    record["latency"] = stats.to_dict()


def _measure_deployed(run: _Run, model: Any, spec: InputSpec, inputs: tuple[Any, ...], batch: int, dtype: str,
                      count: Any, record: dict[str, Any]) -> None:
    """Export `model`, load it under the run's runtime at `dtype`, then measure memory and latency into `record`."""
    from archsel.profiling.deploy.measure import deployed
    from archsel.profiling.memory import measure_memory
    from archsel.profiling.timing import TimingConfig, measure_latency
    from archsel.zoo.inputs import make_inputs
    from archsel.zoo.registry import get_model_entry, model_key

    entry = get_model_entry(record["model_id"])
    with deployed(model, inputs, lambda seed: make_inputs(spec, batch, device="cpu", seed=seed),
                  model_key=model_key(entry, record["task"]), runtime=run.o.runtime, precision=dtype,
                  threads=run.threads, batch=batch, root=run.cache.root if run.cache is not None else None) as runner:
        record["conditions"].update(runner.conditions)
        record["notes"].extend(runner.notes)
        record["int8"] = runner.int8
        record["memory"] = measure_memory(runner.call, "cpu", count, dtype)
        stats = measure_latency(runner.call, config=TimingConfig(time_budget_s=run.o.time_budget_s), device="cpu",
                                batch=batch, dtype=dtype, threads=None)
    record["latency"] = stats.to_dict()


def _profile_one(run: _Run, entry: ModelEntry, task: str, spec: InputSpec, batch: int, dtype: str,
                 build: Callable[[], Any]) -> dict[str, Any]:
    o = run.o
    shapes = [[batch, *t.shape] for t in spec.tensors]
    record: dict[str, Any] = {
        "model_id": entry.id, "task": task, "status": "ok", "failure_kind": None, "error": None,
        "input_shapes": shapes, "batch": batch, "dtype": dtype, "device": run.device,
        **_EMPTY_COUNTS, "count_error": None, "cross_check": None, "by_module": None,
        "latency": None, "memory": None, "int8": None,
        "conditions": {**run.conditions_base, "dtype": dtype, "batch": batch},
        "notes": [], "cached": False,
    }
    count = None
    count_shape = tuple(spec.tensors[0].shape) if o.input_shape is not None else None
    try:
        count = _count(entry.id, task, count_shape, batch, o.counter, dtype)
        record.update(_count_fields(count))
        if count.uncounted_ops:
            record["notes"].append("uncounted ops (MACs not included): "
                                   + ", ".join(f"{k}×{v}" for k, v in sorted(count.uncounted_ops.items())))
        if count.zero_mac_modules:
            record["notes"].append("modules with parameters but 0 MACs: " + ", ".join(count.zero_mac_modules))
        if o.cross_check:
            record["cross_check"] = _cross_check(entry.id, task, count_shape, batch, count)
        if o.by_module:
            record["by_module"] = count.by_module(1)
    except Exception as exc:
        kind, reason = classify_failure(exc)
        record["count_error"] = reason
        record.update(status="failed", failure_kind=kind, error=f"counting: {reason}")
    if o.measure:
        try:  # measured even when the trace failed (memory then has no trace estimate)
            _measure(run, build(), spec, batch, dtype, count, record)
        except Exception as exc:
            kind, reason = classify_failure(exc)
            record.update(status="failed", failure_kind=kind, error=reason)
            _free_cuda(run.device)
    elif count is not None:
        from archsel.profiling.memory import trace_memory

        record["memory"] = {"estimated": trace_memory(count, dtype), "measured": None}
    return record


def _free_cuda(device: str) -> None:
    if device.startswith("cuda"):
        import gc

        import torch

        gc.collect()
        torch.cuda.empty_cache()


# What a cached record must hold to be used (what _profile_one stores for an "ok" record): anything else is a
# miss, measured again and replaced (ResultCache.get_valid). int = an int >= 0, float = a finite number >= 0.
_RECORD_HINTS: dict[str, Any] = {
    "model_id": str, "task": str, "status": str, "input_shapes": list[list[int]], "batch": int, "dtype": str,
    "device": str, "counter": str, "count_path": str, "macs": int, "flops": int, "params": int, "param_bytes": int,
    "buffer_bytes": int, "peak_activation_bytes": int, "uncounted_ops": dict[str, int],
    "zero_mac_modules": list[str], "count_seconds": float, "failure_kind": None, "error": None, "count_error": None,
    "cross_check": dict[str, Any] | None, "by_module": list[dict[str, Any]] | None, "latency": dict[str, Any] | None,
    "memory": dict[str, Any], "int8": dict[str, Any] | None, "conditions": dict[str, Any], "notes": list[str],
}
_CONDITION_HINTS: dict[str, Any] = {
    "device": str, "device_name": str, "runtime": str, "runtime_version": str, "threads": int,
    "torch_version": str, "time_budget_s": float, "counter": str, "dtype": str, "batch": int,
}
_CROSS_CHECK_HINTS: dict[str, Any] = {"macs": dict[str, int], "errors": dict[str, str], "skipped": dict[str, str],
                                      "max_rel_diff": float, "agree": bool}
_BY_MODULE_HINTS: dict[str, Any] = {"module": str, "macs": int, "flops": int, "params": int, "ops": int,
                                    "uncounted_ops": int, "bytes_read": int, "bytes_written": int}
_MEMORY_HINTS: dict[str, Any] = {"estimated": dict[str, Any] | None,
                                 "measured": dict[str, str | int | float | None] | None}
_ESTIMATED_MEMORY_HINTS: dict[str, Any] = {"method": str, "param_bytes": int, "buffer_bytes": int,
                                           "peak_activation_bytes": int, "total_bytes": int}


def cached_record(record: dict[str, Any], key: dict[str, Any]) -> dict[str, Any]:
    """`record` read back from the cache under `key`, checked: the fields every reader of a record uses, with
    their types and ranges, and agreement with the key. A ValueError names the first thing wrong."""
    from archsel.profiling.cache import check_fields, field_hints
    from archsel.profiling.timing import LatencyStats

    check_fields(record, _RECORD_HINTS, what="record")
    for name in ("model_id", "task", "input_shapes", "batch", "dtype"):
        if record[name] != key[name]:
            raise ValueError(f"record: {name!r} differs from its key's")
    if record["status"] != "ok":
        raise ValueError("record: not a successful one")
    check_fields(record["conditions"], _CONDITION_HINTS, what="record: conditions")
    if record["cross_check"] is not None:
        check_fields(record["cross_check"], _CROSS_CHECK_HINTS, what="record: cross_check")
    for row in record["by_module"] or []:
        check_fields(row, _BY_MODULE_HINTS, what="record: by_module")
    latency = record["latency"]
    if key["measure"]:
        check_fields(latency, field_hints(LatencyStats), what="record: latency")
    elif latency is not None:
        raise ValueError("record: a latency in a count-only record")
    check_fields(record["memory"], _MEMORY_HINTS, what="record: memory")
    if record["memory"]["estimated"] is not None:
        check_fields(record["memory"]["estimated"], _ESTIMATED_MEMORY_HINTS, what="record: memory estimate")
    if record["int8"] is not None and "int8_mac_fraction" in record["int8"]:
        check_fields(record["int8"], {"int8_mac_fraction": float | None}, what="record: int8")
    return record


def profile(model_ids: list[str], options: ProfileOptions, *, cache: ResultCache | None = None,
            log: Log = lambda _message: None,
            on_record: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Profile every model over options.batches × options.dtypes; one record per combination, in order.

    Unknown model ids, dtypes and devices raise UsageError before anything runs.
    """
    from archsel.zoo.registry import get_model

    options = replace(options, runtime=check_runtime(options.runtime, resolve_device(options.device),
                                                     channels_last=options.channels_last, compile=options.compile))
    dtypes = planned_dtypes(options)
    if options.batches is not None and any(b <= 0 for b in options.batches):
        raise UsageError("every batch size must be positive")
    planned = plan_models(model_ids, options)
    run = _Run(options, cache if cache is not None else ResultCache(), log)
    records: list[dict[str, Any]] = []

    def collect(record: dict[str, Any]) -> None:
        records.append(record)
        if on_record is not None:
            on_record(record)

    with threads_set(options.threads):
        for plan in planned:
            entry, task, spec = plan.entry, plan.task, plan.spec
            if plan.error is not None or task is None or spec is None:
                for dtype in dtypes:
                    for batch in plan.batches:
                        collect(setup_failure(run.conditions_base, run.device, entry.id, task, batch, dtype,
                                              plan.error or UsageError("no input")))
                continue
            for dtype in dtypes:
                model: Any = None

                def build(model_id: str = entry.id) -> Any:
                    nonlocal model
                    if model is None:
                        model = get_model(model_id, device=run.device)
                    return model

                for batch in plan.batches:
                    shapes = plan.shapes(batch)
                    key = run.key(entry.id, task, shapes, batch, dtype)
                    cached = (run.cache.get_valid(key, partial(cached_record, key=key))
                              if run.cache is not None else None)
                    if cached is not None:
                        log(f"archsel: {entry.id} batch {batch} {dtype} on {run.device}: cached")
                        collect({**cached, "cached": True})
                        continue
                    log(f"archsel: profiling {entry.id} batch {batch} {dtype} on {run.device} …")
                    t0 = time.perf_counter()
                    record = _profile_one(run, entry, task, spec, batch, dtype, build)
                    record["conditions"]["wall_s"] = round(time.perf_counter() - t0, 3)
                    if record["status"] == "ok" and run.cache is not None:
                        run.cache.put(key, record)
                    elif record["status"] != "ok":
                        log(f"archsel: {entry.id} batch {batch} {dtype} failed ({record['failure_kind']}): "
                            f"{record['error']}")
                    collect(record)
                model = None  # a fresh model per dtype: prepare() casts in place
                _free_cuda(run.device)
    return records


def setup_failure(conditions: dict[str, Any], device: str, model_id: str, task: str | None, batch: int, dtype: str,
                  exc: BaseException, kind: str = "usage") -> dict[str, Any]:
    """The failed record of a (model, batch, dtype) that never ran: `kind` and the one-line error."""
    return {
        "model_id": model_id, "task": task, "status": "failed", "failure_kind": kind, "error": str(exc),
        "input_shapes": None, "batch": batch, "dtype": dtype, "device": device,
        **_EMPTY_COUNTS, "count_error": None, "cross_check": None, "by_module": None,
        "latency": None, "memory": None, "int8": None,
        "conditions": {**conditions, "dtype": dtype, "batch": batch}, "notes": [], "cached": False,
    }


def options_dict(options: ProfileOptions) -> dict[str, Any]:
    """The options as JSON-ready data."""
    data = asdict(options)
    for k in ("input_shape", "batches", "dtypes"):
        if data[k] is not None:
            data[k] = list(data[k])
    return data

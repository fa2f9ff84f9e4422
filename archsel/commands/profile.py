"""`archsel profile` (counted MACs/FLOPs/params, measured latency and memory); `archsel cache info|clear`."""

from __future__ import annotations

from typing import Any

import typer

from archsel.errors import UsageError, unknown
from archsel.report.formats import SCHEMA_VERSION, Column, Document, TableView, check_format, emit

FORMAT_HELP = "Output format: table, json, jsonl, yaml, csv or markdown."
COUNTER_NAMES = ("meta", "fvcore")

cache_app = typer.Typer(help="The profile result cache (ARCHSEL_CACHE_DIR overrides its location).",
                        no_args_is_help=True)


def _split(values: list[str] | None) -> list[str]:
    """'1,8' and repeated options alike → ['1', '8']."""
    return [p.strip() for v in values or [] for p in v.split(",") if p.strip()]


def _parse_batches(values: list[str] | None) -> tuple[int, ...] | None:
    items = _split(values)
    if not items:
        return None
    try:
        batches = tuple(int(b) for b in items)
    except ValueError:
        raise UsageError(f"bad --batch {','.join(items)!r}",
                         hint="give positive integers, e.g. 1,8,32") from None
    if any(b <= 0 for b in batches):
        raise UsageError(f"bad --batch {','.join(items)!r}: batch sizes must be positive")
    return tuple(dict.fromkeys(batches))


def _g(value: Any, scale: float = 1e9) -> str:
    return "—" if value is None else f"{value / scale:.4g}"


def _ms(value: Any) -> str:
    return "—" if value is None else f"{value:.3g}"


def _bytes(value: Any) -> str:
    if value is None:
        return "—"
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value} B"


def _row(r: dict[str, Any]) -> dict[str, Any]:
    lat = r.get("latency") or {}
    mem = r.get("memory") or {}
    measured = mem.get("measured") or {}
    est = mem.get("estimated") or {}
    measured_mem = measured.get("cuda_peak_allocated_bytes", measured.get("rss_peak_growth_bytes"))
    return {
        "model_id": r["model_id"], "batch": r["batch"], "dtype": r["dtype"], "device": r["device"],
        "input": " ".join("x".join(map(str, s)) for s in r["input_shapes"] or []),
        "macs": r["macs"], "flops": r["flops"], "params": r["params"],
        "peak_activation_bytes": r["peak_activation_bytes"], "memory_estimated_bytes": est.get("total_bytes"),
        "memory_measured_bytes": measured_mem,
        "p50_ms": lat.get("p50_ms"), "p90_ms": lat.get("p90_ms"), "p99_ms": lat.get("p99_ms"),
        "mean_ms": lat.get("mean_ms"), "std_ms": lat.get("std_ms"), "iterations": lat.get("iterations"),
        "throughput_samples_per_s": lat.get("throughput_samples_per_s"),
        "stop_reason": lat.get("stop_reason"),
        "uncounted_ops": sum((r.get("uncounted_ops") or {}).values()) if r.get("macs") is not None else None,
        "status": r["status"] if r["status"] == "ok" else f"failed ({r['failure_kind']})",
        "cached": r["cached"],
    }


def _views(records: list[dict[str, Any]], fmt: str) -> list[TableView]:
    rows = [_row(r) for r in records]
    if fmt == "csv":  # raw numbers, units in the headers
        keys = list(rows[0]) if rows else list(_row(_EMPTY_RECORD))
        return [TableView([Column(k, k) for k in keys], rows)]
    columns = [
        Column("model_id", "model"), Column("input", "input"), Column("dtype", "dtype"),
        Column("macs", "GMACs", _g, "right"), Column("flops", "GFLOPs", _g, "right"),
        Column("params", "params (M)", lambda v: _g(v, 1e6), "right"),
        Column("peak_activation_bytes", "act. mem", _bytes, "right"),
        Column("p50_ms", "p50 ms", _ms, "right"), Column("p90_ms", "p90 ms", _ms, "right"),
        Column("p99_ms", "p99 ms", _ms, "right"),
        Column("throughput_samples_per_s", "samples/s", lambda v: "—" if v is None else f"{v:.4g}", "right"),
        Column("iterations", "iters", lambda v: "—" if v is None else str(v), "right"),
        Column("uncounted_ops", "uncounted", lambda v: "—" if v is None else str(v), "right"),
        Column("status", "status"),
    ]
    return [TableView(columns, rows, title="archsel profile (MACs = multiply-accumulates; FLOPs = 2 × MACs)")]


_EMPTY_RECORD: dict[str, Any] = {
    "model_id": "", "batch": 0, "dtype": "", "device": "", "input_shapes": None, "macs": None, "flops": None,
    "params": None, "peak_activation_bytes": None, "status": "ok", "failure_kind": None, "cached": False,
}


def _notes(records: list[dict[str, Any]]) -> list[str]:
    notes: list[str] = []
    if records:
        c = records[0]["conditions"]
        notes.append(
            f"Conditions: {c['device']} ({c['device_name']}), torch {c['torch_version']}, {c['threads']} CPU "
            f"threads, time budget {c['time_budget_s']:g} s per measurement, counter {c['counter']}."
        )
        lat = next((r["latency"] for r in records if r.get("latency")), None)
        if lat:
            notes.append(f"Latency: measured here; {lat['method']}; p50/p90/p99 per forward pass.")
    for r in records:
        tag = f"{r['model_id']} b{r['batch']} {r['dtype']}"
        if r["status"] != "ok":
            notes.append(f"FAILED {tag}: {r['failure_kind']}: {r['error']}")
        for n in r.get("notes") or []:
            notes.append(f"{tag}: {n}")
        cc = r.get("cross_check")
        if cc:
            verdict = "agree" if cc["agree"] else "DISAGREE"
            notes.append(f"{tag}: cross-check {verdict} (max relative difference {cc['max_rel_diff']:.2%}; "
                         + ", ".join(f"{k} {v:,}" for k, v in cc["macs"].items())
                         + "".join(f"; {k} failed: {v}" for k, v in cc["errors"].items()) + ")")
        lat = r.get("latency")
        if lat and lat.get("stop_reason") != "stable":
            notes.append(f"{tag}: latency not yet stable (IQR/median {lat['rel_iqr']:.1%}, stopped by "
                         f"{lat['stop_reason']}): give a larger --time-budget for a tighter figure")
    return notes


def _module_views(records: list[dict[str, Any]]) -> list[TableView]:
    views = []
    for r in records:
        if not r.get("by_module"):
            continue
        rows = r["by_module"]
        keys = list(rows[0]) if rows else []
        views.append(TableView([Column(k, k) for k in keys], rows,
                               title=f"{r['model_id']} batch {r['batch']}: per module"))
    return views


def profile_cmd(
    models: list[str] = typer.Argument(..., metavar="MODEL...",
                                       help="Zoo model ids (see `archsel models list`)."),
    task: str | None = typer.Option(None, "--task", "-t", help="Task whose input to use (aliases work)."),
    input_shape: str | None = typer.Option(None, "--input", help="First input's shape, e.g. 3x224x224 "
                                           "(a leading extra axis is the batch)."),
    batch: list[str] | None = typer.Option(None, "--batch", "-b", help="Batch sizes, e.g. 1,8,32."),
    dtype: list[str] | None = typer.Option(None, "--dtype",
                                           help="fp32, fp16, bf16 or int8 (several: fp32,fp16)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda (cuda:N)."),
    threads: int | None = typer.Option(None, "--threads", min=1,
                                       help="CPU threads (torch.set_num_threads); on a busy CPU use fewer "
                                       "threads than idle cores."),
    channels_last: bool = typer.Option(False, "--channels-last", help="Use the channels_last memory format."),
    compile_: bool = typer.Option(False, "--compile", help="torch.compile the model (a failure is reported "
                                  "and the model measured in eager mode)."),
    time_budget: float = typer.Option(10.0, "--time-budget", min=0.001,
                                      help="Seconds for measuring each (model, dtype, batch)."),
    counter: str = typer.Option("meta", "--counter", help="MAC counter: meta (default) or fvcore."),
    cross_check: bool = typer.Option(False, "--cross-check",
                                     help="Run both counters; flag a disagreement above 1%."),
    by_module: bool = typer.Option(False, "--by-module", help="Per-module breakdown of MACs and params."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the result cache."),
    count_only: bool = typer.Option(False, "--count-only", "--no-measure",
                                    help="Only count (MACs, params, memory from the trace); no timing."),
    target: str | None = typer.Option(None, "--target", help="Estimate latency on a hardware profile "
                                      "(class, device name or profile .yaml) instead of measuring here; "
                                      "`local` measures on this machine."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Count MACs/FLOPs/params and measure latency and memory of zoo models, with all their conditions.

    Exit codes: 0 all profiled; 1 a model failed (reported; the others still ran) or counters disagree;
    2 bad usage (unknown model, no CUDA device, ...).
    """
    from archsel.profiling.precision import normalize_dtype
    from archsel.zoo.inputs import override_shape, parse_shape
    from archsel.zoo.registry import get_model_entry, resolve_task

    check_format(fmt)
    if counter not in COUNTER_NAMES:
        raise unknown("counter", counter, COUNTER_NAMES)
    dtypes = tuple(normalize_dtype(d) for d in _split(dtype)) or ("fp32",)
    shape = parse_shape(input_shape) if input_shape else None
    resolved_task = None
    if task is not None:
        from archsel.vocab import load_vocabulary

        resolved_task = load_vocabulary().resolve_task(task)
    for m in models:  # unknown ids, tasks a model does not serve, shapes it cannot take: usage errors (exit 2)
        entry = get_model_entry(m)
        spec = entry.input_for(resolve_task(entry, resolved_task))
        if shape is not None:
            override_shape(spec, shape)

    if target is not None:
        from archsel.targets.profiles import resolve_target

        profile_target = resolve_target(target)
        if not profile_target.measured_at_run_time:
            from archsel.estimation.report import estimate_command

            estimate_command(list(models), profile_target, task=resolved_task, input_shape=shape,
                             batches=_parse_batches(batch) or (1,), dtypes=dtypes, fmt=fmt)
            return

    from archsel.profiling.profiler import ProfileOptions, options_dict, profile, resolve_device

    options = ProfileOptions(
        task=resolved_task, input_shape=shape, batches=_parse_batches(batch), dtypes=dtypes,
        device=resolve_device(device), threads=threads, channels_last=channels_last, compile=compile_,
        time_budget_s=time_budget, counter=counter, cross_check=cross_check, by_module=by_module,
        measure=not count_only, use_cache=not no_cache,
    )
    records = profile(list(models), options)
    failed = [r for r in records if r["status"] != "ok"]
    disagree = [r for r in records if r.get("cross_check") and not r["cross_check"]["agree"]]
    payload = {
        "schema_version": SCHEMA_VERSION,
        "command": "profile",
        "options": options_dict(options),
        "summary": {"results": len(records), "ok": len(records) - len(failed), "failed": len(failed),
                    "cross_check_disagreements": len(disagree)},
        "results": records,
    }
    views = _views(records, fmt)
    if fmt != "csv":
        views += _module_views(records)
    emit(Document(payload, "results", views, _notes(records)), fmt)
    if failed or disagree:
        raise typer.Exit(1)


@cache_app.command("info")
def cache_info_cmd(fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP)) -> None:
    """Where the cache is and what it holds."""
    from archsel.profiling.cache import ResultCache

    check_format(fmt)
    info = ResultCache().info()
    view = TableView([Column("field", "field"), Column("value", "value")],
                     [{"field": k, "value": str(v)} for k, v in info.items()], title="archsel cache")
    emit(Document({"schema_version": SCHEMA_VERSION, "cache": info}, None, [view]), fmt)


@cache_app.command("clear")
def cache_clear_cmd(fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP)) -> None:
    """Delete every cached profile result."""
    from archsel.profiling.cache import ResultCache

    check_format(fmt)
    cache = ResultCache()
    removed = cache.clear()
    payload = {"schema_version": SCHEMA_VERSION, "cache_dir": str(cache.root), "removed_entries": removed}
    view = TableView([Column("field", "field"), Column("value", "value")],
                     [{"field": k, "value": str(v)} for k, v in payload.items() if k != "schema_version"],
                     title="archsel cache clear")
    emit(Document(payload, None, [view]), fmt)


def register(root: typer.Typer) -> None:
    root.command("profile")(profile_cmd)
    root.add_typer(cache_app, name="cache")

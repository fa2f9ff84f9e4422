"""`archsel check`: a CI gate for the user's own model — latency, params, MACs, memory, precision.

THIS IMPORTS AND RUNS THE USER'S CODE (the factory named by --model and the model's forward).

Gate semantics (docs/check.md):
- model: the factory builds and a forward pass runs (error when the user's code raises).
- precision: --dtype is among the target's supported precisions.
- params / macs: counted (archsel.profiling.counting, meta device when possible) ≤ --max-params / --max-macs;
  MACs are for one forward of the whole --input batch.
- memory: weights + buffers + peak activations at --dtype ≤ min(--max-memory, the target's memory).
- latency: measured on this machine when the target is `local` or --measure is given (gated on
  --latency-stat, p50 by default); otherwise estimated from the target profile, gated on the point
  estimate, or on the high end of the estimate's error band with --strict.
Exit 0 when every gate passes, 1 when one fails or cannot be evaluated, 2 for usage errors.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from archsel import __version__
from archsel.errors import UsageError, unknown
from archsel.report.formats import SCHEMA_VERSION, Column, Document, TableView, check_format, to_json

if TYPE_CHECKING:
    from archsel.profiling.counting import CountResult
    from archsel.targets.profiles import TargetProfile
    from archsel.usermodel import UserModel

FORMATS = ("table", "json", "junit", "github")
LATENCY_STATS = ("p50", "p90", "p99")
_NUMBER = re.compile(r"^\s*(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)\s*(?P<unit>[A-Za-z]*)\s*$")
_BYTE_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
               "t": 10**12, "tb": 10**12, "ki": 2**10, "kib": 2**10, "mi": 2**20, "mib": 2**20,
               "gi": 2**30, "gib": 2**30, "ti": 2**40, "tib": 2**40}


# ------------------------------------------------------------------------------------------- parsing


def parse_count(text: str, option: str) -> int:
    """'5M' → 5_000_000; '2.5G', '300k', '1e6' too (k, M, G or B, T: decimal), as `recommend` reads them."""
    from archsel.units import parse_si

    value = parse_si(text, option)
    assert value is not None
    return round(value)


def parse_bytes(text: str, option: str = "--max-memory") -> int:
    """'512MiB' → 536870912; KiB/MiB/GiB/TiB (or Ki, Mi, ...) binary; KB/MB/GB/TB (or K, M, ...) decimal."""
    m = _NUMBER.match(text)
    unit = m.group("unit").lower() if m else ""
    if not m or unit not in _BYTE_UNITS:
        raise UsageError(f"bad {option} {text!r}", hint="bytes with a unit, e.g. 512MiB, 2GiB or 1.5GB")
    return round(float(m.group("num")) * _BYTE_UNITS[unit])


def human_count(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:g}"


def human_bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:g} B"


def _ms(v: float) -> str:
    return f"{v:.3g} ms"


# ------------------------------------------------------------------------------------------- gates


@dataclass(frozen=True)
class Budgets:
    """What the user asked the model to satisfy (None: not gated)."""

    latency_ms: float | None = None
    latency_stat: str = "p50"
    strict: bool = False
    max_params: int | None = None
    max_macs: int | None = None
    max_memory_bytes: int | None = None


@dataclass(frozen=True)
class CheckOptions:
    """Everything one check needs besides the budgets."""

    spec: str
    input_text: str
    dtype: str = "fp32"
    measure: bool = False
    device: str = "cpu"
    time_budget_s: float = 10.0
    model_args: dict[str, Any] | None = None


def _gate(name: str, status: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "message": message, **fields}


def _compare(name: str, value: float, budget: float, text: str, budget_text: str, over: str,
             **fields: Any) -> dict[str, Any]:
    """A passed/failed gate `value ≤ budget`; `over` renders how far over (value - budget) it is."""
    if value <= budget:
        return _gate(name, "passed", f"{name}: {text} ≤ budget {budget_text}", **fields)
    return _gate(name, "failed", f"{name}: {text} exceeds the budget {budget_text} by {over}", **fields)


def _precision_gate(target: TargetProfile, dtype: str) -> dict[str, Any]:
    supported = list(target.precisions)
    ok = dtype in supported
    msg = (f"precision: {dtype} is supported by {target.name}" if ok else
           f"precision: {target.name} does not support {dtype} (it supports {', '.join(supported)})")
    return _gate("precision", "passed" if ok else "failed", msg, precision=dtype, supported_precisions=supported)


def _memory_gate(count: CountResult, target: TargetProfile, dtype: str, budgets: Budgets) -> dict[str, Any] | None:
    from archsel.estimation.estimate import required_memory_bytes

    need = required_memory_bytes(count, dtype)
    limits = []
    if budgets.max_memory_bytes is not None:
        limits.append((budgets.max_memory_bytes, "--max-memory"))
    if target.memory_gb:
        limits.append((int(target.memory_gb * 1e9), f"{target.name} memory ({target.memory_gb:g} GB)"))
    if not limits:
        return None
    budget, source = min(limits)
    return _compare("memory", need, budget, f"{human_bytes(need)} (weights + buffers + peak activations at {dtype})",
                    f"{human_bytes(budget)} [{source}]", human_bytes(need - budget), memory_bytes=need,
                    budget_bytes=budget, budget_source=source)


def _estimate(count: CountResult, target: TargetProfile, dtype: str, budgets: Budgets) -> dict[str, Any]:
    from archsel.estimation.estimate import estimate_count

    est = estimate_count(count, target, precision=dtype)
    gated = est.band_high_ms if budgets.strict else est.latency_ms
    return {
        "kind": "estimated", "target": est.target, "precision": est.precision, "batch": est.batch,
        "latency_ms": est.latency_ms, "band_low_ms": est.band_low_ms, "band_high_ms": est.band_high_ms,
        "gated_statistic": "band_high" if budgets.strict else "point_estimate", "gated_ms": gated,
        "method": est.method, "accuracy_note": est.accuracy_note, "overhead_share": est.overhead_share,
    }


def _measure(user: UserModel, options: CheckOptions, budgets: Budgets) -> dict[str, Any]:
    import torch

    from archsel.profiling.precision import prepare
    from archsel.profiling.profiler import device_name, resolve_device
    from archsel.profiling.timing import TimingConfig, measure_latency
    from archsel.usermodel import rebuild, user_code

    device = resolve_device(options.device)
    real = rebuild(user, device)
    prepared = prepare(real.module, real.inputs, dtype=options.dtype, device=device)
    with user_code(), torch.inference_mode():
        stats = measure_latency(lambda: prepared.model(*prepared.inputs),
                                config=TimingConfig(time_budget_s=options.time_budget_s), device=device,
                                batch=real.batch, dtype=options.dtype)
    data = stats.to_dict()
    gated = float(data[f"{budgets.latency_stat}_ms"])
    return {"kind": "measured", "device": device, "device_name": device_name(device), "precision": options.dtype,
            "batch": real.batch, "gated_statistic": budgets.latency_stat, "gated_ms": gated,
            "notes": prepared.notes, **{k: v for k, v in data.items() if k not in ("measured", "dtype", "device")}}


def _latency_gate(latency: dict[str, Any], budget_ms: float, target: TargetProfile) -> dict[str, Any]:
    gated = float(latency["gated_ms"])
    if latency["kind"] == "estimated":
        low, high = latency["band_low_ms"], latency["band_high_ms"]
        band = f"band {low:.3g}–{high:.3g} ms" if high > low else "no measured error band"
        what = "band high end" if latency["gated_statistic"] == "band_high" else "point estimate"
        text = f"estimated {_ms(gated)} ({what}; {band}) on {target.name} {latency['precision']}"
        detail = f"estimated, not measured: {latency['method']}; {latency['accuracy_note']}"
    else:
        text = (f"measured {latency['gated_statistic']} {_ms(gated)} on this machine ({latency['device_name']}, "
                f"{latency['precision']}, {latency['samples']} samples)")
        detail = f"measured: {latency['method']}; stop reason {latency['stop_reason']}"
    gate = _compare("latency", gated, budget_ms, text, _ms(budget_ms), _ms(gated - budget_ms), latency_ms=gated,
                    budget_ms=budget_ms, headroom_ms=budget_ms - gated, latency_kind=latency["kind"],
                    statistic=latency["gated_statistic"])
    gate["detail"] = gate["message"] + "\n" + detail
    return gate


def _failure(exc: BaseException) -> tuple[str, str]:
    from archsel.profiling.profiler import classify_failure

    return classify_failure(exc)


def _summary(gates: list[dict[str, Any]]) -> dict[str, int]:
    status = [g["status"] for g in gates]
    return {"gates": len(gates), "passed": status.count("passed"), "failed": status.count("failed"),
            "errors": status.count("error"), "skipped": status.count("skipped")}


def run_check(options: CheckOptions, target: TargetProfile, budgets: Budgets) -> dict[str, Any]:
    """Evaluate every gate; returns the JSON payload (see docs/check.md). Raises UsageError for usage errors."""
    from archsel.usermodel import UserCodeError, count_user_model

    started = time.perf_counter()
    measured = options.measure or target.measured_at_run_time
    gates: list[dict[str, Any]] = []
    model: dict[str, Any] = {"spec": options.spec, "input": options.input_text, "model_args": options.model_args or {},
                             "error": None}
    precision_gate = _precision_gate(target, options.dtype)
    latency: dict[str, Any] | None = None
    t0 = time.perf_counter()
    user = count = None
    try:
        user, count = count_user_model(options.spec, options.input_text, kwargs=options.model_args)
    except UserCodeError as exc:
        model["error"] = exc.to_dict()
        gates.append(_gate("model", "error", f"model: {exc.message}", error_type=exc.exc_type, stage=exc.stage,
                           file=exc.file, line=exc.line, duration_s=time.perf_counter() - t0))
    if user is not None and count is not None:
        where = {"file": user.source_file, "line": user.source_line}
        gates.append(_gate("model", "passed",
                           f"model: {options.spec} builds and runs forward on {options.input_text} "
                           f"(counted on {'the meta device' if count.path == 'meta' else 'CPU'})",
                           count_path=count.path, duration_s=time.perf_counter() - t0, **where))
        model.update(input_shapes=user.input_shapes, batch=user.batch, source_file=user.source_file,
                     source_line=user.source_line, counter=count.counter, count_path=count.path,
                     macs=count.macs, flops=count.flops, params=count.params, param_bytes=count.param_bytes,
                     buffer_bytes=count.buffer_bytes, peak_activation_bytes=count.peak_activation_bytes,
                     uncounted_ops=dict(count.uncounted_ops), notes=list(user.notes))
        gates.append({**precision_gate, **where})
        if budgets.max_params is not None:
            exact = f" ({count.params:,})" if count.params >= 1000 else ""
            gates.append(_compare("params", count.params, budgets.max_params, f"{human_count(count.params)}{exact}",
                                  human_count(budgets.max_params), human_count(count.params - budgets.max_params),
                                  params=count.params, budget_params=budgets.max_params, **where))
        if budgets.max_macs is not None:
            gates.append(_compare("macs", count.macs, budgets.max_macs, f"{human_count(count.macs)} MACs "
                                  f"per forward of batch {user.batch}", f"{human_count(budgets.max_macs)} MACs",
                                  human_count(count.macs - budgets.max_macs) + " MACs", macs=count.macs,
                                  budget_macs=budgets.max_macs, **where))
        memory = _memory_gate(count, target, options.dtype, budgets)
        if memory is not None:
            model["memory_required_bytes"] = memory["memory_bytes"]
            gates.append({**memory, **where})
        t1 = time.perf_counter()
        if precision_gate["status"] != "passed" and budgets.latency_ms is not None:
            gates.append(_gate("latency", "skipped", f"latency: not evaluated: {target.name} does not support "
                               f"{options.dtype}", budget_ms=budgets.latency_ms, **where))
        elif precision_gate["status"] == "passed":
            try:
                latency = _measure(user, options, budgets) if measured else _estimate(count, target, options.dtype,
                                                                                        budgets)
            except UserCodeError as exc:
                gates.append(_gate("latency", "error", f"latency: {exc.message}", error_type=exc.exc_type,
                                   file=exc.file, line=exc.line, budget_ms=budgets.latency_ms))
            except Exception as exc:  # incl. a profile without a peak for this precision: cannot estimate
                kind, reason = _failure(exc)
                status = "failed" if kind == "time_budget" else "error"
                what = "measuring" if measured else "estimating"
                gates.append(_gate("latency", status, f"latency: {what} failed ({kind}): {reason}",
                                   error_type=type(exc).__name__, budget_ms=budgets.latency_ms, **where))
            if latency is not None and budgets.latency_ms is not None:
                gates.append({**_latency_gate(latency, budgets.latency_ms, target), **where})
        if gates[-1]["name"] == "latency":
            gates[-1]["duration_s"] = time.perf_counter() - t1
    else:
        gates.append(precision_gate)
        for name, budget in (("params", budgets.max_params), ("macs", budgets.max_macs),
                             ("memory", budgets.max_memory_bytes or target.memory_gb),
                             ("latency", budgets.latency_ms)):
            if budget is not None:
                gates.append(_gate(name, "skipped", f"{name}: not evaluated: the model raised"))
    notes = list(model.get("notes") or [])
    if latency is not None and latency["kind"] == "measured":
        notes.extend(latency.get("notes") or [])
        if not target.measured_at_run_time:
            notes.append(f"latency measured on this machine ({latency['device_name']}), not on {target.name}; "
                         f"precision and memory gates use {target.name}'s profile")
    if latency is not None and latency["kind"] == "estimated" and budgets.latency_stat != "p50":
        notes.append(f"--latency-stat {budgets.latency_stat} applies to measured latency; an estimate is gated on "
                     f"its {'band high end' if budgets.strict else 'point estimate'}")
    summary = _summary(gates)
    status = "error" if summary["errors"] else "failed" if summary["failed"] else "passed"
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "check",
        "status": status,
        "exit_code": 0 if status == "passed" else 1,
        "timestamp": datetime.now().replace(microsecond=0).isoformat(),
        "hostname": socket.gethostname(),
        "duration_s": round(time.perf_counter() - started, 3),
        "model": model,
        "target": _target_record(target),
        "precision": options.dtype,
        "budgets": {"latency_ms": budgets.latency_ms, "latency_stat": budgets.latency_stat,
                    "strict": budgets.strict, "max_params": budgets.max_params, "max_macs": budgets.max_macs,
                    "max_memory_bytes": budgets.max_memory_bytes},
        "latency": latency,
        "gates": gates,
        "summary": summary,
        "notes": notes,
        "conditions": _conditions(options, target, budgets, latency, measured, count),
    }


def _target_record(target: TargetProfile) -> dict[str, Any]:
    return {"name": target.name, "display_name": target.display_name, "class": target.target_class,
            "resolved_from": target.resolved_from, "precisions": list(target.precisions),
            "memory_bytes": int(target.memory_gb * 1e9) if target.memory_gb else None,
            "measured_at_run_time": target.measured_at_run_time, "profile": target.path}


def _conditions(options: CheckOptions, target: TargetProfile, budgets: Budgets, latency: dict[str, Any] | None,
                measured: bool, count: CountResult | None) -> dict[str, Any]:
    import torch

    return {
        "model": options.spec, "input": options.input_text,
        "model_args": ",".join(f"{k}={v}" for k, v in (options.model_args or {}).items()) or None,
        "target": target.name, "target_class": target.target_class, "precision": options.dtype,
        "latency_kind": "measured" if measured else "estimated",
        "latency_statistic": (latency or {}).get("gated_statistic"),
        "latency_budget_ms": budgets.latency_ms, "max_params": budgets.max_params, "max_macs": budgets.max_macs,
        "max_memory_bytes": budgets.max_memory_bytes, "strict": budgets.strict,
        "count_path": count.path if count is not None else None,
        "measure_device": options.device if measured else None,
        "archsel_version": __version__, "torch_version": torch.__version__, "python_version": sys.version.split()[0],
    }


# ------------------------------------------------------------------------------------------- output


def _table(payload: dict[str, Any]) -> Document:
    rows = []
    for g in payload["gates"]:
        rows.append({"gate": g["name"], "result": g["status"].upper() if g["status"] != "passed" else "pass",
                     "detail": g["message"].split(": ", 1)[-1]})
    view = TableView([Column("gate", "gate"), Column("result", "result"), Column("detail", "detail", ratio=1)],
                     rows, title=f"archsel check {payload['model']['spec']} on {payload['target']['name']}: "
                                 f"{payload['status'].upper()}")
    notes = []
    lat = payload.get("latency")
    if lat and lat["kind"] == "estimated":
        notes.append(f"Latency estimated (not measured): {lat['method']}. {lat['accuracy_note']}.")
    elif lat:
        notes.append(f"Latency measured on this machine ({lat['device_name']}, {lat['threads']} threads): "
                     f"{lat['method']}.")
    for n in payload.get("notes") or []:
        notes.append(f"Note: {n}")
    for g in payload["gates"]:
        if g.get("detail") and g["status"] in ("failed", "error"):
            notes.append(f"{g['name']}: {g['detail']}")
    return Document(payload, "gates", [view], notes)


def render(payload: dict[str, Any], fmt: str) -> str:
    """The report as text in `fmt` (table rendered without colour)."""
    if fmt == "json":
        return to_json(payload) + "\n"
    if fmt == "junit":
        from archsel.report.junit import render_junit

        return render_junit(payload)
    if fmt == "github":
        from archsel.report.github import render_github

        return render_github(payload)
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    doc = _table(payload)
    buf = io.StringIO()
    console = Console(file=buf, width=max(100, int(os.environ.get("COLUMNS", "0") or 0)), no_color=True,
                      highlight=False, soft_wrap=False)
    for view in doc.views:
        table = Table(title=Text(view.title))
        for c in view.columns:
            table.add_column(c.header, overflow="fold", ratio=c.ratio, no_wrap=c.key != "detail")
        for row in view.rows:
            table.add_row(*[Text(c.cell(row)) for c in view.columns])  # Text: no markup in user strings
        console.print(table)
    for note in doc.notes:
        console.print(note, markup=False)
    return buf.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and os.replace: never half-written."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write --output {str(path)!r}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write --output {str(path)!r}: {exc.strerror or exc}") from None
        raise


def _summary_line(payload: dict[str, Any]) -> str:
    s = payload["summary"]
    bad = [g for g in payload["gates"] if g["status"] in ("failed", "error")]
    text = (f"archsel check: {payload['status'].upper()} {payload['model']['spec']} on {payload['target']['name']}: "
            f"{s['passed']} passed, {s['failed']} failed, {s['errors']} errors, {s['skipped']} skipped")
    if bad:
        text += " — " + "; ".join(g["message"] for g in bad)
    return text


# ------------------------------------------------------------------------------------------- command


def check_cmd(
    model: str = typer.Option(..., "--model", "-m", metavar="MODULE:FACTORY",
                              help="Your model: an importable factory, nn.Module class or instance, e.g. "
                                   "my_pkg.models:build (or path/to/file.py:build). IT IS IMPORTED AND RUN."),
    input_shape: str = typer.Option(..., "--input", "-i", metavar="SHAPE",
                                    help="Example input with the batch first, e.g. 1x3x224x224; several inputs "
                                         "joined by '+'; ':int64' for token ids (1x128:int64)."),
    target: str = typer.Option(..., "--target", help="Target class (cloud, edge, mobile, local), device name "
                                                     "or profile .yaml file; `local` is measured."),
    latency_ms: float | None = typer.Option(None, "--latency-ms", min=0.0, help="Latency budget (ms) for one "
                                            "forward of the batch."),
    latency_stat: str = typer.Option("p50", "--latency-stat", help="Statistic gated when latency is measured: "
                                     "p50, p90 or p99."),
    strict: bool = typer.Option(False, "--strict", help="Gate an estimated latency on the high end of its "
                                "error band instead of the point estimate."),
    max_params: str | None = typer.Option(None, "--max-params", help="Parameter budget, e.g. 5M."),
    max_macs: str | None = typer.Option(None, "--max-macs", help="MAC budget per forward, e.g. 2G."),
    max_memory: str | None = typer.Option(None, "--max-memory", help="Memory budget (weights + peak "
                                          "activations), e.g. 512MiB; the target's memory always applies."),
    dtype: str = typer.Option("fp32", "--dtype", help="Precision deployed: fp32, fp16, bf16 or int8."),
    measure: bool = typer.Option(False, "--measure", help="Measure latency on this machine instead of "
                                 "estimating it for the target."),
    device: str = typer.Option("cpu", "--device", help="Where to measure: cpu or cuda (cuda:N)."),
    time_budget: float = typer.Option(10.0, "--time-budget", min=0.001, help="Seconds for measuring latency."),
    model_arg: list[str] | None = typer.Option(None, "--model-arg", metavar="NAME=VALUE",
                                               help="Keyword argument for the factory (repeatable; YAML value)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, junit or github (annotations)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to FILE (atomically) "
                                       "instead of stdout."),
) -> None:
    """Gate YOUR model in CI: latency, params, MACs, memory and precision against budgets on a target.

    WARNING: this imports the module named by --model and RUNS YOUR CODE (the factory and one or more
    forward passes), as `python -c "import ..."` would. Only check code you trust.

    Latency is estimated from the target profile (gated on the point estimate; --strict: the band's high
    end), or measured here with --measure or --target local (gated on --latency-stat).

    Exit codes: 0 every gate passed; 1 a gate failed, or the model raised (reported, no traceback);
    2 bad usage (bad spec, module or attribute not found, bad shape, unknown target).
    """
    from archsel.profiling.precision import normalize_dtype
    from archsel.targets.profiles import resolve_target
    from archsel.usermodel import parse_inputs, parse_model_args

    check_format(fmt, FORMATS)
    if latency_stat not in LATENCY_STATS:
        raise unknown("latency statistic", latency_stat, LATENCY_STATS)
    budgets = Budgets(
        latency_ms=latency_ms, latency_stat=latency_stat, strict=strict,
        max_params=parse_count(max_params, "--max-params") if max_params is not None else None,
        max_macs=parse_count(max_macs, "--max-macs") if max_macs is not None else None,
        max_memory_bytes=parse_bytes(max_memory) if max_memory is not None else None,
    )
    options = CheckOptions(spec=model.strip(), input_text=input_shape.strip(), dtype=normalize_dtype(dtype),
                           measure=measure, device=device, time_budget_s=time_budget,
                           model_args=parse_model_args(model_arg))
    parse_inputs(options.input_text)
    resolved = resolve_target(target)
    if options.measure or resolved.measured_at_run_time:
        from archsel.profiling.profiler import resolve_device

        resolve_device(device)
    payload = run_check(options, resolved, budgets)
    text = render(payload, fmt)
    if output is not None:
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if output is not None or fmt != "table" or payload["status"] != "passed":
        print(_summary_line(payload), file=sys.stderr, flush=True)
    if payload["exit_code"]:
        raise typer.Exit(payload["exit_code"])


def register(root: typer.Typer) -> None:
    root.command("check")(check_cmd)

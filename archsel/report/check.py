"""The document of `archsel check`: its JSON payload (docs/check.md), one test case per gate, the table.

Every gate message names the gate, the figure and the budget (`params: 10.9 M (10,895,592) exceeds the
budget 5 M by 5.9 M`); counts in decimal SI, memory in binary units (archsel.units).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from archsel import __version__
from archsel.advice.constraints import gated_latency
from archsel.advice.gate import gated_limits
from archsel.report.document import SCHEMA_VERSION, Case, Column, Document, Suite, TableView, case_counts, count_text
from archsel.units import format_bytes, format_ms, format_si

if TYPE_CHECKING:
    from archsel.advice.costing import Latency
    from archsel.advice.gate import CheckResult, Gate

_CASE_KEYS = ("name", "status", "message", "detail", "file", "line", "duration_s")


def _ms(value: float) -> str:
    return f"{format_ms(value)} ms"


def _count(n: float) -> str:
    return format_si(n, sep=" ")


def _compare(name: str, passed: bool, text: str, budget_text: str, over: str) -> str:
    if passed:
        return f"{name}: {text} ≤ budget {budget_text}"
    return f"{name}: {text} exceeds the budget {budget_text} by {over}"


def _latency_record(result: CheckResult) -> dict[str, Any] | None:
    c = result.cost
    lat = c.latency if c is not None else None
    if c is None or lat is None:
        return None
    gated_ms, gated_stat = gated_latency(lat, gated_limits(result.request))
    if lat.kind == "estimated":
        return {"kind": "estimated", "target": lat.device, "runtime": lat.runtime, "precision": lat.precision,
                "batch": c.batch,
                "latency_ms": lat.p50_ms, "band_low_ms": lat.band_low_ms, "band_high_ms": lat.band_high_ms,
                "gated_statistic": gated_stat, "gated_ms": gated_ms, "method": lat.method,
                "accuracy_note": lat.accuracy_note, "overhead_share": lat.detail.get("overhead_share")}
    return {"kind": "measured", "runtime": lat.runtime, "device": result.request.device,
            "device_name": lat.detail.get("device_name"),
            "precision": lat.precision, "batch": c.batch, "gated_statistic": gated_stat,
            "gated_ms": gated_ms, "notes": lat.notes,
            **{k: v for k, v in lat.detail.items() if k != "device_name"}}


def _latency_text(lat: Latency, statistic: str, value: float, target: str) -> tuple[str, str]:
    """(the gate's figure, the detail line saying how it was obtained)."""
    if lat.kind == "estimated":
        band = (f"band {format_ms(lat.band_low_ms)}–{_ms(lat.band_high_ms)}" if lat.band_high_ms > lat.band_low_ms
                else "no measured error band")
        what = "band high end" if statistic == "band_high" else "point estimate"
        return (f"estimated {_ms(value)} ({what}; {band}) on {target} {lat.precision} with {lat.runtime}",
                f"estimated, not measured: {lat.method}; {lat.accuracy_note}")
    d = lat.detail
    version = f" {d['runtime_version']}" if d.get("runtime_version") else ""
    return (f"measured {statistic} {_ms(value)} on {lat.device.removesuffix(')')}, {lat.runtime}{version}, "
            f"{lat.precision}, {d.get('samples')} samples)",
            f"measured: {lat.method}; stop reason {d.get('stop_reason')}")


def _gate(g: Gate, result: CheckResult) -> dict[str, Any]:
    """One gate as JSON: name, status, message and its figures."""
    req = result.request
    target = req.target.name
    v = g.verdict
    if g.name == "model":
        if g.error is not None:
            return {"name": "model", "status": "error", "message": f"model: {g.error.message}",
                    "error_type": g.error.exc_type, "stage": g.error.stage, "file": g.error.file,
                    "line": g.error.line, "duration_s": g.duration_s}
        path = result.count.path if result.count is not None else "meta"
        return {"name": "model", "status": "passed",
                "message": f"model: {req.spec} builds and runs forward on {req.input_text} "
                           f"(counted on {'the meta device' if path == 'meta' else 'CPU'})",
                "count_path": path, "duration_s": g.duration_s}
    if g.status == "skipped":
        why = (f"{target} does not support {req.precision}" if result.model_error is None else "the model raised")
        out: dict[str, Any] = {"name": g.name, "status": "skipped", "message": f"{g.name}: not evaluated: {why}"}
        if g.name == "latency" and result.model_error is None:
            out["budget_ms"] = req.limits.latency_ms
        return out
    if g.name == "precision":
        assert v is not None  # the precision gate always carries its verdict
        supported = list(v.fields["supported_precisions"])
        ok = g.status == "passed"
        return {"name": "precision", "status": g.status,
                "message": f"precision: {req.precision} is supported by {target}" if ok else
                f"precision: {target} does not support {req.precision} (it supports {', '.join(supported)})",
                "precision": req.precision, "supported_precisions": supported}
    if g.name == "latency" and v is None:
        if g.error is not None:
            message = f"latency: {g.error.message}"
            fields: dict[str, Any] = {"error_type": g.error.exc_type, "file": g.error.file, "line": g.error.line}
        else:
            kind, reason, exc_type = g.failure or ("error", "", "Error")
            message = f"latency: {'measuring' if req.measured else 'estimating'} failed ({kind}): {reason}"
            fields = {"error_type": exc_type}
        return {"name": "latency", "status": g.status, "message": message, **fields,
                "budget_ms": req.limits.latency_ms, "duration_s": g.duration_s}
    assert v is not None and v.value is not None and v.limit is not None and result.cost is not None
    passed = g.status == "passed"
    if g.name == "params":
        exact = f" ({int(v.value):,})" if v.value >= 1000 else ""
        return {"name": "params", "status": g.status,
                "message": _compare("params", passed, f"{_count(v.value)}{exact}", _count(v.limit),
                                    _count(v.value - v.limit)),
                "params": int(v.value), "budget_params": int(v.limit)}
    if g.name == "macs":
        return {"name": "macs", "status": g.status,
                "message": _compare("macs", passed, f"{_count(v.value)} MACs per forward of batch {result.cost.batch}",
                                    f"{_count(v.limit)} MACs", _count(v.value - v.limit) + " MACs"),
                "macs": int(v.value), "budget_macs": int(v.limit)}
    if g.name == "memory":
        return {"name": "memory", "status": g.status,
                "message": _compare("memory", passed, f"{format_bytes(v.value)} (weights + buffers + peak "
                                    f"activations at {req.precision})", f"{format_bytes(v.limit)} [{v.source}]",
                                    format_bytes(v.value - v.limit)),
                "memory_bytes": int(v.value), "budget_bytes": int(v.limit), "budget_source": v.source}
    lat = result.cost.latency
    assert lat is not None
    statistic = v.fields["statistic"]
    text, how = _latency_text(lat, statistic, v.value, target)
    message = _compare("latency", passed, text, _ms(v.limit), _ms(v.value - v.limit))
    return {"name": "latency", "status": g.status, "message": message, "latency_ms": v.value,
            "budget_ms": v.limit, "headroom_ms": v.limit - v.value, "latency_kind": lat.kind,
            "statistic": statistic, "duration_s": g.duration_s, "detail": message + "\n" + how}


def _conditions(result: CheckResult) -> dict[str, Any]:
    import torch

    req, limits = result.request, result.request.limits
    latency = _latency_record(result) or {}
    return {
        "model": req.spec, "input": req.input_text,
        "model_args": ",".join(f"{k}={v}" for k, v in req.model_args.items()) or None,
        "target": req.target.name, "target_class": req.target.target_class, "precision": req.precision,
        "latency_kind": "measured" if req.measured else "estimated",
        "latency_statistic": latency.get("gated_statistic"),
        "latency_budget_ms": limits.latency_ms, "max_params": _int(limits.max_params),
        "max_macs": _int(limits.max_macs), "max_memory_bytes": _int(limits.max_memory_bytes), "strict": limits.strict,
        "count_path": result.count.path if result.count is not None else None,
        "measure_device": req.device if req.measured else None,
        "runtime": latency.get("runtime"),
        "archsel_version": __version__, "torch_version": torch.__version__, "python_version": sys.version.split()[0],
    }


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def payload(result: CheckResult) -> dict[str, Any]:
    """The JSON payload of a check (see docs/check.md)."""
    req, limits = result.request, result.request.limits
    model: dict[str, Any] = {"spec": req.spec, "input": req.input_text, "model_args": req.model_args,
                             "error": result.model_error.to_dict() if result.model_error else None}
    where: dict[str, Any] = {}
    if result.user is not None and result.count is not None:
        user, count = result.user, result.count
        where = {"file": user.source_file, "line": user.source_line}
        model.update(input_shapes=user.input_shapes, batch=user.batch, source_file=user.source_file,
                     source_line=user.source_line, counter=count.counter, count_path=count.path,
                     macs=count.macs, flops=count.flops, params=count.params, param_bytes=count.param_bytes,
                     buffer_bytes=count.buffer_bytes, peak_activation_bytes=count.peak_activation_bytes,
                     uncounted_ops=dict(count.uncounted_ops), notes=list(user.notes))
        if any(g.name == "memory" for g in result.gates) and result.cost is not None:
            model["memory_required_bytes"] = result.cost.memory_bytes
    gates = []
    for g in result.gates:
        record = _gate(g, result)
        if where and g.name != "model" and not (g.name == "precision" and result.model_error is not None):
            record = {**record, **{k: v for k, v in where.items() if record.get(k) is None}}
        elif g.name == "model" and g.status == "passed":
            record.update(where)
        gates.append(record)
    n = case_counts(_cases(gates))
    summary = {"gates": n["tests"], "passed": n["passed"], "failed": n["failed"], "errors": n["error"],
               "skipped": n["skipped"]}
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "check",
        "status": result.status,
        "exit_code": int(result.exit_status),
        "timestamp": result.timestamp,
        "hostname": result.hostname,
        "duration_s": round(result.duration_s, 3),
        "model": model,
        "target": req.target.to_dict(),
        "precision": req.precision,
        "budgets": {"latency_ms": limits.latency_ms, "latency_stat": limits.latency_stat, "strict": limits.strict,
                    "max_params": _int(limits.max_params), "max_macs": _int(limits.max_macs),
                    "max_memory_bytes": _int(limits.max_memory_bytes)},
        "latency": _latency_record(result),
        "gates": gates,
        "summary": summary,
        "notes": list(result.notes),
        "conditions": _conditions(result),
    }


# ------------------------------------------------------------------------------------------- document

_FIGURES = {"params": ("params", "budget_params", "params"), "macs": ("macs", "budget_macs", "MACs"),
            "memory": ("memory_bytes", "budget_bytes", "bytes"), "latency": ("latency_ms", "budget_ms", "ms")}


def _csv_view(data: dict[str, Any]) -> TableView:
    rows = []
    for g in data["gates"]:
        value_key, budget_key, unit = _FIGURES.get(g["name"], ("", "", ""))
        rows.append({"gate": g["name"], "status": g["status"], "value": g.get(value_key), "budget": g.get(budget_key),
                     "unit": unit if g.get(value_key) is not None else "", "message": g["message"],
                     "file": g.get("file"), "line": g.get("line")})
    return TableView([Column(k, k) for k in ("gate", "status", "value", "budget", "unit", "message", "file", "line")],
                     rows)


def _table_view(data: dict[str, Any]) -> TableView:
    rows = [{"gate": g["name"], "result": g["status"].upper() if g["status"] != "passed" else "pass",
             "detail": g["message"].split(": ", 1)[-1]} for g in data["gates"]]
    return TableView([Column("gate", "gate", no_wrap=True), Column("result", "result", no_wrap=True),
                      Column("detail", "detail", ratio=1)], rows,
                     title=f"archsel check {data['model']['spec']} on {data['target']['name']}: "
                           f"{data['status'].upper()}")


def _notes(data: dict[str, Any]) -> list[str]:
    notes = []
    lat = data.get("latency")
    if lat and lat["kind"] == "estimated":
        notes.append(f"Latency estimated (not measured): {lat['method']}. {lat['accuracy_note']}.")
    elif lat:
        notes.append(f"Latency measured on this machine ({lat['device_name']}, {lat['threads']} threads): "
                     f"{lat['method']}.")
    notes += [f"Note: {n}" for n in data.get("notes") or []]
    notes += [f"{g['name']}: {g['detail']}" for g in data["gates"]
              if g.get("detail") and g["status"] in ("failed", "error")]
    return notes


def summary_line(data: dict[str, Any]) -> str:
    """The one stderr line for the CI log: status, counts, and every failed gate's message."""
    bad = [g for g in data["gates"] if g["status"] in ("failed", "error")]
    text = (f"archsel check: {data['status'].upper()} {data['model']['spec']} on {data['target']['name']}: "
            f"{count_text(_cases(data['gates']))}")
    return text + (" — " + "; ".join(g["message"] for g in bad) if bad else "")


def _cases(gates: list[dict[str, Any]]) -> list[Case]:
    """One test case per gate record."""
    return [Case(g["name"], g["status"], g["message"], detail=g.get("detail"), file=g.get("file"),
                 line=g.get("line"), error_type="GateFailed" if g["status"] == "failed" else g.get("error_type"),
                 duration_s=g.get("duration_s"),
                 properties={k: v for k, v in g.items() if k not in _CASE_KEYS})
            for g in gates]


def document(data: dict[str, Any], fmt: str = "table") -> Document:
    """The check's document from its payload: gates as cases, the table (csv: one raw row per gate)."""
    spec, target = data["model"]["spec"], data["target"]["name"]
    cases = _cases(data["gates"])
    suite = Suite(command="archsel check", name=f"archsel check {spec} on {target}", status=data["status"],
                  summary=f"{spec} on {target}: {count_text(cases)}",
                  classname=f"archsel.check.{spec}", properties=data.get("conditions", {}),
                  timestamp=data.get("timestamp"), hostname=data.get("hostname"), duration_s=data.get("duration_s"))
    view = _csv_view(data) if fmt == "csv" else _table_view(data)
    return Document(data, "gates", [view], _notes(data), cases, suite)

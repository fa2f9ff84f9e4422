"""The documents of `archsel profile`: measured records (counts, latency, memory) and estimates on a target.

Table units: GMACs and GFLOPs (FLOPs = 2 × MACs), params in millions, memory in binary units, ms; csv
gives the raw numbers with the unit in each header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsel.report.document import SCHEMA_VERSION, Case, Column, Document, Suite, TableView, count_text, suite_status
from archsel.units import format_bytes, format_ms

if TYPE_CHECKING:
    from archsel.advice.costing import Cost
    from archsel.targets.profiles import TargetProfile


def _g(value: Any, scale: float = 1e9) -> str:
    return "—" if value is None else f"{value / scale:.4g}"


def _int(value: Any) -> str:
    return "—" if value is None else str(value)


def _bytes(value: Any) -> str:
    return "—" if value is None else format_bytes(value)


# ------------------------------------------------------------------------------------------- measured


def _row(r: dict[str, Any]) -> dict[str, Any]:
    lat = r.get("latency") or {}
    mem = r.get("memory") or {}
    measured = mem.get("measured") or {}
    est = mem.get("estimated") or {}
    measured_mem = measured.get("cuda_peak_allocated_bytes", measured.get("rss_peak_growth_bytes"))
    return {
        "model_id": r["model_id"], "batch": r["batch"], "dtype": r["dtype"], "device": r["device"],
        "runtime": r["conditions"].get("runtime", "pytorch"),
        "int8_mac_fraction": (r.get("int8") or {}).get("int8_mac_fraction"),
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


_ROW_KEYS = ("model_id", "batch", "dtype", "device", "runtime", "int8_mac_fraction", "input", "macs", "flops", "params",
             "peak_activation_bytes",
             "memory_estimated_bytes", "memory_measured_bytes", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "std_ms",
             "iterations", "throughput_samples_per_s", "stop_reason", "uncounted_ops", "status", "cached")


def _measured_views(records: list[dict[str, Any]], fmt: str) -> list[TableView]:
    rows = [_row(r) for r in records]
    if fmt == "csv":  # raw numbers, units in the headers
        return [TableView([Column(k, k) for k in _ROW_KEYS], rows)]
    # one line per result at any width: the least needed columns go first as the terminal narrows
    columns = [
        Column("model_id", "model", shrink=True), Column("input", "input", drop=5), Column("dtype", "dtype"),
        Column("macs", "GMACs", _g, "right", drop=6), Column("flops", "GFLOPs", _g, "right", drop=8),
        Column("params", "params (M)", lambda v: _g(v, 1e6), "right", drop=7),
        Column("peak_activation_bytes", "act. mem", _bytes, "right", drop=9),
        Column("p50_ms", "p50 ms", format_ms, "right"), Column("p90_ms", "p90 ms", format_ms, "right", drop=4),
        Column("p99_ms", "p99 ms", format_ms, "right", drop=3),
        Column("throughput_samples_per_s", "samples/s", lambda v: "—" if v is None else f"{v:.4g}", "right",
               drop=10),
        Column("iterations", "iters", _int, "right", drop=11),
        Column("uncounted_ops", "uncounted", _int, "right", drop=12), Column("status", "status"),
    ]
    views = [TableView(columns, rows, title="archsel profile (MACs = multiply-accumulates; FLOPs = 2 × MACs)",
                       one_line=True)]
    for r in records:
        if r.get("by_module"):
            by_module = r["by_module"]
            views.append(TableView([Column(k, k) for k in by_module[0]], by_module,
                                   title=f"{r['model_id']} batch {r['batch']}: per module"))
    return views


def runtime_words(c: dict[str, Any]) -> str:
    """'eager PyTorch 2.14.1' or 'onnxruntime 1.32.0 (CPUExecutionProvider, ORT_ENABLE_ALL, fp32; exported by ...)'."""
    if c.get("runtime", "pytorch") == "pytorch":
        return f"eager PyTorch {c['torch_version']}"
    how = ", ".join(str(c[k]) for k in ("runtime_device", "graph_optimization", "inference_precision") if c.get(k))
    exported = f"; graph from {c['exporter']}" if c.get("exporter") else ""
    return f"{c['runtime']} {c.get('runtime_version', '')} ({how}{exported})"


def int8_words(int8: dict[str, Any]) -> str:
    """One line on how int8 was made (the runtime's own note says what share of the MACs ran in int8)."""
    return f"int8: {int8.get('method', '?')}; calibration: {int8.get('calibration', '?')}"


def _fleet_notes(records: list[dict[str, Any]]) -> list[str]:
    """One line per fleet node that measured (or whose measurements came from the cache)."""
    by_node: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        fleet = r["conditions"].get("fleet") or {}
        if "node_id" in fleet:
            by_node.setdefault(fleet["node_id"], []).append(r)
    lines = []
    for node_id, rs in sorted(by_node.items()):
        f = rs[0]["conditions"]["fleet"]
        cached = sum(bool(r.get("cached")) for r in rs)
        lines.append(f"Measured on {f['target']} node {node_id[:12]} ({f.get('hostname')}, {f.get('node_address')}; "
                     f"{f.get('cpu_model')}, {f.get('cpu_cores')} cores"
                     + (f", {f['gpu_name']}" if f.get("gpu_name") else "")
                     + f"; torch {f.get('torch_version')}, archsel {f.get('archsel_version')}): {len(rs)} result(s)"
                     + (f", {cached} from the cache" if cached else "") + ".")
    return lines


def _measured_notes(records: list[dict[str, Any]]) -> list[str]:
    notes: list[str] = []
    ok = [r for r in records if r["status"] == "ok"] or [r for r in records if "device_name" in r["conditions"]]
    if ok:
        c = ok[0]["conditions"]
        notes.append(
            f"Conditions: {c['device']} ({c['device_name']}), {runtime_words(c)}, {c['threads']} CPU "
            f"threads, time budget {c['time_budget_s']:g} s per measurement, counter {c['counter']}."
        )
        lat = next((r["latency"] for r in records if r.get("latency")), None)
        where = "on the fleet (below)" if any("node_id" in r["conditions"].get("fleet", {}) for r in ok) else "here"
        if lat:
            notes.append(f"Latency: measured {where}; {lat['method']}; p50/p90/p99 per forward pass.")
    notes += _fleet_notes(ok)
    for r in records:
        tag = f"{r['model_id']} b{r['batch']} {r['dtype']}"
        if r["status"] != "ok":
            notes.append(f"FAILED {tag}: {r['failure_kind']}: {r['error']}")
        if r.get("int8"):
            notes.append(f"{tag}: {int8_words(r['int8'])}")
        for n in r.get("notes") or []:
            notes.append(f"{tag}: {n}")
        cc = r.get("cross_check")
        if cc:
            verdict = "agree" if cc["agree"] else "DISAGREE"
            notes.append(f"{tag}: cross-check {verdict} (max relative difference {cc['max_rel_diff']:.2%}; "
                         + ", ".join(f"{k} {v:,}" for k, v in cc["macs"].items())
                         + "".join(f"; {k} failed: {v}" for k, v in cc["errors"].items())
                         + "".join(f"; {k} skipped: {v}" for k, v in cc.get("skipped", {}).items()) + ")")
        lat = r.get("latency")
        if lat and lat.get("stop_reason") != "stable":
            notes.append(f"{tag}: latency not yet stable (IQR/median {lat['rel_iqr']:.1%}, stopped by "
                         f"{lat['stop_reason']}): give a larger --time-budget for a tighter figure")
    return notes


def _record_case(r: dict[str, Any]) -> Case:
    name = f"{r['model_id']} batch {r['batch']} {r['dtype']}"
    cc = r.get("cross_check")
    if r["status"] != "ok":
        return Case(name, "error", f"{name}: {r['failure_kind']}: {r['error']}", error_type=r["failure_kind"])
    if cc and not cc["agree"]:
        return Case(name, "failed", f"{name}: counters disagree by {cc['max_rel_diff']:.2%}",
                    error_type="CountersDisagree")
    lat = r.get("latency") or {}
    figures = f"{_g(r['macs'])} GMACs" + (f", p50 {format_ms(lat['p50_ms'])} ms" if lat.get("p50_ms") else "")
    return Case(name, "passed", f"{name}: {figures}",
                properties={"macs": r["macs"], "params": r["params"], "p50_ms": lat.get("p50_ms")})


def measured_document(payload: dict[str, Any], fmt: str) -> Document:
    """`archsel profile` measured here: one row (and one case) per (model, dtype, batch)."""
    records = payload["results"]
    found = [_record_case(r) for r in records]
    suite = Suite("archsel profile", "archsel profile", suite_status(found), f"archsel profile: {count_text(found)}",
                  classname="archsel.profile", properties=dict(payload.get("options") or {}))
    return Document(payload, "results", _measured_views(records, fmt), _measured_notes(records), found, suite)


def measured_payload(records: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
    failed = [r for r in records if r["status"] != "ok"]
    disagree = [r for r in records if r.get("cross_check") and not r["cross_check"]["agree"]]
    return {
        "schema_version": SCHEMA_VERSION, "command": "profile", "options": options,
        "summary": {"results": len(records), "ok": len(records) - len(failed), "failed": len(failed),
                    "cross_check_disagreements": len(disagree)},
        "results": records,
    }


# ------------------------------------------------------------------------------------------- estimated


def estimate_record(c: Cost, target: TargetProfile) -> dict[str, Any]:
    """One JSON-ready estimate: latency, band, breakdown, and the memory the target needs."""
    lat = c.latency
    assert lat is not None and lat.kind == "estimated"
    return {
        "model_id": c.model_id, "task": c.task, "input_shapes": c.input_shapes, "batch": c.batch,
        "precision": lat.precision, "target": target.name, "target_class": target.target_class,
        "runtime": lat.runtime,
        "kind": lat.kind, "latency_ms": lat.p50_ms, "band": {"low_ms": lat.band_low_ms, "high_ms": lat.band_high_ms},
        "throughput_samples_per_s": c.batch * 1e3 / lat.p50_ms if lat.p50_ms else None,
        "overhead_share": lat.detail.get("overhead_share"), "macs": c.macs, "params": c.params,
        "memory_required_bytes": c.memory_bytes,
        "fits_in_memory": None if target.memory_bytes is None else c.memory_bytes <= target.memory_bytes,
        "method": lat.method, "accuracy_note": lat.accuracy_note, "breakdown": lat.breakdown,
    }


def estimated_payload(costs: list[Cost], target: TargetProfile) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "command": "profile", "kind": "estimated",
            "target": target.to_dict(), "results": [estimate_record(c, target) for c in costs]}


def _estimate_case(r: dict[str, Any], target: TargetProfile) -> Case:
    name = f"{r['model_id']} batch {r['batch']} {r['precision']}"
    text = f"{name}: estimated {format_ms(r['latency_ms'])} ms on {target.name}"
    if r["fits_in_memory"] is False:
        return Case(name, "failed", f"{text}; needs {format_bytes(r['memory_required_bytes'])}, more than the "
                                    f"target's {target.memory_gb:g} GB", error_type="OutOfMemory")
    return Case(name, "passed", text, properties={"latency_ms": r["latency_ms"], "macs": r["macs"]})


def estimated_document(payload: dict[str, Any], target: TargetProfile, fmt: str) -> Document:
    """`archsel profile --target`: one estimate per (model, precision, batch), and per op class."""
    records = payload["results"]
    rows = [{**r, "band_text": f"{format_ms(r['band']['low_ms'])}–{format_ms(r['band']['high_ms'])}",
             "top": ", ".join(f"{c['op_class']} {c['share']:.0%} ({c['bound']})" for c in r["breakdown"][:2])}
            for r in records]
    views = [TableView([
        Column("model_id", "model", shrink=True), Column("batch", "batch", str, "right"), Column("precision", "dtype"),
        Column("latency_ms", "est. ms", format_ms, "right"), Column("band_text", "band ms", justify="right", drop=1),
        Column("overhead_share", "overhead", lambda v: f"{v:.0%}", "right", drop=2),
        Column("top", "where the time goes", drop=3, shrink=True),
    ], rows, title=f"archsel profile: ESTIMATED latency on {target.display_name}"
                   + (f" with {records[0]['runtime']}" if records else ""), one_line=True)]
    if fmt != "csv":
        for r in records:
            views.append(TableView([
                Column("op_class", "op class", no_wrap=True), Column("ops", "ops", str, "right"),
                Column("macs", "GMACs", lambda v: f"{v / 1e9:.3g}", "right"),
                Column("bytes", "MB moved", lambda v: f"{v / 1e6:.3g}", "right"),
                Column("time_ms", "ms", format_ms, "right"), Column("share", "share", lambda v: f"{v:.0%}", "right"),
                Column("overhead_ms", "overhead ms", format_ms, "right"), Column("bound", "bound by"),
            ], list(r["breakdown"]), title=f"{r['model_id']} batch {r['batch']} {r['precision']}: per op class"))
    notes = []
    if records:
        notes.append(f"Latency: estimated, not measured ({records[0]['method']}).")
        notes.append(f"Accuracy: {records[0]['accuracy_note']}.")
    notes += [f"{r['model_id']} b{r['batch']} {r['precision']}: needs {format_bytes(r['memory_required_bytes'])}, "
              f"more than the target's {target.memory_gb:g} GB" for r in records if r["fits_in_memory"] is False]
    found = [_estimate_case(r, target) for r in records]
    suite = Suite("archsel profile", f"archsel profile on {target.name}", suite_status(found),
                  f"archsel profile on {target.name}: {count_text(found)}", classname="archsel.profile",
                  properties={"target": target.name, "kind": "estimated"})
    return Document(payload, "results", views, notes, found, suite)

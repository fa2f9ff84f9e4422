"""The document of `archsel calibrate`: what was measured and fitted, and the reference models' fit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsel.report.document import SCHEMA_VERSION, Column, Document, TableView
from archsel.report.listings import field_view
from archsel.units import format_ms

if TYPE_CHECKING:
    from pathlib import Path

    from archsel.estimation.calibrate import Calibration
    from archsel.estimation.calibrate_runtime import RuntimeCalibration


def document(cal: Calibration, doc: dict[str, Any], path: Path, *, name: str, device: str, quick: bool,
             runtime: RuntimeCalibration | None = None) -> Document:
    """`doc` is the profile written to `path`; `runtime`: the deployment runtime fitted as well."""
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "command": "calibrate", "profile_path": str(path), "name": name,
        "device": device, "threads": cal.micro.threads, "quick": quick,
        "peak_tflops": doc["peak_tflops"] and {p: f["value"] for p, f in doc["peak_tflops"].items()},
        "memory_bandwidth_gbs": doc["memory_bandwidth_gbs"]["value"], "efficiency": doc["efficiency"],
        "overhead_us": doc["overhead_us"], "micro_benchmarks": cal.micro.to_dict(),
        "references": [{"model_id": r.model_id, "batch": r.batch, "measured_ms": r.measured_s * 1e3,
                        "fit_error": e} for r, e in zip(cal.references, cal.fit_errors, strict=True)],
    }
    if runtime is not None:
        payload["runtime"] = runtime_payload(runtime)
    fields: list[tuple[str, ...]] = [(k, str(v)) for k, v in payload.items()
                                     if k not in ("schema_version", "command", "micro_benchmarks", "references",
                                                  "runtime")]
    if runtime is not None:
        fields += runtime_fields(payload["runtime"])
    ref_rows = [{"model": r["model_id"], "batch": r["batch"], "measured_ms": format_ms(r["measured_ms"]),
                 "fit_error": f"{r['fit_error']:+.0%}"} for r in payload["references"]]
    views = [field_view(fields, "archsel calibrate"),
             TableView([Column("model", "model", no_wrap=True), Column("batch", "batch", justify="right"),
                        Column("measured_ms", "measured ms", justify="right"),
                        Column("fit_error", "fit error", justify="right")], ref_rows, title="reference models")]
    if runtime is not None:
        held_rows = [{"model": h["model_id"], "batch": h["batch"], "precision": h["precision"],
                      "threads": h["threads"], "measured_ms": format_ms(h["measured_ms"]),
                      "estimated_ms": format_ms(h["estimated_ms"]), "error": f"{h['error']:+.0%}"}
                     for h in payload["runtime"]["held_out"]]
        views.append(TableView([Column("model", "model", no_wrap=True), Column("batch", "batch", justify="right"),
                                Column("precision", "precision"), Column("threads", "threads", justify="right"),
                                Column("measured_ms", "measured ms", justify="right"),
                                Column("estimated_ms", "held-out estimate ms", justify="right"),
                                Column("error", "error", justify="right")], held_rows,
                               title=f"{runtime.runtime}: each model held out of the fit"))
    return Document(payload, "references", views, [f"Use it: archsel profile MODEL --target {path}"])


def runtime_payload(rc: RuntimeCalibration) -> dict[str, Any]:
    """The fitted runtime: each precision's fit (its parameters and leave-one-model-out error; the entry's
    own, fp32, also at the top level), the error over all, and each held-out prediction."""
    def fitted(fit: Any) -> dict[str, Any]:
        return {"efficiency": fit.efficiency(), "layer_us": fit.x["layer"] * 1e6, "call_us": fit.x["call"] * 1e6,
                "fused_traffic": fit.fused_traffic, "parallel_efficiency": fit.parallel_efficiency,
                "precision_rates": dict(fit.precision_rates), "half_efficiency_macs": fit.half_efficiency_macs}

    return {
        "name": rc.runtime, "version": rc.version, "measurements": len(rc.rows), "models": rc.models,
        "precisions": rc.precisions, **fitted(rc.fit),
        "precision_fits": {p: {**fitted(fit), "leave_one_model_out": rc.summary_of(p)} for p, fit in rc.fits.items()},
        "leave_one_model_out": rc.summary, "notes": rc.notes,
        "held_out": [{"model_id": h.row.model, "batch": int(h.row.label[1:]), "precision": h.row.precision,
                      "threads": h.row.threads, "measured_ms": h.row.measured_s * 1e3,
                      "estimated_ms": h.predicted_s * 1e3, "error": h.ratio - 1} for h in rc.held],
        "graph_cost": None if rc.graph is None else {
            "parallel_efficiency": rc.graph.fit.parallel,
            "estimates": [p for p in rc.graph.fit.seconds if p != rc.graph.fit.base],  # the trace estimates fp32
            "leave_one_model_out": {p: rc.graph.summary_of(p) for p in rc.graph.fit.seconds},
            "held_out": [{"model_id": h.sample.model, "batch": h.sample.batch, "precision": h.sample.precision,
                          "threads": h.sample.threads, "measured_ms": h.sample.measured_s * 1e3,
                          "estimated_ms": h.estimated_s * 1e3, "error": h.ratio - 1} for h in rc.graph.held]},
    }


def runtime_fields(p: dict[str, Any]) -> list[tuple[str, ...]]:
    """Field rows of runtime_payload: per precision its held-out error, efficiencies and fixed costs."""
    out = [("runtime", f"{p['name']} {p['version']}: {p['measurements']} measurements of {len(p['models'])} "
                       f"models ({', '.join(p['precisions'])}), each precision fitted alone")]
    for precision, f in p["precision_fits"].items():
        s = f["leave_one_model_out"]
        rank = "—" if s.get("spearman") is None else f"{s['spearman']:.2f}"
        eff = ", ".join(f"{k} {v:.3g}" for k, v in f["efficiency"].items())
        out += [(f"{precision} leave-one-model-out", f"median |error| {s['median_abs_pct']:.0f}%, "
                                                     f"{s['within_25']:.0%} within ±25%, rank correlation {rank} "
                                                     f"({s['n']} measurements)"),
                (f"{precision} efficiency", eff),
                (f"{precision} fixed costs", f"layer {f['layer_us']:.3g} µs, call {f['call_us']:.3g} µs, fused "
                                            f"traffic {f['fused_traffic']:.3g}, parallel efficiency "
                                            f"{f['parallel_efficiency']:.3g}"
                                            + "".join(f", {k} rate x{v:.3g}" for k, v in f["precision_rates"].items())
                                            + (f", GEMM layers at half efficiency at {f['half_efficiency_macs']:.3g} "
                                               "MACs per thread" if f["half_efficiency_macs"] else ""))]
    graph = p.get("graph_cost") or {}
    for precision in graph.get("estimates", []):
        s = graph["leave_one_model_out"][precision]
        rank = "—" if s.get("spearman") is None else f"{s['spearman']:.2f}"
        out.append((f"{precision} graph cost model", f"estimates {precision}: leave-one-model-out median |error| "
                                                     f"{s['median_abs_pct']:.0f}%, {s['within_25']:.0%} within ±25%, "
                                                     f"rank correlation {rank} ({s['n']} measurements)"))
    return out + [("runtime note", n) for n in p["notes"]]

"""The document of `archsel calibrate`: what was measured and fitted, and the reference models' fit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsel.report.document import SCHEMA_VERSION, Column, Document, TableView
from archsel.report.listings import field_view
from archsel.units import format_ms

if TYPE_CHECKING:
    from pathlib import Path

    from archsel.estimation.calibrate import Calibration


def document(cal: Calibration, doc: dict[str, Any], path: Path, *, name: str, device: str, quick: bool) -> Document:
    """`doc` is the profile written to `path`."""
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "command": "calibrate", "profile_path": str(path), "name": name,
        "device": device, "threads": cal.micro.threads, "quick": quick,
        "peak_tflops": doc["peak_tflops"] and {p: f["value"] for p, f in doc["peak_tflops"].items()},
        "memory_bandwidth_gbs": doc["memory_bandwidth_gbs"]["value"], "efficiency": doc["efficiency"],
        "overhead_us": doc["overhead_us"], "micro_benchmarks": cal.micro.to_dict(),
        "references": [{"model_id": r.model_id, "batch": r.batch, "measured_ms": r.measured_s * 1e3,
                        "fit_error": e} for r, e in zip(cal.references, cal.fit_errors, strict=True)],
    }
    fields: list[tuple[str, ...]] = [(k, str(v)) for k, v in payload.items()
                                     if k not in ("schema_version", "command", "micro_benchmarks", "references")]
    ref_rows = [{"model": r["model_id"], "batch": r["batch"], "measured_ms": format_ms(r["measured_ms"]),
                 "fit_error": f"{r['fit_error']:+.0%}"} for r in payload["references"]]
    views = [field_view(fields, "archsel calibrate"),
             TableView([Column("model", "model", no_wrap=True), Column("batch", "batch", justify="right"),
                        Column("measured_ms", "measured ms", justify="right"),
                        Column("fit_error", "fit error", justify="right")], ref_rows, title="reference models")]
    return Document(payload, "references", views, [f"Use it: archsel profile MODEL --target {path}"])

"""`archsel profile MODEL --target NAME|FILE`: estimated latency with its per-op-class breakdown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsel.report.formats import SCHEMA_VERSION, Column, Document, TableView, emit

if TYPE_CHECKING:
    from archsel.targets.profiles import TargetProfile


def estimate_record(model_id: str, target: TargetProfile, *, batch: int, precision: str, task: str | None,
                    input_shape: tuple[int, ...] | None) -> dict[str, Any]:
    """One JSON-ready estimate: latency, band, breakdown, and the memory the target needs."""
    from archsel.estimation.estimate import estimate_count, required_memory_bytes
    from archsel.profiling.counting import count_model

    count = count_model(model_id, task=task, input_shape=input_shape, batch=batch, dtype="float32")
    est = estimate_count(count, target, precision=precision)
    need = required_memory_bytes(count, est.precision)
    return {
        "model_id": model_id, "task": count.task, "input_shapes": count.input_shapes, "batch": count.batch,
        "precision": est.precision, "target": est.target, "target_class": est.target_class,
        "kind": est.kind, "latency_ms": est.latency_ms,
        "band": {"low_ms": est.band_low_ms, "high_ms": est.band_high_ms},
        "throughput_samples_per_s": count.batch * 1e3 / est.latency_ms if est.latency_ms else None,
        "overhead_share": est.overhead_share, "macs": count.macs, "params": count.params,
        "memory_required_bytes": need,
        "fits_in_memory": None if target.memory_gb is None else need <= target.memory_gb * 1e9,
        "method": est.method, "accuracy_note": est.accuracy_note, "breakdown": est.by_class,
    }


def _f(v: Any, digits: str = ".3g") -> str:
    return "—" if v is None else format(v, digits)


def estimate_command(models: list[str], target: TargetProfile, *, task: str | None,
                     input_shape: tuple[int, ...] | None, batches: tuple[int, ...], dtypes: tuple[str, ...],
                     fmt: str) -> None:
    """Estimate every model × batch × precision on `target` and emit the document."""
    from archsel.estimation.estimate import check_target

    precisions = tuple(check_target(target, d) for d in dtypes)  # UsageError before any counting
    records = [estimate_record(m, target, batch=b, precision=p, task=task, input_shape=input_shape)
               for m in models for p in precisions for b in batches]
    payload = {"schema_version": SCHEMA_VERSION, "command": "profile", "kind": "estimated",
               "target": {"name": target.name, "display_name": target.display_name,
                          "class": target.target_class, "path": target.path,
                          "estimator_source": target.estimator_source},
               "results": records}
    rows = [{**r, "band_text": f"{r['band']['low_ms']:.3g}–{r['band']['high_ms']:.3g}",
             "top": ", ".join(f"{c['op_class']} {c['share']:.0%} ({c['bound']})" for c in r["breakdown"][:2])}
            for r in records]
    views = [TableView([
        Column("model_id", "model"), Column("batch", "batch", str, "right"), Column("precision", "dtype"),
        Column("latency_ms", "est. ms", _f, "right"), Column("band_text", "band ms", justify="right"),
        Column("overhead_share", "overhead", lambda v: f"{v:.0%}", "right"), Column("top", "where the time goes"),
    ], rows, title=f"archsel profile: ESTIMATED latency on {target.display_name}")]
    if fmt != "csv":
        for r in records:
            views.append(TableView([
                Column("op_class", "op class"), Column("ops", "ops", str, "right"),
                Column("macs", "GMACs", lambda v: f"{v / 1e9:.3g}", "right"),
                Column("bytes", "MB moved", lambda v: f"{v / 1e6:.3g}", "right"),
                Column("time_ms", "ms", _f, "right"), Column("share", "share", lambda v: f"{v:.0%}", "right"),
                Column("overhead_ms", "overhead ms", _f, "right"), Column("bound", "bound by"),
            ], list(r["breakdown"]), title=f"{r['model_id']} batch {r['batch']} {r['precision']}: per op class"))
    notes = []
    if records:
        notes.append(f"Latency: estimated, not measured ({records[0]['method']}).")
        notes.append(f"Accuracy: {records[0]['accuracy_note']}.")
    for r in records:
        if r["fits_in_memory"] is False:
            notes.append(f"{r['model_id']} b{r['batch']} {r['precision']}: needs "
                         f"{r['memory_required_bytes'] / 1e9:.3g} GB, more than the target's {target.memory_gb} GB")
    emit(Document(payload, "results", views, notes), fmt)

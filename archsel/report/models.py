"""The documents of `archsel models list|show`: the zoo's entries with their published figures."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from archsel.report.document import SCHEMA_VERSION, Column, Document, TableView
from archsel.report.listings import field_view
from archsel.zoo.spec import ModelEntry


def entry_record(entry: ModelEntry, detail: bool = False) -> dict[str, Any]:
    """A JSON-ready description of an entry."""
    record: dict[str, Any] = {
        "id": entry.id,
        "display_name": entry.display_name,
        "family": entry.family,
        "tasks": list(entry.tasks),
        "lightweight": entry.lightweight,
        "streaming": entry.streaming,
        "quality": [asdict(q) for q in entry.quality],  # metric, value, dataset, source, paper, table, url, ...
        "published_gmacs": entry.published_gmacs,
        "published_params": entry.published_params,
    }
    if detail:
        record.update(
            description=entry.description,
            inputs={
                task: {
                    "call": spec.call,
                    "tensors": [
                        {"name": t.name, "shape_without_batch": list(t.shape), "axes": list(t.axes),
                         "dtype": t.dtype, "high": t.high}
                        for t in spec.tensors
                    ],
                }
                for task, spec in entry.inputs.items()
            },
            builder=entry.builder,
            builder_kwargs=dict(entry.builder_kwargs),
            torchvision_weights=entry.torchvision_weights,
            data_dependent=entry.data_dependent,
            notes=entry.notes,
            references=list(entry.references),
        )
    return record


def _quality_text(entry: ModelEntry) -> str:
    if not entry.quality:
        return "—"
    q = entry.quality[0]
    return f"{q.metric} {q.value:g} ({q.dataset})"


def list_document(entries: list[ModelEntry]) -> Document:
    records = [entry_record(e) for e in entries]
    rows = [{**r, "tasks": ", ".join(e.tasks), "quality": _quality_text(e)} for r, e in zip(records, entries,
                                                                                              strict=True)]
    view = TableView(
        columns=[Column("id", "id", no_wrap=True), Column("display_name", "architecture"), Column("family", "family"),
                 Column("tasks", "tasks"), Column("quality", "published quality")],
        rows=rows,
        title=f"{len(rows)} models",
    )
    payload = {"schema_version": SCHEMA_VERSION, "command": "models list", "count": len(records), "models": records}
    return Document(payload, "models", [view])


def show_document(entry: ModelEntry) -> Document:
    fields: list[tuple[str, ...]] = [
        ("id", entry.id),
        ("architecture", entry.display_name),
        ("family", entry.family),
        ("tasks", ", ".join(entry.tasks)),
        ("description", entry.description),
    ]
    for task, spec in entry.inputs.items():
        fields.append((f"input ({task})", spec.describe()))
    for q in entry.quality:
        fields.append(("published quality", f"{q.metric} {q.value:g} on {q.dataset} [{q.source}]"))
        if q.config_note:
            fields.append(("  measured vs ours", q.config_note))
    if entry.published_gmacs is not None:
        where = (f"torchvision _ops, {entry.torchvision_weights}" if entry.torchvision_weights
                 else "as published, see notes and references")
        fields.append(("published GMACs", f"{entry.published_gmacs:g} ({where})"))
    if entry.published_params is not None:
        fields.append(("published params", f"{entry.published_params:,}"))
    fields += [
        ("lightweight", "yes" if entry.lightweight else "no"),
        ("streaming", "yes" if entry.streaming else "no"),
        ("data-dependent", "yes (profiled on CPU at a small input)" if entry.data_dependent else "no"),
        ("builder", entry.builder + (f" {entry.builder_kwargs}" if entry.builder_kwargs else "")),
    ]
    if entry.notes:
        fields.append(("notes", entry.notes))
    fields += [("reference", ref) for ref in entry.references]
    payload = {"schema_version": SCHEMA_VERSION, "command": "models show", "model": entry_record(entry, detail=True)}
    return Document(payload, None, [field_view(fields, entry.display_name)])

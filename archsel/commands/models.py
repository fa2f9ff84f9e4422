"""`archsel models list|show`: what the zoo holds (metadata only; no torch import)."""

from __future__ import annotations

from typing import Any

import typer

from archsel.report.formats import SCHEMA_VERSION, Column, Document, TableView, check_format, emit
from archsel.zoo.spec import FAMILIES, ModelEntry

app = typer.Typer(help="The model zoo: every architecture archsel can recommend, as a real PyTorch model.",
                  no_args_is_help=True)

FORMAT_HELP = "Output format: table, json, jsonl, yaml, csv or markdown."


def entry_record(entry: ModelEntry, detail: bool = False) -> dict[str, Any]:
    """A JSON-ready description of an entry."""
    record: dict[str, Any] = {
        "id": entry.id,
        "display_name": entry.display_name,
        "family": entry.family,
        "tasks": list(entry.tasks),
        "lightweight": entry.lightweight,
        "streaming": entry.streaming,
        "quality": [
            {"metric": q.metric, "value": q.value, "dataset": q.dataset, "source": q.source} for q in entry.quality
        ],
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


def _resolve_task(task: str | None) -> str | None:
    if task is None:
        return None
    from archsel.vocab import load_vocabulary

    return load_vocabulary().resolve_task(task)


def _resolve_family(family: str | None) -> str | None:
    if family is None:
        return None
    from archsel.errors import unknown

    if family.lower() not in FAMILIES:
        raise unknown("family", family, FAMILIES)
    return family.lower()


@app.command("list")
def list_cmd(
    task: str | None = typer.Option(None, "--task", "-t", help="Only models serving this task (aliases work)."),
    family: str | None = typer.Option(None, "--family", help="cnn, rnn, transformer, hybrid, ssm or tabular."),
    include: list[str] | None = typer.Option(None, "--include", help="fnmatch pattern on ids (repeatable)."),
    exclude: list[str] | None = typer.Option(None, "--exclude", help="fnmatch pattern on ids to drop (repeatable)."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """List zoo models, optionally filtered by task, family and id patterns."""
    from archsel.zoo.registry import get_model_entry, list_models

    check_format(fmt)
    ids = list_models(include or None, exclude or None, task=_resolve_task(task), family=_resolve_family(family))
    entries = [get_model_entry(i) for i in ids]
    records = [entry_record(e) for e in entries]
    rows = [{**entry_record(e), "tasks": ", ".join(e.tasks), "quality": _quality_text(e)} for e in entries]
    view = TableView(
        columns=[
            Column("id", "id"),
            Column("display_name", "architecture"),
            Column("family", "family"),
            Column("tasks", "tasks"),
            Column("quality", "published quality"),
        ],
        rows=rows,
        title=f"{len(rows)} models",
    )
    doc = Document({"schema_version": SCHEMA_VERSION, "count": len(records), "models": records}, "models", [view])
    emit(doc, fmt)


@app.command("show")
def show_cmd(
    model_id: str = typer.Argument(..., metavar="ID", help="Model id (see `archsel models list`)."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Everything archsel knows about one model: inputs per task, published figures, notes."""
    from archsel.zoo.registry import get_model_entry

    check_format(fmt)
    entry = get_model_entry(model_id)
    record = entry_record(entry, detail=True)
    fields: list[tuple[str, str]] = [
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
    if entry.published_gmacs is not None:
        fields.append(("published GMACs", f"{entry.published_gmacs:g} (torchvision _ops, {entry.torchvision_weights})"))
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
    for ref in entry.references:
        fields.append(("reference", ref))
    view = TableView([Column("field", "field"), Column("value", "value")],
                     [{"field": k, "value": v} for k, v in fields], title=entry.display_name)
    emit(Document({"schema_version": SCHEMA_VERSION, "model": record}, None, [view]), fmt)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="models")

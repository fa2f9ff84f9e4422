"""`archsel models list|show`: what the zoo holds (metadata only; no torch import)."""

from __future__ import annotations

import typer

from archsel.commands.options import FORMAT
from archsel.errors import ExitStatus
from archsel.report.formats import check_format, emit

app = typer.Typer(help="The model zoo: every architecture archsel can recommend, as a real PyTorch model.",
                  no_args_is_help=True)


@app.command("list")
def list_cmd(
    task: str | None = typer.Option(None, "--task", "-t", help="Only models serving this task (aliases work)."),
    family: str | None = typer.Option(None, "--family", help="cnn, rnn, transformer, hybrid, ssm or tabular."),
    include: list[str] | None = typer.Option(None, "--include", help="fnmatch pattern on ids (repeatable)."),
    exclude: list[str] | None = typer.Option(None, "--exclude", help="fnmatch pattern on ids to drop (repeatable)."),
    fmt: str = FORMAT,
) -> ExitStatus:
    """List zoo models, optionally filtered by task, family and id patterns."""
    from archsel.errors import unknown
    from archsel.query.vocab import load_vocabulary
    from archsel.report.models import list_document
    from archsel.zoo.registry import get_model_entry, list_models
    from archsel.zoo.spec import FAMILIES

    check_format(fmt)
    canonical_task = load_vocabulary().resolve_task(task) if task is not None else None
    if family is not None and family.lower() not in FAMILIES:
        raise unknown("family", family, FAMILIES)
    ids = list_models(include or None, exclude or None, task=canonical_task,
                      family=family.lower() if family is not None else None)
    emit(list_document([get_model_entry(i) for i in ids]), fmt)
    return ExitStatus.SUCCESS


@app.command("show")
def show_cmd(
    model_id: str = typer.Argument(..., metavar="ID", help="Model id (see `archsel models list`)."),
    fmt: str = FORMAT,
) -> ExitStatus:
    """Everything archsel knows about one model: inputs per task, published figures, notes."""
    from archsel.report.models import show_document
    from archsel.zoo.registry import get_model_entry

    check_format(fmt)
    emit(show_document(get_model_entry(model_id)), fmt)
    return ExitStatus.SUCCESS


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="models")

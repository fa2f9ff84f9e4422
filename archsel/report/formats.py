"""Render a result document in the user's chosen format. stdout gets the payload and nothing else."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from archsel.errors import unknown

SCHEMA_VERSION = "1.0"
DATA_FORMATS = ("table", "json", "jsonl", "yaml", "csv", "markdown")


@dataclass
class Column:
    """A column of a table view: the row key, its header, and an optional formatter."""

    key: str
    header: str
    fmt: Callable[[Any], str] | None = None
    justify: str = "left"
    ratio: int | None = None  # share of the spare width in the table view (rich), e.g. for long text

    def cell(self, row: dict[str, Any]) -> str:
        value = row.get(self.key)
        if self.fmt is not None:
            return self.fmt(value)
        return "" if value is None else str(value)


@dataclass
class TableView:
    """A titled table of rows (dicts) for the human and csv/markdown formats."""

    columns: list[Column]
    rows: list[dict[str, Any]]
    title: str = ""
    caption: str = ""


@dataclass
class Document:
    """What a command produced: the machine payload, its record list for jsonl, and the human views."""

    payload: dict[str, Any]
    records_key: str | None = None  # payload key whose list items become jsonl lines
    views: list[TableView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # extra lines under the table view (human formats)


def check_format(fmt: str, allowed: Sequence[str] = DATA_FORMATS) -> str:
    """Return `fmt` if allowed, else raise a UsageError with a suggestion."""
    if fmt not in allowed:
        raise unknown("format", fmt, allowed)
    return fmt


def to_json(payload: Any) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False, default=str)


def _yaml(payload: Any) -> str:
    import yaml

    return str(yaml.safe_dump(payload, sort_keys=False, allow_unicode=True, width=1000))


def _csv(view: TableView) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c.header for c in view.columns])
    for row in view.rows:
        writer.writerow([c.cell(row) for c in view.columns])
    return buf.getvalue()


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _markdown(doc: Document) -> str:
    parts: list[str] = []
    for view in doc.views:
        if view.title:
            parts.append(f"### {view.title}\n")
        parts.append("| " + " | ".join(_md_escape(c.header) for c in view.columns) + " |")
        parts.append("|" + "|".join("---:" if c.justify == "right" else "---" for c in view.columns) + "|")
        for row in view.rows:
            parts.append("| " + " | ".join(_md_escape(c.cell(row)) for c in view.columns) + " |")
        if view.caption:
            parts.append(f"\n{view.caption}")
        parts.append("")
    parts.extend(f"{n}\n" for n in doc.notes)
    return "\n".join(parts).rstrip("\n") + "\n"


_NO_WRAP_KEYS = frozenset({"id", "rank", "model", "family", "role", "score"})


def _rich_table(doc: Document) -> None:
    import os

    from rich.console import Console
    from rich.table import Table

    wide = sys.stdout.isatty() or "COLUMNS" in os.environ
    console = Console(soft_wrap=False, width=None if wide else 160)
    for view in doc.views:
        table = Table(title=view.title or None, caption=view.caption or None, show_lines=False)
        for c in view.columns:
            table.add_column(c.header, justify=c.justify, overflow="fold",  # type: ignore[arg-type]
                             no_wrap=c.key in _NO_WRAP_KEYS, ratio=c.ratio)
        for row in view.rows:
            table.add_row(*[c.cell(row) for c in view.columns])
        console.print(table)
    for note in doc.notes:
        console.print(note, highlight=False, markup=False)


def render(doc: Document, fmt: str) -> str | None:
    """Render `doc` as text (None for the table format, which prints itself with rich)."""
    if fmt == "json":
        return to_json(doc.payload) + "\n"
    if fmt == "jsonl":
        items = doc.payload.get(doc.records_key, []) if doc.records_key else [doc.payload]
        return "".join(json.dumps(i, ensure_ascii=False, default=str) + "\n" for i in items)
    if fmt == "yaml":
        return _yaml(doc.payload)
    if fmt == "csv":
        return _csv(doc.views[0]) if doc.views else ""
    if fmt == "markdown":
        return _markdown(doc)
    return None


def emit(doc: Document, fmt: str) -> None:
    """Write `doc` to stdout in `fmt`."""
    text = render(doc, fmt)
    if text is None:
        _rich_table(doc)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def stderr_console() -> Any:
    """The console for logs, warnings and progress (stderr; honours NO_COLOR)."""
    from rich.console import Console

    return Console(stderr=True)

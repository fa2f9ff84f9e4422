"""The one registry of output formats: every command's Document (archsel.report.document) renders in
every format. stdout gets the payload and nothing else.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from archsel.errors import unknown
from archsel.report.document import Column, Document, TableView

FORMATS = ("table", "json", "jsonl", "yaml", "csv", "markdown", "junit", "github")
FORMAT_HELP = "Output format: " + ", ".join(FORMATS[:-1]) + " or " + FORMATS[-1] + "."


def check_format(fmt: str, allowed: Sequence[str] = FORMATS) -> str:
    """Return `fmt` if allowed, else raise a UsageError with a suggestion."""
    if fmt not in allowed:
        raise unknown("format", fmt, allowed)
    return fmt


# ------------------------------------------------------------------------------------------- formats


def to_json(payload: Any) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False, default=str)


def json_line(item: Any) -> str:
    """One JSON Lines record (no newline)."""
    return json.dumps(item, ensure_ascii=False, allow_nan=False, default=str)


def _json(doc: Document) -> str:
    return to_json(doc.payload) + "\n"


def _jsonl(doc: Document) -> str:
    return "".join(json_line(item) + "\n" for item in doc.records())


def _yaml(doc: Document) -> str:
    import yaml

    plain = json.loads(to_json(doc.payload))  # the JSON types only (a torch version string is a str subclass)
    return str(yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=1000))


def _csv(doc: Document) -> str:
    if not doc.views:
        return ""
    view = doc.views[0]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")

    def line_breaks(cells: list[str]) -> list[str]:  # a lone CR would not be quoted with "\n" lines
        return [c.replace("\r\n", "\n").replace("\r", "\n") if isinstance(c, str) else c for c in cells]

    writer.writerow(line_breaks([c.header for c in view.columns]))
    for row in view.rows:
        writer.writerow(line_breaks([c.cell(row) for c in view.columns]))
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


def table_width() -> int:
    """$COLUMNS, else the terminal's width on a TTY, else 160 (never a narrower table in a pipe)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return shutil.get_terminal_size((160, 24)).columns if sys.stdout.isatty() else 160


def _table(doc: Document) -> str:
    """Rich tables and notes as text; every cell literal (no markup), colour only on a terminal."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    colour = colour_on()
    width = table_width()
    console = Console(file=buf, width=width, force_terminal=colour, no_color=not colour,
                      highlight=False, soft_wrap=False)
    for view in doc.views:
        if view.one_line:
            buf.write("".join(f"{line}\n" for line in one_line_table(view, width)))
            continue
        table = Table(title=Text(view.title) if view.title else None,
                      caption=Text(view.caption) if view.caption else None, show_lines=False)
        for c in view.columns:
            table.add_column(Text(c.header), justify=c.justify, overflow="fold",  # type: ignore[arg-type]
                             no_wrap=c.no_wrap, ratio=c.ratio)
        for row in view.rows:
            table.add_row(*[Text(c.cell(row)) for c in view.columns])
        console.print(table)
    for note in doc.notes:
        if doc.short_notes:
            buf.write(fit_line(note, width) + "\n")
        else:
            console.print(Text(note))
    return buf.getvalue()


def colour_on() -> bool:
    """Colour on stdout: a terminal, and NO_COLOR not set."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def fit_line(text: str, width: int) -> str:
    """`text` cut to `width` terminal cells, ending in "…" where cut."""
    from rich.cells import cell_len, set_cell_size

    return text if cell_len(text) <= width else set_cell_size(text, max(width - 1, 0)) + "…"


def one_line_table(view: TableView, width: int) -> list[str]:
    """A view as plain text, one line per row within `width` cells (kubectl get's layout): the title
    wrapped as prose, columns two spaces apart; while too wide, the column with the highest `drop` goes,
    then the `shrink` columns' cells are cut with "…"; numbers are never cut or wrapped."""
    import textwrap

    from rich.cells import cell_len

    columns = list(view.columns)
    cells = {c.key: [c.cell(row) for row in view.rows] for c in columns}

    def size(c: Column) -> int:
        return max([cell_len(c.header), *(cell_len(v) for v in cells[c.key])])

    def total(cs: list[Column]) -> int:
        return sum(size(c) for c in cs) + 2 * (len(cs) - 1)

    while total(columns) > width and any(c.drop for c in columns):
        columns.remove(max((c for c in columns if c.drop), key=lambda c: c.drop))
    sizes = {c.key: size(c) for c in columns}
    over = total(columns) - width
    for c in columns:
        if over <= 0:
            break
        if c.shrink:
            cut = min(over, sizes[c.key] - max(cell_len(c.header), 8))
            if cut > 0:
                sizes[c.key] -= cut
                cells[c.key] = [fit_line(v, sizes[c.key]) for v in cells[c.key]]
                over -= cut

    def line(values: list[str]) -> str:
        out = [v.rjust(sizes[c.key] - cell_len(v) + len(v)) if c.justify == "right"
               else v.ljust(sizes[c.key] - cell_len(v) + len(v)) for c, v in zip(columns, values, strict=True)]
        return "  ".join(out).rstrip()

    out = textwrap.wrap(view.title, width) if view.title else []
    out.append(line([c.header for c in columns]))
    out += [line([cells[c.key][i] for c in columns]) for i in range(len(view.rows))]
    if view.caption:
        out.append(fit_line(view.caption, width))
    return out


def _junit(doc: Document) -> str:
    from archsel.report.junit import render_junit

    return render_junit(doc.test_suite(), doc.test_cases())


def _github(doc: Document) -> str:
    from archsel.report.github import render_github

    return render_github(doc.test_suite(), doc.test_cases())


RENDERERS: dict[str, Callable[[Document], str]] = {
    "table": _table, "json": _json, "jsonl": _jsonl, "yaml": _yaml, "csv": _csv, "markdown": _markdown,
    "junit": _junit, "github": _github,
}
assert tuple(RENDERERS) == FORMATS


def render(doc: Document, fmt: str) -> str:
    """`doc` as text in `fmt`."""
    return RENDERERS[check_format(fmt)](doc)


def emit_line(text: str) -> None:
    """One line of payload on stdout (a short answer such as `OK: 66 rules in 9 files`)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def emit_record(item: Any) -> None:
    """One JSON Lines record on stdout (a query file's answers, one a query, as each is ready)."""
    emit_line(json_line(item))


def emit(doc: Document, fmt: str, output: Path | None = None) -> None:
    """Write `doc` in `fmt` to stdout, or atomically to `output`."""
    text = render(doc, fmt)
    if output is not None:
        from archsel.files import write_atomic

        write_atomic(output, text, what="--output")
        return
    sys.stdout.write(text)
    sys.stdout.flush()

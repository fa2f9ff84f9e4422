"""What a command produced, in every form a format needs (archsel.report.formats renders it).

A Document holds the command's JSON payload (json, yaml; jsonl: the items of one list in it), its human
views (table, csv, markdown) and its test cases with a suite (junit, github): a check's gates, a
recommendation's candidates, a profile's results, a validation's problems. A document that names no
cases gets one passing case per record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "1.2"  # every payload but recommend/compare's (archsel.report.schema); 1.1: one target shape;
# 1.2: measured records name their runtime (conditions.runtime, runtime_version; int8: what ran in int8)
CASE_STATUSES = ("passed", "failed", "error", "skipped")
_RECORD_NAME_KEYS = ("id", "name", "model_id", "term", "field")


@dataclass
class Column:
    """A column of a table view: the row key, its header, and an optional formatter."""

    key: str
    header: str
    fmt: Callable[[Any], str] | None = None
    justify: str = "left"
    ratio: int | None = None  # share of the spare width in the table view (rich), e.g. for long text
    no_wrap: bool = False  # never wrap this column's cells (ids, ranks, short figures)
    drop: int = 0  # a one-line view drops the column with the highest `drop` first when too wide (0: never)
    shrink: bool = False  # a one-line view shortens this column's cells (with "…") when dropping is not enough

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
    one_line: bool = False  # the terminal shows one line per row: columns dropped or shortened, never wrapped


@dataclass
class Case:
    """One test case for junit and github: a gate, a candidate, a profiled model, a problem in a file."""

    name: str
    status: str  # passed | failed | error | skipped
    message: str
    detail: str | None = None  # the longer text of a failure or error
    file: str | None = None
    line: int | None = None
    col: int | None = None
    error_type: str | None = None  # junit type of a failure or error
    duration_s: float | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suite:
    """What junit and github say of the whole run."""

    command: str  # "archsel check": junit's testsuites name, the start of every github title
    name: str  # junit's testsuite name, e.g. "archsel check pkg:build on jetson-orin-nano"
    status: str  # passed | failed | error
    summary: str  # one line: what ran and the counts
    classname: str = ""  # junit classname of every case
    properties: dict[str, Any] = field(default_factory=dict)  # the conditions of the run
    timestamp: str | None = None
    hostname: str | None = None
    duration_s: float | None = None


@dataclass
class Document:
    """What a command produced, in every form a format needs."""

    payload: dict[str, Any]
    records_key: str | None = None  # payload key whose list items become jsonl lines (and default cases)
    views: list[TableView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # lines under the tables (table, markdown)
    cases: list[Case] | None = None
    suite: Suite | None = None
    short_notes: bool = False  # the terminal shows each note on one line (cut with "…" at its width)

    def records(self) -> list[Any]:
        if not self.records_key:
            return [self.payload]
        items = self.payload.get(self.records_key)
        return list(items) if isinstance(items, list) else []

    def test_cases(self) -> list[Case]:
        """The cases, or one passing case per record."""
        if self.cases is not None:
            return self.cases
        return [Case(_record_name(r, i), "passed", _record_name(r, i),
                     properties={k: v for k, v in r.items() if _scalar(v)} if isinstance(r, dict) else {})
                for i, r in enumerate(self.records(), 1)]

    def test_suite(self) -> Suite:
        """The suite, or one made from the payload's command and the cases' counts."""
        if self.suite is not None:
            return self.suite
        command = f"archsel {self.payload.get('command', '')}".strip()
        cases = self.test_cases()
        return Suite(command, command, suite_status(cases), f"{command}: {count_text(cases)}",
                     classname=command.replace(" ", "."))


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _record_name(record: Any, index: int) -> str:
    if isinstance(record, dict):
        for key in _RECORD_NAME_KEYS:
            if isinstance(record.get(key), str | int) and record.get(key) != "":
                return str(record[key])
    return f"#{index}"


def case_counts(cases: Sequence[Case]) -> dict[str, int]:
    """How many cases of each status, and in all."""
    status = [c.status for c in cases]
    return {"tests": len(cases), **{s: status.count(s) for s in CASE_STATUSES}}


def count_text(cases: Sequence[Case]) -> str:
    n = case_counts(cases)
    return f"{n['passed']} passed, {n['failed']} failed, {n['error']} errors, {n['skipped']} skipped"


def suite_status(cases: Sequence[Case]) -> str:
    """error if a case errored, failed if one failed, else passed."""
    n = case_counts(cases)
    return "error" if n["error"] else "failed" if n["failed"] else "passed"

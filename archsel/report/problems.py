"""The document of a validation (`rules validate`, `targets validate`): every Problem with its place.

As JSON each problem keeps its file, line and column; as junit or github each is a failed case at that
place (a GitHub annotation on the offending line of the rule or profile file).
"""

from __future__ import annotations

from collections.abc import Sequence

from archsel.errors import Problem
from archsel.report.document import SCHEMA_VERSION, Case, Column, Document, Suite, TableView


def document(command: str, problems: Sequence[Problem], checked: str) -> Document:
    """`checked` says what was read (e.g. "66 rules in 9 files")."""
    payload = {"schema_version": SCHEMA_VERSION, "command": command, "valid": not problems, "checked": checked,
               "problem_count": len(problems), "problems": [p.to_dict() for p in problems]}
    rows = [{"where": f"{p.file}:{p.line}:{p.col}", "problem": p.message + (f" ({p.hint})" if p.hint else "")}
            for p in problems]
    view = TableView([Column("where", "where", no_wrap=True), Column("problem", "problem", ratio=1)], rows,
                     title=f"archsel {command}: {len(problems)} problem(s) in {checked}" if problems
                     else f"archsel {command}: OK: {checked}")
    cases = [Case(p.message, "failed", str(p), file=p.file, line=p.line, col=p.col, error_type="InvalidFile",
                  properties={"hint": p.hint}) for p in problems] or [Case("valid", "passed", f"OK: {checked}")]
    suite = Suite(f"archsel {command}", f"archsel {command}", "failed" if problems else "passed",
                  f"{len(problems)} problem(s) in {checked}" if problems else f"OK: {checked}",
                  classname=f"archsel.{command.replace(' ', '.')}")
    return Document(payload, "problems", [view], [], cases, suite)

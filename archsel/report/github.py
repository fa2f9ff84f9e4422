"""GitHub Actions workflow commands (annotations) of any document: one per Case, then a summary.

Escaping follows the runner's rules (actions/toolkit, core/src/command.ts): in the message (data),
'%' → %25, CR → %0D, LF → %0A; in property values (title, file, ...) also ':' → %3A and ',' → %2C.
A failed or errored case is `::error`, a skipped one `::warning`, a passing one a `::notice`; with the
file, line and column when the case has them (a user's factory, a rule file), so the annotation lands
on that line in a pull request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archsel.report.document import Case, Suite

LEVELS = {"failed": "error", "error": "error", "skipped": "warning", "passed": "notice"}
WORDS = {"failed": "FAILED", "error": "ERROR", "skipped": "skipped", "passed": "passed"}


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **props: Any) -> str:
    """One workflow command line, e.g. `::error title=...,file=...,line=3::message`."""
    parts = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, ""))
    return f"::{level}{' ' + parts if parts else ''}::{escape_data(message)}"


def render_github(suite: Suite, cases: Sequence[Case]) -> str:
    """One annotation per case, then the summary (a notice when the suite passed, else an error)."""
    lines = []
    for case in cases:
        message = case.message
        if case.detail and case.status in ("failed", "error"):
            message += "\n" + case.detail
        located = bool(case.file)
        lines.append(command(LEVELS[case.status], message, title=f"{suite.command} {WORDS[case.status]}: {case.name}",
                             file=case.file, line=case.line if located else None,
                             col=case.col if located and case.line else None))
    level = "notice" if suite.status == "passed" else "error"
    lines.append(command(level, suite.summary, title=f"{suite.command} {suite.status}"))
    return "\n".join(lines) + "\n"

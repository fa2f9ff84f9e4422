"""GitHub Actions workflow commands (annotations) for `archsel check`.

Escaping follows the runner's rules (actions/toolkit, core/src/command.ts): in the message (data),
'%' → %25, CR → %0D, LF → %0A; in property values (title, file, ...) also ':' → %3A and ',' → %2C.
A failed gate or a model that raised is `::error`, a gate not evaluated is `::warning`, a passing gate a
`::notice`; with the factory's file and line when known, so the annotation lands on the code in a PR.
"""

from __future__ import annotations

from typing import Any

LEVELS = {"failed": "error", "error": "error", "skipped": "warning", "passed": "notice"}


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


def render_github(payload: dict[str, Any]) -> str:
    """One annotation per gate, then a summary notice (or error); ends with a newline."""
    lines = []
    spec = payload["model"]["spec"]
    for gate in payload["gates"]:
        word = {"failed": "FAILED", "error": "ERROR", "skipped": "skipped", "passed": "passed"}[gate["status"]]
        message = gate["message"]
        if gate.get("detail") and gate["status"] in ("failed", "error"):
            message += "\n" + gate["detail"]
        lines.append(command(LEVELS[gate["status"]], message, title=f"archsel check {word}: {gate['name']}",
                             file=gate.get("file"), line=gate.get("line") if gate.get("file") else None))
    s = payload["summary"]
    text = (f"{spec} on {payload['target']['name']}: {s['passed']} passed, {s['failed']} failed, "
            f"{s['errors']} errors, {s['skipped']} skipped")
    level = "notice" if payload["status"] == "passed" else "error"
    lines.append(command(level, text, title=f"archsel check {payload['status']}"))
    return "\n".join(lines) + "\n"

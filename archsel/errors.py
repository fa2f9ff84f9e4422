"""Errors a user can cause, the problems found in their files, and the exit status of every command."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class ExitStatus(IntEnum):
    """What a command returns; `archsel.cli` turns it into the process exit code (ruff's ExitStatus)."""

    SUCCESS = 0
    FAILURE = 1  # a gate or constraint failed: nothing fits, a check failed, a model could not be profiled
    ERROR = 2  # bad usage, bad rules, profiles or configuration
    INTERNAL = 3  # a bug of ours


@dataclass(frozen=True)
class Problem:
    """One thing wrong at one place of a file; its text form is `file:line:col: message (hint)`."""

    file: str
    line: int
    col: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}" + (f" ({self.hint})" if self.hint else "")

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "col": self.col, "message": self.message,
                "hint": self.hint, "text": str(self)}


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems by file, line and column (then message), each once."""
    return sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line, p.col, p.message, p.hint or ""))


class ArchselError(Exception):
    """An error the CLI reports as one line on stderr (never a traceback)."""

    status = ExitStatus.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(ArchselError):
    """Bad command-line input: unknown name, malformed shape, conflicting options."""


class ConfigError(ArchselError):
    """Bad rule, profile or query file: every Problem found, printed one a line."""

    def __init__(self, problems: Sequence[Problem], summary: str | None = None) -> None:
        if not problems:
            raise ValueError("a ConfigError needs at least one problem")
        super().__init__(summary or str(problems[0]))
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str | None:
    """Return 'did you mean X?' for the closest choices, or None."""
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


LISTED_CHOICES = 24  # an unknown name with nothing close lists the known ones up to this many


def unknown(kind: str, word: str, choices: Iterable[str]) -> UsageError:
    """A UsageError for an unknown name, with a suggestion where one is close, else the known names (where
    there are at most LISTED_CHOICES of them)."""
    choices = list(dict.fromkeys(choices))  # once each, in their order
    hint = did_you_mean(word, choices)
    if hint is None:
        hint = (f"known {kind}s: {', '.join(choices)}" if len(choices) <= LISTED_CHOICES
                else f"see the {len(choices)} known {kind}s")
    return UsageError(f"unknown {kind} {word!r}", hint=hint)

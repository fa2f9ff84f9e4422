"""Errors a user can cause, each with the exit code the CLI returns for it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

EXIT_OK = 0
EXIT_CONSTRAINT = 1  # a gate or constraint failed: nothing fits, a check failed
EXIT_USAGE = 2  # bad usage, bad rules, profiles or configuration


class ArchselError(Exception):
    """An error the CLI reports as one line on stderr (never a traceback)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(ArchselError):
    """Bad command-line input: unknown name, malformed shape, conflicting options."""


class ConfigError(ArchselError):
    """Bad rule, profile or query file; `problems` holds every `file:line:col: message` found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]

    def __str__(self) -> str:
        return "\n".join(self.problems)


class ConstraintError(ArchselError):
    """Nothing satisfies the hard constraints of a query (exit 1)."""

    exit_code = EXIT_CONSTRAINT


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str | None:
    """Return 'did you mean X?' for the closest choices, or None."""
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


def unknown(kind: str, word: str, choices: Iterable[str]) -> UsageError:
    """A UsageError for an unknown name, with a suggestion where one is close."""
    choices = list(choices)
    hint = did_you_mean(word, choices)
    return UsageError(f"unknown {kind} {word!r}", hint=hint or f"see the {len(choices)} known {kind}s")

"""stderr: errors, warnings, logs and progress (never stdout, which carries only the payload).

Honours NO_COLOR (rich does); progress bars and spinners only on a terminal. Every text is printed
literally (no rich markup), whatever a user's name or path contains.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Log = Callable[[str], None]


def stderr_console() -> Any:
    """The console for logs, warnings and progress (stderr)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def say(message: str) -> None:
    """One line on stderr, as it is."""
    print(message, file=sys.stderr, flush=True)


def warn(message: str) -> None:
    say(f"archsel: warning: {message}")


def errors(lines: list[str], prefix: bool = True) -> None:
    """Each line as an error on stderr (`archsel: error: ` in red before a single message)."""
    from rich.text import Text

    console = stderr_console()
    for line in lines:
        text = Text()
        if prefix:
            text.append("archsel: error: ", style="bold red")
        text.append(line)
        console.print(text, soft_wrap=True)


def quiet(_message: str) -> None:
    """A log that drops everything."""


@contextmanager
def progress(total: int, label: str) -> Iterator[Log]:
    """A progress bar on stderr (a terminal only); yields `advance(description)`."""
    if not sys.stderr.isatty() or total == 0:
        yield quiet
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr_console(), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(description: str) -> None:
            bar.update(task, advance=1, description=description)

        yield advance


@contextmanager
def status(label: str) -> Iterator[Log]:
    """A spinner with the latest message on a terminal's stderr; silence elsewhere. Yields a log function."""
    if not sys.stderr.isatty():
        yield quiet
        return
    console = stderr_console()
    with console.status(label) as spinner:
        def log(message: str) -> None:
            spinner.update(f"{label}: {message}")
            console.log(message, highlight=False, markup=False)

        yield log

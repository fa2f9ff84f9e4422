"""The `archsel` command line: thin typer glue. Each module in archsel.commands registers its commands.

Every command returns an ExitStatus; this module alone turns it, and every user error, into the exit
code. Nothing here imports torch; commands import it lazily when they build a model.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import sys
from typing import Any

import typer

from archsel import __version__
from archsel.errors import ArchselError, ConfigError, ExitStatus


def _exit_with(status: ExitStatus | None, **_root_options: Any) -> None:
    """The root group's result callback: a command's returned status becomes the process exit code."""
    code = int(status) if status is not None else int(ExitStatus.SUCCESS)
    if code:
        raise typer.Exit(code)


app = typer.Typer(
    name="archsel",
    help="Which neural-network architecture for this task, on this hardware, within this latency budget.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    result_callback=_exit_with,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"archsel {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """archsel: architecture selection advice backed by real models and measured numbers.

    Exit codes: 0 success; 1 a constraint or gate failed (nothing fits, a check failed);
    2 bad usage, rules, profiles or configuration.
    """


def _register_commands() -> None:
    from archsel import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_LIST_LINE = re.compile(r"^(\s|[-*•]\s|\d+[.)]\s)")  # a line that starts an item of its own


def unwrapped_help(text: str | None) -> str | None:
    """A docstring's paragraphs as single lines, so that the terminal wraps them at its width (rich keeps the
    docstring's own line breaks: at 80 columns every source line ended early); list items keep their lines."""
    if not text:
        return text
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        lines: list[str] = []
        for line in paragraph.split("\n"):
            if lines and not _LIST_LINE.match(line):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _unwrap_help(group: typer.Typer) -> None:
    for command in group.registered_commands:
        command.help = unwrapped_help(command.help or (command.callback and command.callback.__doc__))
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _unwrap_help(sub.typer_instance)
            info = sub.typer_instance.info
            info.help = unwrapped_help(sub.help if isinstance(sub.help, str) else info.help
                                       if isinstance(info.help, str) else None)


_register_commands()
_unwrap_help(app)


def main() -> None:
    """Console-script entry point: user errors become one line on stderr and their exit status."""
    from archsel.report.console import errors

    try:
        code = app(standalone_mode=False)  # the command line's own errors come here too, said in one line below
    except ConfigError as exc:  # every `file:line:col: message` found, one a line
        errors([str(p) for p in exc.problems], prefix=False)
        sys.exit(exc.status)
    except ArchselError as exc:
        errors([str(exc)])
        sys.exit(exc.status)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if isinstance(exc, _CLICK_ERROR):
            sys.exit(_command_line_error(exc))
        if type(exc).__name__ == "Abort":  # end of input at a prompt
            errors(["aborted"])
            sys.exit(ExitStatus.FAILURE)
        if os.environ.get("ARCHSEL_DEBUG"):  # a bug of ours: one line, not a traceback, unless debugging
            raise
        errors([f"internal error: {type(exc).__name__}: {exc} (set ARCHSEL_DEBUG=1 for details)"])
        sys.exit(ExitStatus.INTERNAL)
    sys.exit(int(code or 0))


# click's (or typer's own copy of click's) base of every command-line error: an unknown option, a bad value
_CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _command_line_error(exc: Exception) -> int:
    """A bad command line as one line (`archsel: error: No such option: --bogus (see 'archsel recommend -h')`);
    a command given without arguments shows its help, as before. Returns the exit code (2)."""
    from archsel.report.console import errors

    code = int(getattr(exc, "exit_code", ExitStatus.ERROR))
    if type(exc).__name__ == "NoArgsIsHelpError":
        exc.show()  # type: ignore[attr-defined]
        return code
    ctx = getattr(exc, "ctx", None)
    message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    where = f" (see '{ctx.command_path} -h')" if ctx is not None else ""
    errors([f"{message}{where}"])
    return code

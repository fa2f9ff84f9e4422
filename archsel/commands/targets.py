"""`archsel targets list|show|validate`: the hardware profiles a query can name (no torch import)."""

from __future__ import annotations

from pathlib import Path

import typer

from archsel.commands.options import FORMAT, PROFILES_HELP, VALIDATE_FORMAT
from archsel.errors import ExitStatus
from archsel.report.formats import check_format, emit

app = typer.Typer(help="Hardware targets: device profiles with sourced spec figures, and class defaults.",
                  no_args_is_help=True)


@app.command("list")
def list_cmd(
    target_class: str | None = typer.Option(None, "--class", "-c", help="Only devices of this class."),
    profiles: list[Path] | None = typer.Option(None, "--profiles", help=PROFILES_HELP),
    fmt: str = FORMAT,
) -> ExitStatus:
    """List the devices archsel knows, with peak compute (dense), memory bandwidth and capacity."""
    from archsel.errors import unknown
    from archsel.report.targets import list_document
    from archsel.targets.profiles import TARGET_CLASSES, class_defaults, load_profile_set

    check_format(fmt)
    wanted = target_class.strip().lower() if target_class else None
    if wanted is not None and wanted not in TARGET_CLASSES:
        raise unknown("target class", target_class or "", TARGET_CLASSES)
    profile_set = load_profile_set(profiles or ())
    defaults = class_defaults(profiles or ())
    order = {c: i for i, c in enumerate(TARGET_CLASSES)}
    chosen = sorted((p for p in profile_set.profiles.values() if wanted in (None, p.target_class)),
                    key=lambda p: (order[p.target_class], p.name))
    emit(list_document(chosen, defaults), fmt)
    return ExitStatus.SUCCESS


@app.command("show")
def show_cmd(
    name: str = typer.Argument(..., metavar="NAME",
                               help="Device name, class (cloud/edge/mobile/local) or a .yaml file."),
    profiles: list[Path] | None = typer.Option(None, "--profiles", help=PROFILES_HELP),
    fmt: str = FORMAT,
) -> ExitStatus:
    """Every figure of one target with its source; a class name shows its default device."""
    from archsel.report.targets import show_document
    from archsel.targets.profiles import class_defaults, resolve_target

    check_format(fmt)
    emit(show_document(resolve_target(name, profiles or ()), class_defaults(profiles or ())), fmt)
    return ExitStatus.SUCCESS


@app.command("validate")
def validate_cmd(
    dirs: list[Path] | None = typer.Argument(
        None, metavar="[DIR|FILE]...", help="Profile folders or files to check with the built-in ones."),
    alone: bool = typer.Option(False, "--alone", help="Check only the given paths (no built-in profiles)."),
    fmt: str | None = VALIDATE_FORMAT,
) -> ExitStatus:
    """Check profiles (schema, sources, duplicate names, class defaults); every problem as file:line:col."""
    from archsel.errors import ConfigError, UsageError
    from archsel.paths import profiles_dir
    from archsel.report import problems as report
    from archsel.report.console import say
    from archsel.targets.profiles import profile_problems

    if fmt is not None:
        check_format(fmt)
    given = list(dirs or [])
    if alone and not given:
        raise UsageError("--alone needs at least one folder or file")
    paths = given if alone else [profiles_dir(), *given]
    problems = profile_problems(paths)
    checked = ", ".join(str(p) for p in paths)
    if fmt is not None:
        emit(report.document("targets validate", problems, checked), fmt)
        return ExitStatus.ERROR if problems else ExitStatus.SUCCESS
    if problems:
        raise ConfigError(problems, f"{len(problems)} problem(s) in hardware profiles")
    say(f"ok: {checked}")
    return ExitStatus.SUCCESS


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="targets")

"""`archsel rules list|show|validate|vocab`: the knowledge base (no torch import)."""

from __future__ import annotations

from pathlib import Path

import typer

from archsel.commands.options import FORMAT, RULES_HELP, VALIDATE_FORMAT
from archsel.errors import ConfigError, ExitStatus, Problem
from archsel.report.formats import check_format, emit, emit_line

app = typer.Typer(
    help="The expert rules archsel recommends from (rules/*.yaml), and their vocabulary.",
    no_args_is_help=True,
)
RULES = typer.Option(None, "--rules", help=RULES_HELP)


@app.command("list")
def list_cmd(
    task: str | None = typer.Option(None, "--task", "-t", help="Only rules that can fire for this task."),
    fmt: str = FORMAT,
    rules: list[Path] | None = RULES,
) -> ExitStatus:
    """List every rule: id, conditions, title and source."""
    from archsel.knowledge.loader import load_rules
    from archsel.report.rules import list_document

    check_format(fmt)
    ruleset = load_rules(rules or ())
    chosen = ruleset.rules
    if task is not None:
        canonical = ruleset.vocabulary.resolve_task(task)
        chosen = [r for r in chosen if canonical in r.when.get("task", [canonical])]
    emit(list_document(chosen), fmt)
    return ExitStatus.SUCCESS


@app.command("show")
def show_cmd(
    rule_id: str = typer.Argument(..., metavar="ID", help="Rule id (see `archsel rules list`)."),
    fmt: str = FORMAT,
    rules: list[Path] | None = RULES,
) -> ExitStatus:
    """Everything about one rule: conditions, effects, rationale, source."""
    from archsel.knowledge.loader import load_rules
    from archsel.report.rules import show_document

    check_format(fmt)
    emit(show_document(load_rules(rules or ()).get(rule_id)), fmt)
    return ExitStatus.SUCCESS


def _is_profiles_folder(path: Path) -> bool:
    from archsel.paths import profiles_dir

    return path.is_dir() and (path.resolve() == profiles_dir().resolve() or (path / "classes.yaml").is_file())


@app.command("validate")
def validate_cmd(
    paths: list[Path] | None = typer.Argument(
        None, metavar="[DIR]...", help="Rule (or profile) folders or files; default: the built-in ones."
    ),
    profiles: list[Path] | None = typer.Option(
        None, "--profiles", help="Profile folders or files to validate."
    ),
    fmt: str | None = VALIDATE_FORMAT,
) -> ExitStatus:
    """Validate rules (and hardware profiles): every problem as `file:line:col: message`, exit 2 if any."""
    from archsel.knowledge.loader import VOCABULARY_FILE, check_rules
    from archsel.paths import profiles_dir, rules_dir
    from archsel.query.vocab import vocabulary_problems
    from archsel.report import problems as report
    from archsel.targets.profiles import profile_problems

    if fmt is not None:
        check_format(fmt)
    rule_paths = [p for p in paths or () if not _is_profiles_folder(p)]
    profile_paths = [p for p in paths or () if _is_profiles_folder(p)] + list(profiles or ())
    if not paths and not profiles:
        rule_paths, profile_paths = [rules_dir()], [profiles_dir()]
    problems: list[Problem] = []
    for folder in rule_paths:
        vocab_file = folder / VOCABULARY_FILE
        if folder.is_dir() and vocab_file.is_file():
            problems += vocabulary_problems(vocab_file)
    checked, found, files = check_rules(rule_paths) if rule_paths else ([], [], [])
    problems += found
    if profile_paths:
        problems += profile_problems(profile_paths)
    what = [f"{len(checked)} rules in {len(files)} files"] if rule_paths else []
    if profile_paths:
        what.append("profiles in " + ", ".join(str(p) for p in profile_paths))
    if fmt is not None:
        emit(report.document("rules validate", problems, "; ".join(what)), fmt)
        return ExitStatus.ERROR if problems else ExitStatus.SUCCESS
    if problems:
        raise ConfigError(problems)
    emit_line("OK: " + "; ".join(what))
    return ExitStatus.SUCCESS


@app.command("vocab")
def vocab_cmd(fmt: str = FORMAT) -> ExitStatus:
    """The words a query can use (tasks, data types, tiers, priorities, ...) with their aliases."""
    from archsel.query.vocab import load_vocabulary
    from archsel.report.rules import vocab_document

    check_format(fmt)
    emit(vocab_document(load_vocabulary()), fmt)
    return ExitStatus.SUCCESS


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="rules")

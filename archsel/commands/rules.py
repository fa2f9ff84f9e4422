"""`archsel rules list|show|validate|vocab`: the knowledge base (no torch import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from archsel.errors import ConfigError
from archsel.report.formats import SCHEMA_VERSION, Column, Document, TableView, check_format, emit

app = typer.Typer(
    help="The expert rules archsel recommends from (rules/*.yaml), and their vocabulary.",
    no_args_is_help=True,
)

FORMAT_HELP = "Output format: table, json, jsonl, yaml, csv or markdown."
RULES = typer.Option(None, "--rules", help="Extra rules folder (repeatable; overrides built-in rules by id).")


def _when_text(when: dict[str, Any]) -> str:
    parts = []
    for key, value in when.items():
        if isinstance(value, list):
            parts.append(f"{key}={'/'.join(value)}")
        elif isinstance(value, dict):
            parts.append(f"{key}=" + ",".join(f"{k}:{v}" for k, v in value.items()))
        else:
            parts.append(f"{key}={str(value).lower()}")
    return " ".join(parts) or "(always)"


@app.command("list")
def list_cmd(
    task: str | None = typer.Option(None, "--task", "-t", help="Only rules that can fire for this task."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    rules: list[Path] | None = RULES,
) -> None:
    """List every rule: id, conditions, title and source."""
    from archsel.knowledge.loader import load_rules

    check_format(fmt)
    ruleset = load_rules(rules or ())
    chosen = ruleset.rules
    if task is not None:
        canonical = ruleset.vocabulary.resolve_task(task)
        chosen = [r for r in chosen if canonical in r.when.get("task", [canonical])]
    rows = [
        {
            "id": r.id,
            "when": _when_text(r.when),
            "title": r.title,
            "source": r.source.cite(),
            "enabled": r.enabled,
        }
        for r in chosen
    ]
    view = TableView(
        [Column("id", "id"), Column("when", "when"), Column("title", "title"), Column("source", "source")],
        rows,
        title=f"{len(rows)} rules",
    )
    emit(
        Document(
            {"schema_version": SCHEMA_VERSION, "count": len(rows), "rules": [r.to_dict() for r in chosen]},
            "rules",
            [view],
        ),
        fmt,
    )


@app.command("show")
def show_cmd(
    rule_id: str = typer.Argument(..., metavar="ID", help="Rule id (see `archsel rules list`)."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    rules: list[Path] | None = RULES,
) -> None:
    """Everything about one rule: conditions, effects, rationale, source."""
    from archsel.knowledge.loader import load_rules

    check_format(fmt)
    rule = load_rules(rules or ()).get(rule_id)
    fields: list[tuple[str, str]] = [("id", rule.id), ("title", rule.title), ("when", _when_text(rule.when))]
    fields += [("candidate", f"{c.label()} as {c.role}, weight {c.weight:g}") for c in rule.candidates]
    fields += [("boost", f"{b.label()} {b.by:+g}") for b in rule.boosts]
    fields += [("advice", a) for a in rule.advice]
    fields += [
        ("core consideration", rule.core_consideration or "—"),
        ("rationale", rule.rationale),
        ("source", rule.source.cite()),
        ("knowledge ref", rule.knowledge_ref or "—"),
        ("defined at", rule.origin),
    ]
    if rule.overrides:
        fields.append(("overrides", rule.overrides))
    if not rule.enabled:
        fields.append(("enabled", "no"))
    view = TableView(
        [Column("field", "field"), Column("value", "value")],
        [{"field": k, "value": v} for k, v in fields],
        title=rule.id,
    )
    emit(Document({"schema_version": SCHEMA_VERSION, "rule": rule.to_dict()}, None, [view]), fmt)


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
) -> None:
    """Validate rules (and hardware profiles): every problem as `file:line:col: message`, exit 2 if any."""
    from archsel.knowledge.loader import VOCABULARY_FILE, check_rules
    from archsel.paths import profiles_dir, rules_dir
    from archsel.targets.profiles import profile_problems
    from archsel.vocab import vocabulary_problems

    rule_paths = [p for p in paths or () if not _is_profiles_folder(p)]
    profile_paths = [p for p in paths or () if _is_profiles_folder(p)] + list(profiles or ())
    if not paths and not profiles:
        rule_paths, profile_paths = [rules_dir()], [profiles_dir()]
    problems: list[str] = []
    for folder in rule_paths:
        vocab_file = folder / VOCABULARY_FILE
        if folder.is_dir() and vocab_file.is_file():
            problems += vocabulary_problems(vocab_file)
    checked, found, files = check_rules(rule_paths) if rule_paths else ([], [], [])
    problems += found
    if profile_paths:
        problems += profile_problems(profile_paths)
    if problems:
        raise ConfigError(problems[0], problems)
    what = [f"{len(checked)} rules in {len(files)} files"] if rule_paths else []
    if profile_paths:
        what.append("profiles in " + ", ".join(str(p) for p in profile_paths))
    typer.echo("OK: " + "; ".join(what))


@app.command("vocab")
def vocab_cmd(fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP)) -> None:
    """The words a query can use (tasks, data types, tiers, priorities, ...) with their aliases."""
    from archsel.vocab import SECTIONS, load_vocabulary

    check_format(fmt)
    vocab = load_vocabulary()
    records: list[dict[str, Any]] = [
        {
            "kind": SECTIONS[section],
            "term": t.name,
            "aliases": list(t.aliases),
            "description": t.description,
            **({"default_data_type": t.default_data_type} if t.default_data_type else {}),
            **({"upper_bound": t.upper} if t.upper is not None else {}),
        }
        for section in SECTIONS
        for t in vocab.sections[section].values()
    ]
    rows = [{**r, "aliases": ", ".join(r["aliases"])} for r in records]
    view = TableView(
        [
            Column("kind", "kind"),
            Column("term", "term"),
            Column("aliases", "aliases"),
            Column("description", "description"),
        ],
        rows,
        title=f"{len(rows)} terms",
    )
    emit(Document({"schema_version": SCHEMA_VERSION, "terms": records}, "terms", [view]), fmt)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="rules")

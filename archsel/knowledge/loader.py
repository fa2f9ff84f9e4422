"""Load rule folders (built-in, ARCHSEL_RULES_PATH, --rules), validate them all at once, merge by id.

Later folders override earlier ones rule by rule (same id); two rules with one id in the same folder are an
error. Every problem is a Problem (`file:line:col: message`); any problem raises ConfigError (exit 2).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from archsel.errors import ConfigError, Problem, UsageError, sorted_problems, unknown
from archsel.files import exists, stamp
from archsel.knowledge.schema import DEFAULT_ROLE_WEIGHT, RULE_SCHEMA, RULES_FILE_SCHEMA
from archsel.paths import rules_dir
from archsel.query.vocab import Vocabulary, load_vocabulary
from archsel.yamlio import LoadedYaml, YamlProblem, load_yaml, schema_problems

ENV_VAR = "ARCHSEL_RULES_PATH"
VOCABULARY_FILE = "vocabulary.yaml"


@dataclass(frozen=True)
class Source:
    """Where a rule's knowledge comes from: document file name and section heading."""

    file: str
    section: str
    gloss: str | None = None

    def cite(self) -> str:
        return f"{self.file} § {self.section}" + (f" ({self.gloss})" if self.gloss else "")


@dataclass(frozen=True)
class CandidateEffect:
    """Name a model (`id`) or every model of the query's task with these families/traits (`select`)."""

    role: str
    weight: float
    id: str | None = None
    families: tuple[str, ...] = ()
    traits: tuple[str, ...] = ()
    note: str | None = None

    def label(self) -> str:
        if self.id:
            return self.id
        parts = [
            f"family {'/'.join(self.families)}" if self.families else "",
            f"trait {'+'.join(self.traits)}" if self.traits else "",
        ]
        return "any " + " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Boost:
    """Add `by` (negative: a penalty) to every candidate of a family or with a trait."""

    by: float
    family: str | None = None
    trait: str | None = None
    note: str | None = None

    def label(self) -> str:
        return f"family {self.family}" if self.family else f"trait {self.trait}"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    source: Source
    rationale: str
    when: dict[str, Any]
    candidates: tuple[CandidateEffect, ...]
    boosts: tuple[Boost, ...]
    advice: tuple[str, ...]
    core_consideration: str | None
    knowledge_ref: str | None
    enabled: bool
    position: tuple[str, int, int]  # (file, line, col) of the rule
    folder: str  # the folder (layer) it came from
    overrides: str | None = None  # origin of the rule this one replaced

    @property
    def origin(self) -> str:
        """`file:line:col` of the rule."""
        return ":".join(str(part) for part in self.position)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "enabled": self.enabled,
            "knowledge_ref": self.knowledge_ref,
            "source": {"file": self.source.file, "section": self.source.section, "gloss": self.source.gloss},
            "core_consideration": self.core_consideration,
            "rationale": self.rationale,
            "when": self.when,
            "effects": {
                "candidates": [
                    {
                        "id": c.id,
                        "select": None if c.id else {"family": list(c.families), "trait": list(c.traits)},
                        "role": c.role,
                        "weight": c.weight,
                        "note": c.note,
                    }
                    for c in self.candidates
                ],
                "boosts": [
                    {"family": b.family, "trait": b.trait, "by": b.by, "note": b.note} for b in self.boosts
                ],
                "advice": list(self.advice),
            },
            "origin": self.origin,
            "overrides": self.overrides,
        }


@dataclass
class RuleSet:
    """The merged rules (sorted by id) and what they were read from."""

    rules: list[Rule]
    vocabulary: Vocabulary
    folders: list[Path]
    files: list[Path] = field(default_factory=list)

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        ids = [r.id for r in self.rules]
        prefixed = [i for i in ids if i.startswith(rule_id)]
        if prefixed:
            raise UsageError(
                f"unknown rule id {rule_id!r}",
                hint="did you mean " + " or ".join(repr(i) for i in prefixed[:3]) + "?",
            )
        raise unknown("rule id", rule_id, ids)


@dataclass
class RawRule:
    """A rule item that passed the schema, with its file for positions."""

    doc: LoadedYaml
    index: int
    data: dict[str, Any]
    folder: Path

    def where(self, *pointer: str | int) -> str:
        return self.doc.where(("rules", self.index, *pointer))

    def problem(self, pointer: tuple[str | int, ...], message: str, hint: str | None = None) -> Problem:
        """A Problem at `pointer` inside this rule."""
        return self.doc.problem(("rules", self.index, *pointer), message, hint)


def rule_folders(extra: Sequence[Path] = (), *, builtin: bool = True, env: bool = True) -> list[Path]:
    """Built-in rules, then ARCHSEL_RULES_PATH entries (os.pathsep-separated), then `extra` in order."""
    folders = [rules_dir()] if builtin else []
    if env:
        folders += [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    return folders + [Path(p) for p in extra]


def rule_files(folder: Path) -> list[Path]:
    """The rule files of a folder (sorted; the vocabulary file is not a rules file), or the file itself."""
    if folder.is_file():
        return [folder]
    return sorted(p for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")] if p.name != VOCABULARY_FILE)


def read_rule_files(folder: Path) -> tuple[list[RawRule], list[Problem], list[Path]]:
    """Parse and schema-check every rules file of `folder`: (schema-valid rules, problems, files read)."""
    import jsonschema

    try:
        found = folder.exists()
    except OSError as exc:  # a name too long: the system cannot look it up
        return [], [Problem(str(folder), 1, 1, f"cannot open this rules path: {exc.strerror}")], []
    if not found:
        return [], [Problem(str(folder), 1, 1, "no such rules folder or file")], []
    if not (folder.is_dir() or folder.is_file()):  # /dev/zero, a pipe: nothing to read rules from
        return [], [Problem(str(folder), 1, 1, "not a rules folder or a YAML file")], []
    item_validator = jsonschema.Draft202012Validator(RULE_SCHEMA)
    raws: list[RawRule] = []
    problems: list[Problem] = []
    files = rule_files(folder)
    if not files:  # a wrong path, most likely (as mypy says of a folder without .py files)
        return [], [Problem(str(folder), 1, 1, "no rules files (*.yaml, *.yml) in this folder")], []
    for path in files:
        try:
            doc = load_yaml(path)
        except YamlProblem as exc:
            problems.append(exc.problem)
            continue
        if doc.data is None:
            problems.append(Problem(str(path), 1, 1, "empty rules file (expected a mapping with a `rules:` list)"))
            continue
        problems += schema_problems(doc, RULES_FILE_SCHEMA)
        items = doc.data.get("rules") if isinstance(doc.data, dict) else None
        if isinstance(items, list):
            raws += [
                RawRule(doc, i, item, folder)
                for i, item in enumerate(items)
                if isinstance(item, dict) and item_validator.is_valid(item)
            ]
    return raws, problems, files


def _build(raw: RawRule) -> Rule:
    d = raw.data
    effects = d["effects"]
    candidates = tuple(
        CandidateEffect(
            role=c["role"],
            weight=float(c.get("weight", DEFAULT_ROLE_WEIGHT[c["role"]])),
            id=c.get("id"),
            families=tuple(c.get("select", {}).get("family", ())),
            traits=tuple(c.get("select", {}).get("trait", ())),
            note=c.get("note"),
        )
        for c in effects.get("candidates", ())
    )
    boosts = tuple(
        Boost(float(b["by"]), b.get("family"), b.get("trait"), b.get("note"))
        for b in effects.get("boosts", ())
    )
    src = d["source"]
    return Rule(
        id=d["id"],
        title=d["title"],
        source=Source(src["file"], src["section"], src.get("gloss")),
        rationale=d["rationale"],
        when=dict(d.get("when", {})),
        candidates=candidates,
        boosts=boosts,
        advice=tuple(effects.get("advice", ())),
        core_consideration=d.get("core_consideration"),
        knowledge_ref=d.get("knowledge_ref"),
        enabled=d.get("enabled", True),
        position=(str(raw.doc.path), *raw.doc.position(("rules", raw.index))),
        folder=str(raw.folder),
    )


def check_rules(
    folders: Sequence[Path], vocab: Vocabulary | None = None
) -> tuple[list[Rule], list[Problem], list[Path]]:
    """Read and validate every folder; merge by id (later folders override): (rules, problems, files)."""
    from archsel.knowledge.references import reference_problems

    vocab = vocab or load_vocabulary()
    merged: dict[str, Rule] = {}
    problems: list[Problem] = []
    all_files: list[Path] = []
    all_raws: list[RawRule] = []
    for folder in folders:
        raws, found, files = read_rule_files(Path(folder))
        problems += found
        all_files += files
        all_raws += raws
        layer: dict[str, RawRule] = {}
        for raw in raws:
            rid = raw.data["id"]
            if rid in layer:
                problems.append(raw.problem(("id",), f"duplicate rule id {rid!r} "
                                                      f"(first defined at {layer[rid].where('id')})"))
                continue
            layer[rid] = raw
            rule = _build(raw)
            if rid in merged:
                rule = replace(rule, overrides=merged[rid].origin)
            merged[rid] = rule
    problems += reference_problems(all_raws, vocab)
    return [merged[k] for k in sorted(merged)], sorted_problems(problems), all_files


def load_rules(extra: Sequence[Path] = (), *, builtin: bool = True, env: bool = True) -> RuleSet:
    """The rules a query is evaluated against; ConfigError (every problem, exit 2) if any file is bad.
    Loaded once per process for the same folders until one of their files changes (a query file's queries
    share it)."""
    folders = rule_folders(extra, builtin=builtin, env=env)
    return _rules_cached(tuple(str(f) for f in folders), tuple(stamp(f) for f in folders))


@lru_cache(maxsize=8)
def _rules_cached(folders: tuple[str, ...], stamps: tuple[tuple[tuple[str, int], ...], ...]) -> RuleSet:
    from archsel.snapshot import snapshotted

    paths = [Path(f) for f in folders]
    vocab = load_vocabulary()
    files = [vocab.path, *(f for p in paths if exists(p) for f in rule_files(p))]
    return snapshotted("rules", paths, files, lambda: _checked_rules(paths, vocab), RuleSet)


def _checked_rules(paths: list[Path], vocab: Vocabulary) -> RuleSet:
    rules, problems, files = check_rules(paths, vocab)
    if problems:
        raise ConfigError(problems)
    return RuleSet(rules, vocab, paths, files)

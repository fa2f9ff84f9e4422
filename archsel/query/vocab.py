"""Task, data-type and query-dimension vocabulary with aliases, read from rules/vocabulary.yaml (no torch).

The file is validated with a JSON Schema (archsel.yamlio); every problem is a Problem (file:line:col).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from archsel.errors import ConfigError, Problem, did_you_mean, sorted_problems, unknown
from archsel.paths import rules_dir

# section key in the file → the word used in messages ("unknown task 'x'")
SECTIONS: dict[str, str] = {
    "tasks": "task",
    "data_types": "data type",
    "latency_tiers": "latency tier",
    "sequence_lengths": "sequence length",
    "dataset_sizes": "data-set size",
    "priorities": "priority",
    "traits": "trait",
}
BOUNDED = {"latency_tiers": "max_ms", "sequence_lengths": "max", "dataset_sizes": "max"}

_NAME = {"type": "string", "pattern": "^[a-z0-9][a-z0-9+-]*$"}


def _term_schema(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["description"],
        "properties": {
            "aliases": {"type": "array", "items": _NAME, "uniqueItems": True},
            "description": {"type": "string", "minLength": 1},
            **extra,
        },
    }


def _section(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "minProperties": 1,
        "propertyNames": _NAME,
        "additionalProperties": _term_schema(extra or {}),
    }


VOCABULARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["tasks", "data_types"],
    "properties": {
        "schema_version": {"const": 1},
        "tasks": _section({"default_data_type": _NAME}),
        "data_types": _section(),
        "latency_tiers": _section({"max_ms": {"type": "number", "exclusiveMinimum": 0}}),
        "sequence_lengths": _section({"max": {"type": "integer", "minimum": 1}}),
        "dataset_sizes": _section({"max": {"type": "integer", "minimum": 1}}),
        "priorities": _section(),
        "traits": _section(),
    },
}


@dataclass(frozen=True)
class Term:
    """A canonical vocabulary term with its aliases (and, for bounded sections, its upper bound)."""

    name: str
    aliases: tuple[str, ...]
    description: str
    default_data_type: str | None = None
    upper: float | None = None  # max_ms / max: a number up to this belongs to the term


def normalise_word(word: str) -> str:
    """Lower case, with `_` and spaces as `-`: how every name and alias is compared."""
    return word.strip().lower().replace("_", "-").replace(" ", "-")


@dataclass(frozen=True)
class Vocabulary:
    tasks: dict[str, Term]
    data_types: dict[str, Term]
    sections: dict[str, dict[str, Term]]
    path: Path

    def names(self, section: str) -> list[str]:
        """Canonical names of a section (file order)."""
        return list(self.sections.get(section, {}))

    def lookup(self, section: str, word: str) -> str:
        """Canonical name for `word` (a name or alias) in `section`; UsageError with did-you-mean."""
        table = self.sections.get(section, {})
        key = normalise_word(word)
        if key in table:
            return key
        for term in table.values():
            if key in term.aliases:
                return term.name
        kind = SECTIONS.get(section, section)
        raise unknown(kind, word, [*table, *(a for t in table.values() for a in t.aliases)])

    def classify(self, section: str, value: float) -> str:
        """The first term of a bounded section whose upper bound is ≥ value (the last one otherwise)."""
        terms = list(self.sections[section].values())
        for term in terms:
            if term.upper is not None and value <= term.upper:
                return term.name
        return terms[-1].name

    def resolve_task(self, word: str) -> str:
        return self.lookup("tasks", word)


def vocabulary_problems(path: Path) -> list[Problem]:
    """Every problem of a vocabulary file: YAML, schema, alias clashes, bad defaults, unbounded order."""
    from archsel.yamlio import YamlProblem, load_yaml, schema_problems

    try:
        doc = load_yaml(path)
    except YamlProblem as exc:
        return [exc.problem]
    if doc.data is None:
        return [Problem(str(path), 1, 1, "empty vocabulary file")]
    problems = schema_problems(doc, VOCABULARY_SCHEMA)
    if not isinstance(doc.data, dict):
        return problems
    data: dict[str, Any] = doc.data
    data_types = data["data_types"] if isinstance(data.get("data_types"), dict) else {}
    for section, terms in data.items():
        if section not in SECTIONS or not isinstance(terms, dict):
            continue
        seen: dict[str, str] = {}
        for name, body in terms.items():
            if not isinstance(body, dict):
                continue
            aliases: list[str] = body["aliases"] if isinstance(body.get("aliases"), list) else []
            for word in (name, *aliases):
                if word in seen and seen[word] != name:
                    at = (section, name, "aliases") if word != name else (section, name)
                    problems.append(doc.problem(at, f"{SECTIONS[section]} word {word!r} is used by both "
                                                    f"{seen[word]!r} and {name!r}"))
                seen.setdefault(word, name)
            dt = body.get("default_data_type")
            if isinstance(dt, str) and dt not in data_types:
                problems.append(doc.problem((section, name, "default_data_type"), f"unknown data type {dt!r}",
                                            did_you_mean(dt, data_types)))
        bound = BOUNDED.get(section)
        if bound:
            names = list(terms)
            for i, name in enumerate(names):
                if isinstance(terms[name], dict) and bound not in terms[name] and i != len(names) - 1:
                    problems.append(doc.problem((section, name), f"only the last {SECTIONS[section]} "
                                                                 f"may omit {bound!r}"))
    return sorted_problems(problems)


def _terms(section: str, body: dict[str, dict[str, Any]]) -> dict[str, Term]:
    bound = BOUNDED.get(section)
    return {
        name: Term(
            name,
            tuple(t.get("aliases", [])),
            t["description"],
            t.get("default_data_type"),
            float(t[bound]) if bound and bound in t else None,
        )
        for name, t in body.items()
    }


@lru_cache(maxsize=8)
def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """Load and validate the vocabulary file (the built-in one by default); ConfigError lists problems."""
    from archsel.snapshot import snapshotted

    path = Path(path) if path else rules_dir() / "vocabulary.yaml"
    return snapshotted("vocabulary", [path], [path], lambda: _checked_vocabulary(path), Vocabulary)


def _checked_vocabulary(path: Path) -> Vocabulary:
    from archsel.yamlio import load_yaml

    problems = vocabulary_problems(path)
    if problems:
        raise ConfigError(problems)
    data = load_yaml(path).data
    sections = {s: _terms(s, data.get(s, {})) for s in SECTIONS}
    return Vocabulary(sections["tasks"], sections["data_types"], sections, path)

"""Task and data-type vocabulary with aliases, read from rules/vocabulary.yaml (safe loader, no torch)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from archsel.errors import unknown
from archsel.paths import rules_dir


@dataclass(frozen=True)
class Term:
    """A canonical vocabulary term with its aliases."""

    name: str
    aliases: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Vocabulary:
    tasks: dict[str, Term]
    data_types: dict[str, Term]

    def resolve(self, kind: str, word: str) -> str:
        """Canonical name for `word` (a name or alias) of `kind` ('task' or 'data type')."""
        table = self.tasks if kind == "task" else self.data_types
        key = word.strip().lower().replace("_", "-").replace(" ", "-")
        if key in table:
            return key
        for term in table.values():
            if key in term.aliases:
                return term.name
        names = [*table, *(a for t in table.values() for a in t.aliases)]
        raise unknown(kind, word, names)

    def resolve_task(self, word: str) -> str:
        return self.resolve("task", word)

    def resolve_data_type(self, word: str) -> str:
        return self.resolve("data type", word)


def _terms(section: dict[str, dict[str, object]]) -> dict[str, Term]:
    out = {}
    for name, body in section.items():
        aliases = body.get("aliases") or []
        assert isinstance(aliases, list)
        out[name] = Term(name, tuple(str(a) for a in aliases), str(body.get("description", "")))
    return out


@lru_cache(maxsize=8)
def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """Load the vocabulary file (the built-in one by default)."""
    path = path or rules_dir() / "vocabulary.yaml"
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return Vocabulary(_terms(data["tasks"]), _terms(data["data_types"]))

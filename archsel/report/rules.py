"""The documents of `archsel rules list|show|vocab`: the expert rules and the words a query may use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsel.report.document import SCHEMA_VERSION, Column, Document, TableView
from archsel.report.listings import field_view

if TYPE_CHECKING:
    from archsel.knowledge.loader import Rule
    from archsel.query.vocab import Vocabulary


def when_text(when: dict[str, Any]) -> str:
    """A rule's conditions in one line: `task=video target_class=edge streaming=true`."""
    parts = []
    for key, value in when.items():
        if isinstance(value, list):
            parts.append(f"{key}={'/'.join(value)}")
        elif isinstance(value, dict):
            parts.append(f"{key}=" + ",".join(f"{k}:{v}" for k, v in value.items()))
        else:
            parts.append(f"{key}={str(value).lower()}")
    return " ".join(parts) or "(always)"


def list_document(rules: list[Rule]) -> Document:
    rows = [{"id": r.id, "when": when_text(r.when), "title": r.title, "source": r.source.cite(), "enabled": r.enabled}
            for r in rules]
    view = TableView([Column("id", "id", no_wrap=True), Column("when", "when"), Column("title", "title"),
                      Column("source", "source")], rows, title=f"{len(rows)} rules")
    payload = {"schema_version": SCHEMA_VERSION, "command": "rules list", "count": len(rows),
               "rules": [r.to_dict() for r in rules]}
    return Document(payload, "rules", [view])


def show_document(rule: Rule) -> Document:
    fields: list[tuple[str, ...]] = [("id", rule.id), ("title", rule.title), ("when", when_text(rule.when))]
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
    payload = {"schema_version": SCHEMA_VERSION, "command": "rules show", "rule": rule.to_dict()}
    return Document(payload, None, [field_view(fields, rule.id)])


def vocab_document(vocab: Vocabulary) -> Document:
    from archsel.query.vocab import SECTIONS

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
    view = TableView([Column("kind", "kind"), Column("term", "term", no_wrap=True), Column("aliases", "aliases"),
                      Column("description", "description")], rows, title=f"{len(rows)} terms")
    return Document({"schema_version": SCHEMA_VERSION, "command": "rules vocab", "terms": records}, "terms", [view])

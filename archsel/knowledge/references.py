"""Dangling references in rules: zoo ids, vocabulary terms, target classes, families, traits.

Zoo metadata comes from archsel.zoo.registry (entries only; no torch).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from archsel.errors import Problem, did_you_mean
from archsel.knowledge.schema import LIST_CONDITIONS
from archsel.query.vocab import SECTIONS, Vocabulary, normalise_word

if TYPE_CHECKING:
    from archsel.knowledge.loader import RawRule
    from archsel.zoo.spec import ModelEntry


def target_classes() -> tuple[str, ...]:
    """The deployment target classes (archsel.targets when present)."""
    from archsel.targets.profiles import TARGET_CLASSES

    return tuple(TARGET_CLASSES)


def zoo_entries() -> dict[str, ModelEntry]:
    """Every registered zoo entry by id (metadata only)."""
    from archsel.zoo.registry import all_entries

    return {e.id: e for e in all_entries()}


def _unknown(
    raw: RawRule, at: tuple[str | int, ...], kind: str, word: str, choices: Iterable[str],
    aliases: dict[str, str] | None = None,
) -> Problem:
    canonical = (aliases or {}).get(normalise_word(word))
    if canonical:
        return raw.problem(at, f"{kind} {word!r} is an alias; rules use the canonical term {canonical!r}")
    return raw.problem(at, f"unknown {kind} {word!r}", did_you_mean(word, list(choices)))


def _alias_map(vocab: Vocabulary, section: str) -> dict[str, str]:
    return {a: t.name for t in vocab.sections.get(section, {}).values() for a in t.aliases}


def _when_problems(raw: RawRule, vocab: Vocabulary, classes: Sequence[str]) -> list[Problem]:
    out: list[Problem] = []
    when: dict[str, Any] = raw.data.get("when", {})
    for key, section in LIST_CONDITIONS.items():
        known = list(classes) if section == "target_classes" else vocab.names(section)
        kind = "target class" if section == "target_classes" else SECTIONS[section]
        for i, word in enumerate(when.get(key, ())):
            if word not in known:
                out.append(_unknown(raw, ("when", key, i), kind, word, known, _alias_map(vocab, section)))
    bounds = when.get("latency_ms", {})
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        out.append(raw.problem(("when", "latency_ms"),
                               f"latency_ms min {bounds['min']} is above max {bounds['max']}"))
    return out


def _effect_problems(raw: RawRule, vocab: Vocabulary, models: dict[str, ModelEntry]) -> list[Problem]:
    from archsel.zoo.spec import FAMILIES

    out: list[Problem] = []
    effects: dict[str, Any] = raw.data["effects"]
    traits = vocab.names("traits")
    rule_tasks = raw.data.get("when", {}).get("task")
    if rule_tasks and not set(rule_tasks) <= set(vocab.names("tasks")):
        rule_tasks = None  # an unknown task is reported already; do not pile on
    seen: dict[str, int] = {}
    for i, cand in enumerate(effects.get("candidates", ())):
        model_id = cand.get("id")
        if ("id" in cand) == ("select" in cand):
            out.append(raw.problem(("effects", "candidates", i), "a candidate needs exactly one of `id` "
                                   "(a zoo model) or `select` (models by family/trait)"))
        if model_id is not None:
            at = ("effects", "candidates", i, "id")
            if model_id in seen:
                out.append(raw.problem(at, f"model {model_id!r} is named twice in this rule "
                                           f"(first as candidate {seen[model_id]})"))
            seen.setdefault(model_id, i)
            if model_id not in models:
                out.append(_unknown(raw, at, "zoo model id", model_id, models))
            elif rule_tasks and not set(rule_tasks) & set(models[model_id].tasks):
                out.append(raw.problem(at, f"model {model_id!r} serves {', '.join(models[model_id].tasks)}, "
                                           f"none of this rule's tasks ({', '.join(rule_tasks)})"))
        for j, fam in enumerate(cand.get("select", {}).get("family", ())):
            if fam not in FAMILIES:
                out.append(_unknown(raw, ("effects", "candidates", i, "select", "family", j), "family", fam,
                                    FAMILIES))
        for j, trait in enumerate(cand.get("select", {}).get("trait", ())):
            if trait not in traits:
                out.append(_unknown(raw, ("effects", "candidates", i, "select", "trait", j), "trait", trait,
                                    traits, _alias_map(vocab, "traits")))
    for i, boost in enumerate(effects.get("boosts", ())):
        if ("family" in boost) == ("trait" in boost):
            out.append(raw.problem(("effects", "boosts", i), "a boost needs exactly one of `family` or `trait`"))
        if boost["by"] == 0:
            out.append(raw.problem(("effects", "boosts", i, "by"), "a boost of 0 does nothing; remove it"))
        if "family" in boost and boost["family"] not in FAMILIES:
            out.append(_unknown(raw, ("effects", "boosts", i, "family"), "family", boost["family"], FAMILIES))
        if "trait" in boost and boost["trait"] not in traits:
            out.append(_unknown(raw, ("effects", "boosts", i, "trait"), "trait", boost["trait"], traits,
                                _alias_map(vocab, "traits")))
    return out


def reference_problems(
    raws: Sequence[RawRule], vocab: Vocabulary, models: dict[str, ModelEntry] | None = None
) -> list[Problem]:
    """Every reference problem of schema-valid rules."""
    models = zoo_entries() if models is None else models
    classes = target_classes()
    out: list[Problem] = []
    for raw in raws:
        out += _when_problems(raw, vocab, classes)
        out += _effect_problems(raw, vocab, models)
    return out

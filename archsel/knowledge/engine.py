"""Deterministic rule evaluation: a Query and a RuleSet → ranked candidates, advice, and a full trace.

Scoring (also printed by `archsel explain`, documented in docs/knowledge.md):
  1. A rule fires when it is enabled and every `when` condition holds (a condition on something the query
     does not state does not hold).
  2. A fired rule's candidate effects name zoo models serving the query's task (by id, or `select` by
     family/trait). The rule contributes its largest matching weight once per model (default weight by
     role: recommended 1.0, alternative 0.6, fallback 0.3).
  3. A fired rule's boosts add `by` to every named candidate of that family or with that trait (a negative
     `by` is a penalty). Boosts never add a model that no rule named.
  4. score = Σ contributions + Σ boosts; a candidate's role is the strongest role any fired rule gave it.
  5. Hard constraints of the query (--family, --exclude) then remove candidates (reported as misses).
  6. Order: score descending (rounded to 1e-6), ties broken by id.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archsel.knowledge.schema import ROLES

if TYPE_CHECKING:
    from archsel.knowledge.loader import CandidateEffect, Rule, RuleSet
    from archsel.query.build import Query
    from archsel.zoo.spec import ModelEntry

SCORE_FORMULA = (
    "score = Σ over fired rules of the rule's largest candidate weight for the model "
    "(default by role: recommended 1.0, alternative 0.6, fallback 0.3) "
    "+ Σ over fired rules of boosts/penalties matching the model's family or traits; "
    "a rule fires only if every `when` condition holds (unstated query fields never match); "
    "hard constraints (--family, --exclude) remove candidates; ties are broken by id."
)

# query field for each list condition; priority matches if any of the query's priorities is listed
_QUERY_FIELD = {
    "task": "task",
    "data_type": "data_type",
    "target": "target_class",
    "latency_tier": "latency_tier",
    "sequence_length": "sequence_length",
    "dataset_size": "dataset_size",
    "priority": "priorities",
}
_FLAG = {
    "data_type": "--data-type",
    "target": "--target",
    "latency_tier": "--latency-tier or --latency-ms",
    "sequence_length": "--seq-len",
    "dataset_size": "--dataset-size",
    "priority": "--priority",
    "streaming": "--streaming/--offline",
    "latency_ms": "--latency-ms",
}


@dataclass(frozen=True)
class Condition:
    """One `when` condition of a rule, checked against the query."""

    key: str
    expected: Any
    actual: Any
    ok: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "expected": self.expected,
            "actual": self.actual,
            "ok": self.ok,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Contribution:
    """What one fired rule added to (or took from) one candidate's score."""

    rule_id: str
    kind: str  # "candidate" or "boost"
    amount: float
    detail: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "kind": self.kind,
            "amount": round(self.amount, 6),
            "detail": self.detail,
            "source": self.source,
        }


@dataclass
class Candidate:
    """A ranked recommendation. `metrics` is open for later stages (measured/estimated cost fields)."""

    id: str
    display_name: str
    family: str
    role: str
    score: float
    lightweight: bool
    streaming: bool
    quality: dict[str, Any] | None
    reasons: list[Contribution]
    rank: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "id": self.id,
            "architecture": self.display_name,
            "family": self.family,
            "role": self.role,
            "score": round(self.score, 6),
            "lightweight": self.lightweight,
            "streaming": self.streaming,
            "published_quality": self.quality,
            "reasons": [r.to_dict() for r in self.reasons],
            "metrics": dict(self.metrics),
        }


@dataclass
class Miss:
    """A candidate the query's hard constraints removed, with why."""

    candidate: Candidate
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.candidate.to_dict(), "excluded_because": self.why}


@dataclass
class RuleTrace:
    """How one rule was evaluated: its conditions, whether it fired, and what it did."""

    rule: Rule
    fired: bool
    conditions: list[Condition]
    effects: list[str] = field(default_factory=list)

    def why(self) -> str:
        if not self.rule.enabled:
            return "disabled (enabled: false)"
        failed = [c.reason for c in self.conditions if not c.ok]
        if failed:
            return "; ".join(failed)
        return "all conditions hold" if self.conditions else "no conditions (always applies)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "title": self.rule.title,
            "fired": self.fired,
            "why": self.why(),
            "conditions": [c.to_dict() for c in self.conditions],
            "effects": list(self.effects),
            "source": self.rule.source.cite(),
            "origin": self.rule.origin,
        }


@dataclass
class Advice:
    rule_id: str
    text: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule_id, "text": self.text, "source": self.source}


@dataclass
class Recommendation:
    query: Query
    candidates: list[Candidate]
    misses: list[Miss]
    advice: list[Advice]
    trace: list[RuleTrace]

    @property
    def fired(self) -> list[RuleTrace]:
        return [t for t in self.trace if t.fired]


def _fmt(value: Any) -> str:
    return "/".join(value) if isinstance(value, list | tuple) else str(value)


def check_condition(key: str, expected: Any, query: Query) -> Condition:
    """Evaluate one `when` condition against the query."""
    if key == "streaming":
        actual = query.streaming
        if actual is None:
            return Condition(key, expected, None, False, f"streaming: the query does not say ({_FLAG[key]})")
        ok = actual == expected
        word = lambda v: "streaming" if v else "offline"  # noqa: E731
        return Condition(key, expected, actual, ok, f"needs {word(expected)}, query is {word(actual)}")
    if key == "latency_ms":
        budget = query.latency_ms
        lo, hi = expected.get("min"), expected.get("max")
        span = f"{lo if lo is not None else 0:g}–{hi:g} ms" if hi is not None else f"≥ {lo:g} ms"
        if budget is None:
            return Condition(
                key, expected, None, False, f"latency budget {span}: the query gives none (--latency-ms)"
            )
        ok = (lo is None or budget >= lo) and (hi is None or budget <= hi)
        return Condition(
            key, expected, budget, ok, f"latency budget {budget:g} ms {'is' if ok else 'is not'} in {span}"
        )
    field_name = _QUERY_FIELD[key]
    actual = getattr(query, field_name)
    label = "target class" if key == "target" else key.replace("_", " ")
    if actual is None or actual == ():
        return Condition(
            key,
            expected,
            None,
            False,
            f"{label} must be {_fmt(expected)}: the query does not say ({_FLAG.get(key, '--' + key)})",
        )
    ok = bool(set(actual) & set(expected)) if isinstance(actual, tuple) else actual in expected
    shown = _fmt(actual)
    return Condition(
        key,
        expected,
        list(actual) if isinstance(actual, tuple) else actual,
        ok,
        f"{label} {shown} {'is' if ok else 'is not'} in {_fmt(expected)}",
    )


def _matches(effect: CandidateEffect, entry: ModelEntry) -> bool:
    if effect.id is not None:
        return effect.id == entry.id
    if effect.families and entry.family not in effect.families:
        return False
    return all(bool(getattr(entry, t.replace("-", "_"), False)) for t in effect.traits)


def _has(entry: ModelEntry, family: str | None, trait: str | None) -> bool:
    if family is not None:
        return entry.family == family
    return bool(getattr(entry, (trait or "").replace("-", "_"), False))


def _quality(entry: ModelEntry) -> dict[str, Any] | None:
    if not entry.quality:
        return None
    q = entry.quality[0]
    return {"metric": q.metric, "value": q.value, "dataset": q.dataset, "source": q.source, "paper": q.paper,
            "table": q.table, "url": q.url, "split": q.split, "config_note": q.config_note}


def _hard_constraint(query: Query, entry: ModelEntry) -> str | None:
    if query.families and entry.family not in query.families:
        return f"family {entry.family} is not one of --family {'/'.join(query.families)}"
    for pattern in query.exclude:
        if fnmatch.fnmatchcase(entry.id, pattern):
            return f"excluded by --exclude {pattern}"
    return None


def evaluate(query: Query, ruleset: RuleSet, models: dict[str, ModelEntry] | None = None) -> Recommendation:
    """Evaluate every rule (sorted by id) against `query`; same inputs → same output, byte for byte."""
    from archsel.knowledge.references import zoo_entries

    models = zoo_entries() if models is None else models
    pool = [models[i] for i in sorted(models) if query.task in models[i].tasks]
    traces: list[RuleTrace] = []
    named: dict[str, list[Contribution]] = {}
    roles: dict[str, str] = {}
    advice: list[Advice] = []
    fired_rules: list[Rule] = []
    for rule in sorted(ruleset.rules, key=lambda r: r.id):
        conditions = [check_condition(k, v, query) for k, v in rule.when.items()]
        fired = rule.enabled and all(c.ok for c in conditions)
        trace = RuleTrace(rule, fired, conditions)
        traces.append(trace)
        if not fired:
            continue
        fired_rules.append(rule)
        cite = rule.source.cite()
        for entry in pool:
            matching = [e for e in rule.candidates if _matches(e, entry)]
            if not matching:
                continue
            best = max(matching, key=lambda e: (e.weight, -ROLES.index(e.role)))
            strongest = min((e.role for e in matching), key=ROLES.index)
            named.setdefault(entry.id, []).append(
                Contribution(rule.id, "candidate", best.weight, f"{best.role} ({best.label()})", cite)
            )
            if entry.id not in roles or ROLES.index(strongest) < ROLES.index(roles[entry.id]):
                roles[entry.id] = strongest
            trace.effects.append(f"+{best.weight:g} {entry.id} as {best.role}")
        for effect in rule.candidates:
            if effect.id is not None and effect.id in models and query.task not in models[effect.id].tasks:
                trace.effects.append(f"skipped {effect.id}: does not serve {query.task}")
        advice += [Advice(rule.id, text, cite) for text in rule.advice]
    for rule in fired_rules:
        trace = next(t for t in traces if t.rule is rule)
        for boost in rule.boosts:
            for model_id in sorted(named):
                if _has(models[model_id], boost.family, boost.trait):
                    named[model_id].append(
                        Contribution(rule.id, "boost", boost.by, boost.label(), rule.source.cite())
                    )
                    trace.effects.append(f"{boost.by:+g} {model_id} ({boost.label()})")
    ranked: list[Candidate] = []
    for model_id, reasons in named.items():
        entry = models[model_id]
        ranked.append(
            Candidate(
                model_id,
                entry.display_name,
                entry.family,
                roles[model_id],
                round(sum(r.amount for r in reasons), 6),
                entry.lightweight,
                entry.streaming,
                _quality(entry),
                reasons,
            )
        )
    ranked.sort(key=lambda c: (-c.score, c.id))
    kept: list[Candidate] = []
    misses: list[Miss] = []
    for cand in ranked:
        why = _hard_constraint(query, models[cand.id])
        if why:
            misses.append(Miss(cand, why))
        else:
            kept.append(cand)
    for i, cand in enumerate(kept, 1):
        cand.rank = i
    return Recommendation(query, kept, misses, advice, traces)

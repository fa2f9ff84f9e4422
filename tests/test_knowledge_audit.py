"""Knowledge audit (issue 18): every task × target class against what the documents say for both together.

Each entry of tests/fixtures/knowledge_audit.yaml is one (task, target class) with the documents' expectation
and its sections. The rule engine alone answers (`advice.pipeline.plan`: no costing, no torch), and the
entry's `expect` must hold for its top three. `depends_on` names the rules the expectation rests on: with
them removed the same expectation must fail, so no entry passes vacuously.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from archsel.advice.pipeline import plan
from archsel.knowledge.engine import Candidate, evaluate
from archsel.knowledge.loader import RuleSet, load_rules
from archsel.query.build import build_query
from archsel.query.request import AdviceRequest

FIXTURE = Path(__file__).parent / "fixtures" / "knowledge_audit.yaml"
CLASSES = ("cloud", "edge", "mobile", "local")
VERDICTS = {"agree", "partly", "disagree"}
EXPECT_KEYS = {"all_of", "any_of", "first_one_of", "first_family", "not_first", "top_lightweight"}
ENTRY_KEYS = {"task", "target", "documents", "expect", "depends_on", "verdict", "why",
              "rules_top3", "recommend_top3"}
TOP = 3

ENTRIES: list[dict[str, Any]] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["entries"]
IDS = [f"{e['task']}-{e['target']}" for e in ENTRIES]


def problems(expect: dict[str, Any], ranked: list[Candidate]) -> list[str]:
    """What of `expect` the ranking breaks (empty: it holds)."""
    top = ranked[:TOP]
    ids = [c.id for c in top]
    found: list[str] = []
    if not top:
        return ["no candidates"]
    missing = [m for m in expect.get("all_of", []) if m not in ids]
    if missing:
        found.append(f"not in the top {TOP}: {missing}")
    if "any_of" in expect and not set(expect["any_of"]) & set(ids):
        found.append(f"none of {expect['any_of']} in the top {TOP}")
    if "first_one_of" in expect and top[0].id not in expect["first_one_of"]:
        found.append(f"first is {top[0].id}, not one of {expect['first_one_of']}")
    if "first_family" in expect and top[0].family != expect["first_family"]:
        found.append(f"first is family {top[0].family}, not {expect['first_family']}")
    if top[0].id in expect.get("not_first", []):
        found.append(f"{top[0].id} must not be first")
    if "top_lightweight" in expect and top[0].lightweight is not expect["top_lightweight"]:
        found.append(f"first ({top[0].id}) lightweight is {top[0].lightweight}")
    return found


def ranking(ranked: list[Candidate]) -> list[str]:
    return [f"{c.id}({c.family} {c.score:g})" for c in ranked[:6]]


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_rules(env=False)


def test_one_entry_per_task_and_class(ruleset: RuleSet) -> None:
    tasks = set(ruleset.vocabulary.tasks)
    seen = [(e["task"], e["target"]) for e in ENTRIES]
    assert len(seen) == len(set(seen)), "duplicate (task, target) entries"
    assert set(seen) == {(t, c) for t in tasks for c in CLASSES}


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_entry_is_well_formed(entry: dict[str, Any], ruleset: RuleSet) -> None:
    assert set(entry) <= ENTRY_KEYS, set(entry) - ENTRY_KEYS
    assert entry["verdict"] in VERDICTS
    assert entry["expect"] and set(entry["expect"]) <= EXPECT_KEYS, entry["expect"]
    assert entry["documents"].strip() and entry["why"].strip()
    known = {r.id for r in ruleset.rules}
    assert entry["depends_on"] and set(entry["depends_on"]) <= known, set(entry["depends_on"]) - known


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_documents_expectation_holds(entry: dict[str, Any]) -> None:
    ranked = plan(AdviceRequest(task=entry["task"], target=entry["target"])).rec.candidates
    assert not problems(entry["expect"], ranked), (entry["task"], entry["target"], problems(entry["expect"], ranked),
                                                   ranking(ranked))


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_expectation_fails_without_its_rules(entry: dict[str, Any], ruleset: RuleSet) -> None:
    """Disable the rules the entry depends on: the expectation must then break (it is not vacuous)."""
    query = build_query(entry["task"], target=entry["target"], vocab=ruleset.vocabulary)
    assert not problems(entry["expect"], evaluate(query, ruleset).candidates)
    gone = set(entry["depends_on"])
    reduced = dataclasses.replace(ruleset, rules=[r for r in ruleset.rules if r.id not in gone])
    ranked = evaluate(query, reduced).candidates
    assert problems(entry["expect"], ranked), (f"{entry['task']} × {entry['target']} still passes without "
                                               f"{sorted(gone)}", ranking(ranked))

"""Table-driven: each tests/fixtures/rule_cases/*.yaml is a query and what the documents expect of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from archsel.knowledge.engine import Recommendation, evaluate
from archsel.knowledge.loader import RuleSet, load_rules
from archsel.query.build import build_query

CASES = sorted((Path(__file__).parent / "fixtures" / "rule_cases").glob("*.yaml"))
EXPECT_KEYS = {
    "top_family",
    "top_one_of",
    "top_lightweight",
    "in_top",
    "top_k_family",
    "fired",
    "role_of",
    "advice_contains",
}


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_rules(env=False)


def run_case(data: dict[str, Any], ruleset: RuleSet) -> Recommendation:
    return evaluate(build_query(**data["query"], vocab=ruleset.vocabulary), ruleset)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_rule_case(path: Path, ruleset: RuleSet) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    expect: dict[str, Any] = data["expect"]
    assert set(expect) <= EXPECT_KEYS, f"{path.name}: unknown expectation keys {set(expect) - EXPECT_KEYS}"
    rec = run_case(data, ruleset)
    assert rec.candidates, f"{path.name}: no candidates"
    top = rec.candidates[0]
    ranking = [f"{c.id}({c.family} {c.score:g})" for c in rec.candidates[:6]]
    fired = {t.rule.id for t in rec.fired}
    if "top_family" in expect:
        assert top.family == expect["top_family"], (path.name, ranking)
    if "top_one_of" in expect:
        assert top.id in expect["top_one_of"], (path.name, ranking)
    if "top_lightweight" in expect:
        assert top.lightweight is expect["top_lightweight"], (path.name, ranking)
    if "in_top" in expect:
        ids = [c.id for c in rec.candidates[: expect["in_top"]["k"]]]
        assert set(expect["in_top"]["ids"]) <= set(ids), (path.name, ranking)
    if "top_k_family" in expect:
        k, family = expect["top_k_family"]["k"], expect["top_k_family"]["family"]
        assert [c.family for c in rec.candidates[:k]] == [family] * k, (path.name, ranking)
    missing = set(expect.get("fired", [])) - fired
    assert not missing, f"{path.name}: rules did not fire: {missing}"
    roles = {c.id: c.role for c in rec.candidates}
    for model_id, role in expect.get("role_of", {}).items():
        assert roles.get(model_id) == role, (path.name, model_id, roles.get(model_id))
    if "advice_contains" in expect:
        texts = " ".join(a.text for a in rec.advice).lower()
        assert expect["advice_contains"].lower() in texts, path.name


def test_cases_exist() -> None:
    assert len(CASES) >= 30


def test_same_query_same_answer(ruleset: RuleSet) -> None:
    """Deterministic: evaluation order does not depend on file order, and ties break by id."""
    query = build_query("video", target="edge", vocab=ruleset.vocabulary)
    first = evaluate(query, ruleset)
    shuffled = RuleSet(list(reversed(ruleset.rules)), ruleset.vocabulary, ruleset.folders)
    second = evaluate(query, shuffled)
    assert [(c.id, c.score) for c in first.candidates] == [(c.id, c.score) for c in second.candidates]
    scores = [(-c.score, c.id) for c in first.candidates]
    assert scores == sorted(scores)

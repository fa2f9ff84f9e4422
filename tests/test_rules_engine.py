"""The engine's semantics on small hand-written rule sets: conditions, weights, boosts, ties, overrides."""

from __future__ import annotations

from pathlib import Path

from archsel.knowledge.engine import check_condition, evaluate
from archsel.knowledge.loader import load_rules
from archsel.query.build import build_query

RULES = """\
schema_version: 1
rules:
  - id: b-rule
    title: recommend two CNNs equally
    source: {file: x.md, section: s}
    when: {task: [image-classification]}
    rationale: r
    effects:
      candidates:
        - {id: resnet50, role: recommended}
        - {id: resnet18, role: recommended}
        - {id: vit_b_16, role: alternative}
  - id: a-rule
    title: boost lightweight on edge and penalise transformers
    source: {file: x.md, section: s}
    when: {target: [edge]}
    rationale: r
    effects:
      boosts:
        - {trait: lightweight, by: 2}
        - {family: transformer, by: -0.5}
  - id: c-rule
    title: real-time budget picks any lightweight CNN
    source: {file: x.md, section: s}
    when: {latency_ms: {max: 40}, streaming: false}
    rationale: r
    effects:
      candidates:
        - {select: {family: [cnn], trait: [lightweight]}, role: fallback}
"""


def _ruleset(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    return load_rules([tmp_path], builtin=False, env=False)


def test_default_weights_and_tie_break_by_id(tmp_path: Path) -> None:
    rs = _ruleset(tmp_path)
    rec = evaluate(build_query("image", vocab=rs.vocabulary), rs)
    assert [(c.id, c.score, c.role) for c in rec.candidates] == [
        ("resnet18", 1.0, "recommended"),
        ("resnet50", 1.0, "recommended"),
        ("vit_b_16", 0.6, "alternative"),
    ]


def test_boosts_rescore_but_never_add(tmp_path: Path) -> None:
    rs = _ruleset(tmp_path)
    rec = evaluate(build_query("image", target="edge", vocab=rs.vocabulary), rs)
    scores = {c.id: c.score for c in rec.candidates}
    assert scores == {"resnet18": 1.0, "resnet50": 1.0, "vit_b_16": 0.1}  # no lightweight model was named
    fired = {t.rule.id for t in rec.trace if t.fired}
    assert fired == {"a-rule", "b-rule"}


def test_select_and_unstated_fields(tmp_path: Path) -> None:
    rs = _ruleset(tmp_path)
    rec = evaluate(build_query("image", latency_ms=30, vocab=rs.vocabulary), rs)
    c_rule = next(t for t in rec.trace if t.rule.id == "c-rule")
    assert not c_rule.fired and "streaming: the query does not say" in c_rule.why()
    rec = evaluate(
        build_query("image", latency_ms=30, streaming=False, target="edge", vocab=rs.vocabulary), rs
    )
    by_id = {c.id: c for c in rec.candidates}
    assert by_id["mobilenet_v3_small"].role == "fallback" and by_id["mobilenet_v3_small"].score == 2.3
    assert "resnet50" in by_id and by_id["resnet50"].score == 1.0
    assert all(c.lightweight for c in rec.candidates if c.role == "fallback")


def test_condition_semantics() -> None:
    q = build_query("video", target="edge", latency_ms=120, priorities=["speed,power"])
    assert q.latency_tier == "interactive" and q.priorities == ("speed", "power")
    assert check_condition("priority", ["power"], q).ok
    assert not check_condition("priority", ["accuracy"], q).ok
    assert check_condition("latency_ms", {"max": 200}, q).ok
    assert not check_condition("latency_ms", {"min": 150}, q).ok
    assert not check_condition("sequence_length", ["long"], q).ok
    assert build_query("timeseries", sequence_length="5000").sequence_length == "long"
    assert build_query("image", dataset_size="1_000").dataset_size == "small"

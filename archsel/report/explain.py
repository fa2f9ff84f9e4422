"""The document of `archsel explain`: every rule considered (fired or not, why, effects, source) and how
each candidate's rule score was built."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsel.report.document import SCHEMA_VERSION, Case, Column, Document, TableView
from archsel.report.ranking import query_text

if TYPE_CHECKING:
    from archsel.knowledge.engine import Recommendation


def payload(rec: Recommendation, top: int) -> dict[str, Any]:
    from archsel.knowledge.engine import SCORE_FORMULA

    return {
        "schema_version": SCHEMA_VERSION,
        "command": "explain",
        "query": rec.query.to_dict(),
        "scoring": SCORE_FORMULA,
        "total_candidates": len(rec.candidates),
        "candidates": [c.to_dict() for c in rec.candidates[:top]],
        "closest_misses": [m.to_dict() for m in rec.misses[:top]] if not rec.candidates else [],
        "excluded": [{"id": m.candidate.id, "why": m.why} for m in rec.misses],
        "advice": [a.to_dict() for a in rec.advice],
        "trace": [t.to_dict() for t in rec.trace],
        "rules_considered": len(rec.trace),
        "rules_fired": len(rec.fired),
    }


def document(rec: Recommendation, top: int) -> Document:
    """The trace table, the score breakdown, the scoring note; one case per rule (fired: passed)."""
    from archsel.knowledge.engine import SCORE_FORMULA

    trace_rows = [{"rule": t.rule.id, "fired": "yes" if t.fired else "no", "why": t.why(),
                   "effects": "; ".join(t.effects), "source": t.rule.source.cite()} for t in rec.trace]
    trace_view = TableView(
        [Column("rule", "rule", no_wrap=True), Column("fired", "fired"), Column("why", "why"),
         Column("effects", "effects"), Column("source", "source")],
        trace_rows, title=f"{len(rec.fired)} of {len(rec.trace)} rules fired for {query_text(rec.query, implied=True)}")
    breakdown = [{"rank": c.rank, "id": c.id, "score": f"{c.score:.2f}",
                  "breakdown": " ".join(f"{r.amount:+g} {r.rule_id} ({r.detail})" for r in c.reasons)}
                 for c in rec.candidates[:top]]
    score_view = TableView(
        [Column("rank", "#", justify="right", no_wrap=True), Column("id", "id", no_wrap=True),
         Column("score", "score", justify="right", no_wrap=True), Column("breakdown", "score breakdown")],
        breakdown, title="how the scores were built")
    notes = [f"Scoring: {SCORE_FORMULA}"]
    if rec.misses:
        notes.append("Excluded by hard constraints: " + "; ".join(f"{m.candidate.id} ({m.why})" for m in rec.misses))
    cases = [Case(t.rule.id, "passed" if t.fired else "skipped", f"{t.rule.id}: {t.why()}",
                  file=t.rule.position[0], line=t.rule.position[1], col=t.rule.position[2])
             for t in rec.trace]
    return Document(payload(rec, top), "trace", [trace_view, score_view], notes, cases)

"""The document of `recommend` / `compare`: the JSON payload (schema: archsel.report.schema; docs/advice.md),
the views of archsel.report.ranking, one test case per candidate, and the lines for stderr.

The payload is deterministic: no timings of the run and no cache flags, so the same query gives the same
bytes (a measured latency is the only figure that changes between runs). As test cases (junit, github)
each candidate is a test of "meets the query's hard constraints": ranked ones pass, excluded ones fail
with why, those that raised are errors, those not reached within --time-budget are skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsel.advice.pipeline import measured_elsewhere
from archsel.advice.scoring import FORMULA
from archsel.report import plot, ranking
from archsel.report.document import Case, Document, Suite, count_text
from archsel.report.schema import SCHEMA_ID, SCHEMA_VERSION
from archsel.units import format_ms

if TYPE_CHECKING:
    from archsel.advice.pipeline import AdviceResult, Outcome
    from archsel.targets.profiles import TargetProfile


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(float(value), digits)


def latency_dict(o: Outcome, stat: str) -> dict[str, Any] | None:
    if o.cost is None or o.cost.latency is None:
        return None
    lat = o.cost.latency
    return {
        "kind": lat.kind, "stat": stat, "value_ms": _r(lat.at(stat)), "p50_ms": _r(lat.p50_ms),
        "p90_ms": _r(lat.p90_ms), "p99_ms": _r(lat.p99_ms), "band_low_ms": _r(lat.band_low_ms),
        "band_high_ms": _r(lat.band_high_ms), "precision": lat.precision, "device": lat.device,
        "runtime": lat.runtime, "method": lat.method, "accuracy_note": lat.accuracy_note,
        "detail": {k: (_r(v) if isinstance(v, float) else v) for k, v in lat.detail.items()},
    }


def budget_dict(o: Outcome, latency_ms: float | None, stat: str) -> dict[str, Any] | None:
    if latency_ms is None or o.cost is None or o.cost.latency is None:
        return None
    value = o.cost.latency.at(stat)
    return {"latency_ms": latency_ms, "stat": stat, "headroom_ms": _r(latency_ms - value),
            "headroom_fraction": _r((latency_ms - value) / latency_ms)}


def outcome_dict(o: Outcome, result: AdviceResult) -> dict[str, Any]:
    """One candidate (ranked, excluded, failed or skipped) as JSON."""
    c = o.candidate
    req = result.request
    variant = None
    if o.variant_of is not None and o.cost is not None:
        variant = {"from": o.variant_of, "to": o.cost.precision,
                   "why": f"{o.variant_of} misses the constraints on {result.target.name if result.target else '?'}; "
                          f"{o.cost.precision} fits (quantize at the edge)"}
    return {
        "rank": o.rank,
        "id": c.id,
        "architecture": c.display_name,
        "family": c.family,
        "role": c.role,
        "user_model": o.user,
        "status": o.status,
        "score": _r(o.score),
        "score_terms": {"rule": _r(o.rule_term), "quality": _r(o.quality.value) if o.quality else None,
                        "latency": _r(o.latency_term), "weights": o.weights},
        "rule_score": _r(c.score),
        "rule_rank": c.rank,
        "lightweight": c.lightweight,
        "streaming": c.streaming,
        "published_quality": c.quality,
        "quality": o.quality.to_dict() if o.quality else None,
        "pareto": o.pareto,
        "precision": o.cost.precision if o.cost else None,
        "batch": req.batch if o.cost is None else o.cost.batch,
        "variant": variant,
        "metrics": o.cost.metrics() if o.cost else {},
        "latency": latency_dict(o, req.latency_stat),
        "budget": budget_dict(o, req.latency_ms, req.latency_stat),
        "violations": [v.to_dict() for v in o.violations],
        "excluded_because": "; ".join(v.message for v in o.violations) if o.status == "excluded" else None,
        "attempts": o.attempts,
        "error": o.error,
        "failed_stage": o.stage if o.status == "failed" else None,
        "reasons": [r.to_dict() for r in c.reasons],
    }


def _runtime_dict(result: AdviceResult) -> dict[str, Any] | None:
    """The target's runtime the latencies are for (measured runs: the runtime that ran here)."""
    from archsel.advice.costing import measured_runtime

    if result.target is None:
        return None
    rt = result.target.runtime(result.request.runtime)
    if result.measured:
        return {"name": measured_runtime(rt), "unit": "cpu", "default": None, "measured": True}
    return {"name": rt.name, "unit": rt.unit, "default": rt.default, "measured": False}


def target_dict(target: TargetProfile | None, measured: bool) -> dict[str, Any] | None:
    if target is None:
        return None
    return {**target.to_dict(), "latency": "measured" if measured else "estimated"}


def payload(result: AdviceResult, command: str = "recommend") -> dict[str, Any]:
    """The full JSON document for one query (with `query_source` when a query file wrote it)."""
    req = result.request
    ranked = result.ranked
    excluded = result.excluded
    return {
        "schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "query": {**result.query.to_dict(), "latency_stat": req.latency_stat, "objective": req.objective,
                  "batch": req.batch, "precision": req.precision, "max_params": req.max_params,
                  "max_macs": req.max_macs, "measure": req.measure, "time_budget_s": req.time_budget_s,
                  "top": req.top, "runtime": result.plan.runtime, "threads": req.threads},
        "target": target_dict(result.target, result.measured),
        "runtime": _runtime_dict(result),
        "latency_kind": None if result.target is None and not result.measured
        else ("measured" if result.measured else "estimated"),
        "base_precision": result.base_precision,
        "rule_scoring": _rule_formula(),
        "scoring": FORMULA,
        "total_candidates": len(result.outcomes),
        "feasible": len(ranked),
        "candidates": [outcome_dict(o, result) for o in result.shown()],
        "pareto_front": [o.candidate.id for o in ranked if o.pareto],
        "closest_misses": [outcome_dict(o, result) for o in excluded[: req.top]] if not ranked else [],
        "excluded": [{"id": o.candidate.id, "why": "; ".join(v.message for v in o.violations),
                      "precision": o.cost.precision if o.cost else None,
                      "over_fraction": _r(o.miss_distance) if o.miss_distance != float("inf") else None}
                     for o in excluded],
        "failed": [{"id": o.candidate.id, "stage": o.stage, "error": o.error}
                   for o in result.by_status("failed")],
        "skipped": [{"id": o.candidate.id, "why": o.error} for o in result.by_status("skipped")],
        "advice": [a.to_dict() for a in result.rec.advice],
        "notes": list(result.notes),
        "trace": [t.to_dict() for t in result.rec.fired],
        "rules_considered": len(result.rec.trace),
        "rules_fired": len(result.rec.fired),
        **({"user_model": _user_summary(result)} if command == "compare" else {}),
        **({"query_source": result.plan.source.where} if result.plan.source is not None else {}),
    }


def _user_summary(result: AdviceResult) -> dict[str, Any] | None:
    user = next((o for o in result.outcomes if o.user), None)
    if user is None:
        return None
    return {"id": user.candidate.id, "status": user.status, "rank": user.rank or None,
            "of": len(result.ranked), "why": "; ".join(v.message for v in user.violations) or user.error}


def _rule_formula() -> str:
    from archsel.knowledge.engine import SCORE_FORMULA

    return SCORE_FORMULA


# ------------------------------------------------------------------------------------------ document


def _case(o: Outcome, result: AdviceResult) -> Case:
    c = o.candidate
    lat = latency_dict(o, result.request.latency_stat)
    properties: dict[str, Any] = {"family": c.family, "role": c.role, "rank": o.rank or None,
                                  "score": _r(o.score) if o.status == "ok" else None,
                                  "precision": o.cost.precision if o.cost else None,
                                  "latency_ms": lat["value_ms"] if lat else None,
                                  "latency_kind": lat["kind"] if lat else None,
                                  "macs": o.cost.macs if o.cost else None, "params": o.cost.params if o.cost else None}
    if o.status == "ok":
        message = f"rank {o.rank}: {c.id} ({c.family}) fits" + (f", {format_ms(lat['value_ms'])} ms {lat['kind']}"
                                                                 if lat else "")
        return Case(c.id, "passed", message, properties=properties)
    if o.status == "excluded":
        why = "; ".join(v.message for v in o.violations)
        return Case(c.id, "failed", f"{c.id} excluded: {why}", error_type="ConstraintFailed", properties=properties)
    if o.status == "failed":
        return Case(c.id, "error", f"{c.id} failed while {'counting' if o.stage == 'count' else 'timing'}: "
                                   f"{o.error}", error_type=(o.error or "Error").split(":")[0], properties=properties)
    return Case(c.id, "skipped", f"{c.id} skipped: {o.error}", properties=properties)


def cases(result: AdviceResult) -> list[Case]:
    """One case per candidate: the shown ranked ones, then every excluded, failed and skipped one."""
    rest = [o for o in result.outcomes if o.status != "ok"]
    return [_case(o, result) for o in result.shown()] + [_case(o, result) for o in rest]


def document(result: AdviceResult, fmt: str, command: str = "recommend", layout: str = "concise") -> Document:
    """Everything the formats need for one query; the terminal table in `layout` (ranking.LAYOUTS: the
    concise one-line table and at most five notes, the wide one, or every detail as before)."""
    data = payload(result, command)
    found = cases(result)
    where = f" on {result.target.name}" if result.target is not None else ""
    suite = Suite(
        command=f"archsel {command}", name=f"archsel {command} {ranking.query_text(result.query, result.request)}",
        status="passed" if result.ranked else "failed",
        summary=f"task {result.query.task}{where}: {len(result.ranked)} of {len(result.outcomes)} candidates fit"
                + (f", top {result.ranked[0].candidate.id}" if result.ranked else "") + f" ({count_text(found)})",
        classname=f"archsel.{command}.{result.query.task}",
        properties={k: v for k, v in data["query"].items() if not isinstance(v, list | dict)})
    short = fmt == "table" and layout != "details" and bool(result.ranked)
    notes = ranking.short_notes(result) if short else ranking.notes(result, fmt)
    if fmt == "table" and not short and not plot.matplotlib_available():
        notes = [*plot.ascii_front(result), *notes]
    records = "candidates" if result.ranked else "closest_misses"
    return Document(data, records, ranking.views(result, fmt, layout), notes, found, suite, short_notes=short)


def warnings(result: AdviceResult) -> list[str]:
    """What stderr should say about the run: candidates that failed, a measurement that is not the target's,
    and, when nothing fits, why."""
    out = [f"{o.candidate.id} failed while {'counting' if o.stage == 'count' else 'timing'}: {o.error}"
           for o in result.by_status("failed")]
    elsewhere = measured_elsewhere(result.target, result.measured)
    return [*out, elsewhere] if elsewhere else out


def nothing_fits(result: AdviceResult) -> str | None:
    """The one stderr line when no candidate satisfies the query (None when one does)."""
    if result.ranked:
        return None
    closest = result.excluded[:1]
    if result.outcomes and all(o.status in ("failed", "skipped") for o in result.outcomes):
        reason = "no candidate could be costed (see the failed/skipped list)"
    elif not result.outcomes:
        reason = f"no rule names a candidate for task {result.query.task}"
    else:
        reason = "no candidate meets the hard constraints"
        if closest and closest[0].violations:
            reason += f"; closest miss: {closest[0].candidate.id} ({closest[0].violations[0].message})"
    return f"archsel: no candidate satisfies the query: {reason}"

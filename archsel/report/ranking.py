"""Human views of an advice result: the ranking table, excluded candidates, candidates not costed, notes."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from archsel.advice.scoring import WEIGHTS
from archsel.report.document import Column, TableView
from archsel.targets.runtimes import EAGER
from archsel.units import format_bytes, format_ms, format_si

if TYPE_CHECKING:
    from archsel.advice.pipeline import AdviceResult, Outcome
    from archsel.query.build import Query
    from archsel.query.request import AdviceRequest

PARETO_MARK = "★"


def _reasons(o: Outcome, limit: int | None = None, sep: str = ", ") -> str:
    per_rule: dict[str, float] = {}
    for r in o.candidate.reasons:
        per_rule[r.rule_id] = per_rule.get(r.rule_id, 0.0) + r.amount
    if not per_rule:
        return "—"
    ordered = sorted(per_rule.items(), key=lambda kv: (-kv[1], kv[0])) if limit else list(per_rule.items())
    shown = [f"{rule} {amount:+.2g}" for rule, amount in ordered[:limit]]
    if limit and len(ordered) > limit:
        shown.append(f"+{len(ordered) - limit} more (Σ {o.candidate.score:.3g})")
    return sep.join(shown)


def _quality(o: Outcome, multiline: bool) -> str:
    q = o.candidate.quality
    if q:
        head = f"{q['metric']} {q['value']:g}"
        return f"{head}\n{q['dataset']}" if multiline else f"{head} ({q['dataset']})"
    return "unknown"


def _latency(o: Outcome, stat: str, multiline: bool) -> str:
    if o.cost is None or o.cost.latency is None:
        return "—"
    lat = o.cost.latency
    kind = "est." if lat.kind == "estimated" else "meas."
    head = f"{format_ms(lat.at(stat))} {kind}"
    if format_ms(lat.band_low_ms) == format_ms(lat.band_high_ms):
        return head
    band = f"[{format_ms(lat.band_low_ms)}–{format_ms(lat.band_high_ms)}]"
    return f"{head}\n{band}" if multiline else f"{head} {band}"


def _headroom(o: Outcome, budget: float | None, stat: str, multiline: bool) -> str:
    if budget is None or o.cost is None or o.cost.latency is None:
        return "—"
    left = budget - o.cost.latency.at(stat)
    return f"{left:+.3g} ms" + ("\n" if multiline else " ") + f"{left / budget:+.0%}"


def rank_cell(o: Outcome) -> str:
    """The rank, the Pareto mark before it ("★ 3"): right-aligned, the ranks stay in one column."""
    return f"{PARETO_MARK + ' ' if o.pareto else ''}{o.rank}"


def _precision(o: Outcome) -> str:
    if o.cost is None:
        return "—"
    text = f"{o.cost.precision}, batch {o.cost.batch}"
    return text + (f" ({o.variant_of} misses)" if o.variant_of else "")


def _row(o: Outcome, result: AdviceResult, multiline: bool) -> dict[str, Any]:
    req = result.request
    c = o.candidate
    cost = o.cost
    return {
        "rank": rank_cell(o),
        "model": (f"{'▶ ' if o.user else ''}{c.id}\n{c.family} · {c.role}\n{_precision(o)}" if multiline
                  else c.id),
        "id": c.id,
        "architecture": c.display_name,
        "family": c.family,
        "role": c.role,
        "precision": _precision(o),
        "latency": _latency(o, req.latency_stat, multiline),
        "latency_budget": _latency(o, req.latency_stat, True) + (
            "\n" + _headroom(o, req.latency_ms, req.latency_stat, False) if req.latency_ms is not None else ""),
        "headroom": _headroom(o, req.latency_ms, req.latency_stat, multiline),
        "size": (f"{format_si(cost.macs)} MACs\n{format_si(cost.params)} par.\n{format_bytes(cost.memory_bytes)}"
                 if cost else "—"),
        "macs": format_si(cost.macs) if cost else "—",
        "params": format_si(cost.params) if cost else "—",
        "memory": format_bytes(cost.memory_bytes) if cost else "—",
        "quality": _quality(o, multiline),
        "score": f"{o.score:.3f}",
        "reasons": _reasons(o, 3, "\n") if multiline else _reasons(o),
    }


def _csv_row(o: Outcome, result: AdviceResult) -> dict[str, Any]:
    req = result.request
    cost = o.cost
    lat = cost.latency if cost else None
    q = o.candidate.quality
    return {
        "#": o.rank, "id": o.candidate.id, "architecture": o.candidate.display_name,
        "family": o.candidate.family, "role": o.candidate.role,
        "precision": cost.precision if cost else "", "batch": cost.batch if cost else req.batch,
        "variant_of": o.variant_of or "",
        "latency_kind": lat.kind if lat else "", "latency_stat": req.latency_stat,
        "latency_ms": f"{lat.at(req.latency_stat):.6g}" if lat else "",
        "band_low_ms": f"{lat.band_low_ms:.6g}" if lat else "",
        "band_high_ms": f"{lat.band_high_ms:.6g}" if lat else "",
        "headroom_ms": f"{req.latency_ms - lat.at(req.latency_stat):.6g}" if lat and req.latency_ms else "",
        "macs": cost.macs if cost else "", "params": cost.params if cost else "",
        "memory_bytes": cost.memory_bytes if cost else "",
        "published quality": f"{q['metric']} {q['value']:g} ({q['dataset']})" if q else "",
        "quality_normalised": f"{o.quality.value:.6g}" if o.quality and o.quality.value is not None else "",
        "quality_source": o.quality.source if o.quality else "",
        "score": f"{o.score:.6f}", "rule_score": f"{o.candidate.score:.6g}", "pareto": o.pareto,
        "reasons": _reasons(o),
    }


def query_text(q: Query, request: AdviceRequest | None = None, implied: bool = False) -> str:
    """The query in one line: task, target, budget and everything else the user said; with `implied`, also
    what the rules matched on without being told (the task's default data type, the tier the budget sets)."""
    parts = [f"task {q.task}"]
    if q.data_type and (implied or q.data_type_source == "query"):
        parts.append(f"data {q.data_type}" + (" (task default)" if q.data_type_source == "task default" else ""))
    if q.target:
        parts.append(f"target {q.target} ({q.target_class})")
    if q.latency_ms is not None:
        parts.append(f"budget {q.latency_ms:g} ms" + (f" {request.latency_stat}" if request else ""))
    if q.latency_tier and (implied or q.latency_tier_source == "query"):
        parts.append(f"tier {q.latency_tier}")
    if q.streaming is not None:
        parts.append("streaming" if q.streaming else "offline")
    for label, value in (("sequences", q.sequence_length), ("data set", q.dataset_size)):
        if value:
            parts.append(f"{label} {value}")
    for label, words in (("priorities", q.priorities), ("only", q.families), ("excluding", q.exclude)):
        if words:
            parts.append(f"{label} {'/'.join(words)}")
    if request is not None and request.objective != "balanced":
        parts.append(f"objective {request.objective}")
    if request is not None and request.batch != 1:
        parts.append(f"batch {request.batch}")
    return ", ".join(parts)


def ranking_view(result: AdviceResult, fmt: str) -> TableView:
    """The ranked candidates: multi-line cells for the terminal, flat columns for markdown, raw for csv."""
    top = result.shown()
    if fmt == "csv":
        rows = [_csv_row(o, result) for o in top]
        keys = list(rows[0]) if rows else ["#", "id"]
        return TableView([Column(k, k) for k in keys], rows)
    multiline = fmt == "table"
    req = result.request
    rows = [_row(o, result, multiline) for o in top]
    if multiline:
        columns = [
            Column("rank", "#", justify="right", no_wrap=True),
            Column("model", "model · family · role\nprecision, batch", no_wrap=True),
            Column("latency_budget", "latency ms" + ("\nheadroom" if req.latency_ms is not None else "")),
            Column("size", "MACs\nparams\nmemory"), Column("quality", "quality\n(data set)"),
            Column("score", "score", justify="right", no_wrap=True),
            Column("reasons", "top reasons\n(rule, score)", ratio=1),
        ]
    else:
        columns = [
            Column("rank", "#", justify="right", no_wrap=True), Column("id", "id", no_wrap=True),
            Column("architecture", "architecture"), Column("family", "family", no_wrap=True),
            Column("role", "role", no_wrap=True), Column("precision", "precision"),
            Column("latency", "latency ms"), Column("headroom", "headroom"), Column("macs", "MACs"),
            Column("params", "params"), Column("memory", "memory"), Column("quality", "quality (data set)"),
            Column("score", "score", justify="right", no_wrap=True), Column("reasons", "reasons (rule score)"),
        ]
    n = len(result.ranked)
    title = f"{n} of {len(result.outcomes)} candidates fit: {query_text(result.query, result.request)}"
    return TableView(columns, rows, title=title,
                     caption=f"showing {len(rows)}; {PARETO_MARK} = Pareto front (quality vs "
                             f"{'latency' if result.cost_axis == 'latency' else 'MACs'})")


LAYOUTS = ("concise", "wide", "details")  # the terminal table: one line per candidate, all columns, one block each


def _short_quality(o: Outcome) -> str:
    """A published figure and the first word of its metric ("67.5 top-1"); "unknown" without one."""
    q = o.candidate.quality
    if not q:
        return "unknown"
    return f"{float(q['value']):.3g} {str(q['metric']).split()[0]}"


def _short_latency(o: Outcome, budget: float | None, stat: str) -> str:
    """"13 est ✓": the latency at the budget's statistic, its kind, and whether it is within the budget."""
    if o.cost is None or o.cost.latency is None:
        return "—"
    lat = o.cost.latency
    value = lat.at(stat)
    fits = "" if budget is None else (" ✓" if value <= budget else " ✗")
    return f"{format_ms(value)} {'est' if lat.kind == 'estimated' else 'meas'}{fits}"


def one_line_view(result: AdviceResult, wide: bool = False) -> TableView:
    """The ranked candidates one line each (`concise`: dropping family, params, MACs, score and quality in that
    order as the terminal narrows; `wide`: with precision, band, headroom and memory as well)."""
    req = result.request
    rows = []
    for o in result.shown():
        c, cost = o.candidate, o.cost
        lat = cost.latency if cost else None
        rows.append({
            "rank": rank_cell(o),
            "model": f"{'▶ ' if o.user else ''}{c.id}" + (f" {cost.precision}" if o.variant_of and cost else ""),
            "family": c.family, "latency": _short_latency(o, req.latency_ms, req.latency_stat),
            "macs": format_si(cost.macs) if cost else "—", "params": format_si(cost.params) if cost else "—",
            "quality": _short_quality(o), "score": f"{o.score:.3f}",
            "precision": _precision(o),
            "band": "—" if lat is None else f"{format_ms(lat.band_low_ms)}–{format_ms(lat.band_high_ms)}",
            "headroom": _headroom(o, req.latency_ms, req.latency_stat, False),
            "memory": format_bytes(cost.memory_bytes) if cost else "—",
        })
    latency = f"latency ms {req.latency_stat}" if req.latency_ms is not None else "latency ms"
    columns = [
        Column("rank", "#", justify="right"), Column("model", "model", shrink=True),
        Column("family", "family", drop=6), Column("latency", latency, justify="right"),
        Column("macs", "MACs", justify="right", drop=4), Column("params", "params", justify="right", drop=5),
        Column("quality", "quality", drop=2), Column("score", "score", justify="right", drop=3),
    ]
    if wide:  # every column, as wide as it takes (kubectl get -o wide)
        columns = [dataclasses.replace(c, drop=0, shrink=False) for c in columns]
        columns += [Column("precision", "precision"), Column("band", "band ms"), Column("headroom", "headroom"),
                    Column("memory", "memory", justify="right")]
    n = len(result.ranked)
    title = f"{n} of {len(result.outcomes)} candidates fit: {query_text(result.query, result.request)}"
    marks = f"{PARETO_MARK} Pareto front (published quality)" + (
        ", ✓ within the budget" if req.latency_ms is not None else "")
    return TableView(columns, rows, title=title, caption=f"{marks}; showing {len(rows)} of {n}", one_line=True)


def short_notes(result: AdviceResult) -> list[str]:
    """At most five lines under the one-line table: target and runtime, how latency was obtained and its
    proven error, the top piece of advice, and where to see more."""
    req = result.request
    out: list[str] = []
    t = result.target
    if t is not None:
        out.append(f"Target: {t.name} ({t.target_class}), {runtime_text(result)}.")
    sample = next((o.cost.latency for o in result.outcomes if o.cost and o.cost.latency), None)
    if sample is not None:
        out.append(f"Latency: {sample.kind}, batch {req.batch}, {req.latency_stat}; {_proven_error(sample)}.")
    if result.rec.advice:
        top = result.rec.advice[0]
        out.append(f"Advice [{top.rule_id}]: {top.text}")
    more = ["--details", "--wide"]
    if result.excluded and not req.show_excluded:
        more.append(f"--show-excluded ({len(result.excluded)})")
    out.append("More: " + ", ".join([*more, f"archsel explain --task {result.query.task}"]))
    return out[:5]


_HELD_OUT = re.compile(r"median \|error\| ([\d.]+%), ([\d.]+%) within ±25%")


def _proven_error(lat: Any) -> str:
    """The latency's proven error in a few words ("held-out median error 10%, 83% within ±25%"), else the
    first clause of its accuracy note."""
    found = _HELD_OUT.search(lat.accuracy_note or "")
    if found:
        return f"held-out median error {found[1]}, {found[2]} within ±25%"
    return (lat.accuracy_note or "no proven error").split(" (")[0].split("; ")[0].rstrip(".")


def excluded_view(outcomes: list[Outcome], result: AdviceResult, title: str) -> TableView:
    """Excluded candidates with why, closest first."""
    stat = result.request.latency_stat
    rows = [{
        "id": o.candidate.id, "family": o.candidate.family,
        "precision": o.cost.precision if o.cost else "—",
        "latency": _latency(o, stat, False),
        "over": "—" if o.miss_distance == float("inf") else f"{o.miss_distance:+.0%}",
        "why": "; ".join(v.message for v in o.violations),
    } for o in outcomes]
    return TableView([Column("id", "id", no_wrap=True), Column("family", "family", no_wrap=True),
                      Column("precision", "prec."), Column("latency", "latency ms"),
                      Column("over", "over", justify="right"), Column("why", "excluded because", ratio=1)],
                     rows, title=title)


def problem_view(result: AdviceResult) -> TableView | None:
    rows = [{"id": o.candidate.id, "status": o.status, "why": o.error or ""}
            for o in result.outcomes if o.status in ("failed", "skipped")]
    if not rows:
        return None
    return TableView([Column("id", "id", no_wrap=True), Column("status", "status"), Column("why", "why", ratio=1)],
                     rows,
                     title="candidates not costed")


def measured_words(runtime: str) -> str:
    """'eager PyTorch', or the runtime's name (a deployment runtime on the exported graph)."""
    return "eager PyTorch" if runtime == EAGER else f"{runtime} (the model exported to ONNX)"


def runtime_text(result: AdviceResult) -> str:
    """What ran or is estimated: 'eager PyTorch measured here', 'runtime tensorrt on the gpu (its default)'."""
    from archsel.advice.costing import measured_runtime

    assert result.target is not None
    rt = result.target.runtime(result.request.runtime)
    if result.measured:
        return f"{measured_words(measured_runtime(rt))} measured here"
    return f"runtime {rt.name} on the {rt.unit}" + (" (its default)" if rt.default else "")


def notes(result: AdviceResult, fmt: str) -> list[str]:
    """Lines under the tables: target and method, budget, scoring, Pareto, variants, sources, advice."""
    req = result.request
    out: list[str] = []
    t = result.target
    if t is not None:
        rt = t.runtime(req.runtime)
        out.append(f"Target: {t.name} — {t.display_name} ({t.target_class}; "
                   f"{f'{t.memory_gb:g} GB' if t.memory_gb else 'memory unknown'}; {runtime_text(result)}; "
                   f"precisions {'/'.join(rt.precisions)}).")
    sample = next((o.cost.latency for o in result.outcomes if o.cost and o.cost.latency), None)
    if sample is not None:
        method = sample.method.split(". ")[0].rstrip(".")  # the first sentence; JSON has it all
        out.append(f"Latency: {sample.kind} per forward pass of batch {req.batch} — {method}; "
                   f"{sample.accuracy_note.rstrip('.')}.")
    out.extend(result.notes)
    w = WEIGHTS[req.objective]
    out.append(f"Score ({req.objective}): {w['rule']:g}·rule + {w['quality']:g}·quality + {w['latency']:g}·latency, "
               "each in [0, 1] (docs/advice.md); quality = published figure / best of the task; a candidate "
               "without one has quality unknown and earns no quality credit (0) while others have a published "
               "figure (none has one: quality is left out and the weights renormalised).")
    front = [o.candidate.id for o in result.ranked if o.pareto]
    unplaced = [o.candidate.id for o in result.ranked if o.quality is None or o.quality.value is None]
    if front or unplaced:
        out.append(f"Pareto front ({PARETO_MARK}, published quality vs {result.cost_axis}): "
                   + (", ".join(front) or "none")
                   + (f"; not placed (quality unknown): {', '.join(unplaced)}" if unplaced else ""))
    variants = [o for o in result.ranked[: req.top] if o.variant_of]
    if variants:
        shown = ", ".join(f"{o.candidate.id} {o.cost.precision}" for o in variants if o.cost)
        out.append(f"Precision variants: {shown} — {result.base_precision} misses the constraints, the lower "
                   "precision fits (quantize at "
                   "the edge); published quality is for the full-precision model.")
    excluded = result.excluded
    if excluded and not req.show_excluded and result.ranked:
        out.append(f"{len(excluded)} excluded by constraints (--show-excluded lists them with why).")
    for o in result.outcomes:
        if o.status in ("failed", "skipped") and fmt != "table":
            out.append(f"{o.status.upper()} {o.candidate.id}: {o.error}")
    if result.rec.fired:
        out.append("Sources of the rules that fired:")
        out += [f"  {tr.rule.id}: {tr.rule.source.cite()}" for tr in result.rec.fired]
    published = [o for o in result.ranked[: req.top] if o.candidate.quality]
    if published:
        out.append("Sources of the published quality shown:")
        out += [f"  {o.candidate.id}: {_quality(o, False)}: {q['source']}"
                + (f"; {q['split']}" if q.get("split") else "")
                + (f"; our build: {q['config_note']}" if q.get("config_note") else "")
                for o in published if (q := o.candidate.quality)]
    if result.rec.advice:
        out.append("Advice:")
        out += [f"  - {a.text} [{a.rule_id}]" for a in result.rec.advice]
    return out


def views(result: AdviceResult, fmt: str, layout: str = "details") -> list[TableView]:
    """Every table for `fmt` (csv gets only the ranking); the terminal's ranking in `layout` (LAYOUTS)."""
    if fmt == "csv":
        return [ranking_view(result, fmt)] if result.ranked else [
            excluded_view(result.excluded[: result.request.top], result, "closest misses")]
    out: list[TableView] = []
    if result.ranked:
        one_line = fmt == "table" and layout != "details"
        out.append(one_line_view(result, wide=layout == "wide") if one_line else ranking_view(result, fmt))
    if not result.ranked:
        out.append(excluded_view(result.excluded[: result.request.top], result,
                                 "closest misses (nothing meets the constraints)"))
    elif result.request.show_excluded and result.excluded:
        out.append(excluded_view(result.excluded, result, "excluded candidates"))
    problems = problem_view(result)
    if problems is not None and fmt == "table":
        out.append(problems)
    return out

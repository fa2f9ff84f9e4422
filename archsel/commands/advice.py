"""`archsel recommend` (ranked advice) and `archsel explain` (the full rule trace). No torch import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from archsel.report.formats import SCHEMA_VERSION, Column, Document, TableView, check_format, emit

FORMAT_HELP = "Output format: table, json, jsonl, yaml, csv or markdown."

TASK = typer.Option(..., "--task", "-t", help="Task or alias: image, detection, video, asr, translation, ...")
TARGET = typer.Option(
    None, "--target", help="cloud, edge, mobile, local, a device name, or a profile .yaml path."
)
LATENCY = typer.Option(None, "--latency-ms", help="Latency budget per request in ms (sets the latency tier).")
TIER = typer.Option(
    None, "--latency-tier", help="real-time, interactive or batch (default: from --latency-ms)."
)
STREAMING = typer.Option(
    None, "--streaming/--offline", help="Input arrives as a stream (online) or all at once."
)
DATA_TYPE = typer.Option(
    None,
    "--data-type",
    "-d",
    help="static-image, real-time-video, audio-stream, ... (default: the task's usual data).",
)
SEQ_LEN = typer.Option(None, "--seq-len", help="short, medium, long, very-long, or a length in steps/tokens.")
DATASET = typer.Option(None, "--dataset-size", help="small, medium, large, or a number of training examples.")
PRIORITY = typer.Option(
    None,
    "--priority",
    "-p",
    help="accuracy, speed, power, memory, parallel-training, "
    "explainability, cost (repeatable or comma-separated).",
)
FAMILY = typer.Option(
    None, "--family", help="Hard constraint: only these families (repeatable or comma-separated)."
)
EXCLUDE = typer.Option(
    None, "--exclude", help="Hard constraint: drop model ids matching this pattern (repeatable)."
)
TOP = typer.Option(10, "--top", "-n", min=1, help="How many candidates to show.")
FMT = typer.Option("table", "--format", "-f", help=FORMAT_HELP)
RULES = typer.Option(None, "--rules", help="Extra rules folder (repeatable; overrides built-in rules by id).")
PROFILES = typer.Option(None, "--profiles", help="Extra hardware-profile folder (repeatable).")


def _evaluate(
    task: str,
    target: str | None,
    latency_ms: float | None,
    latency_tier: str | None,
    streaming: bool | None,
    data_type: str | None,
    seq_len: str | None,
    dataset_size: str | None,
    priority: list[str] | None,
    family: list[str] | None,
    exclude: list[str] | None,
    rules: list[Path] | None,
    profiles: list[Path] | None,
) -> Any:
    from archsel.knowledge.engine import evaluate
    from archsel.knowledge.loader import load_rules
    from archsel.query import build_query

    ruleset = load_rules(rules or ())
    query = build_query(
        task,
        data_type=data_type,
        target=target,
        latency_ms=latency_ms,
        latency_tier=latency_tier,
        streaming=streaming,
        sequence_length=seq_len,
        dataset_size=dataset_size,
        priorities=priority or (),
        families=family or (),
        exclude=exclude or (),
        profile_dirs=profiles or (),
        vocab=ruleset.vocabulary,
    )
    return evaluate(query, ruleset)


def _quality_text(q: dict[str, Any] | None) -> str:
    return "—" if not q else f"{q['metric']} {q['value']:g} ({q['dataset']})"


def _reasons_text(reasons: list[Any]) -> str:
    per_rule: dict[str, float] = {}
    for r in reasons:
        per_rule[r.rule_id] = per_rule.get(r.rule_id, 0.0) + r.amount
    return ", ".join(f"{rule} {amount:+.2g}" for rule, amount in per_rule.items())


def _query_text(q: Any) -> str:
    parts = [f"task {q.task}"]
    if q.data_type:
        parts.append(
            f"data {q.data_type}" + (" (task default)" if q.data_type_source == "task default" else "")
        )
    if q.target:
        parts.append(f"target {q.target} ({q.target_class})")
    if q.latency_ms is not None:
        parts.append(f"budget {q.latency_ms:g} ms")
    if q.latency_tier:
        parts.append(f"tier {q.latency_tier}")
    if q.streaming is not None:
        parts.append("streaming" if q.streaming else "offline")
    for label, value in (("sequences", q.sequence_length), ("data set", q.dataset_size)):
        if value:
            parts.append(f"{label} {value}")
    if q.priorities:
        parts.append("priorities " + "/".join(q.priorities))
    if q.families:
        parts.append("only " + "/".join(q.families))
    if q.exclude:
        parts.append("excluding " + "/".join(q.exclude))
    return ", ".join(parts)


def _payload(rec: Any, top: int, full_trace: bool) -> dict[str, Any]:
    from archsel.knowledge.engine import SCORE_FORMULA

    trace = rec.trace if full_trace else rec.fired
    return {
        "schema_version": SCHEMA_VERSION,
        "query": rec.query.to_dict(),
        "scoring": SCORE_FORMULA,
        "total_candidates": len(rec.candidates),
        "candidates": [c.to_dict() for c in rec.candidates[:top]],
        "closest_misses": [m.to_dict() for m in rec.misses[:top]] if not rec.candidates else [],
        "excluded": [{"id": m.candidate.id, "why": m.why} for m in rec.misses],
        "advice": [a.to_dict() for a in rec.advice],
        "trace": [t.to_dict() for t in trace],
        "rules_considered": len(rec.trace),
        "rules_fired": len(rec.fired),
    }


def _candidate_view(rec: Any, top: int) -> TableView:
    rows = [
        {
            "rank": c.rank,
            "id": c.id,
            "architecture": c.display_name,
            "family": c.family,
            "role": c.role,
            "score": f"{c.score:.2f}",
            "quality": _quality_text(c.quality),
            "reasons": _reasons_text(c.reasons),
        }
        for c in rec.candidates[:top]
    ]
    return TableView(
        columns=[
            Column("rank", "#", justify="right"),
            Column("id", "id"),
            Column("architecture", "architecture", ratio=2),
            Column("family", "family"),
            Column("role", "role"),
            Column("score", "score", justify="right"),
            Column("quality", "published quality", ratio=1),
            Column("reasons", "reasons (rule score)", ratio=3),
        ],
        rows=rows,
        title=f"{len(rec.candidates)} candidates for {_query_text(rec.query)}",
        caption=f"showing {len(rows)}; score = Σ rule weights + boosts (see `archsel explain`)",
    )


def _source_notes(rec: Any) -> list[str]:
    notes = ["Sources of the rules that fired:"]
    notes += [f"  {t.rule.id}: {t.rule.source.cite()}" for t in rec.fired]
    if rec.advice:
        notes.append("Advice:")
        notes += [f"  - {a.text} [{a.rule_id}]" for a in rec.advice]
    return notes


def _no_candidate(rec: Any, fmt: str, top: int, payload: dict[str, Any]) -> None:
    from archsel.report.formats import stderr_console

    views = []
    if rec.misses:
        rows = [
            {
                "id": m.candidate.id,
                "family": m.candidate.family,
                "score": f"{m.candidate.score:.2f}",
                "why": m.why,
            }
            for m in rec.misses[:top]
        ]
        views.append(
            TableView(
                [
                    Column("id", "id"),
                    Column("family", "family"),
                    Column("score", "score", justify="right"),
                    Column("why", "excluded because"),
                ],
                rows,
                title="closest misses",
            )
        )
    emit(Document(payload, "closest_misses", views), fmt)
    reason = (
        "the query's hard constraints (--family/--exclude) removed every candidate"
        if rec.misses
        else f"no rule names a candidate for task {rec.query.task}"
    )
    stderr_console().print(
        f"archsel: no candidate satisfies the query: {reason}", highlight=False, markup=False
    )
    raise typer.Exit(1)


def recommend(
    task: str = TASK,
    target: str | None = TARGET,
    latency_ms: float | None = LATENCY,
    latency_tier: str | None = TIER,
    streaming: bool | None = STREAMING,
    data_type: str | None = DATA_TYPE,
    seq_len: str | None = SEQ_LEN,
    dataset_size: str | None = DATASET,
    priority: list[str] | None = PRIORITY,
    family: list[str] | None = FAMILY,
    exclude: list[str] | None = EXCLUDE,
    top: int = TOP,
    fmt: str = FMT,
    rules: list[Path] | None = RULES,
    profiles: list[Path] | None = PROFILES,
) -> None:
    """Rank architectures for a task, target and budget from the expert rules, with the reasons."""
    check_format(fmt)
    rec = _evaluate(
        task,
        target,
        latency_ms,
        latency_tier,
        streaming,
        data_type,
        seq_len,
        dataset_size,
        priority,
        family,
        exclude,
        rules,
        profiles,
    )
    payload = _payload(rec, top, full_trace=False)
    if not rec.candidates:
        _no_candidate(rec, fmt, top, payload)
    emit(Document(payload, "candidates", [_candidate_view(rec, top)], _source_notes(rec)), fmt)


def explain(
    task: str = TASK,
    target: str | None = TARGET,
    latency_ms: float | None = LATENCY,
    latency_tier: str | None = TIER,
    streaming: bool | None = STREAMING,
    data_type: str | None = DATA_TYPE,
    seq_len: str | None = SEQ_LEN,
    dataset_size: str | None = DATASET,
    priority: list[str] | None = PRIORITY,
    family: list[str] | None = FAMILY,
    exclude: list[str] | None = EXCLUDE,
    top: int = TOP,
    fmt: str = FMT,
    rules: list[Path] | None = RULES,
    profiles: list[Path] | None = PROFILES,
) -> None:
    """Every rule considered for the query, whether it fired and why, and how each score was built."""
    from archsel.knowledge.engine import SCORE_FORMULA

    check_format(fmt)
    rec = _evaluate(
        task,
        target,
        latency_ms,
        latency_tier,
        streaming,
        data_type,
        seq_len,
        dataset_size,
        priority,
        family,
        exclude,
        rules,
        profiles,
    )
    payload = _payload(rec, top, full_trace=True)
    trace_rows = [
        {
            "rule": t.rule.id,
            "fired": "yes" if t.fired else "no",
            "why": t.why(),
            "effects": "; ".join(t.effects),
            "source": t.rule.source.cite(),
        }
        for t in rec.trace
    ]
    trace_view = TableView(
        [
            Column("rule", "rule"),
            Column("fired", "fired"),
            Column("why", "why"),
            Column("effects", "effects"),
            Column("source", "source"),
        ],
        trace_rows,
        title=f"{len(rec.fired)} of {len(rec.trace)} rules fired for {_query_text(rec.query)}",
    )
    breakdown = [
        {
            "rank": c.rank,
            "id": c.id,
            "score": f"{c.score:.2f}",
            "breakdown": " ".join(f"{r.amount:+g} {r.rule_id} ({r.detail})" for r in c.reasons),
        }
        for c in rec.candidates[:top]
    ]
    score_view = TableView(
        [
            Column("rank", "#", justify="right"),
            Column("id", "id"),
            Column("score", "score", justify="right"),
            Column("breakdown", "score breakdown"),
        ],
        breakdown,
        title="how the scores were built",
    )
    notes = [f"Scoring: {SCORE_FORMULA}"]
    if rec.misses:
        notes.append(
            "Excluded by hard constraints: " + "; ".join(f"{m.candidate.id} ({m.why})" for m in rec.misses)
        )
    emit(Document(payload, "trace", [trace_view, score_view], notes), fmt)
    if not rec.candidates:
        from archsel.report.formats import stderr_console

        stderr_console().print("archsel: no candidate satisfies the query", highlight=False, markup=False)
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.command("recommend")(recommend)
    root.command("explain")(explain)

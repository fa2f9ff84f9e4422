"""`archsel recommend` (ranked advice) and `archsel explain` (the full rule trace). No torch import."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from archsel.errors import ConfigError, UsageError
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


def _evaluate(**options: Any) -> Any:
    """The rule engine's answer for the command-line options (the same path `recommend` takes; no torch)."""
    from archsel.advice.pipeline import evaluate_rules

    fields = cli_fields(**options)
    if options.get("streaming") is False:
        fields["streaming"] = False
    return evaluate_rules(_advice_request(fields))[1]


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


def _advice_request(values: dict[str, Any]) -> Any:
    from archsel.advice.request import AdviceRequest

    return AdviceRequest(**values)


def cli_fields(**options: Any) -> dict[str, Any]:
    """The options the user gave on the command line, as AdviceRequest fields (None/empty = not given)."""
    from archsel.query import split_words
    from archsel.units import parse_si

    out: dict[str, Any] = {}
    for key, value in options.items():
        if value is None or value is False or value == [] or value == ():
            continue
        if key in ("priority", "family", "exclude"):
            value = tuple(split_words(value))
        elif key in ("rules", "profiles"):
            value = tuple(str(p) for p in value)
        elif key in ("max_params", "max_macs"):
            value = parse_si(value, "--" + key.replace("_", "-"))
        out[key] = value
    return out


def _requests(fields: dict[str, Any], query_file: str | None) -> list[tuple[Any, str | None]]:
    """(AdviceRequest, where) per query: the command line alone, or each query of the file over it."""
    from archsel.errors import ArchselError

    if query_file is None:
        return [(_advice_request(fields).validated(), None)]
    from archsel.advice.queryfile import load_queries

    out: list[tuple[Any, str | None]] = []
    problems: list[str] = []
    for spec in load_queries(query_file):
        try:
            out.append((_advice_request({**fields, **spec.fields}).validated(), spec.where))
        except ArchselError as exc:
            problems.append(f"{spec.where}: {exc}")
    if problems:
        raise ConfigError(problems[0], problems)
    return out


def _preflight(requests: list[tuple[Any, str | None]]) -> None:
    """Check every query's words, target and rules before anything is costed (file:line errors, exit 2)."""
    from archsel.advice.pipeline import evaluate_rules, resolve
    from archsel.errors import ArchselError

    if len(requests) < 2 and requests[0][1] is None:
        return
    problems: list[str] = []
    for req, where in requests:
        try:
            evaluate_rules(req)
            resolve(req)
        except ConfigError as exc:
            problems += [f"{where}: {p}" for p in exc.problems]
        except ArchselError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise ConfigError(problems[0], problems)


def emit_result(result: Any, fmt: str, command: str = "recommend", where: str | None = None) -> dict[str, Any]:
    """Print one result in `fmt` (tables, or the JSON payload); returns the payload."""
    from archsel.advice import render
    from archsel.advice.payload import payload

    data = payload(result, command)
    if where is not None:
        data["query_source"] = where
    notes = render.notes(result, fmt)
    if fmt == "table" and not render.matplotlib_available():
        notes = [*render.ascii_front(result), *notes]
    records = "candidates" if result.ranked else "closest_misses"
    emit(Document(data, records, render.views(result, fmt), notes), fmt)
    return data


def _nothing_fits(result: Any) -> None:
    from archsel.report.formats import stderr_console

    closest = result.excluded[:1]
    if result.outcomes and all(o.status in ("failed", "skipped") for o in result.outcomes):
        reason = "no candidate could be costed (see the failed/skipped list)"
    elif not result.outcomes:
        reason = f"no rule names a candidate for task {result.query.task}"
    else:
        reason = "no candidate meets the hard constraints"
        if closest and closest[0].violations:
            reason += f"; closest miss: {closest[0].candidate.id} ({closest[0].violations[0].message})"
    stderr_console().print(f"archsel: no candidate satisfies the query: {reason}", highlight=False, markup=False)


def run_and_emit(fields: dict[str, Any], *, fmt: str | None, query_file: str | None, plot: str | None,
                 command: str = "recommend", extra: Any = None) -> None:
    """Shared by recommend and compare: build the queries, run each, print, plot, set the exit code.

    `extra(request)` returns the extra items to rank (compare's user model).
    """
    import json

    from archsel.advice.payload import payload
    from archsel.advice.pipeline import run

    requests = _requests(fields, query_file)
    several = len(requests) > 1
    if several:
        if fmt not in (None, "json", "jsonl"):
            raise UsageError(f"--format {fmt}: a query file with several queries gives JSON Lines",
                             hint="use --format jsonl (or leave --format out)")
        if plot is not None:
            raise UsageError("--plot draws one query; the query file holds several")
    out_fmt = check_format(fmt or "table")
    plot_path = None
    if plot is not None:
        from archsel.advice.plot import check_plot_path

        plot_path = check_plot_path(plot)
    _preflight(requests)
    failed = False
    for req, where in requests:
        result = run(req, extra=extra(req) if extra is not None else None)
        if not result.ranked:
            failed = True
            _nothing_fits(result)
        if several:
            data = payload(result, command)
            data["query_source"] = where
            sys.stdout.write(json.dumps(data, ensure_ascii=False, allow_nan=False, default=str) + "\n")
            sys.stdout.flush()
            continue
        emit_result(result, out_fmt, command, where)
        if plot_path is not None:
            from archsel.advice.plot import write_plot

            write_plot(result, plot_path)
            from archsel.report.formats import stderr_console

            stderr_console().print(f"archsel: wrote {plot_path}", highlight=False, markup=False)
    if failed:
        raise typer.Exit(1)


LATENCY_STAT = typer.Option(None, "--latency-stat", help="Statistic the budget applies to: p50 (default), p90, p99.")
MAX_PARAMS = typer.Option(None, "--max-params", help="Hard limit on parameters, e.g. 5M (SI suffixes k/M/G).")
MAX_MACS = typer.Option(None, "--max-macs", help="Hard limit on MACs per forward pass, e.g. 2G.")
PRECISION = typer.Option(
    None, "--precision", help="auto (default: fp32, with fp16/int8 variants on edge/mobile), fp32, fp16, bf16, int8."
)
BATCH = typer.Option(None, "--batch", "-b", help="Batch size of one forward pass (default 1).")
OBJECTIVE = typer.Option(None, "--objective", help="Score weighting: balanced (default), latency or accuracy.")
MEASURE = typer.Option(False, "--measure", help="Measure latency on this machine instead of estimating it.")
TIME_BUDGET = typer.Option(None, "--time-budget", help="Seconds for the whole run; candidates not reached are skipped.")
SHOW_EXCLUDED = typer.Option(False, "--show-excluded", help="List the candidates the constraints excluded, with why.")
QUERY = typer.Option(None, "--query", "-q", help="YAML/JSON query file (or - for stdin); several queries → JSON Lines.")
PLOT = typer.Option(None, "--plot", help="Write quality vs latency with the Pareto front to .png/.svg (needs [plot]).")
PRINT_SCHEMA = typer.Option(False, "--print-schema", help="Print the JSON Schema of the output and exit.")
REC_TOP = typer.Option(None, "--top", "-n", min=1, help="How many candidates to show (default 10).")
REC_FMT = typer.Option(None, "--format", "-f", help=FORMAT_HELP + " (default table)")
REC_TASK = typer.Option(None, "--task", "-t", help="Task or alias: image, detection, video, asr, translation, ...")


def recommend(
    task: str | None = REC_TASK,
    target: str | None = TARGET,
    latency_ms: float | None = LATENCY,
    latency_stat: str | None = LATENCY_STAT,
    latency_tier: str | None = TIER,
    streaming: bool | None = STREAMING,
    data_type: str | None = DATA_TYPE,
    seq_len: str | None = SEQ_LEN,
    dataset_size: str | None = DATASET,
    priority: list[str] | None = PRIORITY,
    family: list[str] | None = FAMILY,
    exclude: list[str] | None = EXCLUDE,
    max_params: str | None = MAX_PARAMS,
    max_macs: str | None = MAX_MACS,
    precision: str | None = PRECISION,
    batch: int | None = BATCH,
    objective: str | None = OBJECTIVE,
    measure: bool = MEASURE,
    time_budget: float | None = TIME_BUDGET,
    top: int | None = REC_TOP,
    show_excluded: bool = SHOW_EXCLUDED,
    fmt: str | None = REC_FMT,
    query: str | None = QUERY,
    plot: str | None = PLOT,
    print_schema: bool = PRINT_SCHEMA,
    rules: list[Path] | None = RULES,
    profiles: list[Path] | None = PROFILES,
) -> None:
    """Rank architectures for a task, target and budget: rules, counted and timed costs, constraints, Pareto.

    Latency is estimated from the target's profile, or measured when the target is `local` (or --measure).
    Exit 1 when nothing meets the constraints (the closest misses are shown), 2 for bad input.
    """
    if print_schema:
        from archsel.advice.schema import RESULT_SCHEMA
        from archsel.report.formats import to_json

        sys.stdout.write(to_json(RESULT_SCHEMA) + "\n")
        return
    if fmt is not None:
        check_format(fmt)
    fields = cli_fields(
        task=task, target=target, latency_ms=latency_ms, latency_stat=latency_stat, latency_tier=latency_tier,
        streaming=streaming, data_type=data_type, seq_len=seq_len, dataset_size=dataset_size, priority=priority,
        family=family, exclude=exclude, max_params=max_params, max_macs=max_macs, precision=precision,
        batch=batch, objective=objective, measure=measure, time_budget_s=time_budget, top=top,
        show_excluded=show_excluded, rules=rules, profiles=profiles,
    )
    if streaming is False:
        fields["streaming"] = False
    run_and_emit(fields, fmt=fmt, query_file=query, plot=plot)


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
        task=task, target=target, latency_ms=latency_ms, latency_tier=latency_tier, streaming=streaming,
        data_type=data_type, seq_len=seq_len, dataset_size=dataset_size, priority=priority, family=family,
        exclude=exclude, rules=rules, profiles=profiles,
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

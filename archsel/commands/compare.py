"""`archsel compare --model my_pkg.models:build --input 1x3x224x224 --task T --target edge`: rank the user's
own model among the recommended candidates, with the same cost model and constraints. RUNS THE USER'S CODE.

The user's model is counted on the meta device when it can be built there (archsel.usermodel), estimated
or measured exactly like the candidates, and scored with a neutral rule term (0.5: no rule names it) and
the rule-score proxy for quality unless it fits a published figure (it never does: nobody published it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from archsel.commands.advice import (
    DATA_TYPE,
    EXCLUDE,
    FAMILY,
    LATENCY,
    LATENCY_STAT,
    MAX_MACS,
    MAX_PARAMS,
    MEASURE,
    OBJECTIVE,
    PLOT,
    PRECISION,
    PRIORITY,
    PROFILES,
    REC_FMT,
    REC_TOP,
    RULES,
    SHOW_EXCLUDED,
    STREAMING,
    TARGET,
    TIME_BUDGET,
    cli_fields,
    run_and_emit,
)
from archsel.errors import UsageError

MODEL = typer.Option(..., "--model", "-m", help="Your model: package.module:factory (or path/to/file.py:factory).")
INPUT = typer.Option(..., "--input", "-i", help="Example input, batch first: 1x3x224x224 (several: joined by +).")
MODEL_ARG = typer.Option(None, "--model-arg", help="Factory keyword argument NAME=VALUE (repeatable).")
TASK = typer.Option(..., "--task", "-t", help="The task your model serves (image, detection, video, asr, ...).")


def user_item(spec: str, input_text: str, kwargs: dict[str, Any]) -> Any:
    """Count the user's model now (errors surface before anything else runs) and wrap it as an Item."""
    from archsel.advice.costing import measured_module
    from archsel.advice.pipeline import Item
    from archsel.knowledge.engine import Candidate
    from archsel.usermodel import count_user_model, rebuild

    user, count = count_user_model(spec, input_text, kwargs=kwargs)
    candidate = Candidate(id=spec, display_name=f"your model {spec}", family="user", role="your model", score=0.0,
                          lightweight=False, streaming=False, quality=None, reasons=[])

    def measure(precision: str, budget_s: float) -> Any:
        if precision != "fp32":
            raise UsageError(f"measuring your model runs fp32 only (asked for {precision})")
        real = rebuild(user, "cpu")
        return measured_module(real.module, real.inputs, real.batch, budget_s)

    return Item(candidate, lambda: count, measure, user=True), user


def compare(
    model: str = MODEL,
    input_shape: str = INPUT,
    task: str = TASK,
    target: str | None = TARGET,
    latency_ms: float | None = LATENCY,
    latency_stat: str | None = LATENCY_STAT,
    streaming: bool | None = STREAMING,
    data_type: str | None = DATA_TYPE,
    priority: list[str] | None = PRIORITY,
    family: list[str] | None = FAMILY,
    exclude: list[str] | None = EXCLUDE,
    max_params: str | None = MAX_PARAMS,
    max_macs: str | None = MAX_MACS,
    precision: str | None = PRECISION,
    objective: str | None = OBJECTIVE,
    measure: bool = MEASURE,
    time_budget: float | None = TIME_BUDGET,
    top: int | None = REC_TOP,
    show_excluded: bool = SHOW_EXCLUDED,
    fmt: str | None = REC_FMT,
    plot: str | None = PLOT,
    model_arg: list[str] | None = MODEL_ARG,
    rules: list[Path] | None = RULES,
    profiles: list[Path] | None = PROFILES,
) -> None:
    """Rank YOUR model (an importable factory; its code runs) among the candidates for the same task and target."""
    from archsel.report.formats import check_format
    from archsel.usermodel import parse_inputs, parse_model_args

    if fmt is not None:
        check_format(fmt)
    kwargs = parse_model_args(model_arg)
    batch = parse_inputs(input_shape)[0].shape[0]
    fields = cli_fields(
        task=task, target=target, latency_ms=latency_ms, latency_stat=latency_stat, streaming=streaming,
        data_type=data_type, priority=priority, family=family, exclude=exclude, max_params=max_params,
        max_macs=max_macs, precision=precision, batch=batch, objective=objective, measure=measure,
        time_budget_s=time_budget, top=top, show_excluded=show_excluded, rules=rules, profiles=profiles,
    )
    if streaming is False:
        fields["streaming"] = False
    item, _user = user_item(model, input_shape, kwargs)
    run_and_emit(fields, fmt=fmt, query_file=None, plot=plot, command="compare", extra=lambda _req: [item])


def register(root: typer.Typer) -> None:
    root.command("compare")(compare)

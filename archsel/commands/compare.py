"""`archsel compare --model my_pkg.models:build --input 1x3x224x224 --task T --target edge`: rank the user's
own model among the recommended candidates, with the same cost model and constraints. RUNS THE USER'S CODE.

The user's model is counted on the meta device when it can be built there (archsel.usermodel), estimated
or measured exactly like the candidates (archsel.advice.costing.user_item), and scored with a neutral rule
term (0.5: no rule names it) and quality unknown (nobody published a figure for it: scored on the other terms).
"""

from __future__ import annotations

from typing import Any

import typer

from archsel.commands.advice import DETAILS, FORMAT_OR_QUERY, PLOT, WIDE, answer, layout_of
from archsel.commands.options import MEMORY_LIMIT, TIMEOUT, child_limits, with_query_options
from archsel.errors import ExitStatus

MODEL = typer.Option(..., "--model", "-m", help="Your model: package.module:factory (or path/to/file.py:factory).")
INPUT = typer.Option(..., "--input", "-i", help="Example input, batch first: 1x3x224x224 (several: joined by +).")
MODEL_ARG = typer.Option(None, "--model-arg", help="Factory keyword argument NAME=VALUE (repeatable).")
COMPARE_QUERY = ("task", "target", "latency_ms", "latency_stat", "streaming", "data_type", "priority", "family",
                 "exclude", "max_params", "max_macs", "precision", "runtime", "threads", "objective", "measure",
                 "time_budget_s", "top", "show_excluded", "rules", "profiles")


@with_query_options(*COMPARE_QUERY, required=("task",))
def compare(
    model: str = MODEL,
    input_shape: str = INPUT,
    model_arg: list[str] | None = MODEL_ARG,
    fmt: str | None = FORMAT_OR_QUERY,
    plot: str | None = PLOT,
    details: bool = DETAILS,
    wide: bool = WIDE,
    timeout: float = TIMEOUT,
    memory_limit: str | None = MEMORY_LIMIT,
    *,
    query: dict[str, Any],
) -> ExitStatus:
    """Rank YOUR model (an importable factory; its code runs) among the candidates for the same task and target."""
    from archsel.advice.costing import Item, user_item
    from archsel.knowledge.engine import Candidate
    from archsel.query.queryfile import requests
    from archsel.query.request import request_fields
    from archsel.report.formats import check_format
    from archsel.usermodel import parse_inputs, parse_model_args

    if fmt is not None:
        check_format(fmt)
    layout = layout_of(details, wide)
    kwargs = parse_model_args(model_arg)
    batch = parse_inputs(input_shape)[0].shape[0]
    limits = child_limits(timeout, memory_limit)

    def users_model() -> list[tuple[Candidate, Item]]:  # after planning: a bad query is said before its code runs
        item, _user = user_item(model, input_shape, kwargs, limits=limits)
        return [(Candidate(id=model, display_name=f"your model {model}", family="user", role="your model",
                           score=0.0, lightweight=False, streaming=False, quality=None, reasons=[]), item)]

    return answer(requests(request_fields(**query, batch=batch), None), fmt=fmt, plot=plot, command="compare",
                  extra=users_model, layout=layout)


def register(root: typer.Typer) -> None:
    root.command("compare")(compare)

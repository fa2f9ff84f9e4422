"""`archsel recommend` (ranked advice) and `archsel explain` (the full rule trace). No torch import."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import typer

from archsel.commands.options import (
    FLEET_ADDRESS,
    FLEET_TIME_BUDGET,
    FORMAT,
    ON_FLEET,
    RULE_QUERY,
    fleet_device,
    with_query_options,
)
from archsel.errors import ExitStatus, UsageError
from archsel.report.formats import FORMAT_HELP, check_format, emit, emit_record

if TYPE_CHECKING:
    from archsel.advice.costing import Item
    from archsel.advice.pipeline import AdviceResult
    from archsel.knowledge.engine import Candidate
    from archsel.query.queryfile import QuerySpec
    from archsel.query.request import AdviceRequest

FORMAT_OR_QUERY = typer.Option(None, "--format", "-f", help=FORMAT_HELP + " (default table; several queries: jsonl)")
QUERY = typer.Option(None, "--query", "-q", help="YAML/JSON query file (or - for stdin); several queries → JSON Lines.")
DETAILS = typer.Option(False, "--details", help="The table with every detail: reasons, bands, memory, headroom, "
                                                 "and all sources and advice under it.")
WIDE = typer.Option(False, "--wide", help="One line per candidate with precision, band, headroom and memory too.")
PLOT = typer.Option(None, "--plot", help="Write quality vs latency with the Pareto front to .png/.svg/.pdf, or "
                                          "draw it under the table with `term` (needs the plot extra).")


def layout_of(details: bool, wide: bool) -> str:
    """The terminal table's layout (report.ranking.LAYOUTS) from --details / --wide."""
    if details and wide:
        raise UsageError("--details and --wide: give one (--details shows everything --wide does)")
    return "details" if details else "wide" if wide else "concise"


def on_fleet_requests(requested: Sequence[tuple[AdviceRequest, QuerySpec | None]]
                      ) -> list[tuple[AdviceRequest, QuerySpec | None]]:
    """The queries costed for eager PyTorch (what the fleet measures); --runtime other than pytorch, --measure
    or a target measured here: usage errors."""
    out = []
    for request, spec in requested:
        fleet_device(True, request.target, None)  # a device of the fleet, not this machine
        if request.runtime not in (None, "pytorch"):
            raise UsageError(f"--on-fleet measures eager PyTorch, not --runtime {request.runtime}",
                             hint="drop --runtime (or give --runtime pytorch)")
        if request.measure:
            raise UsageError("--on-fleet and --measure: give one (--measure times this machine)")
        out.append((replace(request, runtime="pytorch"), spec))
    return out


def answer(requested: Sequence[tuple[AdviceRequest, QuerySpec | None]], *, fmt: str | None, plot: str | None,
           command: str = "recommend", layout: str = "concise",
           extra: Callable[[], Sequence[tuple[Candidate, Item]]] | None = None,
           fleet: tuple[str | None, float] | None = None) -> ExitStatus:
    """Shared by recommend and compare: plan every query, run each, print, plot; FAILURE when one has no fit.
    `extra` makes candidates to rank beside the rules' (compare: the user's model), called once every query
    is planned, so a bad query is said before the user's code runs. `fleet` = (address, seconds): measure the
    candidates that could fit on the fleet's devices serving each query's target."""
    from archsel.advice.pipeline import plan_all, run
    from archsel.report import console
    from archsel.report import recommend as report

    several = len(requested) > 1
    if several and fmt not in (None, "json", "jsonl"):
        raise UsageError(f"--format {fmt}: a query file with several queries gives JSON Lines",
                         hint="use --format jsonl (or leave --format out)")
    if several and plot is not None:
        raise UsageError("--plot draws one query; the query file holds several")
    out_fmt = check_format(fmt or "table")
    plot_path = None
    if plot is not None:
        from archsel.report.plot import TERMINAL, check_plot_path

        plot_path = check_plot_path(plot)
        if plot in TERMINAL and out_fmt != "table":
            raise UsageError(f"--plot {plot} draws under the table; --format {out_fmt} is data",
                             hint="use --plot pareto.png for an image beside a data format")
    status = ExitStatus.SUCCESS
    plans = plan_all(on_fleet_requests(requested) if fleet is not None else requested)
    more = extra() if extra is not None else ()
    answered: dict[AdviceRequest, AdviceResult] = {}  # identical queries are answered once
    for planned in plans:
        earlier = answered.get(planned.request)
        if earlier is not None:
            result = replace(earlier, plan=planned)
        else:
            on_fleet = None
            if fleet is not None and planned.target is not None:
                from archsel.profiling.fleet.dispatch import FleetRun

                on_fleet = FleetRun(planned.target.name, fleet[0], fleet[1])
            result = answered[planned.request] = run(planned, extra=more, progress=console.progress,
                                                     fleet=on_fleet)
            for line in report.warnings(result):
                console.warn(line)
        miss = report.nothing_fits(result)
        if miss is not None:
            status = ExitStatus.FAILURE
            console.say(miss)
        if several:
            emit_record(report.payload(result, command))
            continue
        emit(report.document(result, out_fmt, command, layout), out_fmt)
        if plot is not None and plot_path is None:
            from archsel.report.formats import colour_on, emit_line, table_width
            from archsel.report.plot import terminal_plot

            emit_line(terminal_plot(result, table_width(), colour_on()).rstrip("\n"))
        elif plot_path is not None:
            from archsel.report.plot import write_plot

            write_plot(result, plot_path)
            console.say(f"archsel: wrote {plot_path}")
    return status


@with_query_options()
def recommend(
    fmt: str | None = FORMAT_OR_QUERY,
    query_file: str | None = QUERY,
    plot: str | None = PLOT,
    details: bool = DETAILS,
    wide: bool = WIDE,
    print_schema: bool = typer.Option(False, "--print-schema", help="Print the JSON Schema of the output and exit."),
    on_fleet: bool = ON_FLEET,
    address: str | None = FLEET_ADDRESS,
    fleet_time_budget: float = FLEET_TIME_BUDGET,
    *,
    query: dict[str, Any],
) -> ExitStatus:
    """Rank architectures for a task, target and budget: rules, counted and timed costs, constraints, Pareto.

    Latency is estimated from the target's profile, or measured when the target is `local` (or --measure).
    Exit 1 when nothing meets the constraints (the closest misses are shown), 2 for bad input.
    """
    from archsel.query.queryfile import requests
    from archsel.query.request import request_fields

    if print_schema:
        from archsel.report.schema import schema_document

        emit(schema_document(), "json")
        return ExitStatus.SUCCESS
    if fmt is not None:
        check_format(fmt)
    if not on_fleet:
        fleet_device(False, None, address)  # --address alone: a usage error
    return answer(requests(request_fields(**query), query_file), fmt=fmt, plot=plot, layout=layout_of(details, wide),
                  fleet=(address, fleet_time_budget) if on_fleet else None)


@with_query_options(*RULE_QUERY, required=("task",))
def explain(fmt: str = FORMAT, *, query: dict[str, Any]) -> ExitStatus:
    """Every rule considered for the query, whether it fired and why, and how each score was built."""
    from archsel.advice.pipeline import plan
    from archsel.query.request import AdviceRequest, request_fields
    from archsel.report import console
    from archsel.report.explain import document

    check_format(fmt)
    planned = plan(AdviceRequest(**request_fields(**query)))
    emit(document(planned.rec, planned.request.top), fmt)
    if not planned.rec.candidates:
        console.say("archsel: no candidate satisfies the query")
        return ExitStatus.FAILURE
    return ExitStatus.SUCCESS


def register(root: typer.Typer) -> None:
    root.command("recommend")(recommend)
    root.command("explain")(explain)

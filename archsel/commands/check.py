"""`archsel check`: a CI gate for the user's own model — latency, params, MACs, memory, precision.

THIS IMPORTS AND RUNS THE USER'S CODE (the factory named by --model and the model's forward).
The gates are archsel.advice.gate's; the report is archsel.report.check's (docs/check.md).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer

from archsel.commands.options import (
    FLEET_ADDRESS,
    FLEET_TIME_BUDGET,
    MEMORY_LIMIT,
    ON_FLEET,
    OUTPUT,
    QUERY_OPTIONS,
    RUNTIME_HELP,
    TIMEOUT,
    child_limits,
    fleet_device,
)
from archsel.errors import ExitStatus, UsageError, unknown
from archsel.report.formats import FORMAT_HELP, check_format


def check_cmd(
    model: str = typer.Option(..., "--model", "-m", metavar="MODULE:FACTORY",
                              help="Your model: an importable factory, nn.Module class or instance, e.g. "
                                   "my_pkg.models:build (or path/to/file.py:build). IT IS IMPORTED AND RUN."),
    input_shape: str = typer.Option(..., "--input", "-i", metavar="SHAPE",
                                    help="Example input with the batch first, e.g. 1x3x224x224; several inputs "
                                         "joined by '+'; ':int64' for token ids (1x128:int64)."),
    target: str = typer.Option(..., "--target", help="Target class (cloud, edge, mobile, local), device name "
                                                     "or profile .yaml file; `local` is measured."),
    latency_ms: float | None = typer.Option(None, "--latency-ms", min=0.0, help="Latency budget (ms) for one "
                                            "forward of the batch."),
    latency_stat: str = typer.Option("p50", "--latency-stat", help="Statistic gated when latency is measured: "
                                     "p50, p90 or p99."),
    strict: bool = typer.Option(False, "--strict", help="Gate an estimated latency on the high end of its "
                                "error band instead of the point estimate."),
    max_params: str | None = typer.Option(None, "--max-params", help="Parameter budget, e.g. 5M."),
    max_macs: str | None = typer.Option(None, "--max-macs", help="MAC budget per forward, e.g. 2G."),
    max_memory: str | None = typer.Option(None, "--max-memory", help="Memory budget (weights + peak "
                                          "activations), e.g. 512MiB; the target's memory always applies."),
    dtype: str = typer.Option("fp32", "--dtype", help="Precision deployed: fp32, fp16, bf16 or int8."),
    runtime: str | None = typer.Option(None, "--runtime", help=RUNTIME_HELP),
    threads: int | None = QUERY_OPTIONS["threads"][1],
    measure: bool = typer.Option(False, "--measure", help="Measure latency on this machine instead of "
                                 "estimating it for the target."),
    device: str = typer.Option("cpu", "--device", help="Where to measure: cpu or cuda (cuda:N)."),
    time_budget: float = typer.Option(10.0, "--time-budget", min=0.001, help="Seconds for measuring latency."),
    model_arg: list[str] | None = typer.Option(None, "--model-arg", metavar="NAME=VALUE",
                                               help="Keyword argument for the factory (repeatable; YAML value)."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP + " junit/github: one test or "
                            "annotation per gate."),
    output: Path | None = OUTPUT,
    timeout: float = TIMEOUT,
    memory_limit: str | None = MEMORY_LIMIT,
    on_fleet: bool = ON_FLEET,
    address: str | None = FLEET_ADDRESS,
    fleet_time_budget: float = FLEET_TIME_BUDGET,
) -> ExitStatus:
    """Gate YOUR model in CI: latency, params, MACs, memory and precision against budgets on a target.

    WARNING: this imports the module named by --model and RUNS YOUR CODE (the factory and one or more
    forward passes), as `python -c "import ..."` would. Only check code you trust.

    Latency is estimated from the target profile (gated on the point estimate; --strict: the band's high
    end), or measured here with --measure or --target local, or on a device of your fleet serving the target
    with --on-fleet (the current folder is shipped to it so your factory imports there; gated on
    --latency-stat).

    Exit codes: 0 every gate passed; 1 a gate failed, or the model raised (reported, no traceback);
    2 bad usage (bad spec, module or attribute not found, bad shape, unknown target).
    """
    from archsel.advice.constraints import Limits
    from archsel.advice.gate import CheckRequest, run_check
    from archsel.profiling.precision import normalize_dtype
    from archsel.query.request import LATENCY_STATS, check_finite_positive
    from archsel.report import check as report
    from archsel.report.console import say
    from archsel.report.formats import emit
    from archsel.targets.profiles import resolve_target
    from archsel.units import parse_bytes, parse_count
    from archsel.usermodel import parse_inputs, parse_model_args

    check_format(fmt)
    check_finite_positive("--latency-ms", latency_ms)
    check_finite_positive("--time-budget", time_budget)
    if latency_stat not in LATENCY_STATS:
        raise unknown("latency statistic", latency_stat, LATENCY_STATS)
    limits = Limits(
        latency_ms=latency_ms, latency_stat=latency_stat, strict=strict,
        max_params=parse_count(max_params, "--max-params") if max_params is not None else None,
        max_macs=parse_count(max_macs, "--max-macs") if max_macs is not None else None,
        max_memory_bytes=parse_bytes(max_memory) if max_memory is not None else None,
    )
    resolved = resolve_target(target)
    fleet = None
    if fleet_device(on_fleet, target, address) is not None:
        from archsel.profiling.fleet.dispatch import FleetRun

        if measure or runtime not in (None, "pytorch"):
            raise UsageError("--on-fleet measures eager PyTorch on the fleet's device",
                             hint="drop --measure and --runtime")
        runtime, fleet = "pytorch", FleetRun(resolved.name, address, fleet_time_budget)
    request = CheckRequest(spec=model.strip(), input_text=input_shape.strip(), target=resolved, limits=limits,
                           precision=normalize_dtype(dtype), runtime=resolved.runtime(runtime).name, threads=threads,
                           measure=measure, device=device, time_budget_s=time_budget,
                           model_args=parse_model_args(model_arg), child=child_limits(timeout, memory_limit),
                           fleet=fleet)
    parse_inputs(request.input_text)
    if request.measured and fleet is None:  # the fleet's node resolves its own device
        from archsel.profiling.profiler import resolve_device

        request = replace(request, device=resolve_device(device))
    data = report.payload(run_check(request))
    emit(report.document(data, fmt), fmt, output)
    if output is not None or fmt != "table" or data["status"] != "passed":
        say(report.summary_line(data))
    return ExitStatus(data["exit_code"])


def register(root: typer.Typer) -> None:
    root.command("check")(check_cmd)

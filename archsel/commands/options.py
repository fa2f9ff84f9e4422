"""Command-line options declared once: the output format, and the query options recommend, compare and
explain share (`with_query_options` adds them to a command, which receives them as one dict)."""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from archsel.report.formats import FORMAT_HELP

FORMAT = typer.Option("table", "--format", "-f", help=FORMAT_HELP)
RUNTIME_HELP = ("The target's runtime: tensorrt, onnxruntime, openvino, litert, qnn, coreml, executorch, ncnn, "
                "pytorch (eager) ... (default: the device's; `archsel targets show DEVICE` lists them).")
OUTPUT = typer.Option(None, "--output", "-o", help="Write the report to FILE (atomically) instead of stdout.")
VALIDATE_FORMAT = typer.Option(None, "--format", "-f", help=FORMAT_HELP + " Without it: problems on stderr, "
                               "one `file:line:col: message` a line.")
TIMEOUT = typer.Option(300.0, "--timeout", min=0.001, metavar="SECONDS",
                       help="Seconds your code may run (building, counting; each measurement) before it is stopped "
                            "and reported as failed.")
MEMORY_LIMIT = typer.Option(None, "--memory-limit", metavar="SIZE",
                            help="Memory your code may allocate, e.g. 8GiB (default: 80% of this machine's).")
FLEET_ADDRESS = typer.Option(None, "--address", metavar="HOST:PORT",
                             help="The Ray cluster's head (default: $ARCHSEL_RAY_ADDRESS, then $RAY_ADDRESS).")
ON_FLEET = typer.Option(False, "--on-fleet", help="Measure on the fleet's nodes serving --target (a Ray cluster; "
                        "needs archsel\\[fleet]); cached per device.")
FLEET_TIME_BUDGET = typer.Option(1800.0, "--fleet-time-budget", min=0.001, metavar="SECONDS",
                                 help="Seconds the whole --on-fleet run may take; what has not finished by then is "
                                      "reported as failed.")
def fleet_device(on_fleet: bool, target: str | None, address: str | None, *, what: str = "--target") -> Any:
    """The TargetProfile the fleet's nodes serve for `--on-fleet` (None without it); --address without
    --on-fleet, no --target, or a target measured here: usage errors."""
    from archsel.errors import UsageError

    if not on_fleet:
        if address is not None:
            raise UsageError("--address is for --on-fleet", hint="add --on-fleet, or drop --address")
        return None
    if target is None:
        raise UsageError(f"--on-fleet needs {what}: the device the fleet's nodes serve",
                         hint="e.g. --target jetson-orin-nano (`archsel fleet status` lists what the nodes serve)")
    from archsel.targets.profiles import resolve_target

    device = resolve_target(target)
    if device.measured_at_run_time:
        raise UsageError(f"--on-fleet measures on a device of the fleet, not on {device.name}",
                         hint="name the device the nodes serve, e.g. --target raspberry-pi-5")
    return device


PROFILES_HELP = "Extra hardware-profile folder (repeatable; also $ARCHSEL_PROFILES_PATH)."
RULES_HELP = "Extra rules folder (repeatable; overrides built-in rules by id)."

# AdviceRequest field -> (annotation, typer option); a query file may set every one of them.
QUERY_OPTIONS: dict[str, tuple[Any, Any]] = {
    "task": (str | None, typer.Option(None, "--task", "-t", help="Task or alias: image, detection, video, asr, "
                                                                 "translation, ...")),
    "target": (str | None, typer.Option(None, "--target", help="cloud, edge, mobile, local, a device name, or a "
                                                               "profile .yaml path.")),
    "latency_ms": (float | None, typer.Option(None, "--latency-ms", help="Latency budget per request in ms (sets "
                                                                         "the latency tier).")),
    "latency_stat": (str | None, typer.Option(None, "--latency-stat", help="Statistic the budget applies to: p50 "
                                                                           "(default), p90, p99.")),
    "latency_tier": (str | None, typer.Option(None, "--latency-tier", help="real-time, interactive or batch "
                                                                           "(default: from --latency-ms).")),
    "streaming": (bool | None, typer.Option(None, "--streaming/--offline", help="Input arrives as a stream "
                                                                                "(online) or all at once.")),
    "data_type": (str | None, typer.Option(None, "--data-type", "-d", help="static-image, real-time-video, "
                                           "audio-stream, ... (default: the task's usual data).")),
    "seq_len": (str | None, typer.Option(None, "--seq-len", help="short, medium, long, very-long, or a length in "
                                                                 "steps/tokens.")),
    "dataset_size": (str | None, typer.Option(None, "--dataset-size", help="small, medium, large, or a number of "
                                                                           "training examples.")),
    "priority": (list[str] | None, typer.Option(None, "--priority", "-p", help="accuracy, speed, power, memory, "
                                                "parallel-training, explainability, cost (repeatable or "
                                                "comma-separated).")),
    "family": (list[str] | None, typer.Option(None, "--family", help="Hard constraint: only these families "
                                                                     "(repeatable or comma-separated).")),
    "exclude": (list[str] | None, typer.Option(None, "--exclude", help="Hard constraint: drop model ids matching "
                                                                       "this pattern (repeatable).")),
    "max_params": (str | None, typer.Option(None, "--max-params", help="Hard limit on parameters, e.g. 5M (SI "
                                                                       "suffixes k/M/G).")),
    "max_macs": (str | None, typer.Option(None, "--max-macs", help="Hard limit on MACs per forward pass, e.g. 2G.")),
    "precision": (str | None, typer.Option(None, "--precision", help="auto (default: fp32, with fp16/int8 variants "
                                                                      "on edge/mobile), fp32, fp16, bf16, int8.")),
    "runtime": (str | None, typer.Option(None, "--runtime", help=RUNTIME_HELP)),
    "threads": (int | None, typer.Option(None, "--threads", min=1, help="Threads of a CPU runtime (default: the "
                                                                        "runtime's).")),
    "batch": (int | None, typer.Option(None, "--batch", "-b", help="Batch size of one forward pass (default 1).")),
    "objective": (str | None, typer.Option(None, "--objective", help="Score weighting: balanced (default), latency "
                                                                     "or accuracy.")),
    "measure": (bool, typer.Option(False, "--measure", help="Measure latency on this machine instead of "
                                                            "estimating it.")),
    "time_budget_s": (float | None, typer.Option(None, "--time-budget", help="Seconds for the whole run; candidates "
                                                                             "not reached are skipped.")),
    "top": (int | None, typer.Option(None, "--top", "-n", min=1, help="How many candidates to show (default 10).")),
    "show_excluded": (bool, typer.Option(False, "--show-excluded", help="List the candidates the constraints "
                                                                        "excluded, with why.")),
    "rules": (list[Path] | None, typer.Option(None, "--rules", help=RULES_HELP)),
    "profiles": (list[Path] | None, typer.Option(None, "--profiles", help=PROFILES_HELP)),
}
RULE_QUERY = ("task", "target", "latency_ms", "latency_tier", "streaming", "data_type", "seq_len", "dataset_size",
              "priority", "family", "exclude", "top", "rules", "profiles")  # what explain needs


def _option(name: str, required: bool) -> Any:
    """The declared option, or a copy of it without a default (typer then says `Missing option`)."""
    option = QUERY_OPTIONS[name][1]
    if not required:
        return option
    option = copy.copy(option)
    option.default = ...
    return option


Command = Callable[..., Any]


def with_query_options(*names: str, required: tuple[str, ...] = ()) -> Callable[[Command], Command]:
    """Add the QUERY_OPTIONS `names` (all when none) to a command, after its own parameters; the command
    receives them as `query: dict[str, Any]` (field name -> value as typed, None when not given).
    `required` options must be given on the command line."""
    chosen = names or tuple(QUERY_OPTIONS)

    def wrap(fn: Command) -> Command:
        own = [p for p in inspect.signature(fn, eval_str=True).parameters.values() if p.name != "query"]
        added = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=_option(n, n in required),
                                   annotation=QUERY_OPTIONS[n][0]) for n in chosen]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            query = {n: kwargs.pop(n) for n in chosen}
            return fn(**kwargs, query=query)

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return wrap


def child_limits(timeout: float, memory_limit: str | None) -> Any:
    """--timeout and --memory-limit as archsel.isolation.ChildLimits (the bounds of the user's code)."""
    import math

    from archsel.errors import UsageError
    from archsel.isolation import ChildLimits
    from archsel.units import parse_bytes

    if not math.isfinite(timeout):
        raise UsageError(f"--timeout {timeout}: give a finite number of seconds")
    memory = parse_bytes(memory_limit, "--memory-limit") if memory_limit is not None else ChildLimits.default_memory()
    return ChildLimits(timeout_s=timeout, memory_bytes=memory)

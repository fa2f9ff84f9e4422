"""`archsel profile` (counted MACs/FLOPs/params, measured latency and memory, or estimates on a target);
`archsel cache info|clear`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from archsel.commands.options import FLEET_ADDRESS, FLEET_TIME_BUDGET, FORMAT, ON_FLEET, RUNTIME_HELP, fleet_device
from archsel.errors import ExitStatus, UsageError, unknown
from archsel.report.formats import check_format, emit

if TYPE_CHECKING:
    from archsel.profiling.profiler import ProfileOptions

COUNTER_NAMES = ("meta", "fvcore", "onnx")

cache_app = typer.Typer(help="The profile result cache (ARCHSEL_CACHE_DIR overrides its location).",
                        no_args_is_help=True)


def _parse_batches(values: list[str] | None) -> tuple[int, ...] | None:
    from archsel.query.build import split_words

    items = split_words(values)
    if not items:
        return None
    try:
        batches = tuple(int(b) for b in items)
    except ValueError:
        raise UsageError(f"bad --batch {','.join(items)!r}",
                         hint="give positive integers, e.g. 1,8,32") from None
    if any(b <= 0 for b in batches):
        raise UsageError(f"bad --batch {','.join(items)!r}: batch sizes must be positive")
    return tuple(dict.fromkeys(batches))


def profile_cmd(
    models: list[str] = typer.Argument(..., metavar="MODEL...",
                                       help="Zoo model ids (see `archsel models list`)."),
    task: str | None = typer.Option(None, "--task", "-t", help="Task whose input to use (aliases work)."),
    input_shape: str | None = typer.Option(None, "--input", help="First input's shape, e.g. 3x224x224 "
                                           "(a leading extra axis is the batch)."),
    batch: list[str] | None = typer.Option(None, "--batch", "-b", help="Batch sizes, e.g. 1,8,32."),
    dtype: list[str] | None = typer.Option(None, "--dtype",
                                           help="fp32, fp16, bf16 or int8 (several: fp32,fp16)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda (cuda:N)."),
    threads: int | None = typer.Option(None, "--threads", min=1,
                                       help="CPU threads (torch.set_num_threads); on a busy CPU use fewer "
                                       "threads than idle cores."),
    channels_last: bool = typer.Option(False, "--channels-last", help="Use the channels_last memory format."),
    compile_: bool = typer.Option(False, "--compile", help="torch.compile the model (a failure is reported "
                                  "and the model measured in eager mode)."),
    time_budget: float = typer.Option(10.0, "--time-budget", min=0.001,
                                      help="Seconds for measuring each (model, dtype, batch)."),
    counter: str = typer.Option("meta", "--counter", help="MAC counter: meta (default), fvcore or onnx "
                                "(the exported ONNX graph; needs archsel\\[onnx])."),
    cross_check: bool = typer.Option(False, "--cross-check",
                                     help="Run every counter (onnx when installed); flag a disagreement above 1%."),
    by_module: bool = typer.Option(False, "--by-module", help="Per-module breakdown of MACs and params."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the result cache."),
    count_only: bool = typer.Option(False, "--count-only", "--no-measure",
                                    help="Only count (MACs, params, memory from the trace); no timing."),
    target: str | None = typer.Option(None, "--target", help="Estimate latency on a hardware profile "
                                      "(class, device name or profile .yaml) instead of measuring here; "
                                      "`local` measures on this machine."),
    runtime: str | None = typer.Option(None, "--runtime", help=RUNTIME_HELP),
    on_fleet: bool = ON_FLEET,
    address: str | None = FLEET_ADDRESS,
    fleet_time_budget: float = FLEET_TIME_BUDGET,
    fmt: str = FORMAT,
) -> ExitStatus:
    """Count MACs/FLOPs/params and measure latency and memory of zoo models, with all their conditions.

    Exit codes: 0 all profiled; 1 a model failed (reported; the others still ran) or counters disagree;
    2 bad usage (unknown model, no CUDA device, ...).
    """
    from archsel.profiling.precision import normalize_dtype
    from archsel.query.build import split_words
    from archsel.query.vocab import load_vocabulary
    from archsel.report import console
    from archsel.report import profile as report
    from archsel.targets.runtimes import EAGER
    from archsel.zoo.inputs import override_shape, parse_shape
    from archsel.zoo.registry import get_model_entry, resolve_task

    check_format(fmt)
    if counter not in COUNTER_NAMES:
        raise unknown("counter", counter, COUNTER_NAMES)
    dtypes = tuple(normalize_dtype(d) for d in split_words(dtype)) or ("fp32",)
    shape = parse_shape(input_shape) if input_shape else None
    resolved_task = load_vocabulary().resolve_task(task) if task is not None else None
    for m in models:  # unknown ids, tasks a model does not serve, shapes it cannot take: usage errors (exit 2)
        spec = get_model_entry(m).input_for(resolve_task(get_model_entry(m), resolved_task))
        if shape is not None:
            override_shape(spec, shape)

    fleet_target = fleet_device(on_fleet, target, address)
    if fleet_target is not None:
        from archsel.profiling.profiler import ProfileOptions

        return _profile_on_fleet(list(models), fleet_target.name, address, fleet_time_budget, fmt, ProfileOptions(
            task=resolved_task, input_shape=shape, batches=_parse_batches(batch), dtypes=dtypes, device=device,
            threads=threads, channels_last=channels_last, compile=compile_, time_budget_s=time_budget,
            counter=counter, cross_check=cross_check, by_module=by_module, measure=not count_only,
            use_cache=not no_cache, runtime=runtime or EAGER))

    if target is not None:
        from archsel.targets.profiles import resolve_target

        profile_target = resolve_target(target)
        if not profile_target.measured_at_run_time:
            from archsel.advice.costing import estimate_zoo

            costs = estimate_zoo(list(models), profile_target, task=resolved_task, input_shape=shape,
                                 batches=_parse_batches(batch) or (1,), precisions=dtypes, runtime=runtime,
                                 threads=threads)
            doc = report.estimated_document(report.estimated_payload(costs, profile_target), profile_target, fmt)
            emit(doc, fmt)
            return ExitStatus.SUCCESS

    from archsel.profiling.profiler import ProfileOptions, check_runtime, options_dict, profile, resolve_device

    measured_device = resolve_device(device)
    measured_runtime = check_runtime(runtime or EAGER, measured_device, channels_last=channels_last,
                                     compile=compile_)
    options = ProfileOptions(
        task=resolved_task, input_shape=shape, batches=_parse_batches(batch), dtypes=dtypes,
        device=measured_device, threads=threads, channels_last=channels_last, compile=compile_,
        time_budget_s=time_budget, counter=counter, cross_check=cross_check, by_module=by_module,
        measure=not count_only, use_cache=not no_cache, runtime=measured_runtime,
    )
    payload = report.measured_payload(profile(list(models), options, log=console.say), options_dict(options))
    emit(report.measured_document(payload, fmt), fmt)
    summary = payload["summary"]
    return ExitStatus.FAILURE if summary["failed"] or summary["cross_check_disagreements"] else ExitStatus.SUCCESS


def _profile_on_fleet(models: list[str], target: str, address: str | None, budget_s: float, fmt: str,
                      run_options: ProfileOptions) -> ExitStatus:
    """`profile --on-fleet`: measured on the nodes serving the target, cached per device."""
    from archsel.profiling.fleet.dispatch import FleetRun, profile_on_fleet
    from archsel.profiling.profiler import options_dict
    from archsel.report import console
    from archsel.report import profile as report

    per_item = len(models) * len(run_options.dtypes) * len(run_options.batches or (1,))
    with console.progress(per_item, f"measuring on the fleet ({target})") as advance:
        records, fleet_report = profile_on_fleet(models, run_options, FleetRun(target, address, budget_s),
                                                 log=console.say, advance=advance)
    for event in fleet_report.events:
        console.warn(event)
    payload = {**report.measured_payload(records, options_dict(run_options)), "fleet": fleet_report.to_dict()}
    emit(report.measured_document(payload, fmt), fmt)
    summary = payload["summary"]
    return ExitStatus.FAILURE if summary["failed"] or summary["cross_check_disagreements"] else ExitStatus.SUCCESS


@cache_app.command("info")
def cache_info_cmd(fmt: str = FORMAT) -> ExitStatus:
    """Where the cache is and what it holds."""
    from archsel.profiling.cache import ResultCache
    from archsel.report.listings import fields_document

    check_format(fmt)
    info = ResultCache(strict=True).info()  # a location that cannot hold a cache: exit 2, one line
    emit(fields_document({"command": "cache info", "cache": info}, info, "archsel cache"), fmt)
    return ExitStatus.SUCCESS


@cache_app.command("clear")
def cache_clear_cmd(fmt: str = FORMAT) -> ExitStatus:
    """Delete every cached result and knowledge snapshot (only the cache's own files: others in its folder stay)."""
    from archsel.profiling.cache import ResultCache
    from archsel.report.listings import fields_document
    from archsel.snapshot import clear_snapshots

    check_format(fmt)
    cache = ResultCache(strict=True)
    cleared = {"cache_dir": str(cache.root), "removed_entries": cache.clear(),
               "removed_snapshots": clear_snapshots(cache.root)}
    emit(fields_document({"command": "cache clear", **cleared}, cleared, "archsel cache clear"), fmt)
    return ExitStatus.SUCCESS


def register(root: typer.Typer) -> None:
    root.command("profile")(profile_cmd)
    root.add_typer(cache_app, name="cache")

"""`archsel calibrate`: measure this device and write a hardware profile any machine can estimate with."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from archsel.commands.options import FLEET_ADDRESS, FLEET_TIME_BUDGET, FORMAT, ON_FLEET, fleet_device
from archsel.errors import ExitStatus, UsageError, unknown
from archsel.report.formats import check_format, emit

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
CLASSES = ("cloud", "edge", "mobile")


def calibrate_cmd(
    out: Path | None = typer.Option(None, "--out", "-o", help="Profile file to write (default: ./NAME.yaml)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda (cuda:N)."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="CPU threads (torch.set_num_threads)."),
    name: str | None = typer.Option(None, "--name", help="Device name in the profile (a-z0-9.-; default my-device, "
                                    "or TARGET-calibrated with --on-fleet)."),
    target_class: str | None = typer.Option(None, "--class", help="Target class of the device: cloud, edge, mobile "
                                            "(default edge, or the --target's class with --on-fleet)."),
    quick: bool = typer.Option(False, "--quick", help="Tiny micro-benchmarks and 2 reference models (seconds; "
                               "a coarse profile, for trying the flow)."),
    runtime: str | None = typer.Option(None, "--runtime", help="Also fit a deployment runtime measured here "
                                       "(onnxruntime or openvino): the profile's default runtime."),
    target: str | None = typer.Option(None, "--target", help="With --on-fleet: the device of the fleet to "
                                      "calibrate (its nodes serve archsel:TARGET)."),
    on_fleet: bool = ON_FLEET,
    address: str | None = FLEET_ADDRESS,
    fleet_time_budget: float = FLEET_TIME_BUDGET,
    fmt: str = FORMAT,
) -> ExitStatus:
    """Micro-benchmark this device, measure reference zoo models, fit the estimator and write a profile.

    With --runtime, the reference models are also measured under that runtime (fp32 and int8, 1 and
    --threads threads) and its layer-based estimator is fitted to them: the profile estimates it by default
    (`--runtime pytorch` gives eager), banded by the fit's leave-one-model-out error.
    Use the result anywhere with `archsel profile MODEL --target FILE.yaml`, or by name from a folder in
    $ARCHSEL_PROFILES_PATH. Exit codes: 0 written; 2 bad usage (no CUDA device, bad name, runtime not
    installed or not measurable here, ...).
    """
    check_format(fmt)
    if target is not None and not on_fleet:
        raise UsageError("--target is for --on-fleet", hint="add --on-fleet to calibrate a device of the fleet; "
                         "without it, calibrate measures this machine")
    fleet_target = fleet_device(on_fleet, target, address)
    if fleet_target is not None and runtime is not None:
        raise UsageError("--on-fleet calibrates eager PyTorch; --runtime is measured on this machine only")
    name = name or (f"{fleet_target.name}-calibrated" if fleet_target else "my-device")
    target_class = target_class or (fleet_target.target_class if fleet_target else "edge")
    if not NAME_RE.match(name):
        raise UsageError(f"bad --name {name!r}", hint="lower-case letters, digits, '.' and '-'")
    if target_class not in CLASSES:
        raise unknown("class", target_class, CLASSES)
    out_path = out or Path(f"{name}.yaml")
    if out_path.suffix not in (".yaml", ".yml"):
        raise UsageError(f"--out {str(out_path)!r} must end in .yaml or .yml")
    from archsel.estimation.calibrate import calibrate_device, profile_document, write_profile
    from archsel.estimation.calibrate_runtime import calibrate_runtime, check_calibrated_runtime, with_runtime
    from archsel.profiling.profiler import device_name, resolve_device
    from archsel.report import calibrate as report
    from archsel.report.console import say, status

    if fleet_target is not None:
        return _calibrate_on_fleet(fleet_target.name, address, fleet_time_budget, out_path, device=device,
                                   threads=threads, quick=quick, name=name, target_class=target_class, fmt=fmt)
    fitted_runtime = check_calibrated_runtime(runtime) if runtime is not None else None  # before measuring
    dev = resolve_device(device)
    if fitted_runtime is not None and dev != "cpu":
        raise UsageError(f"--runtime {fitted_runtime} is measured on the CPU, not on {dev}", hint="use --device cpu")
    with status("calibrating …") as log:
        cal = calibrate_device(device=dev, threads=threads, quick=quick, log=log)
        rc = calibrate_runtime(cal, fitted_runtime, quick=quick, log=log) if fitted_runtime else None
    cpu = device_name(dev)
    doc = profile_document(cal, name=name, target_class=target_class, device=dev, device_name=cpu)
    path = write_profile(doc, out_path, edit=(lambda text: with_runtime(text, rc, cpu)) if rc else None)
    say(f"archsel: wrote {path}")
    emit(report.document(cal, doc, path, name=name, device=dev, quick=quick, runtime=rc), fmt)
    return ExitStatus.SUCCESS


def _calibrate_on_fleet(target: str, address: str | None, budget_s: float, out_path: Path, *, device: str,
                        threads: int | None, quick: bool, name: str, target_class: str, fmt: str) -> ExitStatus:
    """Calibrate on one node serving `target`; the profile is written here."""
    from archsel.estimation.calibrate import write_profile
    from archsel.profiling.fleet import node
    from archsel.profiling.fleet.dispatch import FleetRun, run_one
    from archsel.report import calibrate as report
    from archsel.report.console import say, status

    with status(f"calibrating a {target} of the fleet …"):
        done = run_one(node.calibrate, (device, threads, quick, name, target_class),
                       FleetRun(target, address, budget_s), what="calibration")
    facts = done["facts"]
    doc = done["doc"]
    doc["notes"] = (f"Calibrated on the fleet: {target} node {facts['node_id'][:12]} ({facts['hostname']}, "
                    f"{facts['node_address']}; {facts['cpu_model']}, torch {facts['torch_version']}). " + doc["notes"])
    path = write_profile(doc, out_path)
    say(f"archsel: wrote {path} (measured on {target} node {facts['node_id'][:12]}, {facts['hostname']})")
    document = report.document(done["calibration"], doc, path, name=name, device=device, quick=quick)
    document.payload["fleet"] = {"target": target, **{k: v for k, v in facts.items() if k != "fingerprint"}}
    emit(document, fmt)
    return ExitStatus.SUCCESS


def register(root: typer.Typer) -> None:
    root.command("calibrate")(calibrate_cmd)

"""`archsel calibrate`: measure this device and write a hardware profile any machine can estimate with."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from archsel.errors import UsageError, unknown
from archsel.report.formats import SCHEMA_VERSION, Column, Document, TableView, check_format, emit

FORMAT_HELP = "Output format: table, json, jsonl, yaml, csv or markdown."
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
CLASSES = ("cloud", "edge", "mobile")


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A log function: a rich status line on a terminal's stderr, silence otherwise."""
    if not sys.stderr.isatty():
        yield lambda _m: None
        return
    from archsel.report.formats import stderr_console

    console = stderr_console()
    with console.status("calibrating …") as status:
        def log(message: str) -> None:
            status.update(f"calibrating: {message}")
            console.log(message, highlight=False)

        yield log


def calibrate_cmd(
    out: Path | None = typer.Option(None, "--out", "-o", help="Profile file to write (default: ./NAME.yaml)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda (cuda:N)."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="CPU threads (torch.set_num_threads)."),
    name: str = typer.Option("my-device", "--name", help="Device name in the profile (a-z0-9.-)."),
    target_class: str = typer.Option("edge", "--class", help="Target class of the device: cloud, edge, mobile."),
    quick: bool = typer.Option(False, "--quick", help="Tiny micro-benchmarks and 2 reference models (seconds; "
                               "a coarse profile, for trying the flow)."),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Micro-benchmark this device, measure reference zoo models, fit the estimator and write a profile.

    Use the result anywhere with `archsel profile MODEL --target FILE.yaml`, or by name from a folder in
    $ARCHSEL_PROFILES_PATH. Exit codes: 0 written; 2 bad usage (no CUDA device, bad name, ...).
    """
    check_format(fmt)
    if not NAME_RE.match(name):
        raise UsageError(f"bad --name {name!r}", hint="lower-case letters, digits, '.' and '-'")
    if target_class not in CLASSES:
        raise unknown("class", target_class, CLASSES)
    out_path = out or Path(f"{name}.yaml")
    if out_path.suffix not in (".yaml", ".yml"):
        raise UsageError(f"--out {str(out_path)!r} must end in .yaml or .yml")
    import torch

    from archsel.estimation.calibrate import profile_document, run_calibration, write_profile
    from archsel.profiling.profiler import device_name, resolve_device

    dev = resolve_device(device)
    old = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        with _progress() as log:
            cal = run_calibration(device=dev, quick=quick, log=log)
    finally:
        torch.set_num_threads(old)
    if not cal.references:
        raise UsageError("no reference model could be measured within its time budget",
                         hint="run on an idle machine or with fewer --threads")
    doc = profile_document(cal, name=name, target_class=target_class, device=dev, device_name=device_name(dev))
    path = write_profile(doc, out_path)
    print(f"archsel: wrote {path}", file=sys.stderr)
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "command": "calibrate", "profile_path": str(path), "name": name,
        "device": dev, "threads": cal.micro.threads, "quick": quick,
        "peak_tflops": doc["peak_tflops"] and {p: f["value"] for p, f in doc["peak_tflops"].items()},
        "memory_bandwidth_gbs": doc["memory_bandwidth_gbs"]["value"], "efficiency": doc["efficiency"],
        "overhead_us": doc["overhead_us"], "micro_benchmarks": cal.micro.to_dict(),
        "references": [{"model_id": r.model_id, "batch": r.batch, "measured_ms": r.measured_s * 1e3,
                        "fit_error": e} for r, e in zip(cal.references, cal.fit_errors, strict=True)],
    }
    rows = [{"field": k, "value": str(v)} for k, v in payload.items()
            if k not in ("schema_version", "command", "micro_benchmarks", "references")]
    ref_rows = [{"model": r["model_id"], "batch": r["batch"], "measured_ms": f"{r['measured_ms']:.3g}",
                 "fit_error": f"{r['fit_error']:+.0%}"} for r in payload["references"]]
    views = [TableView([Column("field", "field"), Column("value", "value")], rows, title="archsel calibrate"),
             TableView([Column("model", "model"), Column("batch", "batch", justify="right"),
                        Column("measured_ms", "measured ms", justify="right"),
                        Column("fit_error", "fit error", justify="right")], ref_rows, title="reference models")]
    emit(Document(payload, "references", views,
                  [f"Use it: archsel profile MODEL --target {path}"]), fmt)


def register(root: typer.Typer) -> None:
    root.command("calibrate")(calibrate_cmd)

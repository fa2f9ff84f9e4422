"""Counting accuracy and speed over the whole zoo: archsel's two counters against fvcore, torch's
FlopCounterMode (eager CPU), ptflops (pytorch backend), thop and torchinfo.

For every zoo entry (first task, default input; data-dependent detectors at their small input, SSDlite
at 320²) it prints MACs per counter, the deviation from the reference (torchvision's published `_ops`
where it exists, else archsel's meta count) and the seconds each counter took. A counter that fails on a
model is reported as "error" and the run goes on.

Timing: archsel's times include building the model (on the meta device, or on CPU for data-dependent
models and the fvcore counter); the other counters are timed on a model already built on CPU (build
time in its own column), so the speed comparison is conservative for archsel.

    python benchmarks/count_accuracy.py [--include 'r3d*'] [--out FILE]
"""

from __future__ import annotations

import argparse
import inspect
import io
import platform
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import torch
from torch import nn

from archsel.profiling.counting import count_model
from archsel.zoo import registry
from archsel.zoo.inputs import make_inputs, override_shape
from archsel.zoo.spec import InputSpec, ModelEntry

BASELINES = ("fvcore", "flopcounter_eager", "ptflops", "thop", "torchinfo")
COUNTERS = ("archsel_meta", "archsel_fvcore", *BASELINES)
EXACT = 0.005  # "exact": within 0.5% of the reference


def _spec(entry: ModelEntry) -> tuple[InputSpec, tuple[int, ...] | None]:
    task = entry.tasks[0]
    spec = entry.inputs[task]
    if entry.data_dependent and not entry.id.startswith("ssdlite"):
        return entry.small_input.get(task, spec), None
    shape = spec.tensors[0].shape if entry.data_dependent else None
    return spec, shape


def _quiet(fn: Callable[[], float]) -> float:
    with warnings.catch_warnings(), redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        return fn()


def _plain_fvcore(model: nn.Module, inputs: tuple[Any, ...]) -> float:
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model, inputs)
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return float(analysis.total())  # fvcore counts one multiply-add as one flop: MACs


def _flopcounter(model: nn.Module, inputs: tuple[Any, ...]) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as mode:
        model(*inputs)
    return mode.get_total_flops() / 2


def _kwargs(model: nn.Module, inputs: tuple[Any, ...]) -> dict[str, Any]:
    names = [p for p in inspect.signature(model.forward).parameters if p not in ("self",)]
    return dict(zip(names, inputs, strict=False))


def _ptflops(model: nn.Module, inputs: tuple[Any, ...]) -> float:
    from ptflops import get_model_complexity_info

    macs, _ = get_model_complexity_info(model, (1,), input_constructor=lambda _: _kwargs(model, inputs),
                                        as_strings=False, print_per_layer_stat=False, backend="pytorch",
                                        verbose=False)
    if macs is None:
        raise RuntimeError("ptflops returned None")
    return float(macs)


def _thop(model: nn.Module, inputs: tuple[Any, ...]) -> float:
    import copy

    from thop import profile

    macs, _ = profile(copy.deepcopy(model), inputs=inputs, verbose=False)
    return float(macs)


def _torchinfo(model: nn.Module, inputs: tuple[Any, ...]) -> float:
    from torchinfo import summary

    return float(summary(model, input_data=list(inputs), verbose=0, mode="eval").total_mult_adds)


_BASELINE_FNS: dict[str, Callable[[nn.Module, tuple[Any, ...]], float]] = {
    "fvcore": _plain_fvcore, "flopcounter_eager": _flopcounter, "ptflops": _ptflops, "thop": _thop,
    "torchinfo": _torchinfo,
}


def measure(entry: ModelEntry) -> dict[str, Any]:
    """MACs and seconds per counter for one entry ("error: ..." where a counter failed)."""
    spec, shape = _spec(entry)
    row: dict[str, Any] = {"id": entry.id, "macs": {}, "seconds": {}}
    for name, counter in (("archsel_meta", "meta"), ("archsel_fvcore", "fvcore")):
        try:
            result = _quiet_count(entry.id, counter, shape)
            row["macs"][name], row["seconds"][name] = float(result.macs), result.seconds
            heads = [r for r in result.by_module(1) if r["module"] == "roi_heads"]
            if counter == "meta" and heads:
                row["without_roi_heads"] = float(result.macs - int(heads[0]["macs"]))  # type: ignore[call-overload]
        except Exception as exc:
            row["macs"][name] = f"error: {type(exc).__name__}"
    started = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = registry.get_model(entry.id, device="cpu")
    if hasattr(getattr(model, "rpn", None), "nms_thresh"):
        model.rpn.nms_thresh = 1.0  # the same proposal convention as archsel (see docs/profiling.md)
    if shape is not None:
        spec = override_shape(spec, shape)[0]
    inputs = make_inputs(spec, batch=1, device="cpu")
    row["build_cpu_s"] = time.perf_counter() - started
    for name, fn in _BASELINE_FNS.items():
        started = time.perf_counter()
        try:
            with torch.no_grad():
                row["macs"][name] = _quiet(lambda fn=fn: fn(model, inputs))  # type: ignore[misc]
            row["seconds"][name] = time.perf_counter() - started
        except Exception as exc:
            row["macs"][name] = f"error: {type(exc).__name__}"
    return row


def _quiet_count(model_id: str, counter: str, shape: tuple[int, ...] | None) -> Any:
    with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        return count_model(model_id, counter=counter, input_shape=shape)


def _deviation(value: Any, ref: float) -> str:
    if isinstance(value, str):
        return "error"
    if ref == 0:
        return "n/a"
    return f"{(value - ref) / ref:+.1%}" if abs(value - ref) / ref >= 0.0005 else "exact"


def render(rows: list[dict[str, Any]], entries: dict[str, ModelEntry]) -> str:
    lines = [
        "# Counting accuracy and speed over the zoo",
        "",
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads. GMACs (multiply-accumulates; FLOPs = 2 × MACs). Reference: "
        "torchvision's published `_ops` (†) where it exists, else archsel meta. Cells: GMACs (deviation).",
        "",
        "| model | reference | " + " | ".join(COUNTERS) + " |",
        "|---|---|" + "---|" * len(COUNTERS),
    ]
    exact = {c: 0 for c in COUNTERS}
    for row in rows:
        entry = entries[row["id"]]
        meta = row["macs"].get("archsel_meta")
        published = entry.published_gmacs
        ref = published * 1e9 if published is not None else (meta if isinstance(meta, float) else 0.0)
        ref_text = f"{ref / 1e9:.3f}{' †' if published is not None else ''}"
        cells = []
        for c in COUNTERS:
            v = row["macs"].get(c, "error")
            if isinstance(v, str):
                cells.append("error")
                continue
            ok = ref > 0 and abs(v - ref) <= max(EXACT * ref, 0.0005e9 if published is not None else 0.0)
            exact[c] += ok
            cells.append(f"{v / 1e9:.3f} ({_deviation(v, ref)})")
        lines.append(f"| {row['id']} | {ref_text} | " + " | ".join(cells) + " |")
    n = len(rows)
    for row in rows:
        published = entries[row["id"]].published_gmacs
        full = row["macs"].get("archsel_meta")
        if ("without_roi_heads" in row and published is not None and isinstance(full, float)
                and abs(full - published * 1e9) > EXACT * published * 1e9):
            v = row["without_roi_heads"]
            lines += ["", f"Two-stage detector {row['id']}: counted with the RoI heads on the RPN's full budget "
                      f"of 1000 proposals (docs/profiling.md). Without the RoI heads archsel meta counts "
                      f"{v / 1e9:.3f} GMACs ({_deviation(v, published * 1e9)} against the published "
                      f"{published})."]
    lines += ["", "Exact (within 0.5% of the reference, or the rounding of a published figure): " + ", ".join(
        f"{c} {exact[c]}/{n}" for c in COUNTERS), ""]
    lines += _timing_table(rows, entries)
    return "\n".join(lines) + "\n"


def _timing_table(rows: list[dict[str, Any]], entries: dict[str, ModelEntry]) -> list[str]:
    lines = ["## Seconds per model", "", "| model | build on CPU | " + " | ".join(COUNTERS) + " |",
             "|---|---|" + "---|" * len(COUNTERS)]
    for row in rows:
        cells = [f"{row['seconds'][c]:.2f}" if c in row["seconds"] else "error" for c in COUNTERS]
        lines.append(f"| {row['id']} | {row['build_cpu_s']:.2f} | " + " | ".join(cells) + " |")
    video = [r for r in rows if "video-understanding" in entries[r["id"]].tasks
             and "archsel_meta" in r["seconds"] and "fvcore" in r["seconds"]]
    if video:
        ours = sum(r["seconds"]["archsel_meta"] for r in video)
        theirs = sum(r["seconds"]["fvcore"] for r in video)
        with_build = theirs + sum(r["build_cpu_s"] for r in video)
        lines += ["", f"Video entries ({len(video)}): archsel meta {ours:.2f} s in total (building included), "
                  f"plain fvcore {theirs:.2f} s counting only ({theirs / ours:.1f}× slower), "
                  f"{with_build:.2f} s with the CPU build ({with_build / ours:.1f}× slower)."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--include", action="append", help="fnmatch pattern of model ids (repeatable)")
    parser.add_argument("--out", help="also write the markdown table to this file")
    args = parser.parse_args(argv)
    ids = registry.list_models(args.include)
    entries = {i: registry.get_model_entry(i) for i in ids}
    if ids:  # warm-up: imports and first-call costs are not charged to the first model
        measure(entries[ids[0]])
    rows = []
    for model_id in ids:
        print(f"counting {model_id} ...", file=sys.stderr, flush=True)
        rows.append(measure(entries[model_id]))
    text = render(rows, entries)
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

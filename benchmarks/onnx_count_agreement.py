"""The ONNX counter against the meta counter over the whole zoo.

For every zoo entry (default task and input; data-dependent detectors at their small input, as the meta
counter) it counts MACs with archsel's meta counter and with the onnx counter (the model exported on CPU by
the TorchScript exporter at opset 17, ONNX shape inference, archsel's per-node formulas), and writes the
relative difference, the op types the graph has no formula for, the modules whose MACs differ most, and the
reason where the two differ. A model that fails is reported and the run goes on. Each model's row is kept in
a JSON-lines file in the cache folder, so an interrupted run resumes (--fresh starts over).

    OMP_NUM_THREADS=1 python benchmarks/onnx_count_agreement.py [--include 'r3d*'] [--out FILE]
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import json
import logging
import platform
import sys
import time
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import torch

from archsel.profiling.cache import cache_root
from archsel.profiling.counting import CountResult, count_model
from archsel.zoo import registry

AGREE = 0.01  # within 1%
HERE = Path(__file__).parent

# Why the two counts differ where they legitimately do (found by comparing the per-module counts); none now.
REASONS: dict[str, str] = {}


def _module_diff(meta: CountResult, onnx: CountResult, depth: int = 2, top: int = 3) -> str:
    """The modules whose MACs differ most between the two counts, e.g. "head.cls: meta 1.2M, onnx 0"."""
    a = {r["module"]: int(r["macs"]) for r in meta.by_module(depth)}  # type: ignore[call-overload]
    b = {r["module"]: int(r["macs"]) for r in onnx.by_module(depth)}  # type: ignore[call-overload]
    rows = sorted(((abs(a.get(k, 0) - b.get(k, 0)), k) for k in set(a) | set(b)), reverse=True)
    return "; ".join(f"{k or '(top)'}: meta {a.get(k, 0):,}, onnx {b.get(k, 0):,}" for d, k in rows[:top] if d)


class _Notes(logging.Handler):
    """Collects the onnx counter's notes on where shapes came from."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _shapes_from(messages: list[str]) -> str:
    sources = ["inference"]
    if any("folding" in m and not m.startswith("shapes of 0 ") for m in messages):
        sources.append("folding")
    if any("onnxruntime run" in m for m in messages):
        sources.append("run")
    return " + ".join(sources)


def _row(model_id: str) -> dict[str, Any]:
    row: dict[str, Any] = {"model": model_id}
    notes = _Notes()
    log = logging.getLogger("archsel.profiling.deploy.onnx_count")
    log.addHandler(notes)
    log.setLevel(logging.INFO)
    try:
        t0 = time.perf_counter()
        with warnings.catch_warnings(), redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            meta = count_model(model_id, counter="meta")
            t1 = time.perf_counter()
            onnx = count_model(model_id, counter="onnx")
        row.update(meta_macs=meta.macs, onnx_macs=onnx.macs, meta_s=round(t1 - t0, 2),
                   onnx_s=round(time.perf_counter() - t1, 2), input=meta.input_shapes,
                   uncounted={k.removeprefix("onnx::"): v for k, v in onnx.uncounted_ops.items()},
                   rel=abs(meta.macs - onnx.macs) / max(meta.macs, onnx.macs, 1),
                   modules=_module_diff(meta, onnx) if meta.macs != onnx.macs else "",
                   shapes_from=_shapes_from(notes.messages))
    except Exception as exc:  # report and go on
        row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    finally:
        log.removeHandler(notes)
    return row


def _fmt(n: int) -> str:
    return f"{n:,}"


def _markdown(rows: list[dict[str, Any]]) -> str:
    ok = [r for r in rows if "error" not in r]
    agree = [r for r in ok if r["rel"] <= AGREE]
    exact = [r for r in ok if r["rel"] == 0]
    lines = [
        "# ONNX counter vs meta counter",
        "",
        "`python benchmarks/onnx_count_agreement.py` (OMP_NUM_THREADS=1): every zoo model counted by archsel's "
        "meta counter and by the onnx counter (TorchScript exporter, opset 17, ONNX shape inference with data "
        "propagation, archsel's per-node formulas), default task and input, batch 1.",
        f"torch {torch.__version__}, onnx {_version('onnx')}, Python {platform.python_version()}, "
        f"{platform.machine()}. Seconds per model summed: meta {sum(r['meta_s'] for r in ok):.0f} s, onnx "
        f"{sum(r['onnx_s'] for r in ok):.0f} s (building the model on CPU, reading the cached graph and counting; "
        "exporting all 72 graphs in the first run took about 9 minutes on 2 busy cores).",
        "",
        f"**Summary: {len(agree)} of {len(rows)} models agree within 1% ({len(exact)} exactly); "
        f"{len(rows) - len(ok)} failed.**",
        "",
        "Shapes from: `inference` = ONNX shape inference alone; `folding` = shape computations (constants, "
        "Shape of static values) folded and inference run again, until no progress; `run` = shapes that "
        "stay unknown (Faster R-CNN: proposals after NonMaxSuppression; mvit_v2_s: shapes computed in 51 Loop "
        "and 3 If bodies) from one onnxruntime run of the graph on the same inputs the meta counter used.",
        "",
        "Findings: with shape inference alone, 15 graphs left MAC nodes without static shapes (causal pads, "
        "window partitions, channel shuffles, resizes computed from `Shape` through `ConstantOfShape`/`Slice`/"
        "`Reshape`), so 57 of 72 agreed; folding those computations and, for 3 graphs, one run brings every "
        "model to the meta count exactly. The exporter wrote wrong shape notes inside mvit_v2_s's `pool_skip` "
        "If bodies (1×56447×192 where the run computes 1×6273×192), so onnxruntime refuses to run that graph "
        "as exported; the counter drops shape notes inside If/Loop bodies for its run. No graph has an op "
        "without a formula (the uncounted column is empty).",
        "",
        "| model | input | meta MACs | onnx MACs | rel. diff | shapes from | onnx uncounted "
        "| reason / where they differ |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | | | | error | | | {r['error']} |")
            continue
        unc = ", ".join(f"{k} ×{v}" for k, v in sorted(r["uncounted"].items())) or ""
        reason = REASONS.get(r["model"], "")
        if r["rel"] and not reason:
            reason = r["modules"]
        shape = "; ".join("×".join(map(str, s)) for s in r["input"][:2]) + ("; …" if len(r["input"]) > 2 else "")
        lines.append(f"| {r['model']} | {shape} | {_fmt(r['meta_macs'])} | {_fmt(r['onnx_macs'])} | "
                     f"{r['rel']:.3%} | {r.get('shapes_from', '')} | {unc} | {reason} |")
    return "\n".join(lines) + "\n"


def _version(module: str) -> str:
    try:
        return str(__import__(module).__version__)
    except ImportError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--include", default="*", help="glob over model ids")
    parser.add_argument("--out", type=Path, default=HERE / "results_onnx_count_agreement.md")
    parser.add_argument("--fresh", action="store_true", help="ignore rows kept from an earlier run")
    args = parser.parse_args(argv)
    rows_file = cache_root() / "onnx_count_agreement.jsonl"
    kept: dict[str, dict[str, Any]] = {}
    if rows_file.is_file() and not args.fresh:
        kept = {r["model"]: r for r in map(json.loads, rows_file.read_text().splitlines()) if "error" not in r}
    ids = [e.id for e in registry.all_entries() if fnmatch.fnmatch(e.id, args.include)]
    rows = []
    with rows_file.open("w") as out:
        for model_id in ids:
            row = kept.get(model_id) or _row(model_id)
            rows.append(row)
            out.write(json.dumps(row) + "\n")
            out.flush()
            verdict = row.get("error") or f"{row['rel']:.3%}"
            print(f"{model_id:28s} {verdict}", file=sys.stderr, flush=True)
    args.out.write_text(_markdown(rows))
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

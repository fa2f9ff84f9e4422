"""Eager PyTorch vs ONNX Runtime vs OpenVINO on this machine: p50 latency of every zoo model that exports.

    python benchmarks/runtime_comparison.py                 # every zoo model; writes results_runtime_comparison.md
    python benchmarks/runtime_comparison.py --models resnet18,lstm_lm --rounds 2
    python benchmarks/runtime_comparison.py --runtimes pytorch,executorch \
        --out benchmarks/results_runtime_comparison_executorch.md    # ExecuTorch (XNNPACK) against eager

For each model and batch (1, 8) the model is built once (float32, seeded), exported to ONNX once
(archsel.profiling.deploy.export), and loaded in every runtime at every precision (fp32, int8) and thread
count (1, 2): eager PyTorch through archsel.profiling.precision (int8: torch.ao dynamic quantization of
Linear/recurrent layers), ONNX Runtime and OpenVINO through archsel.profiling.deploy (int8: static
post-training quantization calibrated on generated inputs; the accuracy effect is not measured). Then the
measurements are taken in interleaved rounds: each round times every (precision, threads, runtime) once with
archsel's timer (archsel.profiling.timing), so that drift of a shared machine falls on all runtimes alike;
a figure is the median over rounds of each round's p50. A combination that cannot run (export failure, a
precision the runtime lacks, a call too slow for the budget) is listed with its reason.

Before the models, and again after them for the thread scaling, archsel's micro-benchmarks of this CPU run on
the largest thread count (archsel.estimation.microbench, as `archsel calibrate` runs them): the JSON keeps
them beside the records, so that benchmarks/runtime_estimate_accuracy.py can calibrate from this one run
(eager and each runtime on the reference models) and score the estimates of every other model against it.

Output: a markdown results file (summary by family, then every row) and, with --json, the raw records
({"micro": ..., "rows": [...]}). Both are rewritten after each model; `--resume` (with --json) carries on a
run that was stopped: the models the JSON already holds are kept (one of --models that timed out is measured
again), on the same kind of machine and versions only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNTIMES = ("pytorch", "onnxruntime", "openvino")  # the default --runtimes (eager first: the speed-ups' base)
RUNTIME_NAMES = {"pytorch": "Eager PyTorch", "onnxruntime": "ONNX Runtime", "openvino": "OpenVINO",
                 "executorch": "ExecuTorch (XNNPACK)"}
FAMILY_ORDER = ("CNN", "depthwise CNN", "Transformer", "RNN", "hybrid", "other")
TIMED_OUT = "timed out"  # how the rows of a model whose child ran past --model-timeout begin


def family(entry: Any, count: Any) -> str:
    """The summary family: CNN (depthwise when it has depthwise convolutions), Transformer, RNN, hybrid, other."""
    if entry.family == "cnn":
        return "depthwise CNN" if any(op.kind == "depthwise_conv" for op in count.ops) else "CNN"
    return {"transformer": "Transformer", "rnn": "RNN", "hybrid": "hybrid"}.get(entry.family, "other")


def family_round_robin(model_ids: list[str]) -> list[str]:
    """The models ordered one family at a time in turn (cnn, rnn, transformer, hybrid, ...), so that a run
    stopped early still covers every family."""
    from itertools import zip_longest

    from archsel.zoo.registry import get_model_entry

    by_family: dict[str, list[str]] = defaultdict(list)
    for m in model_ids:
        by_family[get_model_entry(m).family].append(m)
    return [m for group in zip_longest(*by_family.values()) for m in group if m is not None]


def gmacs_per_sample(model_id: str) -> float:
    """The model's GMACs at batch 1 (meta count)."""
    from archsel.profiling.counting import count_model

    return count_model(model_id, batch=1).macs / 1e9


def _reason(exc: BaseException) -> str:
    from archsel.profiling.profiler import classify_failure

    kind, text = classify_failure(exc)
    return f"{kind}: {text}"[:240]


class Case:
    """One model at one batch: its runners per (runtime, precision, threads), or why each cannot run."""

    def __init__(self, model_id: str, batch: int, threads: tuple[int, ...], dtypes: tuple[str, ...],
                 root: Path, runtimes: tuple[str, ...] = RUNTIMES) -> None:
        import torch

        from archsel.profiling.counting import count_model
        from archsel.zoo.inputs import make_inputs
        from archsel.zoo.registry import get_model, get_model_entry, resolve_task

        self.model_id, self.batch = model_id, batch
        entry = get_model_entry(model_id)
        task = resolve_task(entry, None)
        self.spec = entry.inputs[task]
        if entry.data_dependent:
            self.spec = entry.small_input.get(task, self.spec)
        self.task = task
        self.entry = entry
        self.count = count_model(model_id, task=task, batch=batch)
        self.family = family(entry, self.count)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.model = get_model(model_id, device="cpu").eval()
        self.inputs = make_inputs(self.spec, batch, device="cpu")
        self.runners: dict[tuple[str, str, int], Any] = {}
        self.failed: dict[tuple[str, str, int], str] = {}
        self._stack = contextlib.ExitStack()
        for dtype in dtypes:
            for n in threads:
                for runtime in runtimes:
                    self._load(runtime, dtype, n, root)

    def _load(self, runtime: str, dtype: str, threads: int, root: Path) -> None:
        import copy

        import torch

        key = (runtime, dtype, threads)
        if any(k[:2] == key[:2] for k in self.failed):  # failed at another thread count: same reason
            self.failed[key] = next(v for k, v in self.failed.items() if k[:2] == key[:2])
            return
        try:
            if runtime == "pytorch":
                from archsel.profiling.precision import prepare

                prepared = prepare(copy.deepcopy(self.model), self.inputs, dtype=dtype, device="cpu")

                def call(p: Any = prepared) -> Any:
                    with torch.inference_mode():
                        return p.model(*p.inputs)

                self.runners[key] = call
                return
            from archsel.profiling.deploy.measure import deployed
            from archsel.zoo.inputs import make_inputs
            from archsel.zoo.registry import model_key

            runner = self._stack.enter_context(deployed(
                self.model, self.inputs, lambda seed: make_inputs(self.spec, self.batch, device="cpu", seed=seed),
                model_key=model_key(self.entry, self.task), runtime=runtime, precision=dtype, threads=threads,
                batch=self.batch, root=root))
            self.runners[key] = runner.call
            if runner.int8:
                self.int8 = getattr(self, "int8", {})
                self.int8[runtime] = runner.int8.get("int8_mac_fraction")
        except Exception as exc:
            self.failed[key] = _reason(exc)

    def close(self) -> None:
        self._stack.close()
        self.runners.clear()


def measure(call: Any, threads: int, batch: int, budget_s: float) -> float:
    """p50 in ms of `call` on `threads` torch threads (the runtimes' own threads are fixed at load)."""
    from archsel.profiling.profiler import threads_set
    from archsel.profiling.timing import TimingConfig, measure_latency

    with threads_set(threads):
        t0 = time.perf_counter()
        call()  # one call sizes the budget: a warm-up and 3 timed calls must fit
        budget = max(budget_s, 6 * (time.perf_counter() - t0))
        config = TimingConfig(time_budget_s=budget, min_samples=3, min_time_s=0.05, warmup_s=0.05)
        return measure_latency(call, config=config, device="cpu", batch=batch).p50_ms


def run_case(case: Case, rounds: int, budget_s: float) -> list[dict[str, Any]]:
    samples: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    errors: dict[tuple[str, str, int], str] = dict(case.failed)
    for _ in range(rounds):
        for key, call in case.runners.items():
            if key in errors:
                continue
            try:
                samples[key].append(measure(call, key[2], case.batch, budget_s))
            except Exception as exc:
                errors[key] = _reason(exc)
    rows = []
    for key in sorted({*case.runners, *case.failed}):
        runtime, dtype, threads = key
        rows.append({"model_id": case.model_id, "family": case.family, "batch": case.batch, "runtime": runtime,
                     "dtype": dtype, "threads": threads, "macs": case.count.macs,
                     "p50_ms": statistics.median(samples[key]) if key not in errors and samples[key] else None,
                     "rounds": len(samples[key]), "error": errors.get(key),
                     "int8_mac_fraction": getattr(case, "int8", {}).get(runtime) if dtype == "int8" else None})
    return rows


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for dist in ("torch", "onnxruntime", "openvino", "nncf", "onnx", "executorch"):
        try:
            out[dist] = version(dist)
        except Exception:
            out[dist] = "absent"
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def summary(rows: list[dict[str, Any]], runtimes: tuple[str, ...] = RUNTIMES) -> list[str]:
    """Per family × (batch, threads, dtype): the median speed-up of each runtime over eager fp32."""
    base = {(r["model_id"], r["batch"], r["threads"]): r["p50_ms"] for r in rows
            if r["runtime"] == "pytorch" and r["dtype"] == "fp32"}
    table: dict[tuple[str, int, int, str, str], list[float]] = defaultdict(list)
    for r in rows:
        ratio = _ratio(base.get((r["model_id"], r["batch"], r["threads"])), r["p50_ms"])
        if ratio is not None:
            table[(r["family"], r["batch"], r["threads"], r["runtime"], r["dtype"])].append(ratio)
    models = defaultdict(set)
    for r in rows:
        models[r["family"]].add(r["model_id"])
    lines = ["| family | models | batch | threads | " + " | ".join(f"{rt} {d}" for d in ("fp32", "int8")
                                                               for rt in runtimes) + " |",
             "|---|---:|---:|---:|" + "---:|" * (2 * len(runtimes))]
    for fam in FAMILY_ORDER:
        if fam not in models:
            continue
        for batch in sorted({r["batch"] for r in rows}):
            for threads in sorted({r["threads"] for r in rows}):
                cells = []
                for d in ("fp32", "int8"):
                    for rt in runtimes:
                        v = table.get((fam, batch, threads, rt, d))
                        cells.append(f"{statistics.median(v):.2f}× ({len(v)})" if v else "—")
                lines.append(f"| {fam} | {len(models[fam])} | {batch} | {threads} | " + " | ".join(cells) + " |")
    return lines


def write_results(rows: list[dict[str, Any]], path: Path, args: argparse.Namespace, wall_s: float,
                  progress: tuple[int, int]) -> None:
    """The results page; `progress`: (models done, models asked for). Written after each model, so a run stopped
    early leaves a page that says it is partial."""
    from archsel.machine import cpu_model

    versions = _versions()
    failed = sorted({(r["model_id"], r["batch"], r["runtime"], r["dtype"], r["error"]) for r in rows
                     if r["error"] and not r["error"].startswith("skipped")})
    skipped = sorted({(r["model_id"], r["batch"], r["error"]) for r in rows
                      if r["error"] and r["error"].startswith("skipped")})
    runtimes = runtimes_of(args)
    shares = [rt for rt in runtimes if rt != "pytorch"]
    lines = [
        f"# {' vs '.join(RUNTIME_NAMES.get(rt, rt) for rt in runtimes)} on this machine",
        "",
        f"`python benchmarks/runtime_comparison.py {' '.join(sys.argv[1:])}` on {dt.date.today()}: "
        f"{cpu_model()}, {versions}, {wall_s / 60:.0f} min.",
        *([f"**Partial: {progress[0]} of {progress[1]} models measured** (the page is rewritten after each model; a "
           "run stopped early leaves this line)."] if progress[0] < progress[1] else []),
        f"p50 latency of one forward pass (ms), measured, median over {args.rounds} interleaved rounds "
        f"(each round times every runtime, precision and thread count once; {args.budget:g} s per timing). "
        "Inputs are generated; int8 is post-training quantization calibrated on generated inputs "
        "(ONNX Runtime: static QDQ, dynamic for recurrent layers; OpenVINO: NNCF; ExecuTorch: pt2e with "
        "XNNPACK's quantizer; eager: torch.ao dynamic, Linear/recurrent layers only): its accuracy effect was not "
        "measured.",
        "",
        "## Summary: speed-up over eager PyTorch fp32 (median over the family's models; (n) models)",
        "",
        "Speed-up = eager fp32 p50 / runtime p50 at the same batch and threads; above 1× is faster.",
        "",
        *summary(rows, runtimes),
        "",
        f"## Combinations that did not run ({len(failed)})",
        "",
        *[f"- {m} batch {b} {rt} {d}: {e}" for m, b, rt, d, e in failed],
        "",
        f"## Batches not measured ({len(skipped)})",
        "",
        *[f"- {m} batch {b}: {e}" for m, b, e in skipped],
        "",
        "## Every measurement",
        "",
        "| model | family | batch | threads | dtype | GMACs | " + " | ".join(f"{rt} ms" for rt in runtimes)
        + f" | int8 MAC share ({' / '.join(shares)}) |",
        "|---|---|---:|---:|---|---:|" + "---:|" * len(runtimes) + "---|",
    ]
    cells: dict[tuple[str, int, int, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        cells[(r["model_id"], r["batch"], r["threads"], r["dtype"])][r["runtime"]] = r
    for (m, b, t, d), by_rt in sorted(cells.items()):
        first = next(iter(by_rt.values()))
        if first["error"] and first["error"].startswith("skipped"):
            continue
        ms = [by_rt.get(rt, {}).get("p50_ms") for rt in runtimes]
        share = " / ".join("—" if by_rt.get(rt, {}).get("int8_mac_fraction") is None
                           else f"{by_rt[rt]['int8_mac_fraction']:.0%}" for rt in shares)
        lines.append(f"| {m} | {first['family']} | {b} | {t} | {d} | {first['macs'] / 1e9:.3g} | "
                     + " | ".join("fail" if v is None else f"{v:.4g}" for v in ms)
                     + f" | {share if d == 'int8' else ''} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def micro_benchmarks(threads: int) -> Any:
    """archsel's micro-benchmarks of this CPU on `threads` threads (fp32), as `archsel calibrate` runs them."""
    from archsel.estimation.microbench import run_microbenchmarks
    from archsel.profiling.profiler import threads_set

    with threads_set(threads):
        return run_microbenchmarks("cpu", ("fp32",), budget_s=1.0,
                                   log=lambda m: print(f"micro: {m}", file=sys.stderr, flush=True))


def write_json(path: Path, micro: Any, rows: list[dict[str, Any]], progress: tuple[int, int]) -> None:
    """Every record, the machine and the micro-benchmarks; `progress` as write_results'."""
    from archsel.files import write_atomic
    from archsel.machine import cpu_caches, cpu_model

    meta = {"date": str(dt.date.today()), "cpu": cpu_model(), "caches": cpu_caches(), "versions": _versions(),
            "models_done": progress[0], "models_asked": progress[1]}
    doc = {"meta": meta, "micro": micro.to_dict() if micro is not None else None, "rows": rows}
    write_atomic(path, json.dumps(doc, indent=1) + "\n")


def measure_model(model_id: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every batch of one model: its rows (or why each batch was skipped or could not be built)."""
    batches = tuple(int(b) for b in args.batches.split(","))
    threads = tuple(int(t) for t in args.threads.split(","))
    dtypes = tuple(args.dtypes.split(","))
    rows: list[dict[str, Any]] = []
    for batch in batches:
        t0 = time.perf_counter()
        sample_gmacs = gmacs_per_sample(model_id)
        if batch > 1 and sample_gmacs > args.max_batched_gmacs:
            why = (f"skipped: {sample_gmacs:.0f} GMACs per sample, over --max-batched-gmacs "
                   f"{args.max_batched_gmacs:g} for batch > 1 (seconds a call on this CPU)")
            rows.extend(failed_rows(model_id, batch, args, why))
            continue
        try:
            case = Case(model_id, batch, threads, dtypes, args.cache, runtimes_of(args))
        except Exception as exc:
            rows.extend(failed_rows(model_id, batch, args, _reason(exc)))
            print(f"{model_id} batch {batch}: cannot build ({_reason(exc)})", file=sys.stderr, flush=True)
            continue
        try:
            if not args.prepare_only:
                rows.extend(run_case(case, args.rounds, args.budget))
        finally:
            case.close()
        print(f"{model_id} batch {batch}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return rows


def runtimes_of(args: argparse.Namespace) -> tuple[str, ...]:
    """The runtimes --runtimes names, in its order."""
    return tuple(rt for rt in args.runtimes.split(",") if rt)


def failed_rows(model_id: str, batch: int, args: argparse.Namespace, why: str,
                runtimes: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """One row per (runtime, precision, threads) of a batch that was not measured, saying why (`runtimes`:
    only those; default every runtime of --runtimes)."""
    return [{"model_id": model_id, "family": "", "batch": batch, "runtime": rt, "dtype": d, "threads": int(n),
             "macs": 0, "p50_ms": None, "rounds": 0, "error": why, "int8_mac_fraction": None}
            for rt in (runtimes or runtimes_of(args)) for d in args.dtypes.split(",") for n in args.threads.split(",")]


def in_child(model_id: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """measure_model in a process of its own: a runtime that crashes (ONNX Runtime segfaulted quantizing
    fasterrcnn_mobilenet_v3_large_fpn here) costs that model's rows, not the run. A model that runs past
    --model-timeout is measured again in eager PyTorch alone (a child of its own, same timeout): only the other
    runtimes' rows say it timed out (the ExecuTorch run lost the eager rows of every LSTM model that way)."""
    rows = _child_rows(model_id, args)
    others = tuple(rt for rt in runtimes_of(args) if rt != "pytorch")
    if not others or not any(r["error"] and r["error"].startswith(TIMED_OUT) for r in rows):
        return rows
    eager = _child_rows(model_id, argparse.Namespace(**{**vars(args), "runtimes": "pytorch"}))
    why = rows[0]["error"]  # one child per model: every row of a timed-out one says the same
    return eager + [r for b in args.batches.split(",") for r in failed_rows(model_id, int(b), args, why, others)]


def _child_rows(model_id: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """measure_model of `model_id` in a child process, or rows saying why it gave none."""
    import signal
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        child = [sys.executable, __file__, "--models", model_id, "--child-out", str(out), "--batches", args.batches,
                 "--threads", args.threads, "--dtypes", args.dtypes, "--rounds", str(args.rounds),
                 "--budget", str(args.budget), "--max-batched-gmacs", str(args.max_batched_gmacs),
                 "--cache", str(args.cache), "--runtimes", args.runtimes,
                 *(["--prepare-only"] if args.prepare_only else [])]
        try:
            rc = subprocess.run(child, check=False, timeout=args.model_timeout).returncode
        except subprocess.TimeoutExpired:
            why = (f"{TIMED_OUT}: still running after --model-timeout {args.model_timeout:g} s (exporting, "
                   "quantizing or lowering a large model, a batch-8 int8 calibration above all, can take many "
                   "minutes on 2 cores)")
            return [r for b in args.batches.split(",") for r in failed_rows(model_id, int(b), args, why)]
        if rc == 0 and out.exists():
            rows: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
            return rows
    why = f"signal {signal.Signals(-rc).name}" if rc < 0 else f"exit code {rc}"
    return [r for b in args.batches.split(",")
            for r in failed_rows(model_id, int(b), args, f"crashed: the process measuring it ended ({why})")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="", help="comma-separated zoo ids (default: every model)")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--dtypes", default="fp32,int8")
    parser.add_argument("--runtimes", default=",".join(RUNTIMES),
                        help="comma-separated, eager first (the speed-ups' base): pytorch and any of onnxruntime, "
                             "openvino, executorch")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--budget", type=float, default=0.3, help="seconds per timing (at least 6 calls' worth)")
    parser.add_argument("--max-batched-gmacs", type=float, default=10.0,
                        help="measure batch > 1 only for models of at most this many GMACs per sample")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results_runtime_comparison.md")
    parser.add_argument("--json", type=Path, default=None, help="also write every record as JSON")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/archsel-runtime-comparison"),
                        help="where exported and quantized graphs are kept between runs")
    parser.add_argument("--prepare-only", action="store_true",
                        help="export and quantize every model into --cache, time nothing (run it on a busy machine "
                             "so that the timed run does only timing)")
    parser.add_argument("--model-timeout", type=float, default=900.0,
                        help="seconds one model (all its batches) may take before it is reported as timed out")
    parser.add_argument("--resume", action="store_true",
                        help="carry on the run whose --json file is given: keep its models (those of --models that "
                             "timed out are measured again) and its micro-benchmarks; refused for another CPU or "
                             "other versions")
    parser.add_argument("--child-out", type=Path, default=None, help=argparse.SUPPRESS)  # one model, in-process
    args = parser.parse_args()
    if runtimes_of(args)[0] != "pytorch" or not set(runtimes_of(args)) <= set(RUNTIME_NAMES):
        parser.error(f"--runtimes must start with pytorch and name only {', '.join(RUNTIME_NAMES)}")

    if args.child_out is not None:
        rows = measure_model(args.models, args)
        args.child_out.write_text(json.dumps(rows), encoding="utf-8")
        return

    from archsel.zoo.registry import list_models

    models = [m for m in args.models.split(",") if m] or family_round_robin(list_models())
    threads = tuple(int(t) for t in args.threads.split(","))
    rows: list[dict[str, Any]] = []
    micro: Any = None
    if args.resume:
        rows, micro = resumed(parser, args)
        again = {r["model_id"] for r in rows if (r["error"] or "").startswith(TIMED_OUT)} & set(models)
        rows = [r for r in rows if r["model_id"] not in again]  # measured again
    done = {r["model_id"] for r in rows}
    todo = [m for m in models if m not in done]
    asked = len(done | set(models))
    started = time.perf_counter()
    if micro is None and not args.prepare_only:
        micro = micro_benchmarks(max(threads))
    for i, model_id in enumerate(todo):
        t0 = time.perf_counter()
        rows.extend(in_child(model_id, args))
        print(f"[{i + 1}/{len(todo)}] {model_id}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        if args.prepare_only:
            continue
        progress = (len(done) + i + 1, asked)
        if args.json:
            write_json(args.json, micro, rows, progress)
        write_results(rows, args.out, args, time.perf_counter() - started, progress)
    if micro is not None and args.json:  # thread scaling measured again after the models, as calibrate does
        from archsel.estimation.microbench import remeasure_thread_scaling
        from archsel.profiling.profiler import threads_set

        with threads_set(max(threads)):
            remeasure_thread_scaling(micro, lambda m: print(f"micro: {m}", file=sys.stderr, flush=True))
        write_json(args.json, micro, rows, (asked, asked))


def resumed(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[list[dict[str, Any]], Any]:
    """The rows and micro-benchmarks of the earlier run in --json. parser.error (exit 2) without that file or
    where it was measured on another CPU or with other versions (one results file is one machine)."""
    from archsel.estimation.microbench import MicroResults
    from archsel.machine import cpu_caches, cpu_model

    if args.json is None or not args.json.is_file():
        parser.error("--resume carries on the run of an existing --json FILE: give it")
    doc = json.loads(args.json.read_text(encoding="utf-8"))
    here = {"cpu": cpu_model(), "caches": cpu_caches(), "versions": _versions()}
    for key, value in here.items():
        if json.loads(json.dumps(value)) != doc["meta"].get(key):
            parser.error(f"--resume: {args.json} was measured with another {key} ({doc['meta'].get(key)!r}; "
                         f"here {value!r}): start a new run")
    micro = MicroResults.from_dict(doc["micro"]) if doc.get("micro") else None
    print(f"--resume: {len({r['model_id'] for r in doc['rows']})} models from {args.json}", file=sys.stderr,
          flush=True)
    return list(doc["rows"]), micro


if __name__ == "__main__":
    main()

"""Estimate accuracy under ONNX Runtime and OpenVINO on this CPU: calibrate per runtime, estimate held-out zoo models.

    python benchmarks/runtime_comparison.py --json benchmarks/results_runtime_comparison.json   # measures
    python benchmarks/runtime_estimate_accuracy.py                                              # scores

Everything comes from one run of benchmarks/runtime_comparison.py (its JSON): the micro-benchmarks of this
CPU, eager PyTorch, ONNX Runtime and OpenVINO latencies of every zoo model, measured in the same interleaved
rounds. From it, exactly as `archsel calibrate --runtime R` does on a user's machine:

1. the eager calibration (archsel.estimation.calibrate.calibrate_from) from the micro-benchmarks and the eager
   fp32 latencies of the reference models (calibrate.REFERENCE_MODELS at batch 1 and 8, on the micro-benchmarks'
   thread count);
2. per runtime, its fits (archsel.estimation.calibrate_runtime.fit_measured: fp32 and int8 each alone) on
   the runtime's reference models' latencies (calibrate.RUNTIME_REFERENCE_MODELS; int8 where at least half the
   MACs ran in int8; 1 and 2 threads), with the measuring machine's caches below the last level (from the
   run's meta) as the on-chip memory, written into a calibrated profile and loaded back as a user's
   `my-box.yaml` would be;
3. every other zoo model (held out: never seen by either fit) estimated through that profile
   (archsel.estimation.estimate.estimate_count with --runtime R, the batch, threads and precision it was
   measured at) and compared with its measurement.

Error = measured / estimated - 1. Reported per runtime and precision: median |error|, share within ±25%,
rank correlation (Spearman, within each batch × threads set, weighted by its size), and per family. Skipped
and said so: data-dependent detectors (their work depends on the proposals found), int8 rows where less than
half the MACs ran in int8 (the estimate is of an int8 model; the runtime ran mostly float).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNTIMES = ("onnxruntime", "openvino")
BAR = {"median_abs_pct": 15.0, "within_25": 0.80}  # the eager estimator's bar (issue 17)


def eager_calibration(micro_doc: dict[str, Any], rows: list[dict[str, Any]]) -> Any:
    """calibrate_from the run's micro-benchmarks and its eager fp32 reference latencies."""
    from archsel.estimation.calibrate import REFERENCE_MODELS, Measured, calibrate_from, reference_cases
    from archsel.estimation.microbench import MicroResults
    from archsel.profiling.counting import count_model

    micro = MicroResults.from_dict(micro_doc)
    eager = {(r["model_id"], r["batch"]): r["p50_ms"] for r in rows if r["runtime"] == "pytorch"
             and r["dtype"] == "fp32" and r["threads"] == micro.threads and r["p50_ms"]}
    refs = []
    for model, batch in reference_cases(REFERENCE_MODELS, (1, 8)):
        if (model, batch) in eager:
            count = count_model(model, batch=batch)
            refs.append(Measured(model, batch, list(count.ops), count.macs, eager[(model, batch)] / 1e3))
    return calibrate_from(micro, refs)


def usable(row: dict[str, Any]) -> bool:
    """A measured row the estimator is scored on: measured, and int8 only where int8 ran most MACs."""
    from archsel.estimation.calibrate_runtime import INT8_MIN_MAC_FRACTION

    if not row["p50_ms"]:
        return False
    return row["dtype"] != "int8" or (row.get("int8_mac_fraction") or 0.0) >= INT8_MIN_MAC_FRACTION


def runtime_profile(cal: Any, runtime: str, version: str, rows: list[dict[str, Any]], caches: Any, cpu: str,
                    folder: Path) -> tuple[Any, Any]:
    """The runtime's fit on the reference models' rows, written into a calibrated profile and loaded back."""
    from archsel.estimation.calibrate import (
        RUNTIME_BATCH8_MAX_MACS,
        RUNTIME_REFERENCE_MODELS,
        profile_document,
        reference_cases,
        write_profile,
    )
    from archsel.estimation.calibrate_runtime import (
        RuntimeMeasured,
        calibration_unit,
        fit_measured,
        with_runtime,
    )
    from archsel.targets.profiles import resolve_target

    cases = set(reference_cases(RUNTIME_REFERENCE_MODELS, (1, 8), RUNTIME_BATCH8_MAX_MACS))
    measured = [RuntimeMeasured(r["model_id"], r["batch"], r["dtype"], r["threads"], r["p50_ms"] / 1e3)
                for r in rows if r["runtime"] == runtime and (r["model_id"], r["batch"]) in cases and usable(r)]
    rc = fit_measured(runtime, version, calibration_unit(cal, caches), measured, caches=caches)
    doc = profile_document(cal, name=f"bench-{runtime}", target_class="edge", device="cpu", device_name=cpu,
                           memory=(1.0, "not used by the estimate"))
    path = write_profile(doc, folder / f"bench-{runtime}.yaml", edit=lambda text: with_runtime(text, rc, cpu))
    return rc, resolve_target(str(path))


def score(runtime: str, profile: Any, rows: list[dict[str, Any]], references: set[str]) -> list[dict[str, Any]]:
    """Every held-out measured row of `runtime`, estimated through `profile`."""
    from archsel.estimation.estimate import estimate_count
    from archsel.profiling.counting import count_model
    from archsel.zoo.registry import get_model_entry, resolve_task

    out = []
    for r in rows:
        if r["runtime"] != runtime or r["model_id"] in references or not usable(r):
            continue
        entry = get_model_entry(r["model_id"])
        if entry.data_dependent:
            continue
        count = count_model(r["model_id"], task=resolve_task(entry, None), batch=r["batch"])
        est = estimate_count(count, profile, precision=r["dtype"], runtime=runtime, threads=r["threads"])
        out.append({"model_id": r["model_id"], "family": r["family"], "batch": r["batch"], "threads": r["threads"],
                    "dtype": r["dtype"], "measured_ms": r["p50_ms"], "estimated_ms": est.latency_ms,
                    "ratio": r["p50_ms"] / est.latency_ms})
    return out


def summary(scored: list[dict[str, Any]]) -> dict[str, Any]:
    """runtime_entry.points_summary of the scored rows, compared within batch × threads sets."""
    from archsel.estimation.runtime_entry import points_summary

    return points_summary([(s["model_id"], (s["batch"], s["threads"]), s["estimated_ms"], s["measured_ms"])
                           for s in scored])


def _cells(s: dict[str, Any]) -> str:
    rank = f"{s['spearman']:.2f}" if s.get("spearman") is not None else "—"
    return (f"{s['n']} | {s['models']} | {s['median_abs_pct']:.1f}% | {s['within_25']:.0%} | "
            f"{s['ratio_q10']:.2f}–{s['ratio_q90']:.2f} | {rank}")


def markdown(result: dict[str, Any], source: Path) -> str:
    from archsel.estimation.calibrate import RUNTIME_BATCH8_MAX_MACS

    shown = source.relative_to(ROOT) if source.is_relative_to(ROOT) else source
    head = ("| runtime | precision | rows | models | median \\|error\\| | within ±25% | measured/estimated q10–q90 "
            "| Spearman |")
    lines = [
        "# Estimates under ONNX Runtime and OpenVINO, held out, on this CPU",
        "",
        f"`python benchmarks/runtime_estimate_accuracy.py --results {shown}`"
        f" on the run of {result['date']} ({result['cpu']}, {result['micro_threads']} threads for the "
        f"micro-benchmarks; {', '.join(f'{k} {v}' for k, v in result['versions'].items())}). Calibrated exactly as "
        "`archsel calibrate --runtime R` does (eager calibration, then the runtime's fit on the reference "
        f"models: {', '.join(result['references'])}, at batch 1 and, up to "
        f"{RUNTIME_BATCH8_MAX_MACS / 1e9:g} GMACs per sample, 8); every other zoo model held out, estimated "
        "through the calibrated profile at the batch (1, 8), threads (1, 2) and precision it was measured at. "
        "Error = measured / estimated − 1; latencies are p50, measured, batch as given, generated inputs.",
        "",
        f"Bar (as for eager PyTorch): median |error| under {BAR['median_abs_pct']:g}% and at least "
        f"{BAR['within_25']:.0%} within ±25%.",
        "",
        head,
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for runtime, by_precision in result["summary"].items():
        for precision, s in by_precision.items():
            lines.append(f"| {runtime} | {precision} | {_cells(s)} |")
    lines += ["", "## By family (all precisions)", "", head.replace("precision", "family"),
              "|---|---|---:|---:|---:|---:|---|---:|"]
    for runtime, by_family in result["families"].items():
        for fam, s in by_family.items():
            lines.append(f"| {runtime} | {fam} | {_cells(s)} |")
    lines += ["", "## The fits (reference models, leave-one-model-out)", ""]
    for runtime, fit in result["fits"].items():
        lines.append(f"- {runtime}: {fit['source']}")
        lines.append(f"  parameters: {fit['parameters']}")
    lines += ["", "## Held-out models furthest off (|log ratio|, median over the model's rows)", "",
              "| runtime | model | family | rows | median measured/estimated |", "|---|---|---|---:|---:|"]
    for runtime, worst in result["worst"].items():
        for w in worst:
            lines.append(f"| {runtime} | {w['model_id']} | {w['family']} | {w['n']} | {w['ratio']:.2f} |")
    if result["skipped"]:
        lines += ["", "## Not scored", "", *[f"- {s}" for s in result["skipped"]]]
    return "\n".join(lines) + "\n"


def run(path: Path) -> dict[str, Any]:
    import math

    from archsel.estimation.calibrate import RUNTIME_REFERENCE_MODELS
    from archsel.zoo.registry import get_model_entry

    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not doc.get("micro"):
        raise SystemExit(f"{path}: no micro-benchmarks in it: measure with benchmarks/runtime_comparison.py --json")
    rows, meta = doc["rows"], doc.get("meta", {})
    caches = run_caches(meta)
    cal = eager_calibration(doc["micro"], rows)
    result: dict[str, Any] = {
        "date": meta.get("date", "?"), "cpu": meta.get("cpu", "?"), "versions": meta.get("versions", {}),
        "micro_threads": doc["micro"]["threads"], "references": list(RUNTIME_REFERENCE_MODELS), "summary": {},
        "families": {}, "fits": {}, "worst": {}, "rows": {},
        "skipped": sorted({f"{r['model_id']} (data-dependent detector)" for r in rows
                           if get_model_entry(r["model_id"]).data_dependent})
        + sorted({f"{r['model_id']} b{r['batch']} {r['threads']}t int8 under {r['runtime']}: "
                  f"{r['int8_mac_fraction']:.0%} of MACs ran in int8" for r in rows if r["dtype"] == "int8"
                  and r["runtime"] in RUNTIMES and r["p50_ms"] and not usable(r)}),
    }
    refs = set(RUNTIME_REFERENCE_MODELS)
    with tempfile.TemporaryDirectory() as tmp:
        for runtime in RUNTIMES:
            version = meta.get("versions", {}).get(runtime, "?")
            rc, profile = runtime_profile(cal, runtime, version, rows, caches, result["cpu"], Path(tmp))
            scored = score(runtime, profile, rows, refs)
            result["rows"][runtime] = scored
            result["summary"][runtime] = {p: summary([s for s in scored if s["dtype"] == p])
                                          for p in ("fp32", "int8") if any(s["dtype"] == p for s in scored)}
            result["summary"][runtime]["all"] = summary(scored)
            result["families"][runtime] = {f: summary([s for s in scored if s["family"] == f])
                                           for f in sorted({s["family"] for s in scored})}
            result["fits"][runtime] = {"source": profile_source(profile, runtime), "parameters": {
                p: {**{k: round(v, 3) for k, v in fit.efficiency().items()},
                    "layer_us": round(fit.x["layer"] * 1e6, 3), "call_us": round(fit.x["call"] * 1e6, 2),
                    "parallel_efficiency": fit.parallel_efficiency, "precision_rates": fit.precision_rates,
                    "half_efficiency_macs": fit.half_efficiency_macs,
                    "on_chip_bandwidth": round(fit.on_chip_bandwidth, 3) if fit.on_chip else None}
                for p, fit in rc.fits.items()}}
            by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for s in scored:
                by_model[s["model_id"]].append(s)
            worst = [{"model_id": m, "family": ss[0]["family"], "n": len(ss),
                      "ratio": statistics.median(s["ratio"] for s in ss)} for m, ss in by_model.items()]
            worst.sort(key=lambda w: -abs(math.log(w["ratio"])))
            result["worst"][runtime] = worst[:8]
    return result


CACHE_LEVEL = re.compile(r"(?:(\d+) x )?([\d.]+) MiB L(\d)")


def run_caches(meta: dict[str, Any]) -> tuple[int, str] | None:
    """The caches `archsel calibrate` counts as on-chip memory (archsel.machine.cpu_caches: level 2 up to, not
    including, the last level) on the machine the run measured, read from its meta ("2 x 2 MiB L2 + 480 MiB
    L3", or cpu_caches' own text); this machine's where the run recorded none (said on stderr): the run may
    come from another CPU (the shipped one: a Xeon with 2 x 2 MiB L2; a later session's machine had 2 x 1 MiB)."""
    from archsel.machine import cpu_caches, on_chip_levels

    text = (meta.get("caches") or [None, ""])[1] or ""
    levels: dict[int, list[int]] = defaultdict(list)
    for count, mib, level in CACHE_LEVEL.findall(text):
        levels[int(level)] += [int(float(mib) * (1 << 20))] * int(count or 1)
    if not levels:
        print("the run's meta names no caches: this machine's are used", file=sys.stderr)
        return cpu_caches()
    kept = on_chip_levels(levels)
    return sum(sum(levels[lv]) for lv in kept), f"{' + '.join(f'L{lv}' for lv in kept)} of the run's {text}"


def profile_source(profile: Any, runtime: str) -> str:
    """The `source` texts of the runtime's entry in the calibrated profile (its own and each by_precision one)."""
    spec = profile.runtimes.get(runtime)
    if spec is None:
        return "?"
    return " / ".join([str(spec.source), *(str(e["source"]) for e in spec.by_precision.values())])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results_runtime_comparison.json",
                    help="the JSON of benchmarks/runtime_comparison.py --json")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results_runtime_estimate_accuracy.md")
    ap.add_argument("--json", type=Path, default=None, help="also write every scored row as JSON")
    args = ap.parse_args()
    result = run(args.results)
    from archsel.files import write_atomic

    write_atomic(args.out, markdown(result, args.results.resolve()))
    if args.json:
        write_atomic(args.json, json.dumps(result, indent=1) + "\n")
    for runtime, by_precision in result["summary"].items():
        for precision, s in by_precision.items():
            print(f"{runtime} {precision}: {_cells(s)}")


if __name__ == "__main__":
    main()

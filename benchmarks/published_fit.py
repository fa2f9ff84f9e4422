"""Fit each (device, runtime)'s estimator parameters to published latencies and report leave-one-model-out
error (issue 16): median |error|, share within ±25%, and the rank correlation of the models' latencies.

    python benchmarks/published_fit.py                 # fit, report, write the accuracy file
    python benchmarks/published_fit.py --write-profiles  # ... and the fitted runtimes into profiles/*.yaml

Data: data/published_latency/measurements.json (rows measured by others, each with its source). A row is
used when it names an archsel target, runtime, precision, batch, input and a model archsel can trace.
Compiled runtimes are fitted (archsel.estimation.engine_fit, `symmetric`: each row's error over the geometric
mean of estimate and measurement, so that the 3-D CNNs LiteRT runs ~20x slower than QNN on the Snapdragon NPU
move that runtime's conv3d class instead of being outweighed by the prior; `archsel calibrate --runtime` keeps
the error over the measurement, which held out better on this CPU's ONNX Runtime and OpenVINO runs):
leave-one-model-out holds each model out, fits on the rest and predicts it. Eager PyTorch rows refit the
profile's eager parameters the same way
(archsel.estimation.fit, as `archsel calibrate` does on a device it runs on: per-class efficiencies,
bandwidth efficiency, cost per module call; the per-op cost stays) where the device has at least
MIN_ROWS rows of two models or more; else they are estimated with the profile's own parameters and reported as they are.
Cross-device prior (engine_fit.cross_prior, `Peers`): a compiled (device, runtime) fit is pulled, per
unknown, towards the geometric mean of that runtime's fits on the other devices of the same unit kind (a
pool counts as one device), for the unknowns those fits had data for; the rest keep the judgement defaults.
Only where `CROSS_PRIOR_GROUPS` lists the runtime and kind (TensorRT on GPUs). Those fits start from the
judgement defaults, and when a model is held out they leave its rows out too (cached by group and held-out
model): a model's rows on other devices never reach its own leave-one-model-out prediction. The profiles get
the fits from the full fits' prior. `--judgement-prior` fits towards the judgement defaults only.
Outputs: benchmarks/results_published_fit.md and
archsel/estimation/runtime_accuracy.json (the band and note of every estimate of a fitted runtime).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import re
import statistics
import sys
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archsel.estimation import engine_fit as ef  # noqa: E402
from archsel.estimation.accuracy import RUNTIME_ACCURACY_FILE, error_summary  # noqa: E402
from archsel.estimation.engine import MIB, compile_layers  # noqa: E402
from archsel.estimation.runtime_entry import NOMINAL_TFLOPS, fitted_lines, held_summary, set_top_level  # noqa: E402
from archsel.estimation.runtime_entry import fact_lines as _fact_lines  # noqa: E402
from archsel.estimation.runtime_entry import flow as _flow  # noqa: E402
from archsel.estimation.runtime_entry import g as _g  # noqa: E402
from archsel.files import write_atomic  # noqa: E402
from archsel.targets.profiles import TargetProfile, load_profiles  # noqa: E402
from archsel.targets.runtimes import EAGER, UNIT_OF_KIND  # noqa: E402
from archsel.targets.schema import RUNTIMES  # noqa: E402

DATA = ROOT / "data" / "published_latency" / "measurements.json"
RESULTS = ROOT / "benchmarks" / "results_published_fit.md"
# Rows timed by a serving client (Triton's perf_analyzer) hold more than the model's inference: not fitted
SERVING_RUNTIMES = ("Triton Inference Server",)
# A mean (benchncnn's figure) over runs whose slowest the source gives as more than this many times its fastest
# is the mean of a disturbed run, not the model's latency: not fitted. Only the Pi 5 ncnn MobileNet v1 fp16
# 4-thread row (min 9.0, max 72.98, mean 33.88 ms: slower than its own 1-thread 20.3 ms) is such a row; the
# widest spread of the other 133 rows that state one is 2.2x (a Vulkan GPU run).
DISTURBED_SPREAD = 3.0
SPREAD = re.compile(r"\bmin ([0-9.]+), max ([0-9.]+)")
MIN_ROWS = 5  # (device, runtime) groups with fewer rows are reported, not held to the target
# What each device's users deploy with (issue 16): the default runtime written into the profiles.
DEFAULT_RUNTIME = {
    "jetson-nano": "tensorrt", "jetson-orin-nano": "tensorrt", "jetson-orin-nano-super": "tensorrt",
    "a100-sxm": "tensorrt", "h100-sxm": "tensorrt", "t4": "tensorrt", "snapdragon-8-gen-3": "qnn",
    "apple-a17-pro": "coreml", "raspberry-pi-4": "ncnn", "raspberry-pi-5": "ncnn",
    "xeon-platinum-8480plus": "openvino",
}
# Devices that share the silicon at other clocks and bandwidths: their rows of one runtime are fitted together,
# each row with its own device's peaks and bandwidth (one set of efficiencies and costs), and reported per device.
POOLS: dict[str, tuple[str, ...]] = {
    "orin-ampere": ("jetson-orin-nano", "jetson-orin-nano-super"),  # same Ampere GPU (1024 cores), other clocks
}
POOL_OF = {device: name for name, devices in POOLS.items() for device in devices}
# The cross-device prior (engine_fit.cross_prior): for which (runtime, unit kind), for which unknowns. TensorRT on
# GPUs only: there it takes the T4 from 34% / 45% to 20% / 74% (BERT-Large's matmuls from the A100's and
# Jetsons' fits); on ncnn it lowered the Orin Nano's (Vulkan) and the Pi 5's rank correlation below 0.9.
CROSS_PRIOR_GROUPS: frozenset[tuple[str, str]] = frozenset({("tensorrt", "gpu")})
CROSS_PRIOR_KEYS: tuple[str, ...] = ef.UNKNOWNS


@dataclass
class Measured:
    row: dict[str, Any]
    target: str
    runtime: str
    unit: str
    model: str
    precision: str
    batch: int
    shape: tuple[int, ...]
    threads: int | None
    latency_s: float


def disturbed(row: dict[str, Any]) -> bool:
    """Whether the row's note gives its runs' spread (`min A, max B`, in ms) wider than DISTURBED_SPREAD."""
    spread = SPREAD.search(str(row.get("note") or ""))
    return bool(spread) and float(spread.group(2)) > DISTURBED_SPREAD * float(spread.group(1))


def usable(rows: list[dict[str, Any]], profiles: dict[str, TargetProfile]) -> tuple[list[Measured], dict[str, int]]:
    """The rows the fit can use, and why the others cannot."""
    from archsel.zoo.registry import get_model_entry

    out: list[Measured] = []
    skipped: dict[str, int] = defaultdict(int)
    for r in rows:
        why = None
        if r.get("archsel_target") not in profiles:
            why = "no archsel target"
        elif not r.get("archsel_runtime"):
            why = "runtime not stated"
        elif not r.get("archsel_model"):
            why = "no traceable archsel model"
        elif not r.get("archsel_precision"):
            why = "precision not stated"
        elif not r.get("archsel_batch") or not r.get("archsel_input"):
            why = "batch or input not stated"
        elif not r.get("latency_ms"):
            why = "no latency (throughput only)"
        elif str(r.get("runtime", "")).startswith(SERVING_RUNTIMES):
            why = "serving latency (a client's request time: serialisation, queueing and transfer included)"
        elif disturbed(r):
            why = (f"disturbed run (the source's slowest run over {DISTURBED_SPREAD:g}x its fastest: "
                   "their mean is not the model's latency)")
        else:
            try:
                get_model_entry(r["archsel_model"])
            except Exception:
                why = "model not registered"
        if why:
            skipped[why] += 1
            continue
        out.append(Measured(r, r["archsel_target"], r["archsel_runtime"], r["archsel_unit"], r["archsel_model"],
                            r["archsel_precision"], int(r["archsel_batch"]), tuple(r["archsel_input"][0]),
                            r.get("archsel_threads"), float(r["latency_ms"]) * 1e-3))
    return out, dict(skipped)


def trace(model: str, shape: tuple[int, ...]) -> Any:
    """The float32 meta-device count of `model` at `shape` (batch first), cached in the ResultCache."""
    from archsel.advice.costing import COUNT_CACHE_FORMAT, _versions, count_from_cache, count_to_cache
    from archsel.profiling.cache import ResultCache
    from archsel.profiling.counting import count_model

    cache = ResultCache()
    key = {"kind": "published-fit-count", "model": model, "shape": list(shape), "versions": _versions(),
           "format": COUNT_CACHE_FORMAT}
    hit = cache.get(key)
    if hit is not None:
        return count_from_cache(hit)
    count = count_model(model, input_shape=shape, batch=shape[0])
    cache.put(key, count_to_cache(count))
    return count


def fit_rows(members: list[Measured], unit: ef.Unit) -> list[ef.Row]:
    """The fit's rows of one device's measurements, each carrying the device's unit."""
    return [ef.Row(m.model, tuple(compile_layers(trace(m.model, m.shape).ops, m.batch, unit.fusion)), m.precision,
                   m.latency_s, m.threads, f"b{m.batch}", unit) for m in members]


def fit_pool(pool: str, runtime: str, groups: dict[tuple[str, str], list[Measured]],
             profiles: dict[str, TargetProfile], unit: ef.Unit, start: dict[str, float],
             prior_for: Any = None) -> tuple[ef.Fit, list[ef.Held], list[str]]:
    """One fit of `runtime` over the rows of every device of `pool` (each row on its own device's unit):
    the fit, its leave-one-model-out predictions (a model held out on every device at once), the devices."""
    rows: list[ef.Row] = []
    devices = []
    for device in POOLS[pool]:
        members = groups.get((device, runtime), [])
        own = unit_of(profiles[device], runtime, members[0].unit) if members else None
        if own is None:
            continue
        devices.append(device)
        rows += fit_rows(members, own)
    print(f"pool {pool}/{runtime}: {len(rows)} rows of {', '.join(devices)}", file=sys.stderr)
    return (ef.fit_runtime(rows, unit, start, symmetric=True),
            ef.leave_one_model_out(rows, unit, start, prior_for=prior_for, symmetric=True),
            devices)


class Peers:
    """The cross-device prior (engine_fit.cross_prior): the fits of a runtime on the other devices of the same
    unit kind (a pool counts as one), each with the judgement prior, cached by (group, held-out model); a fit
    behind a held-out model's prior leaves that model's rows out as well."""

    def __init__(self, groups: dict[tuple[str, str], list[Measured]], profiles: dict[str, TargetProfile]) -> None:
        self.members: dict[tuple[str, str], tuple[list[ef.Row], ef.Unit]] = {}  # (group, runtime) -> rows, unit
        for (target, runtime), ms in sorted(groups.items()):
            if runtime == EAGER or runtime not in RUNTIMES:
                continue
            unit = unit_of(profiles[target], runtime, ms[0].unit)
            if unit is None or (runtime, unit.kind) not in CROSS_PRIOR_GROUPS:
                continue
            key = (POOL_OF.get(target, target), runtime)
            rows, first = self.members.get(key, ([], unit))
            self.members[key] = (rows + fit_rows(ms, unit), first)
        self.members = {k: v for k, v in self.members.items() if len({r.model for r in v[0]}) >= 2}
        self.fits: dict[tuple[tuple[str, str], str | None], tuple[dict[str, float], set[str]]] = {}

    def fit(self, key: tuple[str, str], held: str | None) -> tuple[dict[str, float], set[str]]:
        rows, unit = self.members[key]
        held = held if any(r.model == held for r in rows) else None
        if (key, held) not in self.fits:
            train = [r for r in rows if r.model != held]
            fit = ef.fit_runtime(train, unit, ef.prior(unit.kind), symmetric=True)
            self.fits[(key, held)] = (fit.x, ef.informed(train, unit, fit))
        return self.fits[(key, held)]

    def prior(self, target: str, runtime: str, kind: str, held: str | None = None) -> dict[str, float]:
        """The prior of (target, runtime) with `held` (a model) held out everywhere."""
        own = POOL_OF.get(target, target)
        others = [self.fit(k, held) for k, (_, unit) in self.members.items()
                  if k[1] == runtime and k[0] != own and unit.kind == kind]
        return ef.cross_prior(ef.prior(kind), others, CROSS_PRIOR_KEYS)


def unit_of(profile: TargetProfile, runtime: str, unit: str) -> ef.Unit | None:
    """The fit's fixed facts: the unit's published peaks (the device's when it is the device's main unit;
    a nominal peak on an NPU with none), the memory bandwidth, and the cores a CPU peak counts. None for a
    CPU or GPU without any published peak (nothing to fit efficiencies against)."""
    spec = profile.runtimes.get(runtime)
    peaks = dict(profile.peak_tflops) if UNIT_OF_KIND.get(profile.kind) == unit else {}
    if spec is not None:
        peaks.update({p: v for p, v in spec.peak_tflops.items() if not spec.peak_sources[p].startswith("fitted")})
    nominal = None
    if not peaks and unit != "npu":
        return None
    if not peaks:
        nominal, peaks = "fp16", {"fp16": NOMINAL_TFLOPS}
    cores = (spec.cores if spec is not None and spec.cores else CORES.get(profile.name, 1)) if unit == "cpu" else 1
    on_chip = (spec.on_chip_mb or 0.0) * MIB if spec is not None else 0.0
    row_tile = (spec.matmul_row_tile or 0.0) if spec is not None else 0.0
    tf32 = frozenset(spec.tf32_classes) if spec is not None and "tf32" in peaks else frozenset()
    return ef.Unit(unit, {p: v * 1e12 / 2 for p, v in peaks.items()}, (profile.memory_bandwidth_gbs or 0) * 1e9,
                   cores, nominal, on_chip, profile.name, matmul_row_tile=row_tile,
                   grouped_conv_class=spec.grouped_conv_class if spec else None,
                   linear_rows_chain=(spec.linear_rows_chain or 0.0) if spec else 0.0,
                   fusion=(spec.fusion if spec else None) or "memory", tf32_classes=tf32,
                   float_classes=frozenset(spec.float_classes) if spec is not None else frozenset(),
                   float_precision=(spec.float_as if spec is not None else None) or "fp32")


# TF32 is a math mode of NVIDIA's libraries (cuDNN, cuBLAS, TensorRT): runtimes built on them can run it
TF32_RUNTIMES = frozenset({"pytorch", "tensorrt", "onnxruntime"})
CORES = {"raspberry-pi-4": 4, "raspberry-pi-5": 4, "snapdragon-8-gen-3": 6, "xeon-platinum-8480plus": 56}


def run(write_profiles: bool, cross: bool = True) -> int:
    profiles = load_profiles()
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    measured, skipped = usable(rows, profiles)
    print(f"{len(measured)} of {len(rows)} rows usable; skipped: {skipped}", file=sys.stderr)
    groups: dict[tuple[str, str], list[Measured]] = defaultdict(list)
    for m in measured:
        groups[(m.target, m.runtime)].append(m)
    peers = Peers(groups, profiles) if cross else None
    report: dict[str, Any] = {}
    fits: dict[tuple[str, str], tuple[ef.Fit, ef.Unit, float]] = {}
    # target -> fitted unknowns, rows, models, whether any row ran a fused kernel
    eager_fits: dict[str, tuple[dict[str, float], int, int, bool]] = {}
    pooled: dict[tuple[str, str], tuple[ef.Fit, list[ef.Held], list[str]]] = {}  # (pool, runtime) -> fit, held
    judged: dict[str, list[ef.Held]] = defaultdict(list)  # unit kind -> rows held against its judgement defaults
    lines: list[str] = []
    for (target, runtime), members in sorted(groups.items()):
        profile = profiles[target]
        if runtime == EAGER:
            held = [ef.Held(ef.Row(m.model, (), m.precision, m.latency_s, m.threads, f"b{m.batch}"),
                            eager_estimate(m, profile)) for m in members]
            held = [h for h in held if h.predicted_s > 0]
            before_eager = held_summary(held)
            if len({m.model for m in members}) >= 2 and len(members) >= MIN_ROWS:
                held, fitted_x, n_fit, fused_rows = eager_fit(profile, members)
                eager_fits[target] = (fitted_x, n_fit, len({m.model for m in members}), fused_rows)
                report[f"{target}/{runtime}"] = {**held_summary(held), "method": "fitted (eager), leave-one-model-out",
                                                 "rows_total": n_fit,
                                                 "defaults_median_abs_pct": before_eager["median_abs_pct"]}
            else:
                why = "one model: nothing to hold out" if len({m.model for m in members}) < 2 else \
                    f"fewer than {MIN_ROWS} rows: not fitted"
                report[f"{target}/{runtime}"] = {**before_eager, "method": f"eager, judgement parameters ({why})"}
            lines += detail_lines(target, runtime, held)
            continue
        unit = unit_of(profile, runtime, members[0].unit) if runtime in RUNTIMES else None
        pool_members = [m for d in POOLS.get(POOL_OF.get(target, ""), (target,)) for m in groups.get((d, runtime), [])]
        if unit is None or len({m.model for m in pool_members}) < 2:
            why = ("not a runtime archsel models" if runtime not in RUNTIMES else
                   f"no published peak for its {members[0].unit}" if unit is None else "one model: nothing to hold out")
            print(f"{target}/{runtime}: {len(members)} rows, {why}: not fitted", file=sys.stderr)
            if unit is not None:  # how the judgement defaults do on those rows
                held = [ef.Held(r, ef.predict(r, unit, ef.Fit(ef.prior(unit.kind)))) for r in fit_rows(members, unit)
                        if not ef.unrated([r], unit)]
                judged[unit.kind] += held
                report[f"{target}/{runtime}"] = {**held_summary(held), "method": f"judgement defaults ({why})"}
                lines += detail_lines(target, runtime, held)
            continue
        rows_fit = fit_rows(members, unit)
        judgement = ef.prior(unit.kind)
        before = [ef.Held(r, ef.predict(r, unit, ef.Fit(dict(judgement)))) for r in rows_fit
                  if not ef.unrated([r], unit)]
        judged[unit.kind] += before
        start, prior_for = judgement, None
        if peers is not None and (POOL_OF.get(target, target), runtime) in peers.members:
            start = peers.prior(target, runtime, unit.kind)
            prior_for = functools.partial(peers.prior, target, runtime, unit.kind)
        pool = POOL_OF.get(target)
        if pool is None:
            held = ef.leave_one_model_out(rows_fit, unit, start, prior_for=prior_for, symmetric=True)
            fit = ef.fit_runtime(rows_fit, unit, start, symmetric=True)
            method = "fitted, leave-one-model-out"
        else:  # fitted once with the pool's other devices' rows of this runtime, each on its own unit
            if (pool, runtime) not in pooled:
                pooled[(pool, runtime)] = fit_pool(pool, runtime, groups, profiles, unit, start, prior_for)
            fit, all_held, devices = pooled[(pool, runtime)]
            held = [h for h in all_held if h.row.unit is not None and h.row.unit.name == target]
            method = "fitted, leave-one-model-out" + (f", pooled ({' + '.join(devices)})" if len(devices) > 1 else "")
        fits[(target, runtime)] = (fit, unit, 1.0)
        entry = {**held_summary(held), "method": method, "rows_total": len(rows_fit)}
        entry["defaults_median_abs_pct"] = error_summary([h.ratio for h in before])["median_abs_pct"] if before \
            else None
        report[f"{target}/{runtime}"] = entry
        lines += detail_lines(target, runtime, held)
    date = dt.date.today().isoformat()
    accuracy = {"date": date, "source": "benchmarks/published_fit.py over data/published_latency",
                "runtimes": {k: {key: v[key] for key in ("n", "models", "median_abs_pct", "within_10", "within_25",
                                                         "ratio_q10", "ratio_q90", "spearman", "method")}
                             for k, v in sorted(report.items()) if v["n"] and v["method"].startswith("fitted")},
                "judgement": {kind: {key: v[key] for key in ("n", "models", "median_abs_pct", "within_10",
                                                              "within_25", "ratio_q10", "ratio_q90")}
                              for kind, v in sorted((k, held_summary(h)) for k, h in judged.items()) if v["n"]}}
    write_atomic(RUNTIME_ACCURACY_FILE, json.dumps(accuracy, indent=1, sort_keys=True) + "\n")
    results = results_markdown(report, accuracy["judgement"], lines, skipped, len(rows), len(measured), date)
    write_atomic(RESULTS, results)
    print(results.split("\n## Every row")[0])
    if write_profiles:
        for profile in profiles.values():
            if not profile.measured_at_run_time:
                write_runtimes(profile, fits, report, groups, date)
                if profile.name in eager_fits:
                    write_eager(profile, *eager_fits[profile.name], report[f"{profile.name}/{EAGER}"], date)
    return 0


# ------------------------------------------------------------------------------------------ profiles


def runtime_block(profile: TargetProfile, fits: dict[tuple[str, str], tuple[ef.Fit, ef.Unit, float]],
                  report: dict[str, Any], groups: dict[tuple[str, str], list[Measured]], date: str) -> str:
    """The profile's `runtimes:` mapping: every runtime it listed or the data has, fitted where rows exist."""
    names = list(dict.fromkeys([*profile.runtimes, *(r for (t, r) in groups if t == profile.name and r in RUNTIMES)]))
    default = DEFAULT_RUNTIME.get(profile.name, profile.default_runtime)
    if default not in names:
        names.append(default)
    main_unit = UNIT_OF_KIND.get(profile.kind, "cpu")
    out = ["runtimes:"]
    for name in [default, *(n for n in names if n != default)]:
        spec = profile.runtimes.get(name)
        members = groups.get((profile.name, name), [])
        unit = members[0].unit if members else (spec.unit if spec else main_unit)
        seen = sorted({m.precision for m in members})
        out.append(f"  {name}:")
        if name == default:
            out.append("    default: true")
        out.append(f"    unit: {unit}")
        if name == EAGER:
            precs = [p for p in profile.precisions if profile.peak(p) or (p == "tf32" and profile.peak("fp32"))]
            unrated = [p for p in seen if p not in precs]  # measured in eager PyTorch, no peak figure
            out.append(f"    precisions: [{', '.join([*precs, *unrated])}]")
            if unrated and profile.peak("fp32"):
                out.append(f"    precision_rates: {_flow(dict.fromkeys(unrated, 1))}")
            out += _fact_lines(spec)
            out.append("    source: >-\n      eager PyTorch: the profile's own estimator parameters (estimator_source "
                       "below)" + (f"; {', '.join(unrated)} at the fp32 rate (judgement: no published figure)"
                                   if unrated else "") + _eager_note(report.get(f"{profile.name}/{name}")))
            continue
        fitted = fits.get((profile.name, name))
        own = [p for p in profile.precisions if unit == main_unit and profile.peak(p)
               and (p != "tf32" or name in TF32_RUNTIMES)]
        if fitted is None:
            if not own:  # no rate for any precision on this unit: not estimable, left out
                del out[-3 if name == default else -2:]
                print(f"{profile.name}: {name} on the {unit} has no peak and no rows: left out", file=sys.stderr)
                continue
            out.append(f"    precisions: [{', '.join(own)}]")
            out += _fact_lines(spec)
            out.append(f"    source: >-\n      judgement: archsel's defaults for a {unit} "
                       "(no published measurements of it on this device yet)")
            continue
        fit, funit, _ = fitted
        precs = [p for p in profile.precisions if p in own or p in seen]
        precs += [p for p in seen if p not in precs]
        r = report[f"{profile.name}/{name}"]
        pool = [d for d in POOLS.get(POOL_OF.get(profile.name, ""), ()) if d != profile.name and (d, name) in groups]
        together = (f", fitted together with the {sum(len(groups[(d, name)]) for d in pool)} of {', '.join(pool)} "
                    "(same silicon, each row at its own device's peaks and bandwidth)") if pool else ""
        out += fitted_lines(fit, funit, precs, spec,
                            f"fitted by benchmarks/published_fit.py ({date}) to {r['rows_total']} published "
                            f"measurements of {len({m.model for m in members})} models (data/published_latency)"
                            f"{together}")
    return "\n".join(out) + "\n"


def _eager_note(entry: dict[str, Any] | None) -> str:
    if not entry or not entry.get("n"):
        return ""
    if entry["method"].startswith("fitted"):
        return (f", fitted to {entry['n']} published eager measurements: leave-one-model-out median |error| "
                f"{entry['median_abs_pct']:.0f}% (benchmarks/published_fit.py)")
    return (f"; against {entry['n']} published eager measurements: median |error| {entry['median_abs_pct']:.0f}% "
            "(benchmarks/published_fit.py)")


def write_runtimes(profile: TargetProfile, fits: dict[tuple[str, str], tuple[ef.Fit, ef.Unit, float]],
                   report: dict[str, Any], groups: dict[tuple[str, str], list[Measured]], date: str) -> None:
    """Replace the profile file's top-level `runtimes:` entry with the fitted block."""
    path = Path(profile.path)
    block = runtime_block(profile, fits, report, groups, date)
    text = set_top_level(path.read_text(encoding="utf-8"), "runtimes", block)
    write_atomic(path, text, what="profile")
    print(f"wrote {path}", file=sys.stderr)


# ------------------------------------------------------------------------------------------ eager PyTorch

EAGER_FITTED = "Fitted by benchmarks/published_fit.py"
BEFORE_FIT = "Before the fit: "


def eager_prior_rates(profile: TargetProfile) -> Any:
    """The profile's eager rates at the judgement defaults the fit starts from (its kind's efficiencies, no
    module-call cost, no fused entry), whatever an earlier fit wrote into the profile."""
    from dataclasses import replace

    from archsel.estimation.defaults import kind_defaults
    from archsel.estimation.roofline import FUSED_KEY, DeviceRates

    start = replace(profile, efficiency=dict(kind_defaults(profile.kind).efficiency), module_call_us=None,
                    op_overhead_us={k: v for k, v in profile.op_overhead_us.items() if k != FUSED_KEY})
    eager = profile.runtime(EAGER)
    return DeviceRates.from_profile(start, eager.precision_rates, eager.tf32_classes)


def eager_samples(profile: TargetProfile, members: list[Measured]) -> list[tuple[Measured, Any]]:
    """(row, fit.Sample) of each eager row the profile has a rate for (its precision's peak)."""
    from archsel import precisions
    from archsel.estimation.fit import Sample, precision_peaks

    rates = eager_prior_rates(profile)
    out = []
    for m in members:
        peak, class_peaks = precision_peaks(rates, m.precision)  # fp32 convs at the tf32 peak where it runs them
        if not peak:
            continue
        count = trace(m.model, m.shape)
        out.append((m, Sample(f"{m.model} {m.precision} b{m.batch}", count.ops, m.latency_s, count.batch,
                              peak, precisions.get(m.precision).bytes_scale, class_peaks)))
    return out


def eager_fit(profile: TargetProfile, members: list[Measured]) -> tuple[list[ef.Held], dict[str, float], int, bool]:
    """Refit the profile's eager parameters (archsel.estimation.fit: per-class efficiencies, bandwidth
    efficiency, cost per module call and per fused-kernel op; the per-op costs stay as the profile gives them;
    the module-call prior's scale chosen on a grid)
    to its published eager rows: leave-one-model-out predictions, the fit on every row, its row count and
    whether any row ran a fused kernel (PyTorch's transformer fast path)."""
    from archsel.estimation import fit as eager

    rates = eager_prior_rates(profile)
    known = eager.known_from_rates(rates)
    prior = eager.prior_from_rates(rates)
    peak, bandwidth = rates.peak_macs_per_s.get("fp32", 1.0), rates.bandwidth_bytes_per_s
    samples = eager_samples(profile, members)

    def loss(train: list[Any], x: dict[str, float]) -> float:  # mean |log error|, each capped at 1
        return statistics.mean(min(abs(math.log(eager.predict(s.ops, s.peak, bandwidth, x, s.batch, known,
                                                              s.bytes_scale, s.class_peaks) / s.measured_s)), 1.0)
                               for s in train)

    def fitted(train: list[Any]) -> dict[str, float]:
        """The fit from the module-call prior (scaled on engine_fit's grid of fixed-cost scales, for the same
        reason) whose result explains `train` best; efficiencies capped at 1."""
        fits = []
        for scale in ef.FIXED_GRID:
            x = eager.fit(train, peak, bandwidth, {**prior, "overhead": prior["overhead"] * scale}, known=known)
            x = {k: max(v, 1.0) if k in eager.FITTED_CLASSES or k == "bandwidth" else v for k, v in x.items()}
            fits.append((loss(train, x), scale, x))
        return min(fits, key=lambda f: (f[0], f[1]))[2]

    held: list[ef.Held] = []
    for model in sorted({m.model for m, _ in samples}):
        x = fitted([s for m, s in samples if m.model != model])
        held += [ef.Held(ef.Row(m.model, (), m.precision, m.latency_s, m.threads, f"b{m.batch}"),
                         eager.predict(s.ops, s.peak or peak, bandwidth, x, s.batch, known, s.bytes_scale,
                                       s.class_peaks))
                 for m, s in samples if m.model == model]
    fused_rows = any(eager.fused(op) for _, s in samples for op in s.ops)
    return held, fitted([s for _, s in samples]), len(samples), fused_rows


def write_eager(profile: TargetProfile, x: dict[str, float], rows: int, models: int, fused_rows: bool,
                entry: dict[str, Any], date: str) -> None:
    """Write the fitted eager parameters into the profile file (efficiency, module_call_us, the fused
    kernels' per-op cost where the rows had any) and say so at the head of its estimator_source."""
    from archsel.estimation.fit import FITTED_CLASSES
    from archsel.estimation.roofline import FUSED_KEY

    path = Path(profile.path)
    text = path.read_text(encoding="utf-8")
    eff = {**profile.efficiency, **{c: _g(1.0 / x[c]) for c in FITTED_CLASSES}, "bandwidth": _g(1.0 / x["bandwidth"])}
    text = set_top_level(text, "efficiency", f"efficiency: {_flow(eff)}\n")
    text = set_top_level(text, "module_call_us", f"module_call_us: {_g(x['overhead'] * 1e6)}\n")
    if fused_rows:  # else the fused kernels' cost stayed at its prior: nothing to write
        per_op = {**profile.op_overhead_us, FUSED_KEY: _g(x["fused"] * 1e6)}
        text = set_top_level(text, "op_overhead_us", f"op_overhead_us: {_flow(per_op)}\n")
    source = profile.estimator_source or ""
    if source.startswith(EAGER_FITTED):
        source = source.split(BEFORE_FIT, 1)[1]
    tf32 = profile.runtime(EAGER).tf32_note() if profile.peak("tf32") else ""
    head = (f"{EAGER_FITTED} ({date}) to {rows} published eager PyTorch measurements of {models} models "
            f"(data/published_latency){f', {tf32}' if tf32 else ''}: per-class efficiencies, bandwidth "
            f"efficiency and module_call_us"
            f"{' and op_overhead_us.fused' if fused_rows else ''} (non-negative least squares, judgement values as "
            f"prior); overhead_us per op kept. Leave-one-model-out median |error| {entry['median_abs_pct']:.0f}%, "
            f"{entry['within_25']:.0%} within ±25%. {BEFORE_FIT}")
    wrapped = textwrap.fill(head + source, width=106, initial_indent="  ", subsequent_indent="  ",
                            break_long_words=False, break_on_hyphens=False)
    text = set_top_level(text, "estimator_source", f"estimator_source: >-\n{wrapped}\n")
    write_atomic(path, text, what="profile")
    print(f"wrote eager parameters into {path}", file=sys.stderr)


def eager_estimate(m: Measured, profile: TargetProfile) -> float:
    """Seconds the profile's judgement eager parameters give for the row (before any fit)."""
    from archsel.estimation.roofline import estimate_ops

    try:
        est = estimate_ops(trace(m.model, m.shape).ops, eager_prior_rates(profile), m.precision, m.batch)
    except ValueError as exc:  # a precision the eager profile has no peak for
        print(f"eager {profile.name} {m.model} {m.precision}: {exc}", file=sys.stderr)
        return 0.0
    return est.total_s


def detail_lines(target: str, runtime: str, held: list[ef.Held]) -> list[str]:
    return [f"| {target} | {runtime} | {h.row.model} | {h.row.precision} | {h.row.label[1:]} | "
            f"{h.row.threads or ''} | {h.row.measured_s * 1e3:.4g} | {h.predicted_s * 1e3:.4g} | "
            f"{h.ratio - 1:+.0%} |" for h in sorted(held, key=lambda h: (h.row.model, h.row.precision))]


def results_markdown(report: dict[str, Any], judgement: dict[str, Any], lines: list[str], skipped: dict[str, int],
                     total: int, used: int, date: str) -> str:
    def pct(v: Any) -> str:
        return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.0f}%"

    out = [f"# Published latencies vs archsel's runtime estimates ({date})", "",
           f"`python benchmarks/published_fit.py`: {used} of {total} rows of data/published_latency used "
           f"(skipped: {', '.join(f'{k} {v}' for k, v in sorted(skipped.items()))}). Compiled runtimes: "
           "leave-one-model-out (each model held out, parameters fitted on the rest). Eager PyTorch: the profile's "
           f"parameters refitted the same way where the device has {MIN_ROWS} rows or more of two models or more "
           "(per-class efficiencies and dispatch costs, archsel.estimation.fit), else the profile's own. "
           "Error = published / estimated − 1.", "",
           "| device | runtime | rows | models | median abs. error | within ±25% | rank corr. | defaults' median | "
           "method |", "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for key, v in sorted(report.items()):
        target, runtime = key.split("/")
        rho = "—" if v.get("spearman") is None else f"{v['spearman']:.2f}"
        out.append(f"| {target} | {runtime} | {v['n']} | {v['models']} | {pct(v['median_abs_pct'])} | "
                   f"{v['within_25']:.0%} | {rho} | {pct(v.get('defaults_median_abs_pct'))} | {v['method']} |")
    fitted = [v for v in report.values() if v["method"].startswith("fitted") and v["n"] >= MIN_ROWS]
    if fitted:
        med = statistics.median(v["median_abs_pct"] for v in fitted)
        out += ["", f"Fitted groups with ≥ {MIN_ROWS} rows: {len(fitted)}; median of their median |error| "
                    f"{med:.0f}%; all under 25%: {all(v['median_abs_pct'] < 25 for v in fitted)}; all ≥ 60% within "
                    f"±25%: {all(v['within_25'] >= 0.6 for v in fitted)}."]
    out += ["", "Judgement defaults (what a runtime without published rows runs on; its estimates' band comes from "
                "here), against every published row on such a unit, before any fit:", "",
            "| unit | rows | models | median abs. error | within ±25% | published/estimated, 10th–90th pct. |",
            "|---|---:|---:|---:|---:|---|"]
    out += [f"| {kind} | {v['n']} | {v['models']} | {pct(v['median_abs_pct'])} | {v['within_25']:.0%} | "
            f"{v['ratio_q10']:.2f}–{v['ratio_q90']:.2f} |" for kind, v in judgement.items()]
    out += ["", "## Every row (leave-one-model-out for fitted runtimes)", "",
            "| device | runtime | model | precision | batch | threads | published ms | estimated ms | error |",
            "|---|---|---|---|---:|---:|---:|---:|---:|", *lines, ""]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write-profiles", action="store_true", help="write the fitted runtimes into profiles/")
    parser.add_argument("--judgement-prior", action="store_true",
                        help="fit towards the judgement defaults only (no cross-device prior), for comparison")
    args = parser.parse_args()
    return run(args.write_profiles, cross=not args.judgement_prior)


if __name__ == "__main__":
    raise SystemExit(main())

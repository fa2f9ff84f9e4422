"""Fit a deployment runtime's estimator (archsel.estimation.engine) on the machine archsel runs on:
`archsel calibrate --runtime onnxruntime|openvino`.

The runtime's reference zoo models (calibrate.RUNTIME_REFERENCE_MODELS) are measured under the runtime
through the profiler (exported to ONNX, fp32 and, where the runtime really runs it, int8; batch 1 and 8 as
the eager calibration; on 1 thread and on the calibration's threads, so that the parallel efficiency can be
fitted). Each measurement becomes an engine_fit Row of the model's compiled layers (as
benchmarks/published_fit.py builds them from published latencies); engine_fit.fit_runtime fits each
precision's rows alone against a Unit made of the eager calibration's peak, bandwidth and threads and the
CPU's caches below the last level, and engine_fit.leave_one_model_out gives the error a model the fit never
saw gets. The profile entry (archsel.estimation.runtime_entry) holds the fp32 fit, each other precision's
under `by_precision`, each with that error (`accuracy`), which bands its estimates.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archsel.errors import UsageError
from archsel.estimation import engine_fit as ef
from archsel.estimation.calibrate import CALIBRATE_REF
from archsel.estimation.engine import MIB
from archsel.estimation.runtime_entry import ACCURACY_KEYS, fitted_lines, held_summary, points_summary, set_top_level
from archsel.machine import CACHE_ROOT
from archsel.targets.schema import PRECISION_FIT_KEYS

if TYPE_CHECKING:
    from archsel.estimation.calibrate import Calibration
    from archsel.estimation.graph_cost import GraphFit, HeldOut

TOOL = "archsel calibrate"
BASE_PRECISION = "fp32"  # the precision whose fit is a runtime entry's own parameters (others: by_precision)
INT8_MIN_MAC_FRACTION = 0.5  # an int8 measurement is fitted as int8 when at least this share of MACs ran in int8
Log = Callable[[str], None]


def check_calibrated_runtime(name: str) -> str:
    """The canonical name of a runtime `calibrate --runtime` can measure here; UsageError (exit 2) for an
    unknown name (did-you-mean), eager PyTorch (what calibrate fits anyway), a runtime this machine does not
    measure (tensorrt, ...), or one not installed (the pip install)."""
    from archsel.profiling.deploy import BACKENDS, EAGER, backend, require
    from archsel.targets.runtimes import canonical_runtime

    runtime = canonical_runtime(name)
    if runtime == EAGER:
        raise UsageError("--runtime pytorch: eager PyTorch is what `archsel calibrate` fits without --runtime",
                         hint=f"give --runtime {' or '.join(BACKENDS)} to fit a deployment runtime as well")
    if runtime not in BACKENDS:
        raise UsageError(f"--runtime {runtime} cannot be measured on this machine: calibrate fits "
                         f"{', '.join(BACKENDS)} here",
                         hint=f"estimate {runtime} with `archsel profile MODEL --target DEVICE --runtime {runtime}`")
    require(runtime)
    try:  # the backend module and the runtime import now, not after minutes of eager calibration
        backend(runtime).version()
    except ImportError as exc:
        raise UsageError(f"--runtime {runtime}: archsel's backend for it could not be loaded ({exc})",
                         hint=f"profile --runtime {runtime} fails the same way; reinstall archsel") from exc
    return runtime


@dataclass(frozen=True)
class RuntimeMeasured:
    """One reference model measured under the runtime."""

    model_id: str
    batch: int
    precision: str
    threads: int
    measured_s: float


@dataclass
class RuntimeCalibration:
    """What `calibrate --runtime` measured and fitted."""

    runtime: str
    version: str
    unit: ef.Unit
    measured: list[RuntimeMeasured]
    rows: list[ef.Row]
    fits: dict[str, ef.Fit]  # precision -> the fit to that precision's rows alone (BASE_PRECISION: the entry's own)
    held: list[ef.Held]  # every row, predicted by its precision's fit without its model
    notes: list[str] = field(default_factory=list)  # measurements left out, and why
    caches: tuple[int, str] | None = None  # the on-chip memory of the unit: bytes, and what the OS reported
    graph: GraphCalibration | None = None  # the graph cost model's fit (ONNX Runtime), where it could be made

    @property
    def base(self) -> str:
        """The precision whose fit is the entry's own parameters (fp32 where measured)."""
        return BASE_PRECISION if BASE_PRECISION in self.fits else min(self.fits)

    @property
    def fit(self) -> ef.Fit:
        return self.fits[self.base]

    def summary_of(self, precision: str | None = None) -> dict[str, Any]:
        """runtime_entry.held_summary of the held-out rows of `precision` (None: all)."""
        return held_summary([h for h in self.held if precision is None or h.row.precision == precision])

    @property
    def summary(self) -> dict[str, Any]:
        return self.summary_of()

    @property
    def models(self) -> list[str]:
        return sorted({r.model for r in self.rows})

    @property
    def precisions(self) -> list[str]:
        return sorted({r.precision for r in self.rows}, key=lambda p: (p != "fp32", p))


@dataclass
class GraphCalibration:
    """The graph cost model (archsel.estimation.graph_cost) fitted to the measured references' graphs."""

    fit: GraphFit
    held: list[HeldOut]  # every sample, estimated by the fit to the other models

    def summary_of(self, precision: str) -> dict[str, Any]:
        """runtime_entry.points_summary of `precision`'s held-out samples (compared within batch and threads)."""
        return points_summary([(h.sample.model, (h.sample.batch, h.sample.threads), h.estimated_s, h.sample.measured_s)
                               for h in self.held if h.sample.precision == precision])


GRAPH_COST_RUNTIMES = ("onnxruntime",)  # the runtimes whose graphs archsel reads node by node


def fit_graph_cost(measured: Sequence[RuntimeMeasured], unit: ef.Unit, log: Log) -> tuple[GraphCalibration | None,
                                                                                           list[str]]:
    """The graph cost model fitted to the measurements' graphs as ONNX Runtime runs them (read from the graphs
    the measurements exported and quantized: archsel.profiling.deploy.ort_graph), fp32 then int8 with fp32's
    float terms, each model held out in turn; None where fewer than 2 models of each precision have a graph.
    The notes name the graphs that could not be read."""
    from archsel.estimation.engine import on_chip_share
    from archsel.estimation.graph_cost import Sample, fit_graph, leave_one_model_out
    from archsel.profiling.deploy import one_line
    from archsel.profiling.deploy.ort_graph import zoo_graph_nodes

    graphs: dict[tuple[str, int, str], tuple[Any, ...] | None] = {}
    notes: list[str] = []
    for m in measured:
        key = (m.model_id, m.batch, m.precision)
        if key in graphs:
            continue
        log(f"reading the graph onnxruntime runs for {m.model_id} batch {m.batch} {m.precision}")
        try:
            graphs[key] = tuple(zoo_graph_nodes(m.model_id, m.batch, m.precision))
        except Exception as exc:  # one graph that cannot be read leaves its model out of this fit only
            graphs[key] = None
            notes.append(f"{m.model_id} b{m.batch} {m.precision}: graph not read ({one_line(exc)})")
    samples = [Sample(m.model_id, m.precision, m.threads, m.measured_s, nodes, m.batch)
               for m in measured if (nodes := graphs[(m.model_id, m.batch, m.precision)])]
    models = {p: {s.model for s in samples if s.precision == p} for p in ("fp32", "int8")}
    if min(len(v) for v in models.values()) < 2:
        return None, notes

    def on_chip(threads: int) -> float:
        return unit.on_chip_bytes * on_chip_share("cpu", unit.cores, threads)

    return GraphCalibration(fit_graph(samples, on_chip), leave_one_model_out(samples, on_chip)), notes


PASSES_IN_BUDGET = 8  # a case's budget holds a warm-up, 5 timed passes and margin at the unit's one-core peak


def case_budget(model: str, batch: int, budget_s: float, unit: ef.Unit | None) -> float:
    """The time budget of measuring one case: `budget_s`, or PASSES_IN_BUDGET passes of its MACs at the unit's
    fp32 peak of one core where that is more (r3d_18, 41 GMACs, takes 0.4 s a pass here: 1.5 s never held
    the warm-up and 5 timed passes, so the 3-D convolutions went unmeasured)."""
    peak = (unit.peak_macs_per_s.get("fp32", 0.0) / max(unit.cores, 1)) if unit is not None else 0.0
    if peak <= 0:
        return budget_s
    from archsel.profiling.counting import count_model

    return max(budget_s, PASSES_IN_BUDGET * count_model(model, batch=batch).macs / peak)


def measure_references(runtime: str, cases: Sequence[tuple[str, int]], *, threads: Sequence[int],
                       precisions: Sequence[str], budget_s: float, log: Log,
                       rounds: int = 1, unit: ef.Unit | None = None) -> tuple[list[RuntimeMeasured], list[str]]:
    """Each (model, batch) case under `runtime` at each precision and thread count, in `rounds` interleaved
    rounds keeping each one's fastest median (on a shared machine the least disturbed round; never cached:
    measured now, the export and int8 model reused from disk), each within its case_budget (`unit`: the
    fit's); int8 kept only where the runtime ran at least INT8_MIN_MAC_FRACTION of the MACs in int8."""
    from archsel.profiling.profiler import ProfileOptions, profile

    budgets = {case: case_budget(*case, budget_s, unit) for case in cases}  # a count per case, not per pass
    best: dict[tuple[str, int, str, int], RuntimeMeasured] = {}
    notes: dict[str, str] = {}  # measurement -> why it is not fitted (the last round's word)
    for r in range(rounds):
        for n in threads:
            for model, batch in cases:
                options = ProfileOptions(batches=(batch,), dtypes=tuple(precisions), threads=n,
                                         time_budget_s=budgets[(model, batch)], use_cache=False,
                                         runtime=runtime)
                log(f"measuring {model} batch {batch} under {runtime} on {n} thread{'s' if n > 1 else ''}"
                    + (f" (round {r + 1}/{rounds})" if rounds > 1 else ""))
                for record in profile([model], options):
                    key = (model, batch, record["dtype"], n)
                    what = f"{model} b{batch} {record['dtype']} {n}t"
                    if record["status"] != "ok" or not record.get("latency"):
                        notes[what] = f"not measured ({record.get('failure_kind')}: {record.get('error')})"
                        continue
                    if record["dtype"] == "int8":
                        share = float((record.get("int8") or {}).get("int8_mac_fraction") or 0.0)
                        if share < INT8_MIN_MAC_FRACTION:
                            notes[what] = f"{share:.0%} of MACs ran in int8, not fitted as int8"
                            continue
                    got = RuntimeMeasured(model, batch, record["dtype"], n, record["latency"]["p50_ms"] / 1e3)
                    if key not in best or got.measured_s < best[key].measured_s:
                        best[key] = got
    measured = list(best.values())
    done = {f"{m.model_id} b{m.batch} {m.precision} {m.threads}t" for m in measured}
    return measured, [f"{k}: {v}" for k, v in notes.items() if k not in done]


def engine_rows(measured: Sequence[RuntimeMeasured], fusion: str = "memory") -> list[ef.Row]:
    """engine_fit Rows of the measurements: each model's compiled layers from its float32 meta count (as
    benchmarks/published_fit.py builds them)."""
    from archsel.estimation.engine import compile_layers
    from archsel.profiling.counting import count_model
    from archsel.zoo.registry import get_model_entry, resolve_task

    layers: dict[tuple[str, int], tuple[Any, ...]] = {}
    rows = []
    for m in measured:
        if (m.model_id, m.batch) not in layers:
            task = resolve_task(get_model_entry(m.model_id), None)
            count = count_model(m.model_id, task=task, batch=m.batch)
            layers[(m.model_id, m.batch)] = tuple(compile_layers(count.ops, m.batch, fusion))
        rows.append(ef.Row(m.model_id, layers[(m.model_id, m.batch)], m.precision, m.measured_s, m.threads,
                           f"b{m.batch}"))
    return rows


def calibration_unit(cal: Calibration, caches: tuple[int, str] | None = None) -> ef.Unit:
    """The fit's fixed facts: the eager calibration's peaks and bandwidth, on the threads it ran (its peaks
    count them), and the CPU's caches (`caches`: bytes and what they are, archsel.machine.cpu_caches) as the
    on-chip memory a layer's tensors stay in while they fit (its rate is fitted, at most
    schema.MAX_ON_CHIP_BANDWIDTH × the bandwidth). Without them every layer's traffic ran at the memory
    bandwidth: a recurrent layer re-reading its weights at every step was estimated 5-20x too slow under
    ONNX Runtime and OpenVINO (benchmarks/results_runtime_estimate_accuracy.md)."""
    return ef.Unit("cpu", dict(cal.peak_macs_per_s), cal.bandwidth_bytes_per_s, cores=max(cal.micro.threads, 1),
                   name="calibrated", on_chip_bytes=float(caches[0]) if caches else 0.0)


def fit_measured(runtime: str, version: str, unit: ef.Unit, measured: Sequence[RuntimeMeasured],
                 notes: Sequence[str] = (), caches: tuple[int, str] | None = None) -> RuntimeCalibration:
    """Fit the runtime to each precision's measurements alone (engine_fit.fit_runtime from the CPU judgement
    prior) and hold each model out of each (engine_fit.leave_one_model_out). One fit to fp32 and int8 together
    held neither: a CPU's int8 kernels gain 3x (VNNI) to 12x (AMX) over fp32 on dense convolutions and
    nothing on depthwise ones or tiny graphs, which one rate for int8 cannot say, and the int8 rows bent the
    fp32 efficiencies (OpenVINO fp32: median error 21% held out, 12% fitted alone; benchmarks/
    results_runtime_estimate_accuracy.md). The fp32 fit's small-layer slowdown (engine.small_layer_factor) is
    chosen by cross-validation over its models (engine_fit.cross_validated_half_efficiency; its
    leave-one-model-out error keeps that choice, made with every model); the int8 fit has none: with the one
    cross-validation chose for it, int8 held out worse (ONNX Runtime median error 31% -> 35%, OpenVINO 27% ->
    28%; benchmarks/runtime_estimate_accuracy.py), where fp32 under ONNX Runtime went from 15% to 13%."""
    rows = engine_rows(measured, unit.fusion)
    start = ef.prior(unit.kind)
    fits: dict[str, ef.Fit] = {}
    held: list[ef.Held] = []

    def adjust(fit: ef.Fit, train: Sequence[ef.Row]) -> ef.Fit:
        return inherit_unseen(fit, train, unit)

    for precision in sorted({r.precision for r in rows}):
        own = [r for r in rows if r.precision == precision]
        half = ef.cross_validated_half_efficiency(own, unit, start, rate_grid=ef.WIDE_RATE_GRID, adjust=adjust) \
            if precision == BASE_PRECISION else 0.0
        fits[precision] = adjust(ef.fit_runtime(own, unit, start, rate_grid=ef.WIDE_RATE_GRID,
                                                half_efficiency_macs=half), own)
        held += ef.leave_one_model_out(own, unit, start, rate_grid=ef.WIDE_RATE_GRID, adjust=adjust,
                                       half_efficiency_macs=half)
    return RuntimeCalibration(runtime, version, unit, list(measured), rows, fits, held, list(notes), caches)


# A layer class the reference models do not have runs on this CPU through the kernels of its parent class
# (oneDNN and MLAS run 3-D and dilated convolutions as the same implicit GEMMs as 2-D ones; attention is
# matrix products): it takes the parent's fitted efficiency, not the judgement prior. Without it 3-D CNNs
# (no reference model has a 3-D conv) were estimated 2.5-5x too slow (results_runtime_estimate_accuracy.md).
PARENT_CLASS = {"conv3d": "conv", "dilated_conv": "conv", "attention": "matmul"}


def inherit_unseen(fit: ef.Fit, rows: Sequence[ef.Row], unit: ef.Unit) -> ef.Fit:
    """`fit` with each PARENT_CLASS class the rows have no data for set to its parent's fitted value (where
    the parent has data)."""
    seen = ef.informed(rows, unit, fit)
    for kind, parent in PARENT_CLASS.items():
        if kind not in seen and parent in seen:
            fit.x[kind] = fit.x[parent]
    return fit


def calibrate_runtime(cal: Calibration, runtime: str, *, quick: bool = False, models: Sequence[str] | None = None,
                      batches: Sequence[int] = (1, 8), budget_s: float | None = None,
                      log: Log = lambda _m: None) -> RuntimeCalibration:
    """Measure the reference models under `runtime` (1 thread and the calibration's threads; fp32 and int8;
    two rounds unless `quick`) and fit it against the calibration's unit; UsageError when fewer than two
    models could be measured."""
    from archsel.estimation.calibrate import (
        QUICK_REFERENCE_MODELS,
        RUNTIME_BATCH8_MAX_MACS,
        RUNTIME_REFERENCE_MODELS,
        reference_cases,
    )
    from archsel.machine import cpu_caches
    from archsel.profiling.profiler import runtime_version

    caches = cpu_caches()
    unit = calibration_unit(cal, caches)
    cases = reference_cases(models or (QUICK_REFERENCE_MODELS if quick else RUNTIME_REFERENCE_MODELS),
                            (1,) if quick else batches, RUNTIME_BATCH8_MAX_MACS)
    threads = sorted({1, unit.cores})
    budget = budget_s if budget_s is not None else (0.3 if quick else 1.5)
    measured, notes = measure_references(runtime, cases, threads=threads, precisions=("fp32", "int8"),
                                         budget_s=budget, log=log, rounds=1 if quick else 2, unit=unit)
    if len({m.model_id for m in measured}) < 2:
        raise UsageError(f"fewer than 2 reference models could be measured under {runtime}: nothing to fit "
                         "and hold out", hint="; ".join(notes[:3]) or "run on an idle machine")
    rc = fit_measured(runtime, runtime_version(runtime), unit, measured, notes, caches)
    if runtime in GRAPH_COST_RUNTIMES:
        rc.graph, graph_notes = fit_graph_cost(measured, unit, log)
        rc.notes += graph_notes
    return rc


def accuracy_entry(rc: RuntimeCalibration, when: str, precision: str,
                   summary: dict[str, Any] | None = None, what: str = "") -> dict[str, Any] | None:
    """The `accuracy` of the entry for `precision` (its fit's leave-one-model-out error, or `summary`'s), None
    without held-out rows."""
    summary = rc.summary_of(precision) if summary is None else summary
    if not summary.get("n"):
        return None
    out: dict[str, Any] = {k: (round(float(v), 4) if isinstance(v, float) else v)
                           for k, v in summary.items() if k in ACCURACY_KEYS}
    return {**out, "measured_by": f"{TOOL} --runtime {rc.runtime}{what}", "date": when}


def graph_cost_lines(rc: RuntimeCalibration, when: str, precision: str) -> list[str]:
    """The `graph_cost:` block of the entry for `precision` (indented for by_precision), or none."""
    import yaml

    graph = rc.graph
    if graph is None or precision not in graph.fit.seconds:
        return []
    accuracy = accuracy_entry(rc, when, precision, graph.summary_of(precision), ", graph cost model")
    if accuracy is None:
        return []
    block = {"graph_cost": {"parallel_efficiency": graph.fit.parallel,
                            "seconds": {k: float(f"{v:.4g}") for k, v in sorted(graph.fit.seconds[precision].items())
                                        if precision == graph.fit.base or not k.startswith(f"{graph.fit.base} ")},
                            "accuracy": accuracy}}
    return ["        " + line for line in yaml.safe_dump(block, sort_keys=False, width=100).splitlines()]


def source_text(rc: RuntimeCalibration, cpu: str, when: str, precision: str) -> str:
    """The `source` of the entry for `precision`: what was measured and how well its fit predicts a held-out
    model."""
    s = rc.summary_of(precision)
    rank = f", rank correlation {s['spearman']:.2f}" if s.get("spearman") is not None else ""
    own = [m for m in rc.measured if m.precision == precision]
    batches = sorted({m.batch for m in own})
    threads = sorted({m.threads for m in own})
    return (f"Fitted by {TOOL} --runtime {rc.runtime} on {cpu} ({when}) to its {precision} latencies alone: "
            f"{len(own)} measurements of {len({m.model_id for m in own})} models ({rc.runtime} {rc.version}; "
            f"batch {' and '.join(map(str, batches))}; {' and '.join(map(str, threads))} threads); "
            f"leave-one-model-out median |error| {s['median_abs_pct']:.0f}%, {s['within_25']:.0%} within ±25%{rank}")


def runtimes_block(rc: RuntimeCalibration, cpu: str, when: str) -> str:
    """The calibrated profile's `runtimes:` mapping: the fitted runtime (the default: what the user deploys
    with) and eager PyTorch (the profile's own parameters, fitted by the eager calibration)."""
    out = ["runtimes:", f"  {rc.runtime}:", "    default: true", "    unit: cpu"]
    facts = {}
    if rc.caches:
        facts["on_chip_mb"] = {"value": round(rc.caches[0] / MIB, 3), "source": CALIBRATE_REF,
                               "derivation": f"measured: the CPU's caches below the last level as Linux reports "
                                             f"them ({CACHE_ROOT}/cpu*/cache): {rc.caches[1]}"}
    base = rc.base
    body = fitted_lines(rc.fit, rc.unit, [base], None, source_text(rc, cpu, when, base), tool=TOOL,
                        accuracy=accuracy_entry(rc, when, base), facts=facts)
    out += [f"    precisions: [{', '.join(rc.precisions)}]", *body[1:]]
    others = [p for p in rc.precisions if p != base]
    if others:
        out.append("    by_precision:")
    for p in others:
        lines = fitted_lines(rc.fits[p], rc.unit, [p], None, source_text(rc, cpu, when, p), tool=TOOL,
                             accuracy=accuracy_entry(rc, when, p), facts=facts)
        out.append(f"      {p}:")
        out += ["\n".join("    " + line for line in item.split("\n")) for item in lines
                if item.split(":")[0].strip() in PRECISION_FIT_KEYS]
        out += graph_cost_lines(rc, when, p)
    out += ["  pytorch:", "    unit: cpu", "    precisions: [fp32]",
            "    source: >-\n      eager PyTorch: the profile's own estimator parameters (estimator_source below)"]
    return "\n".join(out) + "\n"


def with_runtime(text: str, rc: RuntimeCalibration, cpu: str) -> str:
    """A calibrated profile's YAML `text` with the runtime's entry (runtimes_block) and its precisions."""
    import yaml

    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
    text = set_top_level(text, "runtimes", runtimes_block(rc, cpu, when))
    precisions = list(yaml.safe_load(text)["precisions"])
    added = [p for p in rc.precisions if p not in precisions]
    if added:
        text = set_top_level(text, "precisions", f"precisions: [{', '.join([*precisions, *added])}]\n")
    return text

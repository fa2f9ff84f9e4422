"""Fit a compiled runtime's parameters on one device to measured latencies (numpy only).

Unknowns, all non-negative: for each op class c the inverse efficiency x_c (a layer's compute time is
work / (peak × threads share) × x_c), the inverse bandwidth efficiency x_bw (memory time = bytes /
bandwidth × x_bw), the fixed cost per layer and per inference (seconds). With each layer's bound fixed
(compute or memory, from the current x), a model's latency is linear in the unknowns (archsel.estimation.
engine); the fit minimises relative error by non-negative least squares (relative to the measurement, or
with `symmetric` to the geometric mean of estimate and measurement, so that an estimate k× too small weighs as
much as one k× too large: relative to the measurement, a row estimated 20× too fast has an error of only -0.95,
and the prior outweighs it), with ridge rows pulling each
unknown towards its prior (the unit's judgement defaults: a class absent from the data keeps it; the pull
is itself robust, weakening once an unknown is more than twice its prior, so that consistent data can move
a class far) and Huber weights, re-deriving the bounds until they settle (as archsel.estimation.fit does
for eager PyTorch).

Scalars that enter non-linearly are searched on grids, one at a time (coordinate descent): the scale of the
fixed costs' prior (FIXED_GRID), a CPU runtime's parallel efficiency beyond one thread (when rows ran on
several threads), and for each precision but the
most measured one, the share of its peak the runtime's kernels for it reach (at most 1 where the unit has a
published peak for it: no kernel beats its datasheet rate; relative to the reference precision's peak where it
has none; an NPU without any published peak gets a nominal one, above any phone NPU's, and its efficiencies
are relative to it).

On a unit with on-chip memory (`Unit.on_chip_bytes`, the runtime's `on_chip_mb`; on a CPU, the share of its
per-core caches the row's threads use: engine.on_chip_share) a layer's traffic splits by its spill share
(archsel.estimation.engine.spill_share): the share that fits has its own unknown, the
inverse on-chip rate x_on (× the memory bandwidth; at most MAX_ON_CHIP_BANDWIDTH), the share beyond the
capacity runs at the DRAM rate x_bw (no faster than the bandwidth); fused ops stay on chip ("fused" is
fused_traffic × x_on).

A runtime whose matmul kernels re-read the weights for every tile of rows (`Unit.matmul_row_tile`, a
sourced figure) has that traffic in its layers' bytes (archsel.estimation.engine.reread_bytes), at the
fitted bandwidth efficiency: nothing new is fitted. A runtime that runs grouped convolutions with its
depthwise kernels (`Unit.grouped_conv_class`) has them in that class's unknown.

A runtime whose kernels cap matmuls of unpacked rows at a share of peak (`Unit.linear_rows_chain`, a
sourced figure; archsel.estimation.engine.row_chained) charges such a layer compute × max(x_matmul,
1 / ceiling): while the fitted x_matmul is below the cap, its time at the cap is a known term ("const"), not
the matmul unknown's.

A unit whose runtime computes fp32 ops of some classes on TF32 Tensor Cores by default (`Unit.tf32_classes`,
the runtime's `fp32_as_tf32`) charges an fp32 row's layers of those classes against its tf32 peak. A unit whose
runtime keeps some layer classes in float in a quantized model (`Unit.float_classes`, the runtime's
`quantized_float_classes`) charges an integer row's layers of those classes at `Unit.float_precision`.

Rows may carry their own unit (`Row.unit`): rows of one runtime on devices that share the silicon at other
clocks and bandwidths (Jetson Orin Nano and Orin Nano Super) are fitted together, each with its own peaks
and bandwidth, to one set of efficiencies and costs.

The work per thread at which a GEMM layer runs at half its efficiency (m0, archsel.estimation.engine.
small_layer_factor) is not searched by the fit's own loss: on rows made without any slowdown the loss still
chose the grid's largest m0 (it absorbed the ridge's pull), so `cross_validated_half_efficiency` chooses it by
cross-validation over the models (k folds; 0 included, and chosen where nothing beats it).

`leave_one_model_out` holds each model out in turn, fits on the others and predicts it: the error it
reports is what a user sees for a model the fit has never seen.

Cross-device prior (`cross_prior`): a runtime's kernels are the same code on every device of a kind, so the
prior of a (device, runtime) fit may be, per unknown, the geometric mean of the values fitted for that runtime
on the other devices of the same unit kind, for the unknowns those fits had data for (`informed`; any other
keeps its judgement value). `leave_one_model_out`'s `prior_for` gives the prior per held-out model, so that
the other devices' fits behind it can leave that model's rows out too (else its rows elsewhere leak into its
prediction).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from archsel import precisions
from archsel.estimation.engine import (
    MAX_WINOGRAD_EFFICIENCY,
    UNIT_DEFAULTS,
    Layer,
    layer_precision,
    on_chip_share,
    op_kind,
    reread_bytes,
    row_chained,
    runtime_class,
    small_layer_factor,
    spill_share,
    threads_share,
    used_threads,
)
from archsel.targets.schema import (
    ENGINE_EFFICIENCY_KEYS,
    ENGINE_LAYER_CLASSES,
    MAX_FUSED_TRAFFIC,
    MAX_ON_CHIP_BANDWIDTH,
    max_bandwidth_efficiency,
)

UNKNOWNS: tuple[str, ...] = (*ENGINE_EFFICIENCY_KEYS, "on_chip", "fused", "layer", "call")
PARALLEL_GRID: tuple[float, ...] = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
RATE_GRID: tuple[float, ...] = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0)  # factors of √2
# A CPU's integer kernels may outrun its fp32 peak far more (VNNI: 4 int8 MACs per fp32 lane; AMX tiles: 16x
# AVX-512 fp32 per core): its grid reaches 32x.
WIDE_RATE_GRID: tuple[float, ...] = (*RATE_GRID, 5.7, 8.0, 11.3, 16.0, 22.6, 32.0)
# Factors on the judgement prior of the fixed costs (per layer, per call): they differ by orders of magnitude
# between runtimes (a TensorRT layer a few µs, a Vulkan dispatch near 100 µs), which the ridge, relative to
# its prior, would not let the data reach from one prior.
FIXED = "fixed costs"
FIXED_GRID: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0, 30.0)
HALF_EFFICIENCY_GRID: tuple[float, ...] = (0.0, 1e5, 3e5, 1e6, 3e6, 1e7)  # MACs per thread; 0: no slowdown
HALF_EFFICIENCY_FOLDS = 4
SEARCH_ROUNDS = 2
# An NPU without a modelled capacity keeps activations in on-chip memory: all its traffic may run at up to
# 10x the DRAM bandwidth.
NPU_ON_CHIP = 1.0 / MAX_ON_CHIP_BANDWIDTH


@dataclass(frozen=True)
class Unit:
    """What the fit holds fixed about the device's compute unit."""

    kind: str  # cpu | gpu | npu
    peak_macs_per_s: Mapping[str, float]  # precision -> MAC/s (all cores), where a figure exists
    bandwidth_bytes_per_s: float
    cores: int = 1
    nominal_precision: str | None = None  # the precision whose peak is nominal (no published figure), if any
    on_chip_bytes: float = 0.0  # on-chip memory a layer's tensors are kept in (0: none modelled)
    name: str = ""  # the device, where rows of several are pooled
    matmul_row_tile: float = 0.0  # rows sharing one read of a matmul's weights (engine.reread_bytes; 0: none)
    grouped_conv_class: str | None = None  # the class the runtime runs grouped convolutions at (engine.runtime_class)
    linear_rows_chain: float = 0.0  # share of peak at most on matmuls of unpacked rows (engine.row_chained)
    fusion: str = "memory"  # what fuses into a layer (engine.FUSIONS): the rows' layers are compiled with it
    tf32_classes: frozenset[str] = frozenset()  # op classes whose fp32 layers run at the tf32 peak (if one)
    float_classes: frozenset[str] = frozenset()  # layer classes an integer row keeps in float (engine.layer_precision)
    float_precision: str = "fp32"  # the precision those layers compute in (the runtime's float_as)


@dataclass(frozen=True)
class Row:
    """One measured forward pass: the compiled layers, the conditions, and the measured seconds; `unit`:
    the device's own facts where rows of several devices are fitted together (else the fit's unit)."""

    model: str
    layers: tuple[Layer, ...]
    precision: str
    measured_s: float
    threads: int | None = None
    label: str = ""
    unit: Unit | None = None


@dataclass
class Fit:
    """Fitted parameters of one runtime on one device."""

    x: dict[str, float]  # inverse efficiencies, and seconds for "layer" and "call"
    parallel_efficiency: float = 1.0
    precision_rates: dict[str, float] = field(default_factory=dict)  # × the precision's peak (or the reference's)
    reference: str = "fp32"  # the precision whose peak stands in for one without a figure
    rows: int = 0
    on_chip: bool = False  # fitted with an on-chip capacity (x["on_chip"] is its inverse rate)
    half_efficiency_macs: float = 0.0  # engine.small_layer_factor's m0 (0: no slowdown)

    def efficiency(self) -> dict[str, float]:
        return {k: 1.0 / self.x[k] for k in ENGINE_EFFICIENCY_KEYS}

    @property
    def on_chip_bandwidth(self) -> float:
        """The engine's on_chip_bandwidth: the on-chip rate as a multiple of the memory bandwidth."""
        return 1.0 / self.x["on_chip"]

    @property
    def fused_traffic(self) -> float:
        """The engine's fused_traffic (the fit's unknown is it over the efficiency of the rate it runs at)."""
        return self.x["fused"] / self.x["on_chip" if self.on_chip else "bandwidth"]


def prior(unit: str) -> dict[str, float]:
    """The unknowns at the unit's judgement defaults."""
    d = UNIT_DEFAULTS[unit]
    return {**{k: 1.0 / d[k] for k in ENGINE_EFFICIENCY_KEYS}, "layer": d["layer_us"] * 1e-6,
            "call": d["call_us"] * 1e-6, "fused": d["fused_traffic"] / d["bandwidth"],
            "on_chip": 1.0 / d.get("on_chip_bandwidth", d["bandwidth"])}


def _peak(unit: Unit, fit: Fit, precision: str) -> float:
    """The precision's rate before class efficiencies: its peak (tf32: fp32's; none: the reference
    precision's) × the fitted share its kernels reach."""
    peaks = unit.peak_macs_per_s
    base = peaks.get(precision) or (peaks.get("fp32") if precision == "tf32" else None) or peaks.get(fit.reference)
    if not base:
        raise ValueError(f"no rate for precision {precision!r}")
    return base * fit.precision_rates.get(precision, 1.0)


def _tf32_peak(unit: Unit, fit: Fit, precision: str) -> float:
    """The rate fp32 layers of the unit's TF32 classes run at before class efficiencies (the tf32 peak × the
    share the fp32 kernels reach, as EngineRates.from_profile has it), 0 where they run at the fp32 rate."""
    if precision != "fp32" or not unit.tf32_classes:
        return 0.0
    return unit.peak_macs_per_s.get("tf32", 0.0) * fit.precision_rates.get("fp32", 1.0)


def features(row: Row, unit: Unit, fit: Fit) -> dict[str, float]:
    """Coefficients of each unknown in the row's latency under the bounds `fit.x` implies (on the row's own
    unit where it has one), and "const": seconds known without an unknown (layers at a compute ceiling)."""
    unit = row.unit or unit
    f = dict.fromkeys((*UNKNOWNS, "const"), 0.0)
    threads = row.threads or unit.cores
    share = threads_share(unit.kind, unit.cores, threads, fit.parallel_efficiency)
    used = used_threads(unit.kind, unit.cores, threads)
    capacity = unit.on_chip_bytes * on_chip_share(unit.kind, unit.cores, threads)
    tf32 = _tf32_peak(unit, fit, row.precision) * share
    for layer in row.layers:
        kind: str | None = runtime_class(layer, unit.grouped_conv_class)
        precision = layer_precision(row.precision, kind or "", unit.float_classes, unit.float_precision)
        scale = precisions.get(precision).bytes_scale
        kind = kind if kind in ENGINE_LAYER_CLASSES else None
        layer_rate = tf32 if tf32 and op_kind(layer.kind) in unit.tf32_classes else _peak(unit, fit, precision) * share
        compute = layer.work / layer_rate if layer.work and kind else 0.0
        compute *= small_layer_factor(kind or "", layer.work, used, fit.half_efficiency_macs)
        moved = layer.bytes + layer.streamed + reread_bytes(layer, unit.matmul_row_tile)
        memory = moved * scale / unit.bandwidth_bytes_per_s
        fused = layer.fused_bytes * scale / unit.bandwidth_bytes_per_s
        spill = spill_share(layer, scale, capacity)
        on_chip, dram = (memory * (1 - spill), memory * spill) if unit.on_chip_bytes > 0 else (0.0, memory)
        kept = on_chip * fit.x["on_chip"] if on_chip else 0.0
        cap = 1.0 / unit.linear_rows_chain if kind and row_chained(layer, unit.linear_rows_chain) else 0.0
        if kind and compute * max(fit.x[kind], cap) >= kept + dram * fit.x["bandwidth"]:
            if fit.x[kind] >= cap:
                f[kind] += compute
            else:  # at the ceiling: efficiency min(class's, ceiling), as the estimator has it
                f["const"] += compute * cap
        else:
            f["on_chip"] += on_chip
            f["bandwidth"] += dram
        f["fused"] += fused  # with on-chip memory: at its rate (x_fused = fused_traffic × x_on)
        f["layer"] += max(layer.steps, 1)
    f["call"] = 1.0
    return f


def predict(row: Row, unit: Unit, fit: Fit) -> float:
    """Seconds the fitted model gives for `row` (on its own unit where it has one)."""
    f = features(row, unit, fit)
    return sum(c * (fit.x[k] if k != "const" else 1.0) for k, c in f.items() if c)


def _solve(rows: Sequence[Row], unit: Unit, fit: Fit, start: Mapping[str, float], ridge: float,
           huber: float, symmetric: bool = False) -> dict[str, float]:
    import numpy as np

    from archsel.estimation.fit import nnls

    feats = [features(r, unit, fit) for r in rows]
    free = [k for k in UNKNOWNS if any(f[k] for f in feats)]
    a = np.array([[f[k] / r.measured_s for k in free] for f, r in zip(feats, rows, strict=True)])
    b = np.array([1.0 - f["const"] / r.measured_s for f, r in zip(feats, rows, strict=True)])
    reg_a = np.diag([math.sqrt(ridge) / start[k] for k in free])
    reg_b = np.full(len(free), math.sqrt(ridge))
    w = np.ones(len(b))
    prior = np.array([start[k] for k in free])
    v = np.ones(len(free))
    sol = prior
    for _ in range(4):
        sol = np.asarray(nnls(np.vstack([a * w[:, None], reg_a * v[:, None]]), np.concatenate([b * w, reg_b * v])))
        # `symmetric`: each row's error over the geometric mean of estimate and measurement, i.e. its error over
        # the measurement divided by √(estimate / measurement)
        scale = np.sqrt(np.maximum(a @ sol + 1.0 - b, 0.05)) if symmetric else np.ones(len(b))
        resid = np.abs(a @ sol - b) / scale
        w = np.sqrt(np.where(resid <= huber, 1.0, huber / np.maximum(resid, 1e-12))) / scale
        far = np.abs(sol / prior - 1.0)  # the pull towards the prior is robust too: data may move a class far
        v = np.sqrt(np.where(far <= 1.0, 1.0, 1.0 / np.maximum(far, 1e-12)))
    out = dict(fit.x)
    for k, value in zip(free, sol, strict=True):
        out[k] = max(float(value), floor(k, unit))
    # the profile holds fused_traffic within the schema's bound: the fit does too, so that it is the estimator
    out["fused"] = min(out["fused"], MAX_FUSED_TRAFFIC * out["on_chip" if fit.on_chip else "bandwidth"])
    return out


def floor(unknown: str, unit: Unit) -> float:
    """The smallest value an unknown may take: no class beats its peak (Winograd convs: 4x fewer
    multiplications), no traffic beats the memory bandwidth (on-chip memory: 10x; an NPU without a modelled
    capacity: all its traffic), costs ≥ 0."""
    if unknown in ("layer", "call", "fused"):
        return 0.0
    if unknown == "on_chip":
        return NPU_ON_CHIP
    if unknown == "bandwidth":
        return 1.0 / max_bandwidth_efficiency(unit.kind, unit.on_chip_bytes > 0)
    return 1.0 / MAX_WINOGRAD_EFFICIENCY if unknown == "conv3x3" else 1.0


def fit_rows(rows: Sequence[Row], unit: Unit, start: Mapping[str, float], *, ridge: float = 0.05,
             huber: float = 0.25, rounds: int = 8, parallel_efficiency: float = 1.0,
             precision_rates: Mapping[str, float] | None = None, reference: str = "fp32",
             symmetric: bool = False, half_efficiency_macs: float = 0.0) -> Fit:
    """Fit the unknowns for fixed non-linear scalars (see the module docstring)."""
    fit = Fit(dict(start), parallel_efficiency, dict(precision_rates or {}), reference, len(rows),
              any((r.unit or unit).on_chip_bytes > 0 for r in rows), half_efficiency_macs)
    for _ in range(rounds):
        new = _solve(rows, unit, fit, start, ridge, huber, symmetric)
        settled = all(abs(new[k] - fit.x[k]) <= 1e-4 * max(fit.x[k], 1e-12) for k in UNKNOWNS)
        fit.x = new
        if settled:
            break
    return fit


def _loss(rows: Sequence[Row], unit: Unit, fit: Fit) -> float:
    """Mean absolute log error, each row's capped at 1 (robust to a row the model cannot explain)."""
    return sum(min(abs(math.log(predict(r, unit, fit) / r.measured_s)), 1.0) for r in rows) / max(len(rows), 1)


def unrated(rows: Sequence[Row], unit: Unit) -> list[str]:
    """Precisions of `rows` their unit has no peak figure for (their rate relative to the reference is fitted)."""
    out: set[str] = set()
    for r in rows:
        peaks = (r.unit or unit).peak_macs_per_s
        if r.precision not in peaks and not (r.precision == "tf32" and "fp32" in peaks):
            out.add(r.precision)
    return sorted(out)


def reference_precision(rows: Sequence[Row], unit: Unit) -> str:
    """The most measured precision with a peak figure on every row's unit (its share of peak is carried by
    the efficiencies)."""
    rated = set(unit.peak_macs_per_s).intersection(*((r.unit or unit).peak_macs_per_s for r in rows))
    counts = {p: sum(r.precision == p for r in rows) for p in rated}
    return max(counts, key=lambda p: (counts[p], p == "fp32")) if counts else "fp32"


def rated_grid(rows: Sequence[Row], unit: Unit, precision: str, rate_grid: Sequence[float]) -> Sequence[float]:
    """The shares of peak searched for `precision`: at most 1 where every row's unit has a published peak for it
    (no kernel beats its precision's datasheet rate), the whole grid where its rate is relative to the reference
    precision's peak (or the peak is nominal)."""
    rated = all(precision in (r.unit or unit).peak_macs_per_s and precision != (r.unit or unit).nominal_precision
                for r in rows)
    return [v for v in rate_grid if v <= 1.0] if rated else rate_grid


def fit_runtime(rows: Sequence[Row], unit: Unit, start: Mapping[str, float], *, ridge: float = 0.05,
                huber: float = 0.25, rate_grid: Sequence[float] = RATE_GRID, symmetric: bool = False,
                half_efficiency_macs: float = 0.0) -> Fit:
    """The fit whose non-linear scalars (see the module docstring) give the smallest loss; `rate_grid`: the
    shares of the reference precision's peak searched for a precision without a peak of its own; `symmetric`:
    rows' errors over the geometric mean of estimate and measurement (see the module docstring);
    `half_efficiency_macs`: the small-layer slowdown's m0, held fixed (cross_validated_half_efficiency)."""
    reference = reference_precision(rows, unit)
    used = {min(r.threads or (r.unit or unit).cores, (r.unit or unit).cores) for r in rows}
    threaded = unit.kind == "cpu" and len(used) > 1 and max(used) > 1  # one- and multi-thread rows to tell apart
    grids: dict[str, Sequence[float]] = {FIXED: FIXED_GRID}
    if threaded:
        grids["parallel"] = PARALLEL_GRID
    grids.update({p: rated_grid(rows, unit, p, rate_grid) for p in sorted({r.precision for r in rows})
                  if p != reference})
    scalars = {"parallel": 0.8 if threaded else 1.0, **dict.fromkeys(grids.keys() - {"parallel"}, 1.0)}

    def fitted(values: Mapping[str, float]) -> Fit:
        rates = {p: v for p, v in values.items() if p not in ("parallel", FIXED)}
        prior = {**start, "layer": start["layer"] * values[FIXED], "call": start["call"] * values[FIXED]}
        return fit_rows(rows, unit, prior, ridge=ridge, huber=huber, parallel_efficiency=values["parallel"],
                        precision_rates=rates, reference=reference, symmetric=symmetric,
                        half_efficiency_macs=half_efficiency_macs)

    best = fitted(scalars)
    best_loss = _loss(rows, unit, best)
    for _ in range(SEARCH_ROUNDS if grids else 0):
        for name, grid in grids.items():
            for value in grid:
                trial = {**scalars, name: value}
                fit = fitted(trial)
                loss = _loss(rows, unit, fit)
                if loss < best_loss - 1e-12:
                    best, best_loss, scalars = fit, loss, trial
    return best


@dataclass(frozen=True)
class Held:
    """A row predicted by a fit that never saw its model."""

    row: Row
    predicted_s: float

    @property
    def ratio(self) -> float:
        """measured / estimated."""
        return self.row.measured_s / self.predicted_s


def informed(rows: Sequence[Row], unit: Unit, fit: Fit) -> set[str]:
    """The unknowns `rows` have data for under `fit` (a non-zero coefficient in some row)."""
    feats = [features(r, unit, fit) for r in rows]
    return {k for k in UNKNOWNS if any(f[k] for f in feats)}


def cross_prior(judgement: Mapping[str, float], others: Sequence[tuple[Mapping[str, float], set[str]]],
                keys: Sequence[str] = UNKNOWNS) -> dict[str, float]:
    """The prior from other devices' fits of the same runtime on the same unit kind: per unknown of `keys`,
    the geometric mean of the fitted values of the fits that had data for it (`others`: fitted x and
    `informed` set each); the judgement value where none had."""
    out = dict(judgement)
    for k in keys:
        values = [x[k] for x, known in others if k in known and x[k] > 0]
        if values:
            out[k] = math.exp(sum(math.log(v) for v in values) / len(values))
    return out


def leave_one_model_out(rows: Sequence[Row], unit: Unit, start: Mapping[str, float], *, ridge: float = 0.05,
                        huber: float = 0.25, prior_for: Callable[[str], Mapping[str, float]] | None = None,
                        rate_grid: Sequence[float] = RATE_GRID,
                        adjust: Callable[[Fit, Sequence[Row]], Fit] | None = None,
                        symmetric: bool = False, half_efficiency_macs: float = 0.0) -> list[Held]:
    """Each model held out in turn: fit on the others' rows, predict its rows (`prior_for`: the prior when
    that model is held out, where it depends on it; else `start`; `adjust(fit, training rows)`: what the
    caller does to its final fit, done to each fold's too; `half_efficiency_macs`: fit_runtime's)."""
    out: list[Held] = []
    for model in sorted({r.model for r in rows}):
        train = [r for r in rows if r.model != model]
        test = [r for r in rows if r.model == model]
        if not train:
            continue
        fit = fit_runtime(train, unit, prior_for(model) if prior_for else start, ridge=ridge, huber=huber,
                          rate_grid=rate_grid, symmetric=symmetric, half_efficiency_macs=half_efficiency_macs)
        if adjust is not None:
            fit = adjust(fit, train)
        usable = [r for r in test if r.precision in fit.precision_rates or r.precision == fit.reference
                  or not unrated([r], unit)]
        out += [Held(r, predict(r, unit, fit)) for r in usable]
    return out


def cross_validated_half_efficiency(rows: Sequence[Row], unit: Unit, start: Mapping[str, float], *,
                                    folds: int = HALF_EFFICIENCY_FOLDS,
                                    grid: Sequence[float] = HALF_EFFICIENCY_GRID,
                                    rate_grid: Sequence[float] = RATE_GRID,
                                    adjust: Callable[[Fit, Sequence[Row]], Fit] | None = None) -> float:
    """The small-layer slowdown's m0 (engine.small_layer_factor) of `grid` whose fits predict models they
    did not see best: the models (sorted) dealt into `folds` folds, each fold's rows predicted by a fit to the
    others (`adjust` as leave_one_model_out has it), scored by the mean absolute log error (each row's
    capped at 1); the first best of the grid (0: no slowdown). 0 with fewer than 2 × folds models."""
    models = sorted({r.model for r in rows})
    if len(models) < 2 * folds or not grid:
        return 0.0
    fold_of = {m: i % folds for i, m in enumerate(models)}
    best, best_score = grid[0], math.inf
    for m0 in grid:
        total = 0.0
        for k in range(folds):
            train = [r for r in rows if fold_of[r.model] != k]
            test = [r for r in rows if fold_of[r.model] == k]
            fit = fit_runtime(train, unit, start, rate_grid=rate_grid, half_efficiency_macs=m0)
            if adjust is not None:
                fit = adjust(fit, train)
            total += _loss(test, unit, fit) * len(test)  # _loss: the mean; the folds weighted by their rows
        score = total / len(rows)
        if score < best_score - 1e-12:
            best, best_score = m0, score
    return best


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman rank correlation (average ranks for ties); None for fewer than 3 pairs or no spread."""
    if len(xs) < 3:
        return None

    def ranks(values: Sequence[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2 + 1
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (vx * vy) if vx and vy else None



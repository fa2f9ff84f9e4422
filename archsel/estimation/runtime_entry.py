"""A fitted compiled runtime written into a profile's YAML (`runtimes:` entry), and the summary of its
leave-one-model-out error: one writer for benchmarks/published_fit.py (published rows) and `archsel
calibrate --runtime` (rows measured here).

The entry's lines are written by hand, not through a YAML dumper, so that the profiles under profiles/ keep
their compact flow style; `set_top_level` replaces one top-level entry of a profile's text.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from archsel.estimation import engine_fit as ef
from archsel.estimation.accuracy import error_summary
from archsel.targets.schema import MAX_ON_CHIP_BANDWIDTH, RUNTIME_FACTS

if TYPE_CHECKING:
    from archsel.targets.runtimes import RuntimeSpec

NOMINAL_TFLOPS = 50.0  # fp16 peak of an NPU without a published figure: above any phone NPU's
ACCURACY_KEYS = ("n", "models", "median_abs_pct", "within_10", "within_25", "ratio_q10", "ratio_q90", "spearman")


def flow(d: Mapping[str, Any]) -> str:
    """A flow mapping as the profiles write it: {a: 1, b: 2}."""
    return "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"


def g(value: float) -> str:
    """A fitted figure to 3 significant digits."""
    return f"{value:.3g}"


def figure_text(figure: Mapping[str, Any]) -> str:
    """A sourced figure as the profiles write it: {value: 8, source: [a, b], derivation: "..."} (or classes:
    [...] in place of the value)."""
    source = figure["source"]
    if "classes" in figure:
        head = f"classes: [{', '.join(figure['classes'])}]"
    else:
        value = figure["value"]
        head = f"value: {value if isinstance(value, str) else g(float(value))}"
    parts = [head, f"source: {source if isinstance(source, str) else '[' + ', '.join(source) + ']'}"]
    if figure.get("derivation"):
        parts.append(f"derivation: {json.dumps(figure['derivation'], ensure_ascii=False)}")
    return "{" + ", ".join(parts) + "}"


def fact_lines(spec: RuntimeSpec | None, fit: ef.Fit | None = None,
               facts: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """The runtime's sourced facts (RUNTIME_FACTS), kept as the profile wrote them, and `facts` (figures
    found by the fitting tool itself); the on-chip capacity only with a fit that used it, followed by its
    fitted rate."""
    out = []
    known = {**(spec.facts if spec is not None else {}), **(facts or {})}
    for key in RUNTIME_FACTS:
        figure = known.get(key)
        if not figure:
            continue
        if key == "on_chip_mb":
            if fit is None or not fit.on_chip:
                continue
            out.append(f"    on_chip_mb: {figure_text(figure)}")
            out.append(f"    on_chip_bandwidth: {g(min(fit.on_chip_bandwidth, MAX_ON_CHIP_BANDWIDTH))}")
            continue
        out.append(f"    {key}: {figure_text(figure)}")
    return out


def fitted_lines(fit: ef.Fit, unit: ef.Unit, precs: Sequence[str], spec: RuntimeSpec | None, source: str,
                 *, tool: str = "benchmarks/published_fit.py", accuracy: Mapping[str, Any] | None = None,
                 facts: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """The body of a fitted runtime's entry (after its name, `default` and `unit` lines): precisions, the
    rates of precisions beyond the reference one (a nominal NPU's fitted peaks), efficiencies, the spec's
    facts (and `facts`, figures the tool found itself), fixed costs, a CPU's cores and parallel efficiency,
    `accuracy` (the fit's own leave-one-model-out error, written by calibrations) and `source` (folded).
    `tool` names what fitted a fitted peak."""
    out = [f"    precisions: [{', '.join(precs)}]"]
    if unit.kind == "npu" and "fp32" not in precs and "fp16" in precs:
        out.append("    float_as: fp16")
    peaks = {p: v * 2 / 1e12 for p, v in unit.peak_macs_per_s.items()}  # TFLOPS
    if unit.nominal_precision:
        out.append("    peak_tflops:")
        for p in precs:
            value = peaks[fit.reference] * fit.precision_rates.get(p, 1.0) if p not in peaks else peaks[p]
            what = (f"nominal {NOMINAL_TFLOPS:g}: no published figure for this unit, efficiencies are "
                    "relative to it" if p == fit.reference else
                    f"{fit.precision_rates.get(p, 1.0):g} x the nominal {fit.reference} rate, fitted")
            out.append(f"      {p}: {{value: {g(value)}, fitted: \"{what} ({tool})\"}}")
    else:
        rates = {}
        for p in precs:
            m = fit.precision_rates.get(p, 1.0)
            unrated = p not in peaks and p != "tf32"
            if unrated:  # relative to the fp32 peak in the profile
                m *= peaks[fit.reference] / peaks["fp32"]
            if abs(m - 1.0) > 1e-9 or unrated:  # a precision without a peak needs its rate, 1 included
                rates[p] = g(m)
        if rates:
            out.append(f"    precision_rates: {flow(rates)}")
    eff = {k: min(v, 1.0 / ef.floor(k, unit)) for k, v in fit.efficiency().items()}  # the fit's own bounds
    out.append(f"    efficiency: {flow({k: g(v) for k, v in eff.items()})}")
    out += fact_lines(spec, fit, facts)
    out.append(f"    fused_traffic: {g(fit.fused_traffic)}")
    out.append(f"    layer_us: {g(fit.x['layer'] * 1e6)}")
    out.append(f"    call_us: {g(fit.x['call'] * 1e6)}")
    if fit.half_efficiency_macs > 0:
        out.append(f"    half_efficiency_macs: {round(fit.half_efficiency_macs)}")  # YAML reads 3e+06 as a string
    if unit.kind == "cpu" and unit.cores > 1:
        out.append(f"    cores: {unit.cores}")
        out.append(f"    parallel_efficiency: {g(fit.parallel_efficiency)}")
    if accuracy is not None:
        out.append(f"    accuracy: {json.dumps(dict(accuracy), ensure_ascii=False)}")
    out.append(f"    source: >-\n      {source}")
    return out


def set_top_level(text: str, key: str, block: str) -> str:
    """`text` (a profile's YAML) with the top-level entry `key` (its line and indented continuation) replaced
    by `block`, or `block` appended at the end when there is none."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith(f"{key}:")), None)
    if start is None:
        return text + ("" if text.endswith("\n") else "\n") + block
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    return "".join(lines[:start]) + block + "".join(lines[end:])


def points_summary(points: Sequence[tuple[str, Hashable, float, float]]) -> dict[str, Any]:
    """error_summary of held-out (model, comparable set, estimated, measured) points (measured / estimated),
    with the models held out and their rank correlation within each set (grouped_spearman)."""
    out: dict[str, Any] = dict(error_summary([measured / estimated for _, _, estimated, measured in points]))
    out["models"] = len({model for model, _, _, _ in points})
    out["spearman"] = grouped_spearman((group, estimated, measured) for _, group, estimated, measured in points)
    return out


def held_summary(held: Sequence[ef.Held]) -> dict[str, Any]:
    """points_summary of held-out predictions, compared within each runtime, precision, batch and thread count."""
    return points_summary([(h.row.model, (h.row.label, h.row.precision, h.row.threads), h.predicted_s,
                            h.row.measured_s) for h in held])


def grouped_spearman(points: Iterable[tuple[Hashable, float, float]]) -> float | None:
    """Spearman of (group, estimated, measured) points within each group of at least 3, averaged weighted by
    group size; None where no group has 3."""
    groups: dict[Hashable, list[tuple[float, float]]] = defaultdict(list)
    for group, estimated, measured in points:
        groups[group].append((estimated, measured))
    total, weight = 0.0, 0
    for members in groups.values():
        rho = ef.spearman([e for e, _ in members], [m for _, m in members])
        if rho is not None:
            total += rho * len(members)
            weight += len(members)
    return total / weight if weight else None

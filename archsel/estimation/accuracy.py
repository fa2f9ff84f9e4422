"""The estimator's measured accuracy (written by benchmarks/estimate_accuracy.py), and the band it implies.

`accuracy.json` next to this module holds, per method ("calibrated": efficiencies fitted on the device;
"defaults": published per-class defaults, not fitted), the signed errors measured on held-out zoo models
(measured / estimated - 1), summarised per device and batch and pooled. An estimate's band is the pooled
10th to 90th percentile of that ratio: on the benchmark, 80% of held-out models fell inside it.
Nothing here is invented: without the file an estimate has no band (low = high = the point estimate).

`runtime_accuracy.json` holds the same for compiled runtimes, per (device, runtime): the leave-one-model-out
error of the runtime model against published measurements on that device (benchmarks/published_fit.py),
and the rank correlation of the estimated and measured latencies; and, per compute unit, the error of
the unit's judgement defaults against every published row on such a unit (what a runtime without data runs
on, and the band it gets). A calibrated profile's runtime carries its own (`accuracy` in its entry: the
leave-one-model-out error of `archsel calibrate --runtime`'s fit to latencies measured on the device).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archsel.targets.runtimes import RuntimeSpec

ACCURACY_FILE = Path(__file__).with_name("accuracy.json")
RUNTIME_ACCURACY_FILE = Path(__file__).with_name("runtime_accuracy.json")
BAND_QUANTILES = (10, 90)


@dataclass(frozen=True)
class MethodAccuracy:
    """Held-out error of one estimation method, pooled over the devices benchmarked."""

    method: str
    models: int  # held-out (model, batch, device) cases
    median_abs_pct: float
    within_10: float  # share of cases
    within_25: float
    ratio_low: float  # measured / estimated at the 10th percentile
    ratio_high: float  # ... at the 90th percentile
    devices: tuple[str, ...]
    date: str

    def note(self) -> str:
        return (f"{self.method} method, held-out median |error| {self.median_abs_pct:.0f}%, "
                f"{self.within_25:.0%} within ±25%, {self.within_10:.0%} within ±10% over {self.models} cases on "
                f"{'; '.join(self.devices)} (benchmarks/estimate_accuracy.py, {self.date}); band = 10th–90th "
                f"percentile of measured/estimated")


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def method_accuracy(method: str, path: Path = ACCURACY_FILE) -> MethodAccuracy | None:
    """The measured accuracy of `method` ("calibrated" or "defaults"), or None when never measured."""
    data = _load(str(path))
    entry = (data.get("methods") or {}).get(method)
    if not isinstance(entry, dict) or "pooled" not in entry:
        return None
    p = entry["pooled"]
    return MethodAccuracy(
        method=method, models=int(p["n"]), median_abs_pct=float(p["median_abs_pct"]),
        within_10=float(p["within_10"]), within_25=float(p["within_25"]),
        ratio_low=float(p["ratio_q10"]), ratio_high=float(p["ratio_q90"]),
        devices=tuple(str(d) for d in entry.get("devices", [])), date=str(data.get("date", "?")),
    )


@dataclass(frozen=True)
class RuntimeAccuracy:
    """Leave-one-model-out error of one runtime's model on one device against published measurements."""

    target: str
    runtime: str
    rows: int
    models: int
    median_abs_pct: float
    within_25: float
    ratio_low: float
    ratio_high: float
    spearman: float | None
    date: str
    judgement_unit: str | None = None  # set: the error of the unit's judgement defaults, not of a fit
    measured_by: str | None = None  # set: a calibration's own fit to latencies measured there (this tool)

    def note(self) -> str:
        rank = f", rank correlation {self.spearman:.2f}" if self.spearman is not None else ""
        if self.judgement_unit is not None:
            head = (f"{self.runtime} on {self.target} runs on archsel's judgement defaults for a "
                    f"{self.judgement_unit} (no published measurements of it here); those defaults, against "
                    f"{self.rows} published {self.judgement_unit} measurements of {self.models} models elsewhere: "
                    f"median |error| {self.median_abs_pct:.0f}%, {self.within_25:.0%} within ±25%")
        elif self.measured_by is not None:
            return (f"{self.runtime} on {self.target}: leave-one-model-out median |error| "
                    f"{self.median_abs_pct:.0f}%, {self.within_25:.0%} within ±25% over {self.rows} latencies of "
                    f"{self.models} models measured on the device{rank} ({self.measured_by}, {self.date}); "
                    f"band = 10th–90th percentile of measured/estimated")
        else:
            head = (f"{self.runtime} on {self.target}: leave-one-model-out median |error| "
                    f"{self.median_abs_pct:.0f}%, {self.within_25:.0%} within ±25% over {self.rows} published "
                    f"measurements of {self.models} models{rank}")
        return (f"{head} (benchmarks/published_fit.py, {self.date}); band = 10th–90th percentile of "
                f"published/estimated")


def runtime_accuracy(target: str, runtime: str, path: Path = RUNTIME_ACCURACY_FILE) -> RuntimeAccuracy | None:
    """The measured accuracy of `runtime`'s fit on `target`, or None when no published rows were held against it."""
    data = _load(str(path))
    return _runtime_accuracy(data, (data.get("runtimes") or {}).get(f"{target}/{runtime}"), target, runtime, None)


def spec_accuracy(target: str, spec: RuntimeSpec) -> RuntimeAccuracy | None:
    """The accuracy of a runtime's estimates on `target`: the error its profile entry carries (a calibration's
    fit to latencies measured on the device), else the published fit's (runtime_accuracy) for a fitted
    runtime, else its unit's judgement defaults' (judgement_accuracy); eager PyTorch: the published fit's."""
    own = spec.accuracy
    if isinstance(own, dict):
        return _runtime_accuracy({"date": own.get("date", "?")}, own, target, spec.name, None,
                                 measured_by=str(own.get("measured_by") or "archsel calibrate"))
    if spec.eager or spec.fitted:
        return runtime_accuracy(target, spec.name)
    return judgement_accuracy(target, spec.name, spec.unit)


def graph_cost_accuracy(target: str, spec: RuntimeSpec) -> RuntimeAccuracy | None:
    """The accuracy of the estimates a runtime's graph cost model makes (spec.graph_cost): its own held-out
    error, as spec_accuracy reads an entry's."""
    from dataclasses import replace

    return spec_accuracy(target, replace(spec, accuracy=(spec.graph_cost or {}).get("accuracy")))


def judgement_accuracy(target: str, runtime: str, unit: str,
                       path: Path = RUNTIME_ACCURACY_FILE) -> RuntimeAccuracy | None:
    """How far a `unit`'s judgement defaults (what an unfitted runtime runs on) were from every published
    measurement on such a unit, or None when never held against any."""
    data = _load(str(path))
    return _runtime_accuracy(data, (data.get("judgement") or {}).get(unit), target, runtime, unit)


def _runtime_accuracy(data: dict[str, Any], entry: Any, target: str, runtime: str,
                      judgement_unit: str | None, measured_by: str | None = None) -> RuntimeAccuracy | None:
    if not isinstance(entry, dict):
        return None
    return RuntimeAccuracy(
        target=target, runtime=runtime, rows=int(entry["n"]), models=int(entry.get("models") or entry["n"]),
        median_abs_pct=float(entry["median_abs_pct"]), within_25=float(entry["within_25"]),
        ratio_low=float(entry["ratio_q10"]), ratio_high=float(entry["ratio_q90"]),
        spearman=None if entry.get("spearman") is None else float(entry["spearman"]), date=str(data.get("date", "?")),
        judgement_unit=judgement_unit, measured_by=measured_by,
    )


def error_summary(ratios: list[float]) -> dict[str, float]:
    """Median |error| (%), shares within ±10% / ±25%, and the band quantiles of measured/estimated ratios."""
    import numpy as np

    r = np.asarray(ratios, dtype=float)
    err = np.abs(r - 1.0)
    return {
        "n": int(r.size),
        "median_abs_pct": float(np.median(err) * 100) if r.size else float("nan"),
        "within_10": float(np.mean(err <= 0.10 + 1e-9)) if r.size else float("nan"),
        "within_25": float(np.mean(err <= 0.25 + 1e-9)) if r.size else float("nan"),
        "ratio_q10": float(np.percentile(r, BAND_QUANTILES[0])) if r.size else float("nan"),
        "ratio_q90": float(np.percentile(r, BAND_QUANTILES[1])) if r.size else float("nan"),
    }

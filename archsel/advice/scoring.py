"""The advice score: rule score, published quality and cost combined per `--objective` (documented formula).

Terms, each in [0, 1]:
  R (rule)    = (rule score − lowest) / (highest − lowest) over the task's rule candidates (1 when all equal).
  Q (quality) = published value / best value of the same metric and data set among the task's candidates
                (best / value for lower-is-better metrics: WER, MAE, ... are never divided like accuracy).
                A candidate without a published figure has quality "unknown" and earns no quality credit
                (Q counts 0 with its weight kept) while some candidate of the same ranking has a published
                figure: an unproven model is not ranked as if its quality were the best (the rule score is not
                dressed up as a quality either). When no candidate has one, Q is left out for all and the
                weights renormalised.
  L (latency) = fastest latency among the feasible candidates / this candidate's latency (1 = fastest).
                Without a target there is no latency: L is left out and the weights are renormalised.
score = wR·R + wQ·Q + wL·L over the terms a candidate has, weights by objective (WEIGHTS) renormalised over
them, rounded to 1e-6; ties: rule score, then id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WEIGHTS: dict[str, dict[str, float]] = {
    "balanced": {"rule": 0.4, "quality": 0.3, "latency": 0.3},
    "latency": {"rule": 0.2, "quality": 0.2, "latency": 0.6},
    "accuracy": {"rule": 0.2, "quality": 0.6, "latency": 0.2},
}
LOWER_IS_BETTER = ("wer", "cer", "error", "perplexity", "ppl", "loss", "logloss", "mae", "mse", "rmse",
                   "mape", "smape", "mase", "crps", "bpc", "bpb")
UNKNOWN = "unknown"  # no published figure: no quality term
PUBLISHED = "published"

FORMULA = (
    "score = wR·R + wQ·Q + wL·L with R = rule score min-max normalised over the task's candidates, "
    "Q = published quality / best of the same metric and data set (no published figure: quality unknown, Q "
    "counts 0 while another candidate has a published figure, else Q is left out for all), L = fastest "
    "feasible latency / this latency; weights (R, Q, L): "
    + "; ".join(f"{name} {w['rule']:g}/{w['quality']:g}/{w['latency']:g}" for name, w in WEIGHTS.items())
    + "; a term left out (Q where no candidate has one, latency without a target) has its weight renormalised "
      "over the others; ties by rule score, then id"
)


@dataclass(frozen=True)
class QualityTerm:
    """A candidate's normalised quality and where it came from."""

    value: float | None  # None: unknown
    source: str  # PUBLISHED | UNKNOWN
    metric: str | None = None
    dataset: str | None = None
    raw: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"normalised": None if self.value is None else round(self.value, 6), "source": self.source,
                "metric": self.metric,
                "dataset": self.dataset, "value": self.raw}


def rule_terms(scores: Mapping[str, float]) -> dict[str, float]:
    """Min-max normalised rule scores (1.0 for everyone when they are all equal)."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    return {k: 1.0 if hi - lo < 1e-12 else (v - lo) / (hi - lo) for k, v in scores.items()}


def _lower_is_better(metric: str) -> bool:
    """Whether a smaller figure is better, from the metric's words ("WER %", "top-1 error"; not "answer
    accuracy", whose letters hold "wer")."""
    return any(word in LOWER_IS_BETTER for word in re.split(r"[^a-z0-9]+", metric.lower()))


def quality_terms(published: Mapping[str, dict[str, Any] | None]) -> dict[str, QualityTerm]:
    """Q per candidate from its published figure ({metric, value, dataset}); unknown without one."""
    groups: dict[tuple[str, str], list[float]] = {}
    for q in published.values():
        if q and isinstance(q.get("value"), int | float) and q["value"] > 0:
            groups.setdefault((q["metric"], q["dataset"]), []).append(float(q["value"]))
    out: dict[str, QualityTerm] = {}
    for cid, q in published.items():
        if q and isinstance(q.get("value"), int | float) and q["value"] > 0:
            values = groups[(q["metric"], q["dataset"])]
            v = float(q["value"])
            norm = min(values) / v if _lower_is_better(q["metric"]) else v / max(values)
            out[cid] = QualityTerm(norm, PUBLISHED, q["metric"], q["dataset"], v)
        else:
            out[cid] = QualityTerm(None, UNKNOWN)
    return out


def latency_terms(latencies: Mapping[str, float]) -> dict[str, float]:
    """Fastest / own latency over the given candidates."""
    positive = [v for v in latencies.values() if v > 0]
    if not positive:
        return dict.fromkeys(latencies, 1.0)
    fastest = min(positive)
    return {k: fastest / v if v > 0 else 1.0 for k, v in latencies.items()}


def combine(objective: str, r: float, q: float | None, lat: float | None,
            quality_compared: bool = False) -> tuple[float, dict[str, float]]:
    """(score, weights used) for one candidate. q None is quality unknown: it counts 0 when
    `quality_compared` (another candidate of the ranking has a published figure), else it is left out; lat
    None (no latency) is left out; the weights of the terms kept are renormalised to sum to 1."""
    terms = {"rule": r, "quality": 0.0 if q is None and quality_compared else q, "latency": lat}
    w = {k: v for k, v in WEIGHTS[objective].items() if terms[k] is not None}
    total = sum(w.values())
    w = {k: v / total for k, v in w.items()}
    score = sum(w[k] * float(terms[k] or 0.0) for k in w)
    return round(score, 6), {k: round(v, 6) for k, v in w.items()}


def order_key(score: float, rule_score: float, cid: str) -> tuple[float, float, str]:
    """Sort key: score descending, then rule score descending, then id."""
    return (-score, -rule_score, cid)


def rank_ids(items: Sequence[tuple[str, float, float]]) -> list[str]:
    """Ids of (id, score, rule score) triples in rank order."""
    return [cid for cid, s, r in sorted(items, key=lambda t: order_key(t[1], t[2], t[0]))]

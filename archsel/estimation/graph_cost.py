"""Latency of the graph a runtime runs, node by node (issue 17; numpy only).

The trace-based estimator (archsel.estimation.engine) cannot see what a runtime does to a quantized graph:
which Q/DQ groups ONNX Runtime fuses into integer kernels, which ops stay float between a DequantizeLinear and a
QuantizeLinear, that an LSTM runs as a dynamic int8 kernel. This model reads the graph the runtime really runs
(archsel.profiling.deploy.ort_graph) and charges each node linear terms: seconds per MAC of its compute class
(integer or float; dense, depthwise or 3-D convolution, matmul, recurrent) with a √MAC small-layer term, per
output element of a convolution, per byte of (de)quantization, of integer elementwise ops and of the other ops,
per node, per recurrent step and per call (each for each thread beyond the first as well), and per byte of
recurrent weights re-read at every step, on chip or from DRAM. The seconds are fitted by non-negative least
squares on relative error with Huber weights to measured reference models: the float precision first, then the
integer graphs with the float nodes' terms held at their float values (a float node costs the same in either).
The parallel efficiency beyond one thread is chosen on the references' own loss.

Held out on the zoo under ONNX Runtime int8 (benchmarks/runtime_graph_cost.py): median |error| 14.1%, 72% within
±25%, where the trace-based estimate gave 29.9% and 40%; each reference held out of a calibration on a 2-vCPU
AMD EPYC: 33.8% / 38% against 50.7% / 29% (benchmarks/results_calibrate_onnxruntime_epyc.md).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archsel.profiling.deploy.graph_node import GraphNode

PARALLEL_GRID: tuple[float, ...] = (0.6, 0.7, 0.8, 0.9, 1.0)
HUBER = 0.25  # relative residual beyond which a row's weight falls (one badly modelled reference cannot drag all)
RIDGE = 1e-4  # a faint pull to 0 on each scaled term: terms no row informs stay at 0

# The terms in the order they were added to the model (benchmarks/runtime_graph_cost.py scores each step).
STEPS: tuple[tuple[str, str], ...] = (
    ("base", "s/MAC per class (dense conv, depthwise conv, matmul, recurrent) with a small-layer √MAC term for "
             "conv and matmul; s/byte of QuantizeLinear/DequantizeLinear, of quantized elementwise ops and of "
             "the other ops; s per node, per recurrent step and per call"),
    ("conv3d", "3-D convolutions a class of their own"),
    ("threads", "s per node and per recurrent step for each thread beyond the first"),
    ("outputs", "s per output element of a convolution (requantization / accumulator write-back)"),
    ("recurrent weights", "s/byte of recurrent weights re-read at every step, on-chip (one direction's weights "
                          "fit the threads' share of the L2) or from DRAM"),
)
ALL_STEPS = len(STEPS)


def node_class(node: GraphNode) -> str | None:
    """The compute class of a node: q… for an integer kernel, f… for a float one; None for no MACs."""
    if node.role not in ("int8", "float") or not (node.macs or node.kind == "recurrent"):
        return None
    prefix = "q" if node.role == "int8" else "f"
    if node.kind == "recurrent":
        return prefix + "recurrent"
    if node.kind == "depthwise_conv":
        return prefix + "depthwise"
    if node.kind == "conv":
        return prefix + ("conv3d" if node.rank == 3 else "conv")
    return prefix + "matmul"


def node_terms(node: GraphNode, precision: str, threads: int, parallel: float, on_chip_bytes: float,
               in_force: int = ALL_STEPS) -> dict[str, float]:
    """The coefficients of one node's latency in each term, run on `threads` at `parallel` efficiency beyond
    the first, with `on_chip_bytes` of cache for them (`in_force`: how many of STEPS apply)."""
    share = 1 + parallel * (threads - 1)
    extra = threads - 1
    p = precision  # per-node and per-thread costs are each precision's own
    t: dict[str, float] = {}
    cls = node_class(node)
    if cls is not None:
        if cls.endswith("conv3d") and in_force < 2:
            cls = cls[:-2]
        t[cls] = node.macs / share
        if cls.endswith(("conv", "matmul")):
            t[cls + " sqrt"] = math.sqrt(node.macs / share)
        if cls.endswith(("conv", "conv3d", "depthwise")) and in_force >= 4:
            t[cls[0] + " conv outputs"] = node.out_elements / share
        if cls.endswith("recurrent"):
            t["steps"] = node.steps
            if in_force >= 3:
                t[p + " steps x threads"] = node.steps * extra
            if in_force >= 5:
                where = "on chip" if node.state_bytes <= on_chip_bytes else "DRAM"
                t[f"recurrent weights {where}"] = node.steps * node.state_bytes / share
    elif node.role == "qdq":
        t["q/dq bytes"] = (node.in_bytes + node.out_bytes) / share
    elif node.role == "int8 elementwise":
        t["quantized elementwise bytes"] = (node.in_bytes + node.out_bytes) / share
    else:
        t["other bytes"] = (node.in_bytes + node.out_bytes) / share
    t[p + " nodes"] = 1
    if in_force >= 3:
        t[p + " nodes x threads"] = extra
    return t


def terms(nodes: Sequence[GraphNode], precision: str, threads: int, parallel: float, on_chip_bytes: float,
          in_force: int = ALL_STEPS) -> dict[str, float]:
    """The coefficients of a graph's latency in each term: its nodes' (node_terms) and one call's."""
    t: defaultdict[str, float] = defaultdict(float)
    for node in nodes:
        for k, v in node_terms(node, precision, threads, parallel, on_chip_bytes, in_force).items():
            t[k] += v
    t[precision + " call"] = 1
    return dict(t)


Row = tuple[float, dict[str, float]]  # measured seconds, the graph's terms


def fit_seconds(rows: Sequence[Row], keys: Sequence[str], frozen: Mapping[str, float]) -> dict[str, float]:
    """Non-negative seconds per unit of each key minimising the rows' relative error (Huber-weighted), the
    `frozen` terms held at their values."""
    import numpy as np

    from archsel.estimation.fit import nnls

    if not keys or not rows:
        return {}
    a = np.array([[t.get(k, 0.0) / s for k in keys] for s, t in rows])
    b = np.array([1.0 - predict(frozen, t) / s for s, t in rows])
    scale = np.maximum(np.abs(a).max(axis=0), 1e-30)
    a = np.vstack([a / scale, RIDGE * np.eye(len(keys))])
    b = np.concatenate([b, np.zeros(len(keys))])
    w = np.ones(len(b))
    x = np.zeros(len(keys))
    for _ in range(6):
        x = np.asarray(nnls(a * w[:, None], b * w))
        resid = np.abs(a @ x - b)
        w = np.sqrt(np.where(resid <= HUBER, 1.0, HUBER / np.maximum(resid, 1e-12)))
        w[len(rows):] = 1.0
    return dict(zip(keys, (x / scale).tolist(), strict=True))


def predict(seconds: Mapping[str, float], t: Mapping[str, float]) -> float:
    """Seconds of a graph with terms `t`."""
    return sum(t.get(k, 0.0) * v for k, v in seconds.items())


def loss(rows: Sequence[Row], seconds: Mapping[str, float]) -> float:
    """Mean absolute log error, each row's capped at 1."""
    return statistics.fmean(min(abs(math.log(max(predict(seconds, t), 1e-12) / s)), 1.0) for s, t in rows)


@dataclass(frozen=True)
class Sample:
    """One measured graph: a model at a batch, precision and thread count, and the nodes its runtime ran."""

    model: str
    precision: str
    threads: int
    measured_s: float
    nodes: tuple[GraphNode, ...]
    batch: int = 1


@dataclass
class GraphFit:
    """Seconds per unit of each term for each precision, at the chosen parallel efficiency."""

    parallel: float
    seconds: dict[str, dict[str, float]]  # precision -> term -> seconds per unit
    base: str  # the float precision whose terms the others keep for their float nodes
    loss: float = 0.0
    models: dict[str, list[str]] = field(default_factory=dict)  # precision -> the models fitted

    def estimate_s(self, nodes: Sequence[GraphNode], precision: str, threads: int, on_chip_bytes: float) -> float:
        """Seconds of a graph of `nodes` at `precision` on `threads`."""
        t = terms(nodes, precision, threads, self.parallel, on_chip_bytes)
        return sum(v * self.seconds_of(precision, k) for k, v in t.items())

    def fitted_key(self, precision: str, key: str) -> str | None:
        """The fitted term that costs `key`: itself, else its PARENT_TERMS parent's; None where neither was
        fitted."""
        seconds = self.seconds[precision]
        if key in seconds:
            return key
        for child, parent in PARENT_TERMS.items():
            if key.endswith(child) and (other := key[:-len(child)] + parent) in seconds:
                return other
        return None

    def seconds_of(self, precision: str, key: str) -> float:
        """Seconds per unit of `key` (fitted_key's; 0 where none)."""
        fitted = self.fitted_key(precision, key)
        return 0.0 if fitted is None else self.seconds[precision][fitted]

    def unfitted_classes(self, nodes: Sequence[GraphNode], precision: str) -> list[str]:
        """The compute classes of `nodes` that no fitted graph had, nor their parent (their MACs would cost
        nothing), as class_label names them."""
        return sorted({class_label(n) for n in nodes
                       if (cls := node_class(n)) is not None and self.fitted_key(precision, cls) is None})

    def breakdown(self, nodes: Sequence[GraphNode], precision: str, threads: int,
                  on_chip_bytes: float) -> list[dict[str, Any]]:
        """Seconds by node class (class_label), each split into compute (MAC terms), memory (byte terms) and
        fixed costs (per node, step and call), largest first, with their nodes, MACs and bytes."""
        seconds = self.seconds[precision]
        rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for node in nodes:
            row = rows[class_label(node)]
            row["ops"] += 1
            row["macs"] += node.macs
            row["bytes"] += node.in_bytes + node.out_bytes
            for k, v in node_terms(node, precision, threads, self.parallel, on_chip_bytes).items():
                part = "overhead" if k.endswith(FIXED_COST_TERMS) else "memory" if "bytes" in k or "weights" in k \
                    else "compute"
                row[part] += v * self.seconds_of(precision, k)
        if seconds.get(precision + " call", 0.0) > 0:
            rows["call"]["overhead"] += seconds[precision + " call"]
        total = sum(r["compute"] + r["memory"] + r["overhead"] for r in rows.values()) or 1.0
        out: list[dict[str, Any]] = []
        for label, r in rows.items():
            time_s = r["compute"] + r["memory"] + r["overhead"]
            parts = {"compute": r["compute"], "memory": r["memory"], "overhead": r["overhead"]}
            bound = max(parts, key=lambda k: parts[k])
            out.append({"op_class": label, "ops": int(r["ops"]), "macs": int(r["macs"]), "bytes": int(r["bytes"]),
                        "time_ms": time_s * 1e3, "share": time_s / total, "bound": bound,
                        "compute_ms": r["compute"] * 1e3, "memory_ms": r["memory"] * 1e3,
                        "overhead_ms": r["overhead"] * 1e3,
                        "compute_bound_ops": int(r["ops"]) if bound == "compute" else 0,
                        "memory_bound_ops": int(r["ops"]) if bound == "memory" else 0})
        return sorted(out, key=lambda row: -row["time_ms"])


CLASS_NAMES = {"conv": "conv", "conv3d": "conv3d", "depthwise": "depthwise", "matmul": "matmul", "recurrent": "rnn"}


def class_label(node: GraphNode) -> str:
    """A node's class for a breakdown (at most 14 characters, as the trace's op classes): int8 / float + its
    compute class, q/dq (quantize, dequantize), int8 eltwise (integer elementwise ops), other."""
    cls = node_class(node)
    if cls is not None:
        return ("int8 " if cls[0] == "q" else "float ") + CLASS_NAMES[cls[1:]]
    return {"qdq": "q/dq", "int8 elementwise": "int8 eltwise"}.get(node.role, "other")


# A compute class no fitted graph had runs on its parent's kernels (oneDNN and MLAS run 3-D convolutions as the same
# implicit GEMMs as 2-D ones; calibrate_runtime.PARENT_CLASS says the same of the trace-based fit): it costs the
# parent's seconds. Without it r3d_18 held out of an ONNX Runtime calibration here was estimated 30x too fast.
PARENT_TERMS = {"conv3d": "conv"}
FIXED_COST_TERMS = ("nodes", "call", "steps", "x threads")  # the ends of the terms that do not scale with the work


def fit_graph(samples: Sequence[Sample], on_chip_bytes: Callable[[int], float], base: str = "fp32",
              in_force: int = ALL_STEPS) -> GraphFit:
    """Fit `base` (float) then every other precision with base's terms frozen, at each PARALLEL_GRID
    efficiency; the one whose summed loss over the samples is least. `on_chip_bytes(threads)`: the cache the
    threads have."""
    precisions = sorted({s.precision for s in samples}, key=lambda p: (p != base, p))
    best: GraphFit | None = None
    for parallel in PARALLEL_GRID:
        rows = {p: [(s.measured_s, terms(s.nodes, p, s.threads, parallel, on_chip_bytes(s.threads), in_force))
                    for s in samples if s.precision == p] for p in precisions}
        seconds: dict[str, dict[str, float]] = {}
        frozen: dict[str, float] = {}
        total = 0.0
        for p in precisions:
            keys = sorted({k for _, t in rows[p] for k in t} - set(frozen))
            seconds[p] = {**frozen, **fit_seconds(rows[p], keys, frozen)}
            if p == base:
                frozen = dict(seconds[p])
            total += loss(rows[p], seconds[p]) * len(rows[p])
        if best is None or total < best.loss - 1e-12:
            best = GraphFit(parallel, seconds, base, total,
                            {p: sorted({s.model for s in samples if s.precision == p}) for p in precisions})
    if best is None:
        raise ValueError("no samples to fit")
    return best


@dataclass(frozen=True)
class HeldOut:
    """A sample estimated by a fit made without its model."""

    sample: Sample
    estimated_s: float

    @property
    def ratio(self) -> float:
        """measured / estimated."""
        return self.sample.measured_s / self.estimated_s


def leave_one_model_out(samples: Sequence[Sample], on_chip_bytes: Callable[[int], float],
                        base: str = "fp32") -> list[HeldOut]:
    """Every sample estimated by the fit to the other models' samples (models with fewer than two others: none),
    but those with a compute class the others never had (the product estimates them from the trace)."""
    out: list[HeldOut] = []
    for model in sorted({s.model for s in samples}):
        train = [s for s in samples if s.model != model]
        if len({s.model for s in train}) < 2:
            continue
        fitted = fit_graph(train, on_chip_bytes, base)
        for s in samples:
            if s.model == model and s.precision in fitted.seconds and not fitted.unfitted_classes(s.nodes,
                                                                                                   s.precision):
                out.append(HeldOut(s, fitted.estimate_s(s.nodes, s.precision, s.threads, on_chip_bytes(s.threads))))
    return out

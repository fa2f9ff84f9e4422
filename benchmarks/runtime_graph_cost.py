"""Runtime latency costed from the graph the runtime runs: a per-node cost model, held out on zoo models (issue 17).

    python benchmarks/runtime_graph_cost.py --runtime onnxruntime   # graphs built here (cached), scored on the run
    python benchmarks/runtime_graph_cost.py --runtime openvino

The product estimates a runtime from the PyTorch trace (archsel.estimation.engine): fp32 meets the eager bar held
out under ONNX Runtime and OpenVINO, int8 does not, because what the runtime fuses in a quantized graph (ORT: QDQ
groups into QLinearConv / QGemm, which ops stay float between DequantizeLinear and QuantizeLinear, the dynamic
int8 LSTM; OpenVINO: which layers the CPU plugin runs in u8/i8) is not in the trace. This experiment costs the
graph the runtime really runs:

1. every zoo model of benchmarks/results_runtime_comparison.json that ran int8 under the runtime is exported and
   quantized here exactly as `--runtime R --dtype int8` does (archsel.profiling.deploy), and the graph the runtime
   runs is read node by node, fp32 and int8: ONNX Runtime's optimised graph (ORT_ENABLE_EXTENDED,
   int8_onnx.optimized_graph; MACs from onnx_count, bytes and output elements from one run with every value
   exposed, onnx_count.run_values), OpenVINO's executed graph (`get_runtime_model()`, compiled as the product
   compiles it; each layer's MACs, kind and kernel rank from the ONNX nodes it runs, openvino.attribute_layers;
   bytes from its inputs' and outputs' shapes and element types). Each node gets a role: an integer or a float
   compute kernel, a (de)quantization, an integer or another op without MACs;
2. a model's latency is a sum over its nodes of linear terms (seconds per MAC of each compute class, per byte of
   each kind of traffic, per node, per call, ...; see STEPS), fitted by non-negative least squares on relative
   error with Huber weights to the runtime reference models (archsel.estimation.calibrate.RUNTIME_REFERENCE_MODELS,
   as `archsel calibrate --runtime R` measures them): first fp32 on the fp32 graphs, then int8 on the int8 graphs
   with the float nodes' terms held at the fp32 fit's values (a float node costs the same in either graph); the
   parallel efficiency beyond one thread is chosen on the references' own loss;
3. every other zoo model is estimated and compared with its measurement (batch 1 and 8, 1 and 2 threads), rows
   scored as benchmarks/runtime_estimate_accuracy.py scores them (detectors skipped; int8 where it ran most MACs);
   and, as a second score, every model held out in turn with all the others fitted.

The graphs are built on this machine, the latencies come from the run's machine: an ONNX Runtime int8 graph's
structure does not depend on the CPU (both have VNNI: no 7-bit weights); OpenVINO's executed graph may (which
layers its CPU plugin runs in int8 depends on the ISA: read here, AVX-512 VNNI without AMX). Steps of STEPS were
added one at a time while looking at ONNX Runtime's held-out rows: the table lists each step's score.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

RUNTIMES = ("onnxruntime", "openvino")
INT8_KERNELS = {"QLinearConv": "conv", "NhwcQLinearConv": "conv", "ConvInteger": "conv",
                "QLinearConvTranspose": "conv", "QGemm": "matmul", "QLinearMatMul": "matmul",
                "MatMulInteger": "matmul", "MatMulIntegerToFloat": "matmul", "DynamicQuantizeMatMul": "matmul",
                "QAttention": "matmul", "DynamicQuantizeLSTM": "recurrent"}
QDQ = {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"}
RECURRENT = {"LSTM", "GRU", "RNN", "DynamicQuantizeLSTM"}
PARALLEL_GRID = (0.6, 0.7, 0.8, 0.9, 1.0)
HUBER = 0.25

# Each step adds terms to the ones before it (terms(): `in_force`, how many of them apply).
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


ROLES = ("int8", "float", "qdq", "int8 elementwise", "other")


@dataclass(frozen=True)
class Node:
    """One node of the graph the runtime runs (ORT's optimised graph, OpenVINO's executed graph)."""

    op: str  # the runtime's op or layer type
    role: str  # ROLES: an integer or a float compute kernel, a (de)quantization, an integer or other non-MAC op
    kind: str  # conv, depthwise_conv, matmul, recurrent, or another of onnx_count's kinds
    macs: int
    rank: int  # spatial rank of a convolution's kernel (0: not a convolution)
    in_bytes: int
    out_bytes: int
    out_elements: int
    steps: int  # recurrent: time steps x directions
    state_bytes: int  # recurrent: one direction's recurrence weights, at their element size


def graph_nodes(path: Path, feeds: dict[str, Any]) -> list[Node]:
    """ORT's optimised form of the graph at `path`, node by node."""
    from archsel.profiling.deploy import onnx_count
    from archsel.profiling.deploy.int8_onnx import optimized_graph

    model = optimized_graph(path)
    counts, _ = onnx_count.count_nodes(model, feeds)
    values = onnx_count.run_values(model, feeds, {o for node in model.graph.node for o in node.output if o})
    values.update({name: (tuple(array.shape), array.itemsize) for name, array in feeds.items()})  # graph inputs

    def nbytes(names: Any) -> int:
        return sum(math.prod(values[n][0]) * values[n][1] for n in names if n in values)

    out: list[Node] = []
    for node, count in zip(model.graph.node, counts, strict=True):
        attrs = {a.name: list(a.ints) for a in node.attribute if a.name == "kernel_shape"}
        first = values.get(node.output[0]) if node.output else None
        macs, steps, state = count.macs, count.steps, count.state_weights * 4
        if node.op_type == "DynamicQuantizeLSTM" and first:  # not in onnx_count: Y is [seq, dirs, batch, hidden]
            x_shape = values[node.input[0]][0] if node.input[0] in values else None
            seq, dirs, batch, hidden = first[0]
            macs = seq * batch * dirs * 4 * hidden * ((x_shape[2] if x_shape else hidden) + hidden)
            steps, state = seq * dirs, 4 * hidden * hidden  # int8 weights
        kind = "recurrent" if node.op_type in RECURRENT else INT8_KERNELS.get(node.op_type, count.kind)
        kind = count.kind if kind == "conv" else kind  # depthwise_conv stays
        out.append(Node(node.op_type, ort_role(node.op_type, macs), kind, macs, len(attrs.get("kernel_shape", [])),
                        nbytes(node.input), nbytes(node.output), math.prod(first[0]) if first else 0, steps, state))
    return out


def ort_role(op: str, macs: int) -> str:
    """An ORT node's ROLE."""
    if op in INT8_KERNELS:
        return "int8"
    if op in RECURRENT or macs:
        return "float"
    if op in QDQ:
        return "qdq"
    return "int8 elementwise" if op.startswith("QLinear") else "other"


OV_SKIPPED = {"Input", "Output", "Const"}  # executed-graph layers that compute nothing (weights: not traffic)
OV_INT8 = {"u8", "i8"}
OV_RECURRENT = {"RNNSeq", "RNNCell"}


def ov_nodes(compiled: Any, graph: Any, counts: dict[str, Any]) -> list[Node]:
    """OpenVINO's executed graph of `compiled`, layer by layer: MACs, kind and rank from the ONNX nodes each
    layer runs (archsel.profiling.deploy.openvino.attribute_layers), bytes from its inputs' and outputs' shapes
    and element types."""
    from archsel.profiling.deploy.onnx_count import node_macs
    from archsel.profiling.deploy.openvino import attribute_layers, runtime_layers

    macs = node_macs(graph)
    owned: dict[int, list[str]] = defaultdict(list)
    for name, index in attribute_layers(runtime_layers(compiled), graph, macs).items():
        owned[index].append(name)
    onnx_nodes = {n.name: n for n in graph.graph.node}
    weights = {i.name: len(i.dims) for i in graph.graph.initializer}

    def nbytes(value: Any) -> int:
        return math.prod(list(value.get_shape())) * value.get_element_type().size

    out: list[Node] = []
    for index, op in enumerate(compiled.get_runtime_model().get_ordered_ops()):
        info = op.get_rt_info()
        layer, precision = info["layerType"].astype(str), info["runtimePrecision"].astype(str)
        if layer in OV_SKIPPED:
            continue
        names = owned.get(index, [])
        work = sum(macs.get(n, 0) for n in names)
        heavy = max(names, key=lambda n: macs.get(n, 0)) if names else None
        count = counts.get(heavy) if heavy else None
        source = onnx_nodes.get(heavy) if heavy else None
        kind = "recurrent" if layer in OV_RECURRENT else (count.kind if count else "other")
        rank = (weights[source.input[1]] - 2 if source is not None and source.op_type in ("Conv", "ConvTranspose")
                and len(source.input) > 1 and source.input[1] in weights else 0)
        steps, state = (count.steps, count.state_weights * 4) if count and kind == "recurrent" else (0, 0)
        outputs = [op.output(i) for i in range(op.get_output_size())]
        quantizes = any(o.get_element_type().get_type_name() in OV_INT8 for o in outputs)
        if work or kind == "recurrent":
            role = "int8" if precision in OV_INT8 else "float"
        elif layer == "FakeQuantize" or (quantizes and precision not in OV_INT8):
            role = "qdq"
        else:
            role = "int8 elementwise" if precision in OV_INT8 else "other"
        sources = [v for v in op.input_values() if v.get_node().get_rt_info()["layerType"].astype(str) != "Const"]
        out.append(Node(layer, role, kind, work, rank, sum(nbytes(v) for v in sources),
                        sum(nbytes(o) for o in outputs), math.prod(list(outputs[0].get_shape())) if outputs else 0,
                        steps, state))
    return out


def extract(model_id: str, batch: int, root: Path, runtime: str) -> dict[str, list[Node]]:
    """The fp32 and int8 graphs of a zoo model at `batch`, exported and quantized as `runtime` measures them."""
    import onnx
    from runtime_comparison import Case

    from archsel.profiling.deploy import onnx_count
    from archsel.profiling.deploy.export import numpy_inputs

    folder = root / f"{model_id}_b{batch}"
    case = Case(model_id, batch, (1,), ("int8",), folder, runtimes=(runtime,))
    try:
        if case.failed:
            raise RuntimeError("; ".join(case.failed.values()))
        fp32 = next(p for p in folder.rglob("*.onnx") if ".int8-" not in p.name)
        graph = onnx.load(str(fp32))
        feeds = dict(zip([i.name for i in graph.graph.input], numpy_inputs(case.inputs), strict=False))
        if runtime == "onnxruntime":
            return {"fp32": graph_nodes(fp32, feeds), "int8": graph_nodes(next(folder.rglob("*.int8-*.onnx")), feeds)}
        import openvino as ov

        counts = {c.name: c for c in onnx_count.count_nodes(graph, feeds)[0]}
        core = ov.Core()
        config = {"PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1, "INFERENCE_NUM_THREADS": 1,
                  "INFERENCE_PRECISION_HINT": "f32"}  # as archsel.profiling.deploy.openvino compiles them
        return {p: ov_nodes(core.compile_model(core.read_model(str(path)), "CPU", config), graph, counts)
                for p, path in (("fp32", fp32), ("int8", next(folder.rglob("model.xml"))))}
    finally:
        case.close()


def node_class(node: Node) -> str | None:
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


def terms(nodes: list[Node], precision: str, threads: int, parallel: float, on_chip: float,
          in_force: int) -> Counter[str]:
    """The coefficients of a graph's latency in each term (`in_force`: how many of STEPS apply)."""
    share = 1 + parallel * (threads - 1)
    extra = threads - 1
    p = precision  # per-node, per-call and per-thread costs are each precision's own
    t: Counter[str] = Counter()
    for node in nodes:
        cls = node_class(node)
        if cls is not None:
            if cls.endswith("conv3d") and in_force < 2:
                cls = cls[:-2]
            t[cls] += node.macs / share
            if cls.endswith(("conv", "matmul")):
                t[cls + " sqrt"] += math.sqrt(node.macs / share)
            if cls.endswith(("conv", "conv3d", "depthwise")) and in_force >= 4:
                t[cls[0] + " conv outputs"] += node.out_elements / share
            if cls.endswith("recurrent"):
                t["steps"] += node.steps
                if in_force >= 3:
                    t[p + " steps x threads"] += node.steps * extra
                if in_force >= 5:
                    t["recurrent weights on chip" if node.state_bytes <= on_chip else "recurrent weights DRAM"] += (
                        node.steps * node.state_bytes / share)
        elif node.role == "qdq":
            t["q/dq bytes"] += (node.in_bytes + node.out_bytes) / share
        elif node.role == "int8 elementwise":
            t["quantized elementwise bytes"] += (node.in_bytes + node.out_bytes) / share
        else:
            t["other bytes"] += (node.in_bytes + node.out_bytes) / share
        t[p + " nodes"] += 1
        if in_force >= 3:
            t[p + " nodes x threads"] += extra
    t[p + " call"] = 1
    return t


def fit(rows: list[tuple[dict[str, Any], Counter[str]]], keys: list[str],
        frozen: dict[str, float]) -> dict[str, float]:
    """Non-negative seconds per unit of each key minimising the rows' relative error (Huber-weighted), the
    `frozen` terms held at their values."""
    import numpy as np

    from archsel.estimation.fit import nnls

    if not keys:
        return {}
    a = np.array([[t[k] / (r["p50_ms"] / 1e3) for k in keys] for r, t in rows])
    b = np.array([1.0 - sum(t[k] * v for k, v in frozen.items()) / (r["p50_ms"] / 1e3) for r, t in rows])
    scale = np.maximum(np.abs(a).max(axis=0), 1e-30)
    a = np.vstack([a / scale, 1e-4 * np.eye(len(keys))])  # a faint ridge: terms no row informs stay at 0
    b = np.concatenate([b, np.zeros(len(keys))])
    w = np.ones(len(b))
    x = np.zeros(len(keys))
    for _ in range(6):
        x = np.asarray(nnls(a * w[:, None], b * w))
        resid = np.abs(a @ x - b)
        w = np.sqrt(np.where(resid <= HUBER, 1.0, HUBER / np.maximum(resid, 1e-12)))
        w[len(rows):] = 1.0
    return dict(zip(keys, (x / scale).tolist(), strict=True))


def predict(params: dict[str, float], t: Counter[str]) -> float:
    return sum(t[k] * v for k, v in params.items())


def loss(rows: list[tuple[dict[str, Any], Counter[str]]], params: dict[str, float]) -> float:
    """Mean absolute log error, each row's capped at 1 (engine_fit's)."""
    return statistics.fmean(min(abs(math.log(predict(params, t) / (r["p50_ms"] / 1e3))), 1.0) for r, t in rows)


def fit_and_score(measured: list[dict[str, Any]], graphs: dict[tuple[str, int], dict[str, list[Node]]],
                  on_chip: dict[int, float], references: set[str], in_force: int) -> dict[str, Any]:
    """Fit fp32 then int8 on the references at each parallel efficiency, keep the one whose references' loss is
    least, and score the held-out rows."""
    best: dict[str, Any] | None = None
    for parallel in PARALLEL_GRID:
        def rows_of(precision: str, par: float = parallel) -> list[tuple[dict[str, Any], Counter[str]]]:
            return [(r, terms(graphs[(r["model_id"], r["batch"])][precision], precision, r["threads"], par,
                              on_chip[r["threads"]], in_force))
                    for r in measured if r["dtype"] == precision and (r["model_id"], r["batch"]) in graphs]

        fp32, int8 = rows_of("fp32"), rows_of("int8")
        train32 = [x for x in fp32 if x[0]["model_id"] in references]
        p32 = fit(train32, sorted({k for _, t in train32 for k in t}), {})
        train8 = [x for x in int8 if x[0]["model_id"] in references]
        # a float node costs in an int8 graph what it costs in an fp32 one: int8 fits only the terms fp32 lacks
        p8 = {**p32, **fit(train8, sorted({k for _, t in train8 for k in t} - set(p32)), p32)}
        total = loss(train32, p32) * len(train32) + loss(train8, p8) * len(train8)
        if best is None or total < best["loss"] - 1e-12:
            best = {"loss": total, "parallel": parallel, "params": {"fp32": p32, "int8": p8},
                    "rows": {"fp32": fp32, "int8": int8}}
    assert best is not None
    scored: dict[str, list[dict[str, Any]]] = {}
    for precision, rows in best["rows"].items():
        scored[precision] = [{"model_id": r["model_id"], "family": r["family"], "batch": r["batch"],
                              "threads": r["threads"], "dtype": precision, "measured_ms": r["p50_ms"],
                              "estimated_ms": predict(best["params"][precision], t) * 1e3,
                              "ratio": r["p50_ms"] / (predict(best["params"][precision], t) * 1e3)}
                             for r, t in rows if r["model_id"] not in references]
    return {"parallel": best["parallel"], "params": best["params"], "scored": scored,
            "references": {p: sorted({r["model_id"] for r, _ in rows if r["model_id"] in references})
                           for p, rows in best["rows"].items()}}


def product_score(runtime: str) -> str:
    """The trace-based estimate's held-out median error and share within ±25% per precision, as
    benchmarks/results_runtime_estimate_accuracy.md has them."""
    import re

    text = (ROOT / "benchmarks" / "results_runtime_estimate_accuracy.md").read_text(encoding="utf-8")
    found = re.findall(rf"^\| {runtime} \| (fp32|int8) \| (\d+) \| \d+ \| ([\d.]+%) \| (\d+%) \|", text, re.M)
    return ", ".join(f"{p} {median} / {within} ({rows} rows)" for p, rows, median, within in found) or "not found"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runtime", choices=RUNTIMES, default="onnxruntime")
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results_runtime_comparison.json")
    ap.add_argument("--work", type=Path, default=None, help="exported and quantized graphs, and the extracted "
                    "nodes, reused when present (default: /tmp/archsel-graph-cost-RUNTIME)")
    ap.add_argument("--out", type=Path, default=None,
                    help="default: benchmarks/results_runtime_graph_cost_RUNTIME.md")
    args = ap.parse_args()
    runtime = args.runtime
    work = args.work or Path(f"/tmp/archsel-graph-cost-{runtime}")
    out = args.out or ROOT / "benchmarks" / f"results_runtime_graph_cost_{runtime}.md"

    from runtime_estimate_accuracy import _cells, run_caches, summary, usable

    from archsel.estimation.calibrate import RUNTIME_REFERENCE_MODELS
    from archsel.estimation.engine import on_chip_share
    from archsel.zoo.registry import get_model_entry

    doc = json.loads(args.results.read_text(encoding="utf-8"))
    meta = doc.get("meta", {})
    measured = [r for r in doc["rows"] if r["runtime"] == runtime and usable(r)
                and not get_model_entry(r["model_id"]).data_dependent]
    work.mkdir(parents=True, exist_ok=True)
    store = work / "nodes.json"
    saved: dict[str, Any] = json.loads(store.read_text()) if store.is_file() else {}
    failed: dict[str, str] = {}
    for model_id, batch in sorted({(r["model_id"], r["batch"]) for r in measured if r["dtype"] == "int8"}):
        key = f"{model_id}:{batch}"
        if key not in saved:
            print(f"[runtime_graph_cost] {runtime} {model_id} batch {batch}", file=sys.stderr, flush=True)
            try:
                graphs_of = extract(model_id, batch, work, runtime)
                saved[key] = {p: [n.__dict__ for n in nodes] for p, nodes in graphs_of.items()}
            except Exception as exc:  # one model that fails is listed, the rest go on
                failed[key] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
                continue
            tmp = store.with_suffix(".tmp")
            tmp.write_text(json.dumps(saved))
            tmp.replace(store)
    graphs = {(k.split(":")[0], int(k.split(":")[1])): {p: [Node(**n) for n in nodes] for p, nodes in v.items()}
              for k, v in saved.items()}
    caches = run_caches(meta)
    cores = max(int(doc["micro"]["threads"]), 1)  # the calibration unit's cores (calibrate_runtime.calibration_unit)
    l2 = caches[0] if caches else 0
    on_chip = {t: l2 * on_chip_share("cpu", cores, t) for t in {r["threads"] for r in measured}}
    refs = set(RUNTIME_REFERENCE_MODELS)
    measured = [r for r in measured if (r["model_id"], r["batch"]) in graphs]

    head = ("| terms (cumulative) | precision | rows | models | median \\|error\\| | within ±25% | "
            "measured/estimated q10–q90 | Spearman |")
    lines = [f"# {runtime} latency from the graph it runs, held out (experiment)", "",
             f"`python benchmarks/runtime_graph_cost.py --runtime {runtime}` on `{args.results.relative_to(ROOT)}` "
             f"(measured {meta.get('date', '?')} on {meta.get('cpu', '?')}, {runtime} "
             f"{meta.get('versions', {}).get(runtime, '?')}); graphs exported, quantized and compiled on this "
             "machine. Fitted on the runtime reference models, every other zoo model held out (detectors skipped; "
             "int8 rows where int8 ran at least half the MACs). Error = measured / estimated − 1. For comparison, "
             f"the product's trace-based estimate (results_runtime_estimate_accuracy.md): {product_score(runtime)}. "
             "Bar: median under 15% and at least 80% within ±25%.", "", head, "|---|---|---:|---:|---:|---:|---|---:|"]
    final: dict[str, Any] = {}
    for n, (name, _) in enumerate(STEPS, start=1):
        final = fit_and_score(measured, graphs, on_chip, refs, n)
        for precision in ("fp32", "int8"):
            lines.append(f"| + {name} | {precision} | {_cells(summary(final['scored'][precision]))} |")
    every: dict[str, list[dict[str, Any]]] = {"fp32": [], "int8": []}
    models = sorted({r["model_id"] for r in measured})
    for model_id in models:  # every model held out in turn, fitted on all the others
        held = fit_and_score(measured, graphs, on_chip, set(models) - {model_id}, len(STEPS))
        for precision in every:
            every[precision] += held["scored"][precision]
    for precision in ("fp32", "int8"):
        lines.append(f"| all, every model held out in turn | {precision} | {_cells(summary(every[precision]))} |")
    lines += ["", "Terms:", "", *[f"- **{name}**: {text}" for name, text in STEPS], "",
              f"Final fit: parallel efficiency {final['parallel']} (chosen on the references' loss); references "
              f"with rows: fp32 {len(final['references']['fp32'])}, int8 {len(final['references']['int8'])}.", "",
              "| term | fp32 | int8 |", "|---|---:|---:|"]
    for k in sorted(set(final["params"]["fp32"]) | set(final["params"]["int8"])):
        cells = [f"{final['params'][p][k]:.3g}" if k in final["params"][p] else "" for p in ("fp32", "int8")]
        lines.append(f"| {k} | {' | '.join(cells)} |")
    lines += ["", "Seconds per MAC, byte, element, node, step or call; int8 keeps the fp32 fit's float terms.", "",
              "## Held-out int8 models, median measured/estimated", "", "| model | family | rows | ratio |",
              "|---|---|---:|---:|"]
    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in final["scored"]["int8"]:
        by_model[s["model_id"]].append(s)
    for model_id, ss in sorted(by_model.items(), key=lambda kv: statistics.median(s["ratio"] for s in kv[1])):
        lines.append(f"| {model_id} | {ss[0]['family']} | {len(ss)} | "
                     f"{statistics.median(s['ratio'] for s in ss):.2f} |")
    if failed:
        lines += ["", "## Not extracted", "", *[f"- {k}: {v}" for k, v in sorted(failed.items())]]
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(out)
    print("\n".join(lines[:16 + 2 * len(STEPS)]))


if __name__ == "__main__":
    main()

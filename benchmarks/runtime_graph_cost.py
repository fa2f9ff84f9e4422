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
2. a model's latency is a sum over its nodes of linear terms (archsel.estimation.graph_cost; seconds per MAC of each
   compute class, per byte of each kind of traffic, per node, per call, ...; see STEPS), fitted by non-negative
   least squares on relative error with Huber weights to the runtime reference models
   (archsel.estimation.calibrate.RUNTIME_REFERENCE_MODELS, as `archsel calibrate --runtime R` measures them):
   first fp32 on the fp32 graphs, then int8 on the int8 graphs with the float nodes' terms held at the fp32 fit's
   values (a float node costs the same in either graph); the parallel efficiency beyond one thread is chosen on
   the references' own loss;
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
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from archsel.estimation.graph_cost import STEPS, Sample, fit_graph, predict, terms  # noqa: E402
from archsel.profiling.deploy.graph_node import GraphNode  # noqa: E402
from archsel.profiling.deploy.ort_graph import graph_nodes  # noqa: E402

RUNTIMES = ("onnxruntime", "openvino")
OV_SKIPPED = {"Input", "Output", "Const"}  # executed-graph layers that compute nothing (weights: not traffic)
OV_INT8 = {"u8", "i8"}
OV_RECURRENT = {"RNNSeq", "RNNCell"}


def ov_nodes(compiled: Any, graph: Any, counts: dict[str, Any]) -> list[GraphNode]:
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

    out: list[GraphNode] = []
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
        out.append(GraphNode(layer, role, kind, work, rank, sum(nbytes(v) for v in sources),
                             sum(nbytes(o) for o in outputs),
                             math.prod(list(outputs[0].get_shape())) if outputs else 0, steps, state))
    return out


def extract(model_id: str, batch: int, root: Path, runtime: str) -> dict[str, list[GraphNode]]:
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


def fit_and_score(measured: list[dict[str, Any]], graphs: dict[tuple[str, int], dict[str, list[GraphNode]]],
                  on_chip: dict[int, float], references: set[str], in_force: int) -> dict[str, Any]:
    """graph_cost.fit_graph on the references' rows (the first `in_force` STEPS), and the held-out rows scored."""
    samples = [(r, Sample(r["model_id"], r["dtype"], r["threads"], r["p50_ms"] / 1e3,
                          tuple(graphs[(r["model_id"], r["batch"])][r["dtype"]])))
               for r in measured if r["dtype"] in ("fp32", "int8") and (r["model_id"], r["batch"]) in graphs]
    fitted = fit_graph([s for r, s in samples if r["model_id"] in references], on_chip.__getitem__,
                       in_force=in_force)
    scored: dict[str, list[dict[str, Any]]] = {"fp32": [], "int8": []}
    for r, s in samples:
        if r["model_id"] in references:
            continue
        estimated_ms = predict(fitted.seconds[s.precision], terms(s.nodes, s.precision, s.threads, fitted.parallel,
                                                                  on_chip[s.threads], in_force)) * 1e3
        scored[s.precision].append({"model_id": r["model_id"], "family": r["family"], "batch": r["batch"],
                                    "threads": r["threads"], "dtype": s.precision, "measured_ms": r["p50_ms"],
                                    "estimated_ms": estimated_ms, "ratio": r["p50_ms"] / estimated_ms})
    return {"parallel": fitted.parallel, "params": fitted.seconds, "scored": scored, "references": fitted.models}


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
    graphs = {(k.split(":")[0], int(k.split(":")[1])): {p: [GraphNode(**n) for n in nodes] for p, nodes in v.items()}
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

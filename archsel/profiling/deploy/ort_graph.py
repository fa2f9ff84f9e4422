"""The graph ONNX Runtime runs, node by node, for the graph cost model (archsel.estimation.graph_cost).

ONNX Runtime's optimised form of an exported or quantized graph (int8_onnx.optimized_graph: QDQ groups fused
into QLinearConv / QGemm, the dynamic int8 LSTM as DynamicQuantizeLSTM), each node with its MACs
(onnx_count.count_nodes), the bytes it reads and writes and its output elements (one run with every value
exposed: onnx_count.run_values) and its role: an integer or a float compute kernel, a (de)quantization, an
integer elementwise op, another op.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsel.profiling.deploy.graph_node import GraphNode

if TYPE_CHECKING:
    import numpy as np

    from archsel.profiling.cache import ResultCache

NODES_FORMAT = 1  # the cached node list's layout (GraphNode's fields)

INT8_KERNELS: dict[str, str] = {
    "QLinearConv": "conv", "NhwcQLinearConv": "conv", "ConvInteger": "conv", "QLinearConvTranspose": "conv",
    "QGemm": "matmul", "QLinearMatMul": "matmul", "MatMulInteger": "matmul", "MatMulIntegerToFloat": "matmul",
    "DynamicQuantizeMatMul": "matmul", "QAttention": "matmul", "DynamicQuantizeLSTM": "recurrent"}
QDQ = frozenset({"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"})
RECURRENT = frozenset({"LSTM", "GRU", "RNN", "DynamicQuantizeLSTM"})


def ort_role(op: str, macs: int) -> str:
    """An ONNX Runtime node's role (graph_node.ROLES)."""
    if op in INT8_KERNELS:
        return "int8"
    if op in RECURRENT or macs:
        return "float"
    if op in QDQ:
        return "qdq"
    return "int8 elementwise" if op.startswith("QLinear") else "other"


def graph_nodes(path: Path, feeds: dict[str, np.ndarray]) -> list[GraphNode]:
    """ONNX Runtime's optimised form of the graph at `path`, run once on `feeds`, node by node."""
    from archsel.profiling.deploy import onnx_count
    from archsel.profiling.deploy.int8_onnx import optimized_graph

    model = optimized_graph(path)
    counts, _ = onnx_count.count_nodes(model, feeds)
    values = onnx_count.run_values(model, feeds, {o for node in model.graph.node for o in node.output if o})
    values.update({name: (tuple(array.shape), array.itemsize) for name, array in feeds.items()})  # graph inputs

    def nbytes(names: Any) -> int:
        return sum(math.prod(values[n][0]) * values[n][1] for n in names if n in values)

    out: list[GraphNode] = []
    for node, count in zip(model.graph.node, counts, strict=True):
        kernel = [list(a.ints) for a in node.attribute if a.name == "kernel_shape"]
        first = values.get(node.output[0]) if node.output else None
        macs, steps, state = count.macs, count.steps, count.state_weights * 4
        if node.op_type == "DynamicQuantizeLSTM" and first:  # not in onnx_count: Y is [seq, dirs, batch, hidden]
            x_shape = values[node.input[0]][0] if node.input[0] in values else None
            seq, dirs, batch, hidden = first[0]
            macs = seq * batch * dirs * 4 * hidden * ((x_shape[2] if x_shape else hidden) + hidden)
            steps, state = seq * dirs, 4 * hidden * hidden  # int8 weights
        kind = "recurrent" if node.op_type in RECURRENT else INT8_KERNELS.get(node.op_type, count.kind)
        kind = count.kind if kind == "conv" else kind  # depthwise_conv stays
        out.append(GraphNode(node.op_type, ort_role(node.op_type, macs), kind, macs, len(kernel[0]) if kernel else 0,
                             nbytes(node.input), nbytes(node.output), math.prod(first[0]) if first else 0, steps,
                             state))
    return out


def _decode(result: dict[str, Any]) -> list[GraphNode]:
    names = {f.name for f in dataclasses.fields(GraphNode)}
    nodes = result["nodes"]
    if not isinstance(nodes, list) or not all(isinstance(n, dict) and set(n) == names for n in nodes):
        raise ValueError("not a node list")
    return [GraphNode(**n) for n in nodes]


def zoo_graph_nodes(model_id: str, batch: int, precision: str, *, task: str | None = None,
                    input_shape: tuple[int, ...] | None = None, cache: ResultCache | None = None) -> list[GraphNode]:
    """The graph ONNX Runtime runs for zoo model `model_id` at `batch` and `precision` (fp32, int8), with the
    first input's shape `input_shape` (None: the model's own): exported and quantized as `--runtime onnxruntime`
    measures it (the graphs cached with the measurements'), read node by node; the nodes cached (keyed by the
    model, input, batch, precision, ONNX Runtime's version and whether the CPU has VNNI, which decides int8's
    weight range). Raises what exporting, quantizing or loading raises."""
    from archsel.profiling.cache import ResultCache
    from archsel.profiling.deploy.int8_onnx import cpu_has_vnni
    from archsel.profiling.deploy.measure import deployed
    from archsel.profiling.deploy.onnxruntime import version
    from archsel.profiling.profiler import resolve_input
    from archsel.zoo.inputs import make_inputs
    from archsel.zoo.registry import get_model, get_model_entry, model_key, resolve_task

    entry = get_model_entry(model_id)
    task = resolve_task(entry, task)
    cache = cache if cache is not None else ResultCache()
    key = {"kind": "onnxruntime graph nodes", "format": NODES_FORMAT, "model": model_key(entry, task), "batch": batch,
           "input_shape": list(input_shape) if input_shape else None, "precision": precision,
           "onnxruntime": version(), "vnni": cpu_has_vnni()}
    found = cache.get_valid(key, _decode)
    if found is not None:
        return found
    spec, named = resolve_input(entry, task, input_shape)
    batch = named or batch
    inputs = make_inputs(spec, batch, device="cpu")
    with deployed(get_model(model_id, device="cpu"), inputs,
                  lambda seed: make_inputs(spec, batch, device="cpu", seed=seed), model_key=model_key(entry, task),
                  runtime="onnxruntime", precision=precision, threads=1, batch=batch,
                  root=cache.root if cache.usable else None) as runner:
        if runner.graph is None:
            raise RuntimeError("onnxruntime's runner names no graph file")
        nodes = graph_nodes(runner.graph, runner.feeds)
    cache.put(key, {"nodes": [dataclasses.asdict(n) for n in nodes]})
    return nodes

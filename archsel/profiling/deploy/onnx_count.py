"""MACs read from an ONNX graph after ONNX shape inference: a third counter, independent of PyTorch's op trace.

Same convention as archsel's other counters (docs/profiling.md, "Units and conventions"): MACs are counted for
convolutions (Conv, ConvTranspose, their integer/quantized forms; grouped and depthwise), matrix products
(MatMul with broadcasting, Gemm, Einsum), so attention's Q·Kᵀ and A·V, and recurrent cells (LSTM, GRU, RNN:
per step and sample the elements of W and R over the node's directions; stacked layers are separate nodes).
Known ops outside the convention (norms, softmax, activations, pooling, resize, elementwise, data movement)
count 0. Any other op, a MAC op whose shapes shape inference could not make static, and control flow whose
body does arithmetic are reported in `uncounted`, never silently zero.

`onnx` is imported inside the functions: this module imports without it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import onnx

Shape = tuple[int, ...]
MacFormula = Callable[[Any, list[Shape | None], list[Shape | None]], int]  # (node, input shapes, output shapes)

# Standard-domain ops that do no multiply-accumulate in archsel's convention: counted with 0 MACs.
ZERO_MAC_OPS = frozenset({
    # elementwise arithmetic and activations
    "Abs", "Acos", "Acosh", "Add", "And", "Asin", "Asinh", "Atan", "Atanh", "BitShift", "BitwiseAnd",
    "BitwiseNot", "BitwiseOr", "BitwiseXor", "Ceil", "Celu", "Clip", "Cos", "Cosh", "Div", "Elu", "Equal",
    "Erf", "Exp", "Floor", "Gelu", "Greater", "GreaterOrEqual", "HardSigmoid", "HardSwish", "Hardmax",
    "IsInf", "IsNaN", "LeakyRelu", "Less", "LessOrEqual", "Log", "Max", "Mean", "Min", "Mish", "Mod", "Mul",
    "Neg", "Not", "Or", "PRelu", "Pow", "Reciprocal", "Relu", "Round", "Selu", "Shrink", "Sigmoid", "Sign",
    "Sin", "Sinh", "Softplus", "Softsign", "Sqrt", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Xor",
    "Where", "Softmax", "LogSoftmax", "CumSum", "Dropout",
    # norms and reductions
    "BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization",
    "LpNormalization", "MeanVarianceNormalization", "LRN", "RMSNormalization", "ReduceL1", "ReduceL2",
    "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
    "ReduceSumSquare", "ArgMax", "ArgMin",
    # pooling, resampling, region ops
    "AveragePool", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "LpPool", "MaxPool", "MaxRoiPool",
    "MaxUnpool", "Resize", "Upsample", "GridSample", "RoiAlign", "AffineGrid", "Col2Im",
    "DepthToSpace", "SpaceToDepth",
    # selection, comparison, data movement, shapes, constants, casts, quantization
    "Cast", "CastLike", "Compress", "Concat", "Constant", "ConstantOfShape", "EyeLike", "Expand", "Flatten",
    "Gather", "GatherElements", "GatherND", "Identity", "NonMaxSuppression", "NonZero", "OneHot", "Pad",
    "Range", "Reshape", "ReverseSequence", "Scatter", "ScatterElements", "ScatterND", "Shape", "Size", "Slice",
    "Split", "SplitToSequence", "Squeeze", "Tile", "TopK", "Transpose", "Trilu", "Unique", "Unsqueeze",
    "SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase", "SequenceInsert", "SequenceLength",
    "ConcatFromSequence", "Optional", "OptionalGetElement", "OptionalHasElement", "RandomNormal",
    "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli",
    "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
})
CONTROL_FLOW = frozenset({"If", "Loop", "Scan"})
STANDARD_DOMAINS = ("", "ai.onnx")


@dataclass
class OnnxCount:
    """MACs of one ONNX graph: the total, per op type, and the op types that may do uncounted arithmetic."""

    macs: int
    by_op_type: dict[str, int]  # op type -> MACs (MAC-bearing op types only)
    uncounted: dict[str, int]  # op type -> number of nodes whose arithmetic archsel has no formula for
    nodes: dict[str, int] = field(default_factory=dict, repr=False)  # node name -> MACs (node_macs)
    params: int = 0  # elements of the graph's floating-point initializers (weights after the exporter's folding)


def _numel(shape: Shape) -> int:
    return math.prod(shape)


def _conv(node: Any, ins: list[Shape | None], outs: list[Shape | None], w: int = 1) -> int:
    """Conv: output elements × (input channels per group × kernel); W is (M, C/group, k...)."""
    y, weight = outs[0], ins[w]
    if y is None or weight is None:
        raise _Unknown
    return _numel(y) * _numel(weight[1:])


def _conv_transpose(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    """ConvTranspose: input elements × (output channels per group × kernel); W is (C, M/group, k...)."""
    x, weight = ins[0], ins[1]
    if x is None or weight is None:
        raise _Unknown
    return _numel(x) * _numel(weight[1:])


def _matmul(node: Any, ins: list[Shape | None], outs: list[Shape | None], a: int = 0, b: int = 1) -> int:
    """MatMul (numpy semantics, broadcasting batch axes): output elements × the contracted length."""
    sa, sb = ins[a], ins[b]
    if sa is None or sb is None:
        raise _Unknown
    return _numel(_matmul_shape(sa, sb)) * sa[-1]


def _matmul_shape(a: Shape, b: Shape) -> Shape:
    rows = a[-2:-1] if len(a) >= 2 else ()
    cols = b[-1:] if len(b) >= 2 else ()
    batch_a, batch_b = a[:-2], b[:-2]
    n = max(len(batch_a), len(batch_b))
    pa, pb = (1,) * (n - len(batch_a)) + batch_a, (1,) * (n - len(batch_b)) + batch_b
    return tuple(max(i, j) for i, j in zip(pa, pb, strict=True)) + rows + cols


def _gemm(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    """Gemm: M × N × K (transA/transB decide which axis of A is K)."""
    a, b = ins[0], ins[1]
    if a is None or b is None:
        raise _Unknown
    trans_a, trans_b = _attr(node, "transA", 0), _attr(node, "transB", 0)
    m, k = (a[1], a[0]) if trans_a else (a[0], a[1])
    n = b[0] if trans_b else b[1]
    return m * n * k


def _einsum(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    """Einsum of two operands: the product of every index's size (a batched matmul); one operand: 0 (a sum
    or a transpose). More operands: uncounted (the cost depends on the contraction order)."""
    equation = _attr(node, "equation", b"")
    equation = equation.decode() if isinstance(equation, bytes) else str(equation)
    terms = equation.replace(" ", "").split("->")[0].split(",")
    if len(terms) == 1:
        return 0
    if len(terms) != 2 or any(s is None for s in ins[:2]):
        raise _Unknown
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, ins[:2], strict=True):
        assert shape is not None
        if "..." in term:
            head, tail = term.split("...")
            n_ell = len(shape) - len(head) - len(tail)
            labels = list(head) + [f"...{i - n_ell}" for i in range(n_ell)] + list(tail)
        else:
            labels = list(term)
        if len(labels) != len(shape):
            raise _Unknown
        for label, size in zip(labels, shape, strict=True):
            sizes[label] = max(sizes.get(label, 1), size)
    return math.prod(sizes.values())


def _recurrent(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    """LSTM / GRU / RNN: per step and sample, one MAC per element of W (input weights) and R (recurrence
    weights) over all directions. X is (seq, batch, input) or, with layout=1, (batch, seq, input)."""
    x, w, r = ins[0], ins[1], ins[2]
    if x is None or w is None or r is None:
        raise _Unknown
    return x[0] * x[1] * (_numel(w) + _numel(r))


def _qlinear_conv(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    return _conv(node, ins, outs, w=3)


def _qlinear_matmul(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    return _matmul(node, ins, outs, a=0, b=3)


MAC_FORMULAS: dict[str, MacFormula] = {
    "Conv": _conv,
    "ConvInteger": _conv,
    "QLinearConv": _qlinear_conv,
    "DeformConv": _conv,
    "ConvTranspose": _conv_transpose,
    "MatMul": _matmul,
    "MatMulInteger": _matmul,
    "QLinearMatMul": _qlinear_matmul,
    "Gemm": _gemm,
    "Einsum": _einsum,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "RNN": _recurrent,
}


class _Unknown(Exception):
    """A MAC op whose shapes are not static after shape inference."""


def _attr(node: Any, name: str, default: Any) -> Any:
    import onnx

    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _static_shape(type_proto: Any) -> Shape | None:
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    dims = type_proto.tensor_type.shape.dim
    if not all(d.HasField("dim_value") for d in dims):
        return None
    return tuple(int(d.dim_value) for d in dims)


def _shapes(graph: Any) -> dict[str, Shape]:
    """Every value's static shape in `graph`: inputs, outputs, value_info and initializers."""
    shapes: dict[str, Shape] = {}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        shape = _static_shape(info.type)
        if shape is not None:
            shapes[info.name] = shape
    for init in graph.initializer:
        shapes[init.name] = tuple(int(d) for d in init.dims)
    for node in graph.node:  # Constant nodes: shape of the literal
        if node.op_type == "Constant" and node.domain in STANDARD_DOMAINS:
            for a in node.attribute:
                if a.name == "value":
                    shapes[node.output[0]] = tuple(int(d) for d in a.t.dims)
    return shapes


def infer(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with ONNX shape inference applied (data propagation on, so Reshape targets become static)."""
    import onnx

    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception:  # inference failed on some node: fall back to the shapes the exporter recorded
        return model


def node_key(node: Any, index: int) -> str:
    """A node's name, or "<op_type>:<index>" when it has none."""
    return node.name or f"{node.op_type}:{index}"


def _walk(model: onnx.ModelProto) -> tuple[dict[str, int], Counter[str], dict[str, int]]:
    """(node name -> MACs for nodes with MACs > 0, uncounted op type -> nodes, op type -> MACs)."""
    graph = infer(model).graph
    shapes = _shapes(graph)
    macs: dict[str, int] = {}
    uncounted: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    for index, node in enumerate(graph.node):
        kind = _classify(node)
        if kind == "zero":
            continue
        if kind == "uncounted":
            uncounted[node.op_type] += 1
            continue
        ins: list[Shape | None] = [shapes.get(n) if n else None for n in node.input]
        outs: list[Shape | None] = [shapes.get(n) if n else None for n in node.output]
        try:
            n = int(MAC_FORMULAS[node.op_type](node, ins, outs))
        except (_Unknown, IndexError):
            uncounted[node.op_type] += 1
            continue
        if n > 0:
            key = node_key(node, index)
            macs[key] = macs.get(key, 0) + n
            by_type[node.op_type] += n
    return macs, uncounted, dict(by_type)


def _classify(node: Any) -> str:
    """"mac" (has a formula), "zero" (known, 0 MACs) or "uncounted"."""
    if node.domain not in STANDARD_DOMAINS:
        return "uncounted"
    if node.op_type in MAC_FORMULAS:
        return "mac"
    if node.op_type in ZERO_MAC_OPS:
        return "zero"
    if node.op_type in CONTROL_FLOW:
        return "zero" if _body_is_zero(node) else "uncounted"
    return "uncounted"


def _body_is_zero(node: Any) -> bool:
    """Control flow whose subgraphs (recursively) hold only known 0-MAC ops: its cost is 0 whatever runs."""
    import onnx

    for a in node.attribute:
        graphs = [a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)
        for g in graphs:
            if any(_classify(n) != "zero" for n in g.node):
                return False
    return True


def node_macs(model: onnx.ModelProto) -> dict[str, int]:
    """Node name -> MACs for every node of the top-level graph with MACs > 0, after ONNX shape inference
    (static shapes). A node without a name is keyed "<op_type>:<index>"."""
    return _walk(model)[0]


def count_graph(model: onnx.ModelProto) -> OnnxCount:
    """Count a loaded ONNX model."""
    import onnx

    nodes, uncounted, by_type = _walk(model)
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16,
              onnx.TensorProto.DOUBLE}
    params = sum(_numel(tuple(i.dims)) for i in model.graph.initializer if i.data_type in floats)
    return OnnxCount(macs=sum(nodes.values()), by_op_type=by_type, uncounted=dict(uncounted), nodes=nodes,
                     params=params)


def count_onnx(path: Path) -> OnnxCount:
    """Count the ONNX graph at `path` (shape inference runs on the loaded model; external data not loaded)."""
    import onnx

    return count_graph(onnx.load(str(path), load_external_data=False))

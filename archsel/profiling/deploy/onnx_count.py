"""MACs read from an ONNX graph after ONNX shape inference: a third counter, independent of PyTorch's op trace.

Same convention as archsel's other counters (docs/profiling.md, "Units and conventions"): MACs are counted for
convolutions (Conv, ConvTranspose, their integer/quantized forms; grouped and depthwise), matrix products
(MatMul with broadcasting, Gemm, Einsum), so attention's Q·Kᵀ and A·V (MatMul nodes, or opset 23's
Attention), and recurrent cells (LSTM, GRU, RNN: per step and sample the elements of W and R over the node's
directions; stacked layers are separate nodes). Known ops outside the convention (norms, softmax,
activations, pooling, resize, elementwise, data movement) count 0. Any other op, a MAC node whose shapes
stay unknown, and control flow whose body does arithmetic are reported in `uncounted`, never silently zero.
Shapes: see `static_values`.

`onnx` is imported inside the functions: this module imports without it.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import onnx

LOG = logging.getLogger(__name__)
Shape = tuple[int, ...]
MacFormula = Callable[[Any, list[Shape | None], list[Shape | None]], int]  # (node, input shapes, output shapes)

# Standard-domain ops that do no multiply-accumulate in archsel's convention, by kind: counted with 0 MACs.
ZERO_MAC_KINDS: dict[str, frozenset[str]] = {
    "elementwise": frozenset({
        "Abs", "Acos", "Acosh", "Add", "And", "Asin", "Asinh", "Atan", "Atanh", "BitShift", "BitwiseAnd",
        "BitwiseNot", "BitwiseOr", "BitwiseXor", "Ceil", "Celu", "Clip", "Cos", "Cosh", "Div", "Elu", "Equal",
        "Erf", "Exp", "Floor", "Gelu", "Greater", "GreaterOrEqual", "HardSigmoid", "HardSwish", "Hardmax",
        "IsInf", "IsNaN", "LeakyRelu", "Less", "LessOrEqual", "Log", "Max", "Mean", "Min", "Mish", "Mod", "Mul",
        "Neg", "Not", "Or", "PRelu", "Pow", "Reciprocal", "Relu", "Round", "Selu", "Shrink", "Sigmoid", "Sign",
        "Sin", "Sinh", "Softplus", "Softsign", "Sqrt", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Xor",
        "Where", "Softmax", "LogSoftmax", "CumSum", "Dropout", "ReduceL1", "ReduceL2", "ReduceLogSum",
        "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare",
        "ArgMax", "ArgMin", "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"}),
    "norm": frozenset({
        "BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization",
        "LpNormalization", "MeanVarianceNormalization", "LRN", "RMSNormalization"}),
    "pooling": frozenset({
        "AveragePool", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "LpPool", "MaxPool", "MaxRoiPool",
        "MaxUnpool", "Resize", "Upsample", "GridSample", "RoiAlign", "AffineGrid", "Col2Im", "DepthToSpace",
        "SpaceToDepth"}),
    "data_movement": frozenset({
        "Cast", "CastLike", "Compress", "Concat", "Constant", "ConstantOfShape", "EyeLike", "Expand", "Flatten",
        "Gather", "GatherElements", "GatherND", "Identity", "NonZero", "OneHot", "Pad", "Range", "Reshape",
        "ReverseSequence", "Scatter", "ScatterElements", "ScatterND", "Shape", "Size", "Slice", "Split",
        "SplitToSequence", "Squeeze", "Tile", "Transpose", "Trilu", "Unsqueeze", "SequenceAt",
        "SequenceConstruct", "SequenceEmpty", "SequenceErase", "SequenceInsert", "SequenceLength",
        "ConcatFromSequence", "Optional", "OptionalGetElement", "OptionalHasElement", "RandomNormal",
        "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli"}),
    "other": frozenset({"NonMaxSuppression", "TopK", "Unique"}),  # compare and select
}
ZERO_MAC_OPS = frozenset().union(*ZERO_MAC_KINDS.values())
CONTROL_FLOW = frozenset({"If", "Loop", "Scan"})
STANDARD_DOMAINS = ("", "ai.onnx")
FOLD_ELEMENTS = 1 << 16  # values this small (shape-like) are folded; larger initializers are left out of inference
_NOT_FOLDED = CONTROL_FLOW | {"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
                              "Multinomial", "Bernoulli", "Dropout"}


@dataclass
class NodeCount:
    """One node of the top-level graph."""

    name: str  # the node's name, or "<op_type>:<index>"
    op_type: str
    kind: str  # conv | depthwise_conv | matmul | recurrent | norm | elementwise | pooling | data_movement | other
    module: str  # the PyTorch module path recovered from the exporter's scoped name ("" = top level)
    macs: int
    counted: bool  # False: arithmetic archsel has no formula for, or shapes not static
    bytes_read: int  # inputs (initializers included) at their element size; 0 where a shape is unknown
    bytes_written: int
    steps: int = 0  # recurrent nodes: time steps x directions
    state_weights: int = 0  # recurrent nodes: elements of one direction's recurrence weights R


@dataclass
class OnnxCount:
    """MACs of one ONNX graph: the total, per op type, and the op types that may do uncounted arithmetic."""

    macs: int
    by_op_type: dict[str, int]  # op type -> MACs (MAC-bearing op types only)
    uncounted: dict[str, int]  # op type -> number of nodes whose arithmetic archsel has no formula for
    nodes: list[NodeCount] = field(default_factory=list, repr=False)  # every top-level node, in graph order
    params: int = 0  # elements of the floating-point initializers (weights after the exporter's folding)
    peak_activation_bytes: int = 0  # most bytes of non-initializer values live at once, in graph order


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


def _gemm(node: Any, ins: list[Shape | None], outs: list[Shape | None], ia: int = 0, ib: int = 1) -> int:
    """Gemm: M × N × K (transA/transB decide which axis of A is K)."""
    a, b = ins[ia], ins[ib]
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


def _attention(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    """Attention (opset 23): Q·Kᵀ and A·V over all heads, (elements of Q + elements of Y) × the key length
    (Q, K, V and Y are (batch, heads, length, head size), or 3-D with the heads folded into the last axis)."""
    q, k, y = ins[0], ins[1], outs[0]
    if q is None or k is None or y is None:
        raise _Unknown
    return (_numel(q) + _numel(y)) * k[-2]


def _qlinear_conv(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    return _conv(node, ins, outs, w=3)


def _qlinear_matmul(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    return _matmul(node, ins, outs, a=0, b=3)


def _qgemm(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    return _gemm(node, ins, outs, ia=0, ib=3)


def _fused_matmul(node: Any, ins: list[Shape | None], outs: list[Shape | None]) -> int:
    """com.microsoft FusedMatMul: a MatMul with optional transposes of the last two axes of A and B."""
    a, y = ins[0], outs[0]
    if a is None or y is None:
        raise _Unknown
    return _numel(y) * (a[-2] if _attr(node, "transA", 0) and len(a) >= 2 else a[-1])


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
    "Attention": _attention,
}
# Contrib ops onnxruntime writes when it quantizes or optimizes a graph (domain com.microsoft).
MS_DOMAIN = "com.microsoft"
MS_MAC_FORMULAS: dict[str, MacFormula] = {
    "FusedConv": _conv,
    "NhwcFusedConv": _conv,
    "FusedGemm": _gemm,
    "FusedMatMul": _fused_matmul,
    "QGemm": _qgemm,
    "MatMulIntegerToFloat": _matmul,
    "DynamicQuantizeMatMul": _matmul,
}
MS_ZERO_MAC_KINDS: dict[str, frozenset[str]] = {
    "elementwise": frozenset({"QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax",
                              "BiasGelu", "FastGelu", "Gelu", "QuickGelu", "BiasAdd", "BiasSoftmax",
                              "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear"}),
    "norm": frozenset({"SkipLayerNormalization", "SimplifiedLayerNormalization",
                       "SkipSimplifiedLayerNormalization"}),
    "pooling": frozenset({"QLinearGlobalAveragePool", "QLinearAveragePool", "NhwcMaxPool"}),
    "data_movement": frozenset({"QLinearConcat", "QLinearWhere", "Transpose"}),
}


def _formula(node: Any) -> MacFormula | None:
    if node.domain in STANDARD_DOMAINS:
        return MAC_FORMULAS.get(node.op_type)
    return MS_MAC_FORMULAS.get(node.op_type) if node.domain == MS_DOMAIN else None


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


@dataclass
class _Values:
    """Static shapes and element sizes of a graph's values."""

    shapes: dict[str, Shape]
    itemsize: dict[str, int]
    constant: set[str]  # initializers and Constant outputs

    def nbytes(self, name: str) -> int:
        shape = self.shapes.get(name)
        return _numel(shape) * self.itemsize.get(name, 0) if shape is not None else 0

    def of(self, names: Any) -> list[Shape | None]:
        return [self.shapes.get(n) if n else None for n in names]

    def merge(self, other: _Values) -> None:
        """Take `other`'s shapes and sizes where this has none."""
        for name, shape in other.shapes.items():
            self.shapes.setdefault(name, shape)
        for name, size in other.itemsize.items():
            self.itemsize.setdefault(name, size)


def _values(graph: Any) -> _Values:
    """Every value's static shape and element size in `graph`: inputs, outputs, value_info, initializers and
    Constant nodes."""
    import onnx

    def size(elem_type: int) -> int:
        try:
            return int(onnx.helper.tensor_dtype_to_np_dtype(elem_type).itemsize)
        except (KeyError, TypeError, ValueError):
            return 0

    values = _Values({}, {}, set())
    for info in [*graph.input, *graph.value_info, *graph.output]:
        shape = _static_shape(info.type)
        if shape is not None:
            values.shapes[info.name] = shape
        if info.type.HasField("tensor_type"):
            values.itemsize[info.name] = size(info.type.tensor_type.elem_type)
    for init in graph.initializer:
        values.shapes[init.name] = tuple(int(d) for d in init.dims)
        values.itemsize[init.name] = size(init.data_type)
        values.constant.add(init.name)
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in STANDARD_DOMAINS:
            values.constant.add(node.output[0])
            for a in node.attribute:
                if a.name == "value":
                    values.shapes[node.output[0]] = tuple(int(d) for d in a.t.dims)
                    values.itemsize[node.output[0]] = size(a.t.data_type)
    return values


def infer(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with ONNX shape inference applied (data propagation on, so Reshape targets become static)."""
    import onnx

    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:  # inference failed on some node: fall back to the shapes the exporter recorded
        LOG.info("ONNX shape inference failed (%s); using the shapes recorded in the graph", exc)
        return model


def without_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy whose large initializers are shaped graph inputs without data: shape inference on it is fast
    and works on graphs past protobuf's 2 GB limit."""
    import onnx
    from onnx import helper

    work = onnx.ModelProto()
    work.CopyFrom(model)
    small = [i for i in work.graph.initializer if _numel(tuple(i.dims)) <= FOLD_ELEMENTS]
    inputs = {i.name for i in work.graph.input}
    work.graph.input.extend(helper.make_tensor_value_info(i.name, i.data_type, list(i.dims))
                            for i in work.graph.initializer if _numel(tuple(i.dims)) > FOLD_ELEMENTS
                            and i.name not in inputs)
    del work.graph.initializer[:]
    work.graph.initializer.extend(small)
    return work


def node_key(node: Any, index: int) -> str:
    """A node's name, or "<op_type>:<index>" when it has none."""
    return node.name or f"{node.op_type}:{index}"


def module_of(name: str) -> str:
    """The dotted module path in a TorchScript-exporter node name: "/layer1/layer1.0/conv1/Conv" ->
    "layer1.0.conv1" (each scope is an attribute name, or the full path of a container's child)."""
    path = ""
    for part in name.split("/")[1:-1]:
        path = part if not path or part.startswith(path + ".") else f"{path}.{part}"
    return path


def _classify(node: Any) -> str:
    """"mac" (has a formula), a 0-MAC kind, or "uncounted"."""
    if _formula(node) is not None:
        return "mac"
    zero = ZERO_MAC_KINDS if node.domain in STANDARD_DOMAINS else MS_ZERO_MAC_KINDS if node.domain == MS_DOMAIN \
        else {}
    for kind, ops in zero.items():
        if node.op_type in ops:
            return kind
    if node.domain not in STANDARD_DOMAINS:
        return "uncounted"
    if node.op_type in CONTROL_FLOW and _body_is_zero(node):
        return "other"
    return "uncounted"


def _body_is_zero(node: Any) -> bool:
    """Control flow whose subgraphs (recursively) hold only known 0-MAC ops: its cost is 0 whatever runs."""
    import onnx

    for a in node.attribute:
        graphs = [a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)
        for g in graphs:
            if any(_classify(n) in ("mac", "uncounted") for n in g.node):
                return False
    return True


def _mac_kind(node: Any, ins: list[Shape | None]) -> str:
    if node.op_type in ("LSTM", "GRU", "RNN"):
        return "recurrent"
    if node.op_type == "Attention":
        return "attention"
    if "Conv" not in node.op_type:
        return "matmul"
    x = ins[0]
    groups = int(_attr(node, "group", 1))
    return "depthwise_conv" if groups > 1 and x is not None and len(x) > 1 and groups == x[1] else "conv"


def count_nodes(model: onnx.ModelProto, feeds: dict[str, Any] | None = None) -> tuple[list[NodeCount], int]:
    """Every node of the top-level graph with its kind, MACs and bytes, after shape inference (see
    `static_values`); and the peak bytes of live non-constant values (graph inputs and node outputs, freed
    after their last reader)."""
    graph = model.graph
    values = static_values(model, feeds)
    records: list[NodeCount] = []
    for index, node in enumerate(graph.node):
        kind = _classify(node)
        ins, outs = values.of(node.input), values.of(node.output)
        macs, counted, steps, state = 0, kind != "uncounted", 0, 0
        formula = _formula(node)
        if formula is not None:
            kind = _mac_kind(node, ins)
            try:
                macs = int(formula(node, ins, outs))
            except (_Unknown, IndexError):
                counted = False
            if kind == "recurrent" and ins[0] is not None and ins[2] is not None:
                x, r = ins[0], ins[2]
                steps = (x[1] if _attr(node, "layout", 0) else x[0]) * r[0]
                state = _numel(r[1:])
        name = node_key(node, index)
        records.append(NodeCount(
            name=name, op_type=node.op_type, kind=kind if kind != "uncounted" else "other", module=module_of(name),
            macs=macs, counted=counted, bytes_read=sum(values.nbytes(n) for n in node.input if n),
            bytes_written=sum(values.nbytes(n) for n in node.output if n), steps=steps, state_weights=state))
    return records, _peak_bytes(graph, values)


def _unshaped(graph: Any, values: _Values) -> set[str]:
    """Values a MAC node needs whose shape is not static (the inputs and outputs of nodes not yet countable)."""
    names: set[str] = set()
    for node in graph.node:
        formula = _formula(node)
        if formula is None:
            continue
        try:
            formula(node, values.of(node.input), values.of(node.output))
        except (_Unknown, IndexError):
            names.update(n for n in [*node.input, *node.output] if n and n not in values.shapes)
    return names


def static_values(model: onnx.ModelProto, feeds: dict[str, Any] | None = None) -> _Values:
    """Shapes and element sizes of the graph's values: ONNX shape inference (with data propagation); where a
    MAC node's shapes are still unknown, shape-computing subgraphs (constants, Shape of static values, small
    tensors) are folded and inference runs again; where they are still unknown (data-dependent shapes, e.g.
    after NonMaxSuppression) and `feeds` (graph input name -> array) are given, one run of the graph under
    onnxruntime on them supplies the missing shapes."""
    light = without_weights(model)
    values = _values(infer(light).graph)
    values.constant |= {i.name for i in model.graph.initializer}
    missing = _unshaped(model.graph, values)
    if missing:
        folded = _fold(light, missing)
        values.merge(_values(folded.graph))
        still = _unshaped(model.graph, values)
        LOG.info("shapes of %d values MAC nodes need came from folding shape computations", len(missing - still))
        missing = still
    if missing and feeds is not None:
        try:
            values.shapes.update({n: shape for n, (shape, _) in run_values(model, feeds, missing).items()})
        except Exception as exc:  # the graph does not run: its MAC nodes without shapes stay uncounted
            LOG.warning("onnxruntime could not run the graph to find data-dependent shapes: %s",
                        str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__)
        else:
            LOG.info("shapes of %d values MAC nodes need came from one onnxruntime run (data-dependent shapes)",
                     len(missing))
    return values


def _fold(model: onnx.ModelProto, missing: set[str], rounds: int = 200) -> onnx.ModelProto:
    """The model with every small value computable from constants and static shapes turned into an
    initializer (its producing node removed), then shape-inferred; repeated while it makes progress (a
    Shape node becomes foldable once the previous round's inference made its input static, so a deep
    network takes a round per block). `model` comes from `without_weights`."""
    import onnx
    from onnx import numpy_helper

    work = onnx.ModelProto()
    work.CopyFrom(model)
    opset = next((o.version for o in model.opset_import if o.domain in STANDARD_DOMAINS), 17)
    known = {i.name: numpy_helper.to_array(i) for i in work.graph.initializer}
    inferred = infer(work)
    for _ in range(rounds):
        shapes = _values(inferred.graph).shapes
        kept, folded = [], []
        for node in work.graph.node:
            arrays = _evaluate(node, known, shapes, opset)
            if arrays is None:
                kept.append(node)
                continue
            folded.append(node)
            for name, array in zip(node.output, arrays, strict=False):
                known[name] = array
                work.graph.initializer.append(numpy_helper.from_array(array, name))
        if not folded:
            break
        del work.graph.node[:]
        work.graph.node.extend(kept)
        inferred = infer(work)
        if not missing - set(_values(inferred.graph).shapes):
            break
    return inferred


def _evaluate(node: Any, known: dict[str, Any], shapes: dict[str, Shape], opset: int) -> list[Any] | None:
    """The outputs of `node` when they follow from known values and static shapes and are small; else None."""
    import numpy as np

    if node.domain not in STANDARD_DOMAINS or node.op_type in _NOT_FOLDED or _formula(node) is not None:
        return None
    if node.op_type in ("Shape", "Size"):
        shape = shapes.get(node.input[0])
        if shape is None:
            return None
        if node.op_type == "Size":
            return [np.array(_numel(shape), dtype=np.int64)]
        start, end = int(_attr(node, "start", 0)), _attr(node, "end", None)
        return [np.array(shape[start:None if end is None else int(end)], dtype=np.int64)]
    if not all(n in known for n in node.input if n):
        return None
    from onnx.reference import ReferenceEvaluator

    try:
        feeds = {n: known[n] for n in node.input if n}
        arrays = ReferenceEvaluator(node, opsets={"": opset}).run(None, feeds)
    except Exception:  # an op the reference evaluator cannot run here: leave it to inference
        return None
    if any(not isinstance(a, np.ndarray) or a.size > FOLD_ELEMENTS for a in arrays):
        return None
    return list(arrays)


def run_values(model: onnx.ModelProto, feeds: dict[str, Any], names: set[str]) -> dict[str, tuple[Shape, int]]:
    """Shape and element size (bytes) of `names` from one run of the graph under onnxruntime (all of them exposed
    as outputs); a name whose value is not a tensor is left out."""
    import onnx
    import onnxruntime as ort

    work = onnx.ModelProto()
    work.CopyFrom(model)
    for node in work.graph.node:  # the exporter's shape notes inside If/Loop bodies can be wrong: drop them
        for attr in node.attribute:
            for body in [attr.g] if attr.type == onnx.AttributeProto.GRAPH else attr.graphs:
                del body.value_info[:]
                for out in body.output:
                    if out.type.HasField("tensor_type"):
                        out.type.tensor_type.ClearField("shape")
    outputs = {o.name for o in work.graph.output}
    work.graph.output.extend(onnx.ValueInfoProto(name=n) for n in sorted(names - outputs))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(work.SerializeToString(), options, providers=["CPUExecutionProvider"])
    wanted = [o.name for o in session.get_outputs() if o.name in names]
    results = session.run(wanted, {k: v for k, v in feeds.items() if k in {i.name for i in session.get_inputs()}})
    return {n: (tuple(int(d) for d in r.shape), int(r.dtype.itemsize)) for n, r in zip(wanted, results, strict=True)
            if hasattr(r, "shape")}


def _peak_bytes(graph: Any, values: _Values) -> int:
    last_use: dict[str, int] = {}
    for index, node in enumerate(graph.node):
        for n in node.input:
            last_use[n] = index
    keep = {o.name for o in graph.output}
    live = {i.name for i in graph.input if i.name not in values.constant}
    current = sum(values.nbytes(n) for n in live)
    peak = current
    for index, node in enumerate(graph.node):
        for n in node.output:
            if n and n not in values.constant and n not in live:
                live.add(n)
                current += values.nbytes(n)
        peak = max(peak, current)
        for n in [*node.input, *node.output]:
            if n in live and n not in keep and last_use.get(n, -1) <= index:
                live.discard(n)
                current -= values.nbytes(n)
    return peak


def node_macs(model: onnx.ModelProto) -> dict[str, int]:
    """Node name -> MACs for every node of the top-level graph with MACs > 0, after ONNX shape inference
    (static shapes). A node without a name is keyed "<op_type>:<index>"."""
    macs: dict[str, int] = {}
    for rec in count_nodes(model)[0]:
        if rec.macs > 0:
            macs[rec.name] = macs.get(rec.name, 0) + rec.macs
    return macs


def count_graph(model: onnx.ModelProto, feeds: dict[str, Any] | None = None) -> OnnxCount:
    """Count a loaded ONNX model (`feeds`: see `static_values`)."""
    import onnx

    records, peak = count_nodes(model, feeds)
    by_type: Counter[str] = Counter()
    uncounted: Counter[str] = Counter()
    for rec in records:
        if rec.macs:
            by_type[rec.op_type] += rec.macs
        if not rec.counted:
            uncounted[rec.op_type] += 1
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16,
              onnx.TensorProto.DOUBLE}
    params = sum(_numel(tuple(i.dims)) for i in model.graph.initializer if i.data_type in floats)
    return OnnxCount(macs=sum(r.macs for r in records), by_op_type=dict(by_type), uncounted=dict(uncounted),
                     nodes=records, params=params, peak_activation_bytes=peak)


def count_onnx(path: Path, feeds: dict[str, Any] | None = None) -> OnnxCount:
    """Count the ONNX graph at `path`. Shapes come from ONNX shape inference (static shapes); `feeds` (graph
    input name -> numpy array) are used only where a MAC node's shapes depend on data (see `static_values`)."""
    import onnx

    return count_graph(onnx.load(str(path)), feeds)

"""int8 for ONNX Runtime: quantize an ONNX graph with onnxruntime.quantization, then read back which layers ORT
really runs in integer kernels.

Method: `quant_pre_process` (shape inference and ORT's basic graph optimisation; symbolic shape inference is
skipped where it fails, e.g. on attention reshapes), then `quantize_static` in QDQ format with per-channel
int8 weights and uint8 activations calibrated (MinMax) on generated batches, then `quantize_dynamic` for the
LSTM layers (ORT has QDQ kernels for no recurrent layer; it has a dynamic int8 LSTM, DynamicQuantizeLSTM,
and nothing for GRU/RNN, which stay fp32).

uint8 activations, not int8: measured with ORT 1.32 on x86 (resnet18), int8 activations left 11 of 20 convs as
float Conv after ORT's optimizer (an int8 QuantizeLinear feeding two consumers is not converted to uint8 and
x86 fuses only uint8-activation groups), uint8 activations fused all 20 into QLinearConv. Without VNNI,
weights use a 7-bit range (`reduce_range`) so the u8×s8 pair instructions cannot saturate. A tensor whose
calibrated range reaches ±inf (a -inf attention mask) gets an infinite scale: the nodes that read or write
it are kept float and the graph is quantized again with the same ranges (transformer_seq2seq: 12 nodes;
without this its int8 output was off by 87% of the largest fp32 value, with it by 10%).

What runs in int8 is read from ORT's own optimised graph (ORT_ENABLE_EXTENDED, where QDQ groups are fused into
QLinearConv/QGemm/QLinearMatMul/...): each of its compute nodes is mapped back by name to the fp32 graph's
node (names survive quantization; fused nodes extend them, e.g. "/fc/MatMul/MatMulAddFusion", "/rnn/LSTM_quant")
and weighted by that node's MACs (onnx_count.node_macs).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsel.profiling.deploy import one_line

if TYPE_CHECKING:
    import numpy as np

# ORT kernels that compute in integers: statically quantized ...
STATIC_INT8_KERNELS = frozenset({"QLinearConv", "QLinearMatMul", "QGemm", "QAttention", "ConvInteger",
                                 "MatMulInteger", "NhwcQLinearConv", "QLinearConvTranspose"})
# ... and quantizing their activations at run time
DYNAMIC_INT8_KERNELS = frozenset({"DynamicQuantizeLSTM", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"})
DYNAMIC_OP_TYPES = ("LSTM",)  # quantize_dynamic where static QDQ has no kernel
CALIBRATION = "MinMax"
UNBOUNDED_KEY = "archsel.unbounded_nodes"  # metadata of a quantized graph: the nodes kept float


class QuantizationFailed(RuntimeError):
    """onnxruntime.quantization could not quantize the graph (one-line reason)."""


@dataclass(frozen=True)
class QuantSettings:
    """What a quantized graph depends on besides the fp32 graph: it names the cached file."""

    calibration_batches: int
    reduce_range: bool  # 7-bit weights (CPUs without VNNI)
    ort_version: str

    def tag(self) -> str:
        rr = "-rr" if self.reduce_range else ""
        return (f"int8-qdq-u8s8-perchannel{rr}-{CALIBRATION.lower()}-cal{self.calibration_batches}"
                f"-dyn{'+'.join(DYNAMIC_OP_TYPES).lower()}.ort{self.ort_version}")

    def describe(self) -> dict[str, str]:
        """The method, weights, activations and calibration fields of Runner.int8."""
        weights = "int8 symmetric, per output channel" + (
            " (7-bit range: this CPU has no VNNI)" if self.reduce_range else "")
        return {
            "method": ("onnxruntime.quantization static post-training int8 (QDQ format, MinMax calibration, after "
                       "quant_pre_process); LSTM layers dynamic int8 (quantize_dynamic)"),
            "weights": weights,
            "activations": ("uint8 asymmetric per tensor, scales fixed by calibration (LSTM: quantized per call "
                            "at run time)"),
            "calibration": f"{self.calibration_batches} generated batches; the accuracy effect was not measured",
        }


@dataclass(frozen=True)
class Quantized:
    """A quantized graph on disk."""

    path: Path
    seconds: float  # time to quantize (0 when reused)
    reused: bool
    unbounded_nodes: tuple[str, ...]  # kept float: a tensor they read or write has an infinite range


def _unbounded_nodes(path: Path) -> tuple[str, ...]:
    import onnx

    props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    return tuple(json.loads(props.get(UNBOUNDED_KEY, "[]")))


@dataclass(frozen=True)
class Int8Layers:
    """Which of the fp32 graph's MAC-bearing layers ORT runs in integer kernels, weighted by MACs."""

    int8_mac_fraction: float | None  # None: no MAC-bearing layer has known MACs
    int8_layers: int
    float_layers: int
    dynamic_layers: int
    unknown_mac_layers: int  # layers whose shapes ONNX shape inference left unknown: outside int8_mac_fraction
    float_layer_types: dict[str, int]  # op type (fp32 graph) -> layers that stay float

    def to_dict(self) -> dict[str, Any]:
        return {"int8_mac_fraction": self.int8_mac_fraction, "int8_layers": self.int8_layers,
                "float_layers": self.float_layers, "dynamic_layers": self.dynamic_layers,
                "unknown_mac_layers": self.unknown_mac_layers,
                "float_layer_types": self.float_layer_types}


def cpu_has_vnni() -> bool:
    """Whether this CPU has VNNI (u8×s8 dot products without saturation); True when it cannot be read."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return True
    return any(flag in flags for flag in (" avx512_vnni", " avx_vnni", " amx_int8", " asimddp"))


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence onnxruntime.quantization's log warnings (root logger), Python warnings and ORT's session logging."""
    import onnxruntime

    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    onnxruntime.set_default_logger_severity(3)
    try:
        with warnings.catch_warnings():  # numpy's divide warnings on ±inf ranges, which are handled after
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)
        onnxruntime.set_default_logger_severity(2)


def _preprocess(source: Path, target: Path) -> None:
    from onnxruntime.quantization.shape_inference import quant_pre_process

    try:
        quant_pre_process(str(source), str(target))
    except Exception:  # symbolic shape inference rejects some graphs (attention reshapes): ONNX's inference only
        quant_pre_process(str(source), str(target), skip_symbolic_shape=True)


def _reader(feeds: list[dict[str, np.ndarray]]) -> Any:
    """The calibration batches as quantize_static reads them (a CalibrationDataReader)."""
    from onnxruntime.quantization import CalibrationDataReader

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._feeds, None)

    return Batches()


def _unbounded_tensors(graph: Any) -> set[str]:
    """The float tensors quantize_static gave a non-finite scale (ranges holding ±inf: -inf attention masks)."""
    import numpy as np
    from onnx import numpy_helper

    initializers = {i.name: i for i in graph.initializer}
    found: set[str] = set()
    for node in graph.node:
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear") or len(node.input) < 2 \
                or node.input[1] not in initializers:
            continue
        if np.isfinite(numpy_helper.to_array(initializers[node.input[1]])).all():
            continue
        if node.op_type == "QuantizeLinear":
            found.add(node.input[0])
        elif node.input[0] in initializers:  # a quantized constant; activations are named by their Q
            found.add(node.input[0].removesuffix("_quantized"))
    return found


def _quantize_into(source: Path, work: Path, calibration: list[dict[str, np.ndarray]],
                   settings: QuantSettings) -> tuple[Path, list[str]]:
    """The quantized graph in `work` and the nodes kept float because their ranges are unbounded."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_dynamic, quantize_static

    pre, static, dynamic = work / "pre.onnx", work / "static.onnx", work / "dynamic.onnx"
    with contextlib.chdir(work):  # symbolic shape inference leaves sym_shape_infer_temp.onnx in the cwd on failure
        _preprocess(source, pre)
    excluded: list[str] = []
    for _ in range(3):  # quantize; keep float the nodes around tensors with infinite ranges; again (same ranges)
        quantize_static(str(pre), str(static), _reader(calibration), quant_format=QuantFormat.QDQ,
                        per_channel=True, reduce_range=settings.reduce_range, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
                        nodes_to_exclude=excluded, calibration_cache_path=str(work / "ranges.json"))
        graph = onnx.load(str(static), load_external_data=False)
        unbounded = _unbounded_tensors(graph.graph)
        touching = {n.name for n in onnx.load(str(pre), load_external_data=False).graph.node
                    if n.name and unbounded & {*n.input, *n.output}}
        if not touching - set(excluded):
            break
        excluded = sorted({*excluded, *touching})
    if unbounded:
        raise QuantizationFailed(f"{len(unbounded)} tensors have infinite calibrated ranges and could not be "
                                 "kept in float")
    result = static
    if any(n.op_type in DYNAMIC_OP_TYPES for n in graph.graph.node):
        quantize_dynamic(str(static), str(dynamic), op_types_to_quantize=list(DYNAMIC_OP_TYPES),
                         reduce_range=settings.reduce_range, weight_type=QuantType.QInt8)
        result = dynamic
    if excluded:
        final = onnx.load(str(result))
        onnx.helper.set_model_props(final, {UNBOUNDED_KEY: json.dumps(excluded)})
        onnx.save(final, str(result))
    return result, excluded


def quantize(source: Path, calibration: list[dict[str, np.ndarray]], target: Path,
             settings: QuantSettings) -> Quantized:
    """The int8 graph of `source` at `target`: reused when present, else quantized in a temporary folder
    beside it and renamed into place (a crash or a concurrent run never leaves half a graph).
    Raises QuantizationFailed with a one-line reason."""
    if target.is_file():
        return Quantized(target, 0.0, True, _unbounded_nodes(target))
    if not calibration:
        raise QuantizationFailed("int8 needs at least one calibration batch")
    t0 = time.perf_counter()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise QuantizationFailed(f"cannot write the int8 graph beside {target}: {one_line(exc)}") from exc
    try:
        with _quiet():
            result, excluded = _quantize_into(source.resolve(), work.resolve(), calibration, settings)
        os.replace(result, target)
    except Exception as exc:
        raise QuantizationFailed(f"onnxruntime.quantization failed: {one_line(exc)}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Quantized(target, time.perf_counter() - t0, False, tuple(excluded))


def optimized_graph(path: Path) -> Any:
    """ORT's optimised form of the graph at `path` (ORT_ENABLE_EXTENDED: QDQ groups fused into integer kernels;
    the NCHWc/NHWC layout passes of ORT_ENABLE_ALL change no precision) as an onnx.ModelProto."""
    import onnx
    import onnxruntime

    with tempfile.TemporaryDirectory(prefix="archsel-ort-") as tmp:
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(Path(tmp) / "optimized.onnx")
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return onnx.load(options.optimized_model_filepath)


def source_layer(name: str, layers: Container[str]) -> str | None:
    """The fp32 layer an optimised node comes from: the same name, else the longest fp32 name it extends."""
    if name in layers:
        return name
    for end in range(len(name) - 1, 0, -1):
        if name[end] in "/_" and name[:end] in layers:
            return name[:end]
    return None


def compute_layers(fp32_graph: Any) -> dict[str, tuple[str, int | None]]:
    """Every top-level node of a MAC-bearing op type: name -> (op type, MACs, None where shape inference
    left its shapes unknown)."""
    from archsel.profiling.deploy.onnx_count import MAC_FORMULAS, STANDARD_DOMAINS, node_key, node_macs

    macs = node_macs(fp32_graph)
    layers: dict[str, tuple[str, int | None]] = {}
    for index, node in enumerate(fp32_graph.graph.node):
        key = node_key(node, index)
        if key in macs or (node.op_type in MAC_FORMULAS and node.domain in STANDARD_DOMAINS):
            layers[key] = (node.op_type, macs.get(key))
    return layers


def int8_layers(fp32_graph: Any, optimized: Any) -> Int8Layers:
    """Which MAC-bearing layers of `fp32_graph` became integer kernels in `optimized` (ORT's optimised int8
    graph); a layer whose node cannot be found there counts as float. The MAC fraction is over the layers
    whose MACs are known; the others are counted in `unknown_mac_layers`."""
    layers = compute_layers(fp32_graph)
    kinds: dict[str, set[str]] = {layer: set() for layer in layers}
    for node in optimized.graph.node:
        layer = source_layer(node.name, layers)
        if layer is None:
            continue
        if node.op_type in DYNAMIC_INT8_KERNELS:
            kinds[layer].add("dynamic")
        elif node.op_type in STATIC_INT8_KERNELS or node.op_type.startswith("QLinear"):
            kinds[layer].add("static")
    int8 = {layer for layer, kind in kinds.items() if kind}
    floats = [layer for layer in layers if layer not in int8]
    macs = {layer: n for layer, (_, n) in layers.items() if n is not None}
    total = sum(macs.values())
    return Int8Layers(
        int8_mac_fraction=sum(n for layer, n in macs.items() if layer in int8) / total if total else None,
        int8_layers=len(int8), float_layers=len(floats),
        dynamic_layers=sum("dynamic" in kinds[layer] for layer in int8),
        unknown_mac_layers=len(layers) - len(macs),
        float_layer_types=dict(Counter(layers[layer][0] for layer in floats)))

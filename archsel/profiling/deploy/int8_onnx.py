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
weights use a 7-bit range (`reduce_range`) so the u8×s8 pair instructions cannot saturate.

What runs in int8 is read from ORT's own optimised graph (ORT_ENABLE_EXTENDED, where QDQ groups are fused into
QLinearConv/QGemm/QLinearMatMul/...): each of its compute nodes is mapped back by name to the fp32 graph's
node (names survive quantization; fused nodes extend them, e.g. "/fc/MatMul/MatMulAddFusion", "/rnn/LSTM_quant")
and weighted by that node's MACs (onnx_count.node_macs).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# ORT kernels that compute in integers: statically quantized ...
STATIC_INT8_KERNELS = frozenset({"QLinearConv", "QLinearMatMul", "QGemm", "QAttention", "ConvInteger",
                                 "MatMulInteger", "NhwcQLinearConv", "QLinearConvTranspose"})
# ... and quantizing their activations at run time
DYNAMIC_INT8_KERNELS = frozenset({"DynamicQuantizeLSTM", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"})
DYNAMIC_OP_TYPES = ("LSTM",)  # quantize_dynamic where static QDQ has no kernel
CALIBRATION = "MinMax"


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


@dataclass(frozen=True)
class Int8Layers:
    """Which of the fp32 graph's MAC-bearing layers ORT runs in integer kernels, weighted by MACs."""

    int8_mac_fraction: float
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


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:300] if text else ''}".rstrip(": ")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence onnxruntime.quantization's log warnings (root logger) and ORT's session logging."""
    import onnxruntime

    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    onnxruntime.set_default_logger_severity(3)
    try:
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


def _quantize_into(source: Path, work: Path, calibration: list[dict[str, np.ndarray]],
                   settings: QuantSettings) -> Path:
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_dynamic, quantize_static

    pre, static, dynamic = work / "pre.onnx", work / "static.onnx", work / "dynamic.onnx"
    _preprocess(source, pre)
    quantize_static(str(pre), str(static), _reader(calibration), quant_format=QuantFormat.QDQ, per_channel=True,
                    reduce_range=settings.reduce_range, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax)
    graph = onnx.load(str(static), load_external_data=False)
    if not any(n.op_type in DYNAMIC_OP_TYPES for n in graph.graph.node):
        return static
    quantize_dynamic(str(static), str(dynamic), op_types_to_quantize=list(DYNAMIC_OP_TYPES),
                     reduce_range=settings.reduce_range, weight_type=QuantType.QInt8)
    return dynamic


def quantize(source: Path, calibration: list[dict[str, np.ndarray]], target: Path,
             settings: QuantSettings) -> Quantized:
    """The int8 graph of `source` at `target`: reused when present, else quantized in a temporary folder
    beside it and renamed into place (a crash or a concurrent run never leaves half a graph).
    Raises QuantizationFailed with a one-line reason."""
    if target.is_file():
        return Quantized(target, 0.0, True)
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
            result = _quantize_into(source, work, calibration, settings)
        os.replace(result, target)
    except Exception as exc:
        raise QuantizationFailed(f"onnxruntime.quantization failed: {one_line(exc)}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Quantized(target, time.perf_counter() - t0, False)


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
        int8_mac_fraction=sum(n for layer, n in macs.items() if layer in int8) / total if total else 0.0,
        int8_layers=len(int8), float_layers=len(floats),
        dynamic_layers=sum("dynamic" in kinds[layer] for layer in int8),
        unknown_mac_layers=len(layers) - len(macs),
        float_layer_types=dict(Counter(layers[layer][0] for layer in floats)))

"""OpenVINO backend: the exported ONNX graph compiled by OpenVINO's CPU plugin for latency, at fp32, bf16, fp16,
or int8 through NNCF post-training quantization.

Compile settings: PERFORMANCE_HINT LATENCY, NUM_STREAMS 1, INFERENCE_NUM_THREADS = threads and an explicit
INFERENCE_PRECISION_HINT (on a CPU with AVX512-BF16/AMX the plugin defaults to bf16, so fp32 sets f32). The
precision the compiled model computes in is read back from it, not assumed.

int8: `nncf.quantize` on the OpenVINO model with the generated calibration batches (8-bit weights per channel,
8-bit activations per tensor); ModelType.TRANSFORMER for graphs with attention (an activation x activation
MatMul feeding a Softmax), as NNCF recommends for transformers (mixed preset, SmoothQuant, attention-specific
patterns left in float). The quantized model is kept as OpenVINO IR in `cache_dir`. What ran in int8 is read
from the executed graph (`get_runtime_model()`): each layer's runtimePrecision, its originalLayersNames mapped
back to ONNX nodes, whose MACs come from `onnx_count.node_macs`.

Measured (OpenVINO 2026.4.1, NNCF 3.4.0, Xeon with AMX, batch 1, 1 thread, 8 calibration batches): resnet18
runs 100% of its MACs in int8; mobilenet_v3_large 92% (NNCF quantizes its 15 depthwise convolutions, the CPU
plugin still runs them in f32); transformer_text_classifier 93% (ModelType.TRANSFORMER leaves attention's A·V
on the float softmax output); lstm_lm 50%: NNCF leaves LSTMSequence unquantized (runs as a float RNNSeq layer).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsel.profiling.cache import make_key
from archsel.profiling.deploy import Runner, one_line
from archsel.profiling.precision import UnsupportedPrecision

if TYPE_CHECKING:
    import numpy as np
    import onnx

    from archsel.profiling.deploy.export import Exported

LOG = logging.getLogger(__name__)
DEVICE = "CPU"
PRECISION_HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16", "int8": "f32"}  # int8: what stays float is f32
CAPABILITIES = {"bf16": "BF16", "fp16": "FP16", "int8": "INT8"}  # OPTIMIZATION_CAPABILITIES a precision needs
INT8_PRECISIONS = frozenset({"u8", "i8"})
# executed-graph layer types that carry a graph's multiply-accumulates
COMPUTE_LAYERS = frozenset({"Convolution", "Deconvolution", "FullyConnected", "MatMul", "RNNSeq", "RNNCell",
                            "ScaledDotProductAttention", "MHA", "Einsum"})
RECURRENT_ONNX = frozenset({"LSTM", "GRU", "RNN"})
RECURRENT_LAYERS = frozenset({"RNNSeq", "RNNCell"})
GRAPH_OPTIMIZATION = "LATENCY hint, 1 stream"
INT8_SUBDIR_TAG = "openvino-nncf-int8"


class OpenVINOFailed(RuntimeError):
    """OpenVINO could not read, quantize or compile the graph (one-line reason)."""


def version() -> str:
    import openvino

    return str(openvino.__version__)


def prepare(graph: Exported, inputs: list[np.ndarray], *, precision: str, threads: int,
            calibration: list[list[np.ndarray]], cache_dir: Path) -> Runner:
    """Compile `graph` for the CPU at `precision` with `threads` threads and bind `inputs` to one InferRequest."""
    import openvino as ov

    if precision not in PRECISION_HINTS:
        raise UnsupportedPrecision(f"OpenVINO measures {', '.join(PRECISION_HINTS)} here, not {precision}")
    core = ov.Core()
    _check_capability(core, precision)
    feed = graph_feed(graph, inputs)
    model = _guarded("reading the ONNX graph", lambda: core.read_model(str(graph.path)))
    notes: list[str] = []
    quantized: dict[str, Any] | None = None
    if precision == "int8":
        model, quantized = quantized_model(core, model, graph, [graph_feed(graph, b) for b in calibration],
                                           cache_dir)
    config = {"PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1, "INFERENCE_NUM_THREADS": int(threads),
              "INFERENCE_PRECISION_HINT": PRECISION_HINTS[precision]}
    compiled = _guarded("compiling", lambda: core.compile_model(model, DEVICE, config))
    request = _guarded("binding the inputs", lambda: _bound_request(compiled, feed))
    layers = runtime_layers(compiled)
    computed_in = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    conditions: dict[str, Any] = {
        "runtime": "openvino", "runtime_version": version(),
        "runtime_device": f"{DEVICE} ({core.get_property(DEVICE, 'FULL_DEVICE_NAME')})",
        "threads": int(compiled.get_property("INFERENCE_NUM_THREADS")),
        "graph_optimization": GRAPH_OPTIMIZATION, "inference_precision": computed_in,
        "exporter": graph.describe(),
        "model_format": "OpenVINO IR quantized by NNCF" if quantized else "ONNX read by openvino.Core.read_model",
        "performance_hint": str(compiled.get_property("PERFORMANCE_HINT")),
        "num_streams": int(compiled.get_property("NUM_STREAMS")),
        "cpu_capabilities": list(core.get_property(DEVICE, "OPTIMIZATION_CAPABILITIES")),
        "compute_layer_precisions": dict(Counter(p for t, p, _ in layers if t in COMPUTE_LAYERS)),
    }
    if conditions["threads"] != threads:
        notes.append(f"OpenVINO runs {conditions['threads']} threads (asked {threads})")
    if precision in ("bf16", "fp16") and computed_in != PRECISION_HINTS[precision]:
        notes.append(f"asked {precision}, the compiled model computes in {computed_in}")
    int8 = None
    if quantized is not None:
        int8 = {**quantized, **_guarded("reading what ran in int8", lambda: int8_share(layers, graph.path, model))}
        float_types = int8["float_layer_types"]
        kinds = ", ".join(f"{count} {kind}" for kind, count in float_types.items())
        notes.append(f"int8: {int8['int8_mac_fraction']:.0%} of the MACs run in int8 ({int8['int8_layers']} int8 "
                     f"compute layers; float: {kinds or 'none'}); accuracy not measured")
        if any(t in RECURRENT_LAYERS for t in float_types):
            notes.append("int8: recurrent layers (LSTM/GRU/RNN) stay float: NNCF does not quantize them")
    return Runner(call=lambda: request.infer(share_outputs=True), conditions=conditions, notes=notes, int8=int8)


def _bound_request(compiled: Any, feed: dict[str, np.ndarray]) -> Any:
    """One InferRequest with `feed` bound to its inputs (reused by every call)."""
    import openvino as ov

    request = compiled.create_infer_request()
    for name, array in feed.items():
        request.set_tensor(name, ov.Tensor(array))
    return request


def graph_feed(graph: Exported, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Exported.feed, its mismatch an OpenVINOFailed."""
    try:
        return graph.feed(inputs)
    except ValueError as exc:
        raise OpenVINOFailed(str(exc)) from None


def _check_capability(core: Any, precision: str) -> None:
    capabilities = list(core.get_property(DEVICE, "OPTIMIZATION_CAPABILITIES"))
    needed = CAPABILITIES.get(precision)
    if needed and needed not in capabilities:
        raise UnsupportedPrecision(f"OpenVINO's CPU plugin here has no {needed} in OPTIMIZATION_CAPABILITIES "
                                   f"({', '.join(capabilities)})")


def _guarded(stage: str, action: Any) -> Any:
    """Run `action()`; any error becomes an OpenVINOFailed naming `stage` in one line."""
    try:
        return action()
    except (UnsupportedPrecision, OpenVINOFailed):
        raise
    except Exception as exc:
        raise OpenVINOFailed(f"OpenVINO failed {stage}: {one_line(exc)}") from exc


# ---- int8 through NNCF -------------------------------------------------------------------------------------

def is_attention_graph(model: Any) -> bool:
    """A Softmax and a MatMul of two activations (not a weight): scaled dot-product attention."""
    ops = model.get_ordered_ops()
    if not any(op.get_type_name() == "Softmax" for op in ops):
        return False
    return any(op.get_type_name() == "MatMul" and not any(_is_constant(v) for v in op.input_values())
               for op in ops)


def _is_constant(value: Any) -> bool:
    node = value.get_node()
    while node.get_type_name() in ("Convert", "Transpose", "Reshape", "Unsqueeze"):
        node = node.input_value(0).get_node()
    return bool(node.get_type_name() == "Constant")


@contextlib.contextmanager
def quiet_nncf() -> Iterator[list[str]]:
    """Keep NNCF's progress bars and log lines off stdout/stderr; yields the captured text lines."""
    captured: list[str] = []
    out, err = io.StringIO(), io.StringIO()
    nncf_logger = logging.getLogger("nncf")
    level = nncf_logger.level
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            warnings.simplefilter("ignore")
            nncf_logger.setLevel(logging.ERROR)
            yield captured
    finally:
        nncf_logger.setLevel(level)
        captured.extend(ln for ln in (out.getvalue() + err.getvalue()).splitlines() if ln.strip())
        for line in captured:
            LOG.debug("nncf: %s", line)


def quantized_model(core: Any, model: Any, graph: Exported, batches: list[dict[str, np.ndarray]],
                    cache_dir: Path) -> tuple[Any, dict[str, Any]]:
    """The NNCF-quantized model (read from `cache_dir` when there) and how it was made."""
    import openvino as ov

    if not batches:
        raise OpenVINOFailed("int8 needs calibration batches (none given)")
    with quiet_nncf():
        import nncf

    transformer = is_attention_graph(model)
    settings = {"kind": INT8_SUBDIR_TAG, "graph": graph.key_hash, "model_type": "transformer" if transformer else
                "default", "preset": "default", "subset_size": len(batches), "openvino": ov.__version__,
                "nncf": nncf.__version__}
    folder = Path(cache_dir) / f"{graph.key_hash[:24]}.{INT8_SUBDIR_TAG}.{make_key(settings)[:16]}"
    cached = _read_cached(core, folder)
    if cached is None:
        t0 = time.perf_counter()
        dataset = nncf.Dataset(batches)
        with quiet_nncf():
            quantized = _guarded("in NNCF quantization", lambda: nncf.quantize(
                model, dataset, subset_size=len(batches),
                model_type=nncf.ModelType.TRANSFORMER if transformer else None))
        meta: dict[str, Any] = {"quantize_s": round(time.perf_counter() - t0, 3), "settings": settings}
        _write_model(folder, quantized, meta)
    else:
        quantized, meta = cached
    preset = "mixed: asymmetric activations" if transformer else "performance: symmetric activations"
    method = (f"NNCF post-training quantization (nncf.quantize, nncf {nncf.__version__}, "
              f"model_type={'TRANSFORMER' if transformer else 'default'}, preset {preset.split(':')[0]}"
              f"{', SmoothQuant' if transformer else ''}, other settings NNCF's defaults)")
    return quantized, {
        "method": method,
        "weights": "int8 symmetric per output channel (FakeQuantize on the constants)",
        "activations": f"8-bit per tensor ({preset}), ranges from min/max over the calibration batches",
        "calibration": f"{len(batches)} generated batches; the accuracy effect was not measured",
        "quantize_s": float(meta["quantize_s"]),
        "quantized_model": str(folder / "model.xml"),
        "reused_from_cache": cached is not None,
    }


def _read_cached(core: Any, folder: Path) -> tuple[Any, dict[str, Any]] | None:
    """The quantized model and its meta from `folder`, or None (absent or damaged: quantize again)."""
    if not (folder / "model.xml").is_file():
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text())
        return core.read_model(str(folder / "model.xml")), meta
    except Exception as exc:  # a damaged copy: quantize again
        LOG.warning("discarding unreadable quantized model %s (%s)", folder, one_line(exc))
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _write_model(folder: Path, model: Any, meta: dict[str, Any]) -> None:
    """Save as IR into a temporary folder beside `folder`, then rename it into place (never half-written)."""
    import openvino as ov

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        ov.save_model(model, str(tmp / "model.xml"), compress_to_fp16=False)
        (tmp / "meta.json").write_text(json.dumps(meta))
        try:
            os.replace(tmp, folder)
        except OSError:  # another run put it there first: keep theirs
            if not (folder / "model.xml").is_file():
                raise
    except OSError as exc:
        LOG.warning("cannot keep the quantized model in %s (%s)", folder.parent, exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- what ran in int8 ---------------------------------------------------------------------------------------

def runtime_layers(compiled: Any) -> list[tuple[str, str, list[str]]]:
    """(layerType, runtimePrecision, originalLayersNames) of each layer of the executed graph, in order."""
    layers = []
    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        names = info["originalLayersNames"].astype(str) if "originalLayersNames" in info else ""
        layers.append((info["layerType"].astype(str), info["runtimePrecision"].astype(str),
                       [n for n in names.split(",") if n]))
    return layers


def int8_share(layers: list[tuple[str, str, list[str]]], onnx_path: Path, model: Any) -> dict[str, Any]:
    """The share of the ONNX graph's MACs whose executed layer runs in int8, and the compute layers by precision.

    A MAC node fused into a layer that is not a compute layer (the CPU plugin's attention Subgraph reports one
    precision for Q·Kᵀ, softmax and A·V together) counts as int8 only when NNCF quantized its inputs in
    `model` (the quantized model): with ModelType.TRANSFORMER, A·V takes the float softmax output.
    """
    import onnx

    from archsel.profiling.deploy.onnx_count import node_macs

    graph = onnx.load(str(onnx_path))
    macs = node_macs(graph)
    owner = attribute_layers(layers, graph, macs)
    quantized_inputs = quantized_input_nodes(model, graph)
    total = sum(macs.values())

    def runs_int8(node: str, index: int) -> bool:
        layer_type, precision, _ = layers[index]
        return precision in INT8_PRECISIONS and (layer_type in COMPUTE_LAYERS or node in quantized_inputs)

    int8_macs = sum(macs[node] for node, index in owner.items() if runs_int8(node, index))
    unattributed = total - sum(macs[node] for node in owner)
    owned: dict[int, list[str]] = {}
    for node, index in owner.items():
        owned.setdefault(index, []).append(node)
    compute = sorted(set(owned) | {i for i, (t, _, _) in enumerate(layers) if t in COMPUTE_LAYERS})
    # a layer is int8 when all the MACs it runs are (an attention Subgraph with a float A·V is not)
    int8_layers = [i for i in compute if all(runs_int8(n, i) for n in owned.get(i, []))
                   and layers[i][1] in INT8_PRECISIONS]
    float_layers = [i for i in compute if i not in int8_layers]
    result: dict[str, Any] = {
        "int8_mac_fraction": round(int8_macs / total, 4) if total else 0.0,
        "int8_layers": len(int8_layers), "float_layers": len(float_layers),
        "float_layer_types": dict(Counter(layers[i][0] for i in float_layers)),
    }
    if unattributed:
        result["unattributed_mac_fraction"] = round(unattributed / total, 4)
    return result


def quantized_input_nodes(model: Any, graph: onnx.ModelProto) -> set[str]:
    """ONNX nodes whose OpenVINO op takes only quantized inputs (FakeQuantize, or int8 weights) in `model`."""
    names = _onnx_names(graph)
    found = set()
    for op in model.get_ordered_ops():
        if op.get_type_name() in ("MatMul", "Convolution", "GroupConvolution") and all(
                _is_quantized(v) for v in op.input_values()):
            node = _resolve(op.get_friendly_name(), names)
            if node is not None:
                found.add(node)
    return found


def _is_quantized(value: Any) -> bool:
    node = value.get_node()
    while node.get_type_name() in ("Reshape", "Transpose", "Convert", "Subtract", "Multiply", "Unsqueeze"):
        if node.get_type_name() == "Convert" and node.input_value(0).get_element_type().get_type_name() in (
                "i8", "u8"):
            return True
        node = node.input_value(0).get_node()
    return bool(node.get_type_name() == "FakeQuantize")


def _onnx_names(graph: onnx.ModelProto) -> dict[str, str]:
    """ONNX node names and output tensor names -> node name."""
    names: dict[str, str] = {}
    for node in graph.graph.node:
        names.setdefault(node.name, node.name)
        for output in node.output:
            names.setdefault(output, node.name)
    return names


def attribute_layers(layers: list[tuple[str, str, list[str]]], graph: onnx.ModelProto,
                     macs: dict[str, int]) -> dict[str, int]:
    """ONNX node (with MACs) -> index of the executed layer that runs it.

    A layer lists the OpenVINO ops fused into it, named after ONNX nodes or their output tensors, often with
    a suffix OpenVINO or NNCF added ('/WithoutBiases', '/fq_output_0', '/DequantizationMultiply'). A compute
    layer (convolution, fully connected, ...) that names only a node without MACs (a fused bias Add named by the
    graph's output) runs the MAC node feeding it. Recurrent layers OpenVINO renamed (LSTMSequence_12) are paired
    with the graph's LSTM/GRU/RNN nodes in order.
    """
    names = _onnx_names(graph)
    producer = {output: node.name for node in graph.graph.node for output in node.output}
    nodes = {node.name: node for node in graph.graph.node}
    owner: dict[str, int] = {}
    weak: dict[str, int] = {}  # claims by layers that are not compute layers (fused attention subgraphs)
    for index, (layer_type, _, original) in enumerate(layers):
        found = [n for n in (_resolve(name, names) for name in original) if n is not None]
        heavy = [n for n in found if macs.get(n)]
        if layer_type in COMPUTE_LAYERS and not heavy:
            heavy = [n for n in (_upstream_mac(n, nodes, producer, macs) for n in found) if n]
        for node in heavy:
            (owner if layer_type in COMPUTE_LAYERS else weak).setdefault(node, index)
    for node, index in weak.items():
        owner.setdefault(node, index)
    recurrent_nodes = [n.name for n in graph.graph.node if n.op_type in RECURRENT_ONNX and n.name in macs
                       and n.name not in owner]
    claimed = set(owner.values())
    recurrent_layers = [i for i, (t, _, _) in enumerate(layers) if t in RECURRENT_LAYERS and i not in claimed]
    if len(recurrent_nodes) == len(recurrent_layers):
        owner.update(zip(recurrent_nodes, recurrent_layers, strict=True))
    return owner


def _resolve(name: str, names: dict[str, str]) -> str | None:
    """The ONNX node an OpenVINO op name stands for: the name itself, or it with trailing '/part's removed."""
    candidate = name.removesuffix("/sink_port_0")
    while candidate:
        if candidate in names:
            return names[candidate]
        candidate = candidate.rpartition("/")[0]
    return None


def _upstream_mac(node_name: str, nodes: dict[str, Any], producer: dict[str, str], macs: dict[str, int],
                  depth: int = 3) -> str | None:
    """The nearest node with MACs that feeds `node_name` through at most `depth` nodes without MACs."""
    for _ in range(depth):
        node = nodes.get(node_name)
        sources = [producer[i] for i in node.input if i in producer] if node is not None else []
        if not sources:
            return None
        heavy = [s for s in sources if macs.get(s)]
        if heavy:
            return heavy[0]
        node_name = sources[0]
    return None

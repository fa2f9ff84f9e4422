"""The ONNX Runtime backend: an exported graph run by onnxruntime's CPU execution provider, in fp32 or int8.

Session: `threads` intra-op threads (spinning on, ORT's default), one inter-op thread, sequential execution,
ORT_ENABLE_ALL graph optimisation. int8 is static QDQ quantization with dynamic int8 LSTMs (int8_onnx.py);
the quantized graph is cached under `cache_dir`, named from the fp32 graph's key, the settings and the ORT
version.

fp16 and bf16 are refused, measured with ORT 1.32 on an x86 CPU with AVX512-BF16/AMX: in an fp16 graph ORT's
CPU provider wraps Conv, MatMul and Gemm in Casts to float32 (it computes them in fp32), and a bf16 MatMul has
no CPU kernel at all (NOT_IMPLEMENTED).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsel.profiling.deploy import Runner, one_line
from archsel.profiling.deploy.int8_onnx import (
    QuantSettings,
    cpu_has_vnni,
    int8_layers,
    optimized_graph,
    quantize,
)
from archsel.profiling.precision import UnsupportedPrecision

if TYPE_CHECKING:
    import numpy as np

    from archsel.profiling.deploy.export import Exported

PROVIDER = "CPUExecutionProvider"
OPTIMIZATION = "ORT_ENABLE_ALL"
UNSUPPORTED = {
    "fp16": "onnxruntime's CPU execution provider has no fp16 Conv/MatMul/Gemm kernels on x86 (it casts them to "
            "fp32)",
    "bf16": "onnxruntime's CPU execution provider has no bf16 Conv/MatMul/Gemm kernels",
}


class SessionFailed(RuntimeError):
    """onnxruntime could not load or run the graph (one-line reason)."""


def version() -> str:
    import onnxruntime

    return str(onnxruntime.__version__)


def feeds(graph: Exported, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Exported.feed, its mismatch a SessionFailed."""
    try:
        return graph.feed(inputs)
    except ValueError as exc:
        raise SessionFailed(str(exc)) from None


def session_options(threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = getattr(onnxruntime.GraphOptimizationLevel, OPTIMIZATION)
    options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    options.log_severity_level = 3
    return options


def conditions(graph: Exported, threads: int, precision: str) -> dict[str, Any]:
    """What a latency measured under this backend depends on."""
    return {
        "runtime": "onnxruntime", "runtime_version": version(), "runtime_device": PROVIDER,
        "threads": threads, "inter_op_threads": 1, "execution_mode": "ORT_SEQUENTIAL",
        "intra_op_spinning": True, "graph_optimization": OPTIMIZATION, "inference_precision": precision,
        "exporter": graph.describe(),
    }


def _layers(n: int) -> str:
    return f"{n} layer" + ("" if n == 1 else "s")


def _int8_graph(graph: Exported, calibration: list[list[np.ndarray]],
                cache_dir: Path) -> tuple[Path, dict[str, Any], list[str]]:
    """The quantized graph (cached), Runner.int8 and the notes."""
    import onnx

    settings = QuantSettings(calibration_batches=len(calibration), reduce_range=not cpu_has_vnni(),
                             ort_version=version())
    target = cache_dir / f"{graph.key_hash}.{settings.tag()}.onnx"
    quantized = quantize(graph.path, [feeds(graph, batch) for batch in calibration], target, settings)
    try:
        layers = int8_layers(onnx.load(str(graph.path)), optimized_graph(quantized.path))
    except Exception as exc:
        raise SessionFailed(f"onnxruntime could not optimise the int8 graph: {one_line(exc)}") from exc
    report = {**settings.describe(), **layers.to_dict(), "unbounded_float_nodes": len(quantized.unbounded_nodes),
              "quantize_s": round(quantized.seconds, 3)}
    share = "an unknown share" if layers.int8_mac_fraction is None else f"{layers.int8_mac_fraction:.0%}"
    notes = [f"onnxruntime int8: {share} of the MACs run in integer kernels "
             f"({_layers(layers.int8_layers)}, {layers.dynamic_layers} of them dynamic int8)"]
    if layers.float_layers:
        kinds = ", ".join(f"{n} {op}" for op, n in sorted(layers.float_layer_types.items()))
        notes.append(f"{_layers(layers.float_layers)} stay fp32 ({kinds}): onnxruntime has no int8 kernel for "
                     "GRU/RNN or did not fuse them into one")
    if quantized.unbounded_nodes:
        notes.append(f"{len(quantized.unbounded_nodes)} nodes kept fp32: a tensor they read or write reaches "
                     "±inf (e.g. a -inf attention mask), which int8 cannot represent")
    if layers.unknown_mac_layers:
        notes.append(f"the MAC share leaves out {_layers(layers.unknown_mac_layers)} whose shapes ONNX shape "
                     "inference could not make static")
    if quantized.reused:
        notes.append(f"int8 graph reused from {quantized.path}")
    return quantized.path, report, notes


def prepare(graph: Exported, inputs: list[np.ndarray], *, precision: str, threads: int,
            calibration: list[list[np.ndarray]], cache_dir: Path) -> Runner:
    """A session for `graph` at `precision` ("fp32" | "int8") with `threads` intra-op threads, bound to `inputs`.

    Raises UnsupportedPrecision (fp16, bf16, others), SessionFailed or QuantizationFailed (one line each).
    """
    import onnxruntime

    if precision in UNSUPPORTED:
        raise UnsupportedPrecision(UNSUPPORTED[precision])
    if precision not in ("fp32", "int8"):
        raise UnsupportedPrecision(f"onnxruntime here measures fp32 and int8, not {precision}")
    if threads < 1:
        raise SessionFailed(f"threads must be at least 1, not {threads}")
    feed = feeds(graph, inputs)
    path, report, notes = graph.path, None, list[str]()
    if precision == "int8":
        path, report, notes = _int8_graph(graph, calibration, cache_dir)
    try:
        session = onnxruntime.InferenceSession(str(path), session_options(threads), providers=[PROVIDER])
        session.run(None, feed)  # a graph that loads but cannot run fails here, not inside the timer
    except Exception as exc:
        raise SessionFailed(f"onnxruntime {version()} ({precision}): {one_line(exc)}") from exc

    def call() -> Any:
        return session.run(None, feed)

    return Runner(call=call, conditions=conditions(graph, threads, precision), notes=notes, int8=report, graph=path,
                  feeds=feed)

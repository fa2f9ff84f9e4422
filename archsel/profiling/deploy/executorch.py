"""The ExecuTorch backend: a module exported with torch.export, lowered to XNNPACK, run by ExecuTorch's runtime.

ExecuTorch with its XNNPACK delegate is what our phone profile's users ship on the CPU. Unlike the ONNX
runtimes it takes the PyTorch module itself (`TAKES = "module"`): `torch.export.export` (non-strict) →
`executorch.exir.to_edge_transform_and_lower(partitioner=[XnnpackPartitioner()])` → `to_executorch()`, a
`.pte` program cached under `<cache>/pte/<key hash>.<precision>.pte` (atomic), keyed by the model, its
input shapes and dtypes, the precision and the executorch, torch and archsel versions. The program is loaded
by `executorch.runtime.Runtime` and run with `Method.execute`; XNNPACK's thread pool is set to `threads`.

int8: the pt2e flow with ExecuTorch's XNNPACKQuantizer (symmetric: per-channel int8 weights, int8
activations, static ranges observed on the generated calibration batches), then lowered the same way. The
int8 share is the MACs of the convolutions and matrix products that were quantized and that XNNPACK runs,
over those of every convolution and matrix product (recurrent layers are not delegated: ExecuTorch runs
them in its portable kernels, in fp32). fp16/bf16 are not offered here: XNNPACK's fp16 kernels need the
ARMv8.2 fp16 arithmetic of a phone's cores, and this backend runs on this machine's x86 CPU.

Measured here (executorch 1.5.1, torch 2.14.1, batch 1, 1 thread, a busy 2-core Xeon): resnet18 48.9 ms and
mobilenet_v3_small 4.3 ms against eager PyTorch's 65.2 and 11.7 ms, outputs equal to 4e-6.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archsel import __version__
from archsel.files import write_atomic
from archsel.profiling.cache import make_key
from archsel.profiling.deploy import Runner, one_line
from archsel.profiling.deploy.export import ExportFailed, flat_tensors, input_signature, quiet
from archsel.profiling.precision import UnsupportedPrecision

TAKES = "module"  # prepare_module(module, ...), not prepare(onnx graph, ...)
SUBDIR = "pte"
DELEGATE = "XNNPACK"
LOWERING = "to_edge_transform_and_lower + XnnpackPartitioner"
UNSUPPORTED = {
    "fp16": "ExecuTorch's XNNPACK fp16 kernels need ARMv8.2 fp16 arithmetic (a phone's cores); this x86 CPU "
            "runs them in fp32",
    "bf16": "ExecuTorch's XNNPACK delegate has no bf16 kernels",
}
MAC_OPS = ("convolution", "conv1d", "conv2d", "conv3d", "linear", "addmm", "mm", "bmm", "matmul")


class ProgramFailed(RuntimeError):
    """ExecuTorch could not lower, load or run the program (one-line reason)."""


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("executorch")


def _op_name(node: Any) -> str:
    target = getattr(node, "target", None)
    name = getattr(target, "__name__", None) or str(target)
    return name.split(".")[-2] if name.count(".") >= 1 and name.split(".")[-1] in ("default", "Tensor", "out") \
        else name.split(".")[0]


def _node_macs(node: Any) -> int:
    """MACs of a convolution or matrix product node of an exported graph, from its output's and weight's
    shapes (0 for any other node, or where a shape is unknown)."""
    if node.op != "call_function" or _op_name(node) not in MAC_OPS:
        return 0
    out = node.meta.get("val")
    weight = node.args[1] if len(node.args) > 1 else None
    wval = getattr(weight, "meta", {}).get("val") if weight is not None else None
    if out is None or wval is None or not hasattr(out, "numel") or not hasattr(wval, "shape"):
        return 0
    name = _op_name(node)
    if name in ("linear",):
        return int(out.numel()) * int(wval.shape[-1])
    if name in ("mm", "bmm", "matmul", "addmm"):
        left = node.args[1] if name == "addmm" else node.args[0]
        lval = getattr(left, "meta", {}).get("val")
        return int(out.numel()) * int(lval.shape[-1]) if lval is not None else 0
    per_output = 1
    for d in wval.shape[1:]:
        per_output *= int(d)
    return int(out.numel()) * per_output


def _quantized(node: Any) -> bool:
    """Whether the node's weight comes from a dequantize (the pt2e quantizer made it int8)."""
    weight = node.args[1] if len(node.args) > 1 else None
    return weight is not None and "dequantize" in str(getattr(weight, "target", ""))


@dataclass(frozen=True)
class Lowered:
    """MACs of the convolutions and matrix products before lowering, those left outside XNNPACK, and the int8 ones."""

    total_macs: int
    undelegated_macs: int
    int8_macs: int
    int8_layers: int
    float_layers: int

    def to_dict(self) -> dict[str, Any]:
        share = (self.int8_macs / self.total_macs) if self.total_macs else None
        return {"int8_mac_fraction": share, "int8_layers": self.int8_layers, "float_layers": self.float_layers,
                "dynamic_layers": 0, "delegated_mac_fraction": self.delegated_share}

    @property
    def delegated_share(self) -> float | None:
        return 1 - self.undelegated_macs / self.total_macs if self.total_macs else None


def _quantize(exported: Any, inputs: tuple[Any, ...], calibration: list[tuple[Any, ...]]) -> Any:
    """The pt2e int8 flow: XNNPACKQuantizer (per-channel symmetric), observed on `calibration`, converted."""
    import torch
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    prepared = prepare_pt2e(exported.module(), quantizer)
    with torch.no_grad():
        for batch in calibration or [inputs]:
            prepared(*batch)
    converted = convert_pt2e(prepared)
    return torch.export.export(converted, inputs, strict=False)


def lower(module: Any, inputs: tuple[Any, ...], precision: str,
          calibration: list[tuple[Any, ...]]) -> tuple[bytes, Lowered, float]:
    """The .pte program of `module` at `precision`, what XNNPACK took of it, and the seconds it took."""
    import torch

    t0 = time.perf_counter()
    with quiet():  # importing ExecuTorch warns from torchao (a deprecation it cannot act on)
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
        from executorch.exir import to_edge_transform_and_lower

        try:
            exported = torch.export.export(module, tuple(inputs), strict=False)
        except Exception as exc:
            raise ExportFailed(f"torch.export failed: {one_line(exc)}") from exc
        try:
            if precision == "int8":
                exported = _quantize(exported, tuple(inputs), calibration)
            nodes = list(exported.graph_module.graph.nodes)
            macs = {n.name: _node_macs(n) for n in nodes}
            quantized = {n.name for n in nodes if macs[n.name] and _quantized(n)}
            edge = to_edge_transform_and_lower(exported, partitioner=[XnnpackPartitioner()])
            undelegated = [(n, _node_macs(n)) for n in edge.exported_program().graph_module.graph.nodes]
            left = sum(m for _, m in undelegated)
            left_int8 = sum(m for n, m in undelegated if m and _quantized(n))
            data = bytes(edge.to_executorch().buffer)
        except Exception as exc:
            raise ProgramFailed(f"ExecuTorch could not lower the model to XNNPACK: {one_line(exc)}") from exc
    total = sum(macs.values())
    int8 = sum(macs[n] for n in quantized) - left_int8
    report = Lowered(total, left, max(int8, 0), len(quantized), sum(1 for m in macs.values() if m) - len(quantized))
    return data, report, time.perf_counter() - t0


def program_key(model_key: dict[str, Any], inputs: tuple[Any, ...], precision: str, batches: int) -> dict[str, Any]:
    import torch

    return {"kind": "executorch-program", "model": model_key, "precision": precision, "calibration_batches": batches,
            "inputs": input_signature(inputs),
            "executorch": version(), "torch": torch.__version__, "archsel": __version__}


# The thread count ExecuTorch's process-wide thread pool was last reset to. A reset replaces the pool under
# every loaded program: fp32 and int8 runners of one model at 1 and 2 threads, run in turn (as
# benchmarks/runtime_comparison.py runs them), crashed the process (SIGSEGV or SIGABRT in pthreadpool) or hung
# in it. So a runner whose thread count is not the pool's resets the pool and loads its program again first.
_pool_threads: list[int] = []


def _set_threads(threads: int) -> None:
    with quiet():  # importing it warns (torchao), the pool's creation logs the CPU it reads, every reset says so
        from executorch.extension.pybindings.portable_lib import _unsafe_reset_threadpool

        _unsafe_reset_threadpool(max(int(threads), 1))
    _pool_threads[:] = [threads]


def _load_method(path: Path, args: list[Any], threads: int) -> Any:
    """The program's forward method on a pool of `threads` threads, run once (the delegate's lazy set-up is not
    part of the steady state)."""
    from executorch.runtime import Runtime

    _set_threads(threads)
    try:
        with quiet():
            method = Runtime.get().load_program(path).load_method("forward")
            if method is None:
                raise ProgramFailed("the program has no forward method")
            method.execute(args)
    except ProgramFailed:
        raise
    except Exception as exc:
        raise ProgramFailed(f"ExecuTorch could not load or run the program: {one_line(exc)}") from exc
    return method


def prepare_module(module: Any, inputs: tuple[Any, ...], model_key: dict[str, Any] | None, *, precision: str,
                   threads: int, calibration: list[tuple[Any, ...]], root: Path) -> Runner:
    """`module` (float32, eval, CPU) lowered to XNNPACK at `precision` (cached under `root` when it has a
    `model_key`), loaded by ExecuTorch's runtime on `threads` threads."""
    if precision in UNSUPPORTED:
        raise UnsupportedPrecision(UNSUPPORTED[precision])
    if precision not in ("fp32", "int8"):
        raise UnsupportedPrecision(f"ExecuTorch (XNNPACK) runs fp32 and int8 here, not {precision}")
    import json

    import torch

    key = program_key(model_key or {"uncached": time.time_ns()}, inputs, precision, len(calibration))
    path = root / SUBDIR / f"{make_key(key)}.{precision}.pte"
    meta_path = path.with_suffix(".json")
    cached = model_key is not None and path.is_file() and meta_path.is_file()
    if cached:
        report = Lowered(**json.loads(meta_path.read_text(encoding="utf-8")))
        seconds = 0.0
    else:
        data, report, seconds = lower(module, inputs, precision, calibration)
        write_atomic(path, data, what="ExecuTorch program")
        write_atomic(meta_path, json.dumps(report.__dict__), what="ExecuTorch program report")
    args = [t.contiguous() for t in flat_tensors(inputs)]
    method = [_load_method(path, args, threads)]

    def call() -> Any:
        if _pool_threads != [threads]:  # another runner reset the pool since: load the program again on ours
            method[0] = _load_method(path, args, threads)
        return method[0].execute(args)

    conditions = {
        "runtime": "executorch", "runtime_version": version(), "runtime_device": f"{DELEGATE} (CPU)",
        "threads": threads, "graph_optimization": LOWERING, "inference_precision": precision,
        "exporter": f"torch.export.export (non-strict), torch {torch.__version__}", "export_s": round(seconds, 3),
        "export_cached": cached,
    }
    delegated = report.delegated_share
    notes = [] if delegated is None or delegated > 0.999 else [
        f"XNNPACK runs {delegated:.0%} of the convolution and matmul MACs; ExecuTorch's portable kernels run the "
        "rest (slower)"]
    int8 = None
    if precision == "int8":
        details = report.to_dict()
        share = details["int8_mac_fraction"]
        int8 = {"method": "pt2e static post-training quantization (XNNPACKQuantizer, symmetric)",
                "weights": "int8, per channel", "activations": "int8, per tensor, static",
                "calibration": f"{len(calibration)} generated batches; the accuracy effect was not measured",
                **details}
        notes.append(f"executorch int8: {'an unknown share' if share is None else f'{share:.0%}'} of the "
                     f"convolution and matmul MACs run in XNNPACK's int8 kernels ({report.int8_layers} layers)")
    return Runner(call, conditions, notes, int8)

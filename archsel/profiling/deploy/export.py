"""A PyTorch module exported to ONNX once and kept on disk: the graph every deployment runtime here loads.

Exporter: `torch.onnx.export(..., dynamo=False)`, the TorchScript-based exporter, at opset 17. It ships in
every torch archsel supports (2.4 to 2.14.1), exported the 72 zoo models on this machine in 0.0 to 7.4 s
each (torch 2.14.1; mvit_v2_s in 34 s under `memory_cap`) and keeps recurrent layers as ONNX LSTM/GRU/RNN
operators. The dynamo exporter (`dynamo=True`, torch >= 2.5, needs onnxscript) is the fallback for a
module the TorchScript exporter rejects, and for a graph of it that the runtime cannot load (mvit_v2_s: the
TorchScript exporter writes `If` nodes around squeezes whose branches' outputs differ in rank, which ONNX
Runtime refuses; the dynamo exporter's graph has none and loads in both runtimes). Shapes are static (one
graph per batch and input shape), so runtimes plan memory and pick kernels for exactly the shape measured.

Graphs are cached under `<cache>/onnx/<key hash>.<exporter>.onnx`, keyed by the model (id and builder, or a user
module's spec), its input shapes and dtypes, the exporter and opset, and the torch and archsel versions.
A graph is written to a temporary file and renamed into place (archsel.files.write_atomic), so a crash or a
concurrent run never leaves half a graph; a graph that does not load is exported again.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsel import __version__
from archsel.files import write_atomic
from archsel.profiling.cache import cache_root, make_key
from archsel.profiling.deploy import one_line

if TYPE_CHECKING:
    import numpy as np

LOG = logging.getLogger(__name__)
OPSET = 17
EXPORTERS = ("torchscript", "dynamo")
SUBDIR = "onnx"
CAP_BYTES = 8 * 2**30
INPUT_NAME = re.compile(r"input_(\d+)")  # the exporter's name of the i-th tensor of a forward's arguments


class ExportFailed(RuntimeError):
    """The module could not be exported to ONNX (every exporter tried failed)."""


@dataclass(frozen=True)
class Exported:
    """An ONNX graph on disk and how it was made."""

    path: Path
    input_names: tuple[str, ...]  # the graph's inputs, in call order (unused inputs are dropped by exporters)
    exporter: str  # "torchscript" | "dynamo"
    opset: int
    torch_version: str
    seconds: float  # export time (0 when read from the cache)
    cached: bool
    key_hash: str  # names files derived from this graph (quantized copies)

    def describe(self) -> str:
        return f"torch.onnx.export ({self.exporter} exporter, opset {self.opset}, torch {self.torch_version})"

    def feed(self, inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
        """One forward's arrays keyed by the graph inputs the exporter kept (`input_<i>` is the i-th array;
        exporters drop unused inputs). ValueError when they do not match."""
        named = [INPUT_NAME.fullmatch(name) for name in self.input_names]
        if all(named):
            indices = [int(m.group(1)) for m in named if m]
            if max(indices, default=-1) < len(inputs):
                return {name: inputs[i] for name, i in zip(self.input_names, indices, strict=True)}
        elif len(self.input_names) == len(inputs):
            return dict(zip(self.input_names, inputs, strict=True))
        raise ValueError(f"the graph's inputs {list(self.input_names)} do not match the {len(inputs)} arrays given")


def flat_tensors(inputs: Any) -> list[Any]:
    """The tensors of a forward's arguments in the order the exporter numbers graph inputs."""
    import torch

    if isinstance(inputs, torch.Tensor):
        return [inputs]
    if isinstance(inputs, (list, tuple)):
        return [t for item in inputs for t in flat_tensors(item)]
    return []


def numpy_inputs(inputs: Any) -> list[np.ndarray]:
    """The forward's tensors as contiguous numpy arrays, in graph-input order."""
    return [t.detach().cpu().contiguous().numpy() for t in flat_tensors(inputs)]


def input_signature(inputs: Any) -> list[list[Any]]:
    """[shape, dtype] of each tensor of a forward's arguments: what an exported program is specialised to."""
    return [[list(t.shape), str(t.dtype).removeprefix("torch.")] for t in flat_tensors(inputs)]


def export_key(model_key: dict[str, Any], inputs: Any) -> dict[str, Any]:
    """The cache key of a graph: the model's own key plus input shapes and dtypes, exporter and versions."""
    import torch

    return {"kind": "onnx-export", "model": model_key, "inputs": input_signature(inputs),
            "opset": OPSET, "torch": torch.__version__, "archsel": __version__}


@contextlib.contextmanager
def quiet_fds() -> Iterator[None]:
    """File descriptors 1 and 2 sent to the null device inside the block: the TorchScript exporter prints its
    IR graph from C++ on a failure, which must never reach stdout (the payload). Python-level writes are
    redirected by the caller, so nothing buffered in sys.stdout is flushed into the null device."""
    import os

    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Warnings, Python-level output and fds 1/2 (quiet_fds) silenced: exporters and lowerings log and print,
    from Python and from C++."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()), quiet_fds():
        warnings.simplefilter("ignore")
        yield


def _export_bytes(module: Any, inputs: tuple[Any, ...], exporter: str, names: list[str]) -> bytes:
    import torch

    with quiet():
        if exporter == "torchscript":
            buffer = io.BytesIO()
            torch.onnx.export(module, inputs, buffer, dynamo=False,  # type: ignore[arg-type]
                              opset_version=OPSET, input_names=names, do_constant_folding=True)
            return buffer.getvalue()
        with tempfile.TemporaryDirectory(prefix="archsel-onnx-") as tmp:  # dynamo writes external data beside
            target = Path(tmp) / "model.onnx"
            torch.onnx.export(module, inputs, str(target), dynamo=True, opset_version=max(OPSET, 18),
                              input_names=names, external_data=False)
            return target.read_bytes()


@contextlib.contextmanager
def memory_cap() -> Iterator[None]:
    """Cap this process's address space at its size now plus half the memory available (at most 8 GiB) while
    exporting or loading a graph (Linux), so an exporter or a calibration that runs away fails with an error
    instead of exhausting the machine.

    Measured: the TorchScript exporter grew mvit_v2_s past 19 GB of resident memory in 2.5 minutes without
    the cap; under it the export finishes in 34 s (torch 2.14.1).
    """
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        size = _proc_kib("/proc/self/status", "VmSize") * 1024
        available = _proc_kib("/proc/meminfo", "MemAvailable") * 1024
    except (ImportError, OSError, ValueError):
        yield
        return
    cap = size + min(available // 2, CAP_BYTES)
    if soft != resource.RLIM_INFINITY or (hard != resource.RLIM_INFINITY and cap > hard) or not size:
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _proc_kib(path: str, field: str) -> int:
    for line in Path(path).read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _graph_inputs(data: bytes) -> tuple[str, ...]:
    import onnx

    model = onnx.load_model_from_string(data)
    initializers = {i.name for i in model.graph.initializer}
    return tuple(i.name for i in model.graph.input if i.name not in initializers)


def export_onnx(module: Any, inputs: tuple[Any, ...], model_key: dict[str, Any] | None,
                root: Path | None = None, exporters: Sequence[str] = EXPORTERS) -> Exported:
    """Export `module` (eval mode, float32, CPU) called with `inputs` to ONNX, or read it from the cache.

    `model_key` identifies the module for the cache (None: never read from the cache, e.g. a user's module,
    which may change between runs: give a temporary `root`). `exporters`: those tried, in order (a runtime
    that cannot load one exporter's graph asks for the next: archsel.profiling.deploy.measure). Raises
    ExportFailed with each exporter's one-line reason.
    """
    import torch

    names = [f"input_{i}" for i in range(len(flat_tensors(inputs)))]
    key = export_key(model_key or {"uncached": time.time_ns()}, inputs)
    key_hash = make_key(key)
    folder = (root or cache_root()) / SUBDIR
    for exporter in exporters if model_key is not None else ():
        path = folder / f"{key_hash}.{exporter}.onnx"
        if path.is_file():
            try:
                input_names = _graph_inputs(path.read_bytes())
                return Exported(path, input_names, exporter, OPSET, torch.__version__, 0.0, True, key_hash)
            except Exception as exc:  # a damaged graph: export again
                LOG.warning("discarding unreadable ONNX graph %s (%s); exporting again", path, exc)
    reasons: list[str] = []
    for exporter in exporters:
        t0 = time.perf_counter()
        try:
            with memory_cap():
                data = _export_bytes(module, inputs, exporter, names)
            input_names = _graph_inputs(data)
        except Exception as exc:
            reasons.append(f"{exporter}: {one_line(exc)}")
            continue
        path = write_atomic(folder / f"{key_hash}.{exporter}.onnx", data, what="ONNX graph")
        return Exported(path, input_names, exporter, OPSET, torch.__version__, time.perf_counter() - t0, False,
                        key_hash)
    raise ExportFailed("ONNX export failed (" + "; ".join(reasons) + ")")


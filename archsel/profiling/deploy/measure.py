"""A model loaded under a deployment runtime, ready to time: exported (cached), quantized where asked, loaded.

The profiler (zoo models, cached results) and archsel.advice.costing (a user's module, never cached) both load
through `deployed`; the timer and the memory probe are the same as for eager PyTorch.
"""

from __future__ import annotations

import contextlib
import logging
import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from archsel.profiling.cache import cache_root
from archsel.profiling.deploy import Runner, backend, one_line, takes_module
from archsel.profiling.deploy.export import (
    EXPORTERS,
    Exported,
    ExportFailed,
    export_onnx,
    memory_cap,
    numpy_inputs,
)
from archsel.profiling.precision import UnsupportedPrecision

LOG = logging.getLogger(__name__)
CALIBRATION_SAMPLES = 8  # generated samples int8 calibration sees (at least 2 batches)


def calibration_batches(batch: int) -> int:
    """How many generated batches calibrate int8 at `batch`."""
    return max(2, math.ceil(CALIBRATION_SAMPLES / batch))


def _writable_folder(root: Path | None) -> Path | None:
    """`root` (default: the cache root) where graphs can be written there, else None (a read-only or
    file-valued cache location: the run goes on without caching graphs)."""
    from archsel.errors import ArchselError

    try:
        folder = root or cache_root()
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return folder
    except (OSError, ArchselError):
        return None


def out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is a runtime running out of memory (a MemoryError, or a runtime's failed allocation)."""
    return isinstance(exc, MemoryError) or "allocate" in str(exc).lower()


def _prepare_graph(rt: Any, runtime: str, graph: Exported, module: Any, inputs: tuple[Any, ...],
                   model_key: dict[str, Any] | None, root: Path, *, precision: str, threads: int,
                   calibration: list[tuple[Any, ...]]) -> tuple[Runner, Exported]:
    """The runtime's runner of `graph`, and the graph it runs: a graph the runtime cannot use is exported again by
    the next exporter (mvit_v2_s: ONNX Runtime and OpenVINO refuse the TorchScript exporter's graph and run the
    dynamo exporter's); a refused precision or exhausted memory is not the graph's fault and is raised as it is,
    as is the runtime's error where no later exporter's graph exports."""
    while True:
        try:
            runner = rt.prepare(graph, numpy_inputs(inputs), precision=precision, threads=threads,
                                calibration=[numpy_inputs(b) for b in calibration], cache_dir=graph.path.parent)
            return runner, graph
        except Exception as exc:
            later = EXPORTERS[EXPORTERS.index(graph.exporter) + 1:]
            if not later or isinstance(exc, UnsupportedPrecision) or out_of_memory(exc):
                raise
            LOG.warning("%s could not use the %s exporter's graph (%s); trying the %s exporter", runtime,
                        graph.exporter, one_line(exc), later[0])
            try:
                graph = export_onnx(module, inputs, model_key, root=root, exporters=later)
            except ExportFailed:
                raise exc from None


@contextlib.contextmanager
def deployed(module: Any, inputs: tuple[Any, ...], more_inputs: Callable[[int], tuple[Any, ...]], *,
             model_key: dict[str, Any] | None, runtime: str, precision: str, threads: int, batch: int,
             root: Path | None = None) -> Iterator[Runner]:
    """`module` (float32, eval, CPU) exported and loaded under `runtime` at `precision` with `threads`.

    `more_inputs(seed)` makes another batch of inputs like `inputs` (int8 calibration). A module without a
    `model_key` (a user's) is exported into a temporary folder removed afterwards; a zoo model's graph and its
    quantized copies stay in the cache under `root` (default: the cache root). The runner's conditions name
    the exporter and whether the graph came from the cache. A backend that takes the module itself
    (ExecuTorch) exports and caches it its own way under the same root.
    """
    rt = backend(runtime)
    with contextlib.ExitStack() as stack:
        root = _writable_folder(root) if model_key is not None else None
        if root is None:  # a user's module, or a cache that cannot be written: a folder removed afterwards
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="archsel-deploy-")))
        calibration = ([more_inputs(seed) for seed in range(1, calibration_batches(batch) + 1)]
                       if precision == "int8" else [])
        graph = None if takes_module(rt) else export_onnx(module, inputs, model_key, root=root)
        try:
            with memory_cap():  # int8 calibration keeps every intermediate tensor of a batch: fail, do not swap
                if graph is None:
                    runner = rt.prepare_module(module, inputs, model_key, precision=precision, threads=threads,
                                               calibration=calibration, root=root)
                else:
                    runner, graph = _prepare_graph(rt, runtime, graph, module, inputs, model_key, root,
                                                   precision=precision, threads=threads, calibration=calibration)
        except Exception as exc:
            if not out_of_memory(exc):
                raise
            raise MemoryError(f"{runtime} {precision} at batch {batch} ran out of memory while loading"
                              + (" (int8 calibration holds every intermediate tensor of a batch: try a smaller "
                                 "batch)" if precision == "int8" else "") + f": {one_line(exc)}") from exc
        if graph is not None:
            runner.conditions.update(exporter=graph.describe(), export_s=round(graph.seconds, 3),
                                     export_cached=graph.cached)
        yield runner

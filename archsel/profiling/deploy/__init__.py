"""Measuring a model here under a deployment runtime (ONNX Runtime, OpenVINO, ExecuTorch), not only eager PyTorch.

A model is exported to ONNX once (`export.py`, cached on disk), then a runtime backend loads the graph at
a precision and thread count and returns a `Runner`; a backend that takes the module itself (`TAKES =
"module"`: ExecuTorch, which exports with torch.export and lowers to its own program) gets the module and
its inputs instead of the graph. A runner: one call runs one inference on bound inputs, and its
`conditions` name everything the latency depends on (runtime and version, execution provider or device,
threads, graph optimisation, what ran in int8). The timer (archsel.profiling.timing) is the same for
every runtime.

Runtimes are optional extras: `require(name)` raises a UsageError (exit 2) naming the `pip install` that
brings one; nothing here imports a runtime until a backend is asked for.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from archsel.errors import UsageError
from archsel.targets.runtimes import EAGER

if TYPE_CHECKING:
    import numpy as np

    from archsel.profiling.deploy.export import Exported

# runtime -> (extra, modules it needs, backend module)
BACKENDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "onnxruntime": ("onnx", ("onnxruntime", "onnx"), "archsel.profiling.deploy.onnxruntime"),
    "openvino": ("openvino", ("openvino", "onnx", "nncf"), "archsel.profiling.deploy.openvino"),
    "executorch": ("executorch", ("executorch", "torchao"), "archsel.profiling.deploy.executorch"),
}
MEASURED_RUNTIMES = (EAGER, *BACKENDS)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOISE = ("Exception from", "Check '")  # OpenVINO's messages open with the C++ source location


def one_line(exc: BaseException) -> str:
    """'Type: message' with the message's informative first line, without colour codes or a runtime's source
    locations, at most 300 characters."""
    lines = [ln.strip() for ln in ANSI.sub("", str(exc)).splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(NOISE)] or lines or [""]
    return f"{type(exc).__name__}: {useful[0][:300]}".rstrip(": ")


@dataclass
class Runner:
    """A loaded model under a runtime: `call()` runs one inference on the bound inputs."""

    call: Callable[[], Any]
    conditions: dict[str, Any]  # runtime, runtime_version, provider/device, threads, graph_optimization, ...
    notes: list[str] = field(default_factory=list)
    int8: dict[str, Any] | None = None  # int8 only: method, per-kind methods, int8_mac_fraction, layers
    graph: Path | None = None  # the ONNX file the runtime loaded (ONNX Runtime: the quantized one for int8)
    feeds: dict[str, np.ndarray] = field(default_factory=dict)  # the inputs `call` runs on, by graph input name


class Backend(Protocol):
    """What each runtime module provides: `prepare` for a runtime that loads the ONNX graph (TAKES "onnx",
    the default), `prepare_module` for one that takes the module itself (TAKES "module")."""

    def version(self) -> str: ...

    def prepare(self, graph: Exported, inputs: list[np.ndarray], *, precision: str, threads: int,
                calibration: list[list[np.ndarray]], cache_dir: Path) -> Runner: ...

    def prepare_module(self, module: Any, inputs: tuple[Any, ...], model_key: dict[str, Any] | None, *,
                       precision: str, threads: int, calibration: list[tuple[Any, ...]], root: Path) -> Runner: ...


def takes_module(rt: Backend) -> bool:
    """Whether the backend takes the module itself rather than its ONNX graph."""
    return getattr(rt, "TAKES", "onnx") == "module"


def install_hint(runtime: str) -> str:
    extra = BACKENDS[runtime][0]
    return f'pip install "archsel[{extra}]"  (in a checkout: pip install -e ".[{extra}]")'


def missing_modules(runtime: str) -> list[str]:
    """The modules `runtime` needs that are not installed (found without importing them)."""
    return [m for m in BACKENDS[runtime][1] if importlib.util.find_spec(m) is None]


def require(runtime: str) -> None:
    """A UsageError (exit 2) naming the install command when `runtime` cannot be measured here."""
    if runtime == EAGER:
        return
    if runtime not in BACKENDS:
        raise UsageError(f"--runtime {runtime}: this machine measures "
                         + ", ".join(MEASURED_RUNTIMES) + f", not {runtime}",
                         hint="give --target DEVICE to estimate that runtime on a device")
    missing = missing_modules(runtime)
    if missing:
        raise UsageError(f"--runtime {runtime} needs {', '.join(missing)}, which is not installed",
                         hint=install_hint(runtime))


def backend(runtime: str) -> Backend:
    """The backend module of `runtime` (after require())."""
    require(runtime)
    module: Backend = importlib.import_module(BACKENDS[runtime][2])
    return module

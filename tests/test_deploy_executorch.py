"""The ExecuTorch backend on real zoo models: the module lowered to XNNPACK gives torch's outputs, int8 really
runs in XNNPACK's integer kernels (and the program is cached), half precisions are refused with a reason, and
`archsel profile --runtime executorch` measures and names it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("executorch")
pytest.importorskip("torchao")

import torch

from archsel.profiling.deploy import backend, takes_module
from archsel.profiling.deploy.executorch import prepare_module
from archsel.profiling.precision import UnsupportedPrecision
from archsel.zoo.inputs import make_inputs
from archsel.zoo.registry import get_model, get_model_entry, resolve_task

MODEL = "small_cnn_cifar"


def _zoo(model_id: str) -> tuple[torch.nn.Module, tuple[Any, ...], list[tuple[Any, ...]]]:
    entry = get_model_entry(model_id)
    spec = entry.input_for(resolve_task(entry, None))
    torch.manual_seed(0)
    model = get_model(model_id, device="cpu").eval()
    return model, make_inputs(spec, 1, device="cpu"), [make_inputs(spec, 1, device="cpu", seed=s) for s in (1, 2)]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("et-cache")


def test_the_registry_finds_this_backend_and_it_takes_the_module() -> None:
    from importlib.metadata import version

    module = backend("executorch")
    assert module.version() == version("executorch")
    assert takes_module(module)


def test_fp32_outputs_equal_torch_and_conditions_name_the_delegate(root: Path) -> None:
    model, inputs, _ = _zoo(MODEL)
    runner = prepare_module(model, inputs, {"model_id": MODEL}, precision="fp32", threads=1, calibration=[],
                            root=root)
    with torch.inference_mode():
        expected = model(*inputs)
    got = runner.call()[0]
    assert torch.allclose(got, expected, atol=1e-4)
    c = runner.conditions
    assert c["runtime"] == "executorch" and c["runtime_device"] == "XNNPACK (CPU)" and c["threads"] == 1
    assert c["inference_precision"] == "fp32" and "torch.export" in c["exporter"]
    assert runner.int8 is None


def test_int8_runs_in_integer_kernels_and_the_program_is_reused(root: Path) -> None:
    model, inputs, calibration = _zoo(MODEL)
    first = prepare_module(model, inputs, {"model_id": MODEL}, precision="int8", threads=1, calibration=calibration,
                           root=root)
    assert first.int8 is not None and first.int8["int8_mac_fraction"] == pytest.approx(1.0)
    assert first.int8["int8_layers"] >= 3 and "accuracy effect was not measured" in first.int8["calibration"]
    assert not first.conditions["export_cached"]
    out = first.call()[0]
    with torch.inference_mode():
        ref = model(*inputs)
    assert out.shape == ref.shape and torch.isfinite(out).all()
    assert torch.corrcoef(torch.stack([out.flatten(), ref.flatten()]))[0, 1] > 0.9  # int8, close to fp32
    again = prepare_module(model, inputs, {"model_id": MODEL}, precision="int8", threads=1, calibration=calibration,
                           root=root)
    assert again.conditions["export_cached"] and again.int8 == first.int8
    assert len(list((root / "pte").glob("*.int8.pte"))) == 1


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_half_precisions_are_unsupported_with_a_reason(root: Path, precision: str) -> None:
    model, inputs, _ = _zoo(MODEL)
    with pytest.raises(UnsupportedPrecision, match="XNNPACK"):
        prepare_module(model, inputs, {"model_id": MODEL}, precision=precision, threads=1, calibration=[], root=root)


def test_profile_measures_under_executorch_and_names_it(archsel: Callable[..., Any], tmp_path: Path) -> None:
    proc = archsel("profile", "lenet5", "--runtime", "executorch", "--dtype", "fp32,int8", "--threads", "1",
                   "--time-budget", "0.3", "--format", "json", env={"ARCHSEL_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    results = {r["dtype"]: r for r in json.loads(proc.stdout)["results"]}
    for dtype in ("fp32", "int8"):
        r = results[dtype]
        assert r["status"] == "ok" and r["latency"]["p50_ms"] > 0
        assert r["conditions"]["runtime"] == "executorch" and r["conditions"]["runtime_version"]
    assert results["int8"]["int8"]["int8_mac_fraction"] > 0.9


RUNNERS_AT_TWO_THREAD_COUNTS = """
import sys
import torch
from pathlib import Path
from archsel.profiling.deploy.executorch import prepare_module
from archsel.zoo.inputs import make_inputs
from archsel.zoo.registry import get_model, get_model_entry, resolve_task

entry = get_model_entry("small_cnn_cifar")
spec = entry.input_for(resolve_task(entry, None))
torch.manual_seed(0)
model = get_model("small_cnn_cifar", device="cpu").eval()
inputs = make_inputs(spec, 1, device="cpu")
calibration = [make_inputs(spec, 1, device="cpu", seed=s) for s in (1, 2)]
runners = [prepare_module(model, inputs, {"model_id": "small_cnn_cifar"}, precision=p, threads=t,
                          calibration=calibration if p == "int8" else [], root=Path(sys.argv[1]))
           for p in ("fp32", "int8") for t in (1, 2)]
with torch.inference_mode():
    expected = model(*inputs)
for _ in range(2):
    for r in runners:
        got = r.call()[0]
        if r.conditions["inference_precision"] == "fp32":
            assert torch.allclose(got, expected, atol=1e-4)
print("ran", len(runners))
"""


def test_runners_at_one_and_two_threads_run_interleaved(tmp_path: Path) -> None:
    """ExecuTorch's thread pool is one per process and a thread count resets it: fp32 and int8 runners at 1 and 2
    threads, run in turn (as benchmarks/runtime_comparison.py does), crashed the process (SIGSEGV/SIGABRT in the
    pool) until a runner re-loaded its program on its own thread count. In a child process: a crash fails the
    test, not the run."""
    import subprocess
    import sys

    script = tmp_path / "interleaved.py"
    script.write_text(RUNNERS_AT_TWO_THREAD_COUNTS, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "cache")], capture_output=True, text=True,
                         timeout=600, cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ran 4")

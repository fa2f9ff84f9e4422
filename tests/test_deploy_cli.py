"""Measuring here under a deployment runtime, as a user runs it: `archsel profile|recommend|check --runtime`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("openvino")

Run = Callable[..., CompletedProcess[str]]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {"ARCHSEL_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


def _json(r: CompletedProcess[str]) -> dict:
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("runtime", ["onnxruntime", "openvino"])
def test_profile_measures_under_the_runtime_and_names_it(archsel: Run, cache: dict[str, str], runtime: str) -> None:
    import importlib

    args = ("profile", "resnet18", "--runtime", runtime, "--threads", "1", "--time-budget", "1", "--format", "json")
    first = _json(archsel(*args, env=cache))
    record = first["results"][0]
    cond = record["conditions"]
    assert record["status"] == "ok" and record["latency"]["p50_ms"] > 0
    assert cond["runtime"] == runtime and cond["threads"] == 1 and record["latency"]["threads"] == 1
    assert cond["runtime_version"] == importlib.import_module(runtime).__version__.split("-")[0] or \
        cond["runtime_version"].startswith(importlib.import_module(runtime).__version__.split("-")[0])
    assert cond["exporter"].startswith("torch.onnx.export") and cond["inference_precision"]
    assert record["macs"] == 1_814_073_344  # the count does not depend on the runtime
    again = _json(archsel(*args, env=cache))["results"][0]
    assert again["cached"] and again["latency"] == record["latency"]


def test_int8_under_onnxruntime_says_what_ran_in_int8(archsel: Run, cache: dict[str, str]) -> None:
    r = _json(archsel("profile", "mobilenet_v3_small", "--runtime", "onnxruntime", "--dtype", "int8",
                      "--threads", "1", "--time-budget", "1", "--format", "json", env=cache))
    record = r["results"][0]
    assert record["status"] == "ok", record["error"]
    int8 = record["int8"]
    assert int8["int8_mac_fraction"] >= 0.9 and "not measured" in int8["calibration"]
    assert record["conditions"]["inference_precision"] == "int8"


def test_a_precision_the_runtime_cannot_run_here_is_that_candidates_failure(archsel: Run,
                                                                            cache: dict[str, str]) -> None:
    r = archsel("profile", "resnet18", "--runtime", "onnxruntime", "--dtype", "fp16,fp32", "--threads", "1",
                "--time-budget", "1", "--format", "json", env=cache)
    assert r.returncode == 1, r.stderr  # one failed, the other still measured
    by_dtype = {x["dtype"]: x for x in json.loads(r.stdout)["results"]}
    assert by_dtype["fp16"]["failure_kind"] == "unsupported" and by_dtype["fp32"]["status"] == "ok"


@pytest.mark.parametrize(("args", "message"), [
    (("--runtime", "tensorrt"), "this machine measures pytorch, onnxruntime, openvino, executorch"),
    (("--runtime", "onnxrntime"), "did you mean"),
    (("--runtime", "openvino", "--compile"), "eager PyTorch options"),
])
def test_runtime_usage_errors_exit_2(archsel: Run, args: tuple[str, ...], message: str) -> None:
    r = archsel("profile", "lenet5", *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_without_the_extra_the_runtime_names_its_pip_install(archsel: Run, tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(
        "import importlib.util\n_real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name.split('.')[0] == 'openvino' else _real(name, *a)\n")
    r = archsel("profile", "lenet5", "--runtime", "openvino", env={"PYTHONPATH": str(tmp_path)})
    assert r.returncode == 2 and 'pip install "archsel[openvino]"' in r.stderr and "Traceback" not in r.stderr


def test_check_gates_a_users_model_measured_under_onnxruntime(archsel: Run) -> None:
    r = archsel("check", "--model", "user_models.models:build_small", "--input", "1x3x64x64", "--target", "local",
                "--runtime", "onnxruntime", "--latency-ms", "1000", "--threads", "1", "--format", "json",
                cwd=FIXTURES)
    doc = _json(r)
    assert doc["conditions"]["runtime"] == "onnxruntime"
    latency = next(g for g in doc["gates"] if g["name"] == "latency")
    assert latency["status"] == "passed" and "onnxruntime" in latency["message"]


def test_recommend_on_this_machine_measures_the_runtime_asked(archsel: Run, cache: dict[str, str]) -> None:
    doc = _json(archsel("recommend", "--task", "recommendation", "--target", "local", "--runtime", "openvino",
                        "--threads", "1", "--top", "2", "--format", "json", env=cache))
    assert doc["runtime"]["name"] == "openvino" and doc["runtime"]["measured"] is True
    ranked = [c for c in doc["candidates"] if c.get("latency")]
    assert ranked and all(c["latency"]["runtime"] == "openvino" and c["latency"]["kind"] == "measured"
                          for c in ranked)
    assert all(c["latency"]["detail"]["runtime_version"] for c in ranked)


def test_no_runtime_is_imported_by_a_command_that_does_not_use_one(archsel: Run, cache: dict[str, str]) -> None:
    r = archsel("recommend", "--task", "video", "--target", "edge", "--top", "1", "--format", "json",
                env={**cache, "PYTHONPROFILEIMPORTTIME": "1"})
    assert r.returncode == 0, r.stderr
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in r.stderr.splitlines() if "|" in line}
    assert "torch" in imported or "archsel" in imported  # the import log is there
    assert not imported & {"onnxruntime", "openvino", "nncf", "onnx"}


def test_a_model_that_does_not_export_is_its_own_failure_not_a_crash(archsel: Run) -> None:
    r = archsel("check", "--model", "user_models.models:build_not_exportable", "--input", "1x8x8", "--target", "local",
                "--runtime", "openvino", "--latency-ms", "10", "--format", "json", cwd=FIXTURES)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    gates = {g["name"]: g for g in json.loads(r.stdout)["gates"]}
    assert gates["model"]["status"] == "passed" and gates["latency"]["status"] == "error"
    assert "export" in gates["latency"]["message"] and "eigvalsh" in gates["latency"]["message"]

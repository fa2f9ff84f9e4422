"""`archsel profile` and `archsel cache` as a user runs them: exit codes, JSON schema, cache behaviour."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

Run = Callable[..., CompletedProcess[str]]

RESULT_KEYS = [
    "model_id", "task", "status", "failure_kind", "error", "input_shapes", "batch", "dtype", "device",
    "counter", "count_path", "macs", "flops", "params", "param_bytes", "buffer_bytes",
    "peak_activation_bytes", "uncounted_ops", "zero_mac_modules", "count_seconds", "count_error",
    "cross_check", "by_module", "latency", "memory", "int8", "conditions", "notes", "cached",
]
CONDITION_KEYS = {"device", "device_name", "runtime", "runtime_version", "threads", "torch_version",
                  "archsel_version", "time_budget_s", "dtype", "batch", "channels_last", "compiled", "int8_backend"}


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ARCHSEL_CACHE_DIR": str(tmp_path / "cache")}


def test_profile_json_schema_and_cache_hit(archsel: Run, env: dict[str, str]) -> None:
    args = ("profile", "lenet5", "small_cnn_cifar", "--batch", "1,2", "--time-budget", "0.4",
            "--threads", "1", "-f", "json")
    first = archsel(*args, env=env)
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["schema_version"] and doc["summary"] == {"results": 4, "ok": 4, "failed": 0,
                                                        "cross_check_disagreements": 0}
    assert [(r["model_id"], r["batch"]) for r in doc["results"]] == [
        ("lenet5", 1), ("lenet5", 2), ("small_cnn_cifar", 1), ("small_cnn_cifar", 2)]
    for r in doc["results"]:
        assert list(r) == RESULT_KEYS  # deterministic order, units in the names
        assert r["macs"] > 0 and r["flops"] == 2 * r["macs"] and r["params"] > 0
        lat = r["latency"]
        assert lat["measured"] is True
        assert lat["min_ms"] <= lat["p50_ms"] <= lat["p90_ms"] <= lat["p99_ms"] <= lat["max_ms"]
        assert lat["iterations"] >= 5 and lat["batch"] == r["batch"]
        assert set(r["conditions"]) >= CONDITION_KEYS
        assert r["memory"]["estimated"]["peak_activation_bytes"] > 0
        assert r["cached"] is False
    lenet = doc["results"]
    assert lenet[1]["macs"] == 2 * lenet[0]["macs"]  # MACs scale with the batch

    second = archsel(*args, env=env)
    assert second.returncode == 0
    again = json.loads(second.stdout)["results"]
    assert [r["cached"] for r in again] == [True] * 4
    assert [r["latency"]["p50_ms"] for r in again] == [r["latency"]["p50_ms"] for r in doc["results"]]

    info = archsel("cache", "info", "-f", "json", env=env)
    assert info.returncode == 0 and json.loads(info.stdout)["cache"]["entries"] == 4
    cleared = archsel("cache", "clear", "-f", "json", env=env)
    assert json.loads(cleared.stdout)["removed_entries"] == 4
    assert json.loads(archsel("cache", "info", "-f", "json", env=env).stdout)["cache"]["entries"] == 0


def test_corrupt_cache_entry_is_recomputed(archsel: Run, env: dict[str, str]) -> None:
    args = ("profile", "lenet5", "--time-budget", "0.3", "--threads", "1", "-f", "json")
    assert archsel(*args, env=env).returncode == 0
    (entry,) = (Path(env["ARCHSEL_CACHE_DIR"]) / "profiles").glob("*.json")
    entry.write_text("{not json")
    rerun = archsel(*args, env=env)
    assert rerun.returncode == 0
    assert "corrupt cache entry" in rerun.stderr
    assert json.loads(rerun.stdout)["results"][0]["cached"] is False
    assert json.loads(entry.read_text())["result"]["status"] == "ok"  # rewritten whole


def test_a_failing_model_is_reported_and_the_other_still_runs(archsel: Run, env: dict[str, str]) -> None:
    # A 1-channel input suits lenet5 and breaks small_cnn_cifar (3 input channels).
    out = archsel("profile", "small_cnn_cifar", "lenet5", "--input", "1x28x28", "--time-budget", "0.3",
                  "--threads", "1", "--no-cache", "-f", "json", env=env)
    assert out.returncode == 1
    results = {r["model_id"]: r for r in json.loads(out.stdout)["results"]}
    assert results["small_cnn_cifar"]["status"] == "failed" and results["small_cnn_cifar"]["error"]
    assert results["lenet5"]["status"] == "ok" and results["lenet5"]["latency"]["p50_ms"] > 0
    assert not (Path(env["ARCHSEL_CACHE_DIR"]) / "profiles").exists()  # --no-cache wrote nothing


def test_count_only_int8_csv_and_markdown(archsel: Run, env: dict[str, str]) -> None:
    csv_out = archsel("profile", "lenet5", "--count-only", "-f", "csv", env=env)
    assert csv_out.returncode == 0, csv_out.stderr
    header, row = csv_out.stdout.splitlines()[:2]
    cols = dict(zip(header.split(","), row.split(","), strict=True))
    assert int(cols["flops"]) == 2 * int(cols["macs"]) > 0 and cols["p50_ms"] == ""

    int8 = ("profile", "row_lstm_classifier", "--dtype", "int8", "--time-budget", "0.5", "--threads", "1")
    md = archsel(*int8, "-f", "markdown", env=env)
    assert md.returncode == 0, md.stderr
    assert "| GMACs | GFLOPs |" in md.stdout and "Conditions: cpu" in md.stdout

    js = archsel(*int8, "-f", "jsonl", env=env)
    (line,) = js.stdout.splitlines()
    rec = json.loads(line)
    assert rec["cached"] is True and "quantize_dynamic" in rec["conditions"]["int8_backend"]


def test_usage_errors_exit_2(archsel: Run, env: dict[str, str]) -> None:
    unknown_model = archsel("profile", "lenet55", env=env)
    assert unknown_model.returncode == 2 and "did you mean" in unknown_model.stderr
    bad_dtype = archsel("profile", "lenet5", "--dtype", "fp8", env=env)
    assert bad_dtype.returncode == 2 and "dtype" in bad_dtype.stderr
    bad_batch = archsel("profile", "lenet5", "--batch", "0", env=env)
    assert bad_batch.returncode == 2
    bad_shape = archsel("profile", "lenet5", "--input", "1x28", "--count-only", env=env)
    assert bad_shape.returncode == 2 and "has 2 dimensions" in bad_shape.stderr
    wrong_task = archsel("profile", "lenet5", "--task", "video", "--count-only", env=env)
    assert wrong_task.returncode == 2 and "does not serve task" in wrong_task.stderr
    for out in (unknown_model, bad_dtype, bad_batch, bad_shape, wrong_task):
        assert "Traceback" not in out.stderr and out.stdout == ""
        assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(_cuda_available(), reason="checks the error on a machine without CUDA")
def test_cuda_without_cuda_is_a_one_line_usage_error(archsel: Run, env: dict[str, str]) -> None:
    out = archsel("profile", "lenet5", "--device", "cuda", env=env)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "no CUDA device" in out.stderr


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda_available(), reason="needs a CUDA device")
def test_cuda_profile_cli(archsel: Run, env: dict[str, str]) -> None:
    out = archsel("profile", "mobilenet_v3_small", "--device", "cuda", "--dtype", "fp32,fp16",
                  "--batch", "1,8", "--time-budget", "2", "-f", "json", env=env)
    assert out.returncode == 0, out.stderr
    for r in json.loads(out.stdout)["results"]:
        assert r["latency"]["device"].startswith("cuda") and r["latency"]["p50_ms"] > 0
        assert r["memory"]["measured"]["cuda_peak_allocated_bytes"] > 0

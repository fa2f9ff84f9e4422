"""`archsel profile --target` (estimated) and `archsel calibrate --quick` as a user runs them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from archsel.targets.profiles import profile_problems, resolve_target

Run = Callable[..., CompletedProcess[str]]


def test_profile_target_prints_a_labelled_estimate_with_breakdown(archsel: Run, tmp_path: Path) -> None:
    env = {"ARCHSEL_CACHE_DIR": str(tmp_path / "cache")}
    out = archsel("profile", "resnet18", "--target", "jetson-orin-nano", "--batch", "1,8", "--runtime", "pytorch",
                  "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["kind"] == "estimated" and doc["target"]["name"] == "jetson-orin-nano"
    b1, b8 = doc["results"]
    for r in (b1, b8):
        assert r["kind"] == "estimated" and r["latency_ms"] > 0
        assert r["band"]["low_ms"] <= r["latency_ms"] <= r["band"]["high_ms"]
        assert sum(c["time_ms"] for c in r["breakdown"]) == pytest.approx(r["latency_ms"], rel=1e-6)
        assert {c["op_class"] for c in r["breakdown"]} >= {"conv", "norm", "elementwise"}
        assert all(c["bound"] in ("compute", "memory", "overhead", "none") for c in r["breakdown"])
        assert r["macs"] == 1_814_073_344 * r["batch"]  # torchvision's published 1.81 GMACs per image
    assert b8["latency_ms"] > b1["latency_ms"]
    assert not (tmp_path / "cache" / "profiles").exists()  # an estimate measures nothing and caches no result
    table = archsel("profile", "resnet18", "--target", "edge", env=env)
    assert table.returncode == 0 and "ESTIMATED" in table.stdout and "per op class" in table.stdout


def test_profile_target_usage_errors(archsel: Run) -> None:
    bad = archsel("profile", "resnet18", "--target", "jetson-orin-nan", "-f", "json")
    assert bad.returncode == 2 and "did you mean 'jetson-orin-nano'" in bad.stderr and bad.stdout == ""
    prec = archsel("profile", "resnet18", "--target", "raspberry-pi-4", "--dtype", "bf16", "-f", "json")
    assert prec.returncode == 2 and "does not support precision" in prec.stderr
    for out in (bad, prec):
        assert "Traceback" not in out.stderr


def test_profile_target_local_measures(archsel: Run, tmp_path: Path) -> None:
    out = archsel("profile", "lenet5", "--target", "local", "--time-budget", "0.3", "--threads", "1",
                  "--no-cache", "-f", "json", env={"ARCHSEL_CACHE_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    (r,) = json.loads(out.stdout)["results"]
    assert r["latency"]["measured"] is True and r["latency"]["p50_ms"] > 0


def test_calibrate_quick_writes_a_profile_that_validates_and_resolves(archsel: Run, tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    path = folder / "my-box.yaml"
    threads = min(os.cpu_count() or 1, 2)  # on 2 threads it also measures the thread scaling
    out = archsel("calibrate", "--quick", "--threads", str(threads), "--name", "my-box", "--out", str(path),
                  "-f", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["profile_path"] == str(path) and len(doc["references"]) == 2
    assert all(r["measured_ms"] > 0 for r in doc["references"])
    assert profile_problems([path]) == []
    assert [p.name for p in folder.iterdir()] == ["my-box.yaml"]  # atomic: no temporary file left
    profile = resolve_target(str(path))
    assert profile.name == "my-box" and profile.kind == "cpu" and profile.precisions == ("fp32",)
    assert (profile.estimator_source or "").startswith("calibrated")
    assert set(profile.efficiency) >= {"conv", "depthwise_conv", "matmul", "recurrent", "bandwidth"}
    assert all(0 < v <= 1 for v in profile.efficiency.values()) and (profile.overhead_us or 0) > 0
    # measured fixed costs: per op class (a depthwise conv and a view included), per module call, per cell
    assert {"conv", "depthwise_conv", "elementwise", "view", "fused"} <= set(profile.op_overhead_us)
    assert all(v > 0 for k, v in profile.op_overhead_us.items() if k != "recurrent")
    assert profile.module_call_us is not None and profile.module_call_us >= 0
    assert set(profile.recurrent) == {"lstm", "gru", "rnn"}
    assert all(c["call_us"] > 0 and c["step_us"] >= 0 for c in profile.recurrent.values())
    # GEMM rate by rows on one thread: rising with the rows, relative to the largest
    assert [d for d, _e in profile.gemm_efficiency] == [16, 64, 256, 1024]
    assert profile.gemm_efficiency[-1][1] == 1.0 and all(0 < e <= 1 for _d, e in profile.gemm_efficiency)
    if threads > 1:  # every kernel family's speedup over one thread, rising with size
        assert profile.parallel["threads"] == 2
        assert set(profile.parallel) == {"threads", "conv", "depthwise_conv", "matmul", "memory", "lstm", "gru", "rnn"}
        for family, points in profile.parallel.items():
            if family != "threads":  # sizes increasing, speedups never falling, at most the threads
                assert [w for w, _s in points] == sorted({w for w, _s in points}), family
                assert [s for _w, s in points] == sorted(s for _w, s in points) and points[-1][1] <= 2, family

    by_path = archsel("profile", "lenet5", "--target", str(path), "-f", "json")
    assert by_path.returncode == 0, by_path.stderr
    est = json.loads(by_path.stdout)["results"][0]
    assert est["kind"] == "estimated" and est["target"] == "my-box" and "calibrate" in est["method"]
    by_name = archsel("profile", "lenet5", "--target", "my-box", "-f", "json",
                      env={"ARCHSEL_PROFILES_PATH": str(folder)})
    assert by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout)["results"][0]["latency_ms"] == pytest.approx(est["latency_ms"])


def test_calibrate_usage_errors(archsel: Run, tmp_path: Path) -> None:
    bad_name = archsel("calibrate", "--quick", "--name", "My Box", "--out", str(tmp_path / "x.yaml"))
    assert bad_name.returncode == 2 and "bad --name" in bad_name.stderr
    bad_out = archsel("calibrate", "--quick", "--out", str(tmp_path / "x.json"))
    assert bad_out.returncode == 2 and ".yaml" in bad_out.stderr
    assert not list(tmp_path.iterdir())


def test_a_gpu_calibration_writes_an_async_profile(tmp_path: Path) -> None:
    """What `archsel calibrate --device cuda` writes (built here from recorded micro-benchmark figures, since
    CI has no GPU): async dispatch, the kernel floor and the large-cell step cost, all passing the schema."""
    from archsel.estimation.calibrate import Measured, calibrate_from, profile_document, write_profile
    from archsel.estimation.microbench import MicroResults
    from archsel.estimation.roofline import DeviceRates
    from archsel.profiling.counting import count_model
    from archsel.targets.profiles import resolve_target

    cells = ("lstm", "gru", "rnn")
    micro = MicroResults(
        device="cuda", threads=4, gemm_macs_per_s={"fp32": 2.6e13}, conv_macs_per_s={"fp32": 6.3e13},
        depthwise_macs_per_s=8.8e11, recurrent_macs_per_s=4.8e12, pooling_elements_per_s=2.6e11,
        bandwidth_bytes_per_s=2.8e12, activation_bandwidth_bytes_per_s=7.9e11, overhead_s=2.2e-5,
        op_overhead_s={"conv": 2.5e-5, "elementwise": 8e-6, "norm": 2e-5, "pooling": 1e-5, "view": 2e-6},
        recurrent_call_s=dict.fromkeys(cells, 8.5e-5), recurrent_step_s=dict.fromkeys(cells, 3e-7),
        recurrent_large_step_s=dict.fromkeys(cells, 1e-5), recurrent_large_from_bytes=512 * 1024,
        recurrent_weight_bandwidth=dict.fromkeys(cells, 4e11), kernel_s=1.2e-6)
    refs = [Measured("small_cnn_cifar", b, list(count_model("small_cnn_cifar", batch=b).ops), 0, 1.4e-4)
            for b in (1, 8)]
    doc = profile_document(calibrate_from(micro, refs), name="my-gpu", target_class="cloud", device="cuda",
                           device_name="Some GPU", memory=(80.0, "from the datasheet"))
    assert doc["kind"] == "gpu" and doc["dispatch"] == "async" and doc["kernel_us"] == pytest.approx(1.2)
    assert doc["recurrent"]["gru"]["large_from_kb"] == 512 and doc["recurrent"]["gru"]["large_step_us"] == 10
    rates = DeviceRates.from_profile(resolve_target(str(write_profile(doc, tmp_path / "my-gpu.yaml"))))
    assert rates.async_dispatch and rates.recurrent["lstm"].weight_bandwidth > 0

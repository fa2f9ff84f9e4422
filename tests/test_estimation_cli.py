"""`archsel profile --target` (estimated) and `archsel calibrate --quick` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from archsel.targets.profiles import profile_problems, resolve_target

Run = Callable[..., CompletedProcess[str]]


def test_profile_target_prints_a_labelled_estimate_with_breakdown(archsel: Run, tmp_path: Path) -> None:
    env = {"ARCHSEL_CACHE_DIR": str(tmp_path / "cache")}
    out = archsel("profile", "resnet18", "--target", "jetson-orin-nano", "--batch", "1,8", "--format", "json",
                  env=env)
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
    assert not (tmp_path / "cache").exists()  # an estimate measures nothing and caches nothing
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
    out = archsel("calibrate", "--quick", "--threads", "1", "--name", "my-box", "--out", str(path), "-f", "json")
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
    assert {"conv", "depthwise_conv", "elementwise", "view"} <= set(profile.op_overhead_us)
    assert all(v > 0 for k, v in profile.op_overhead_us.items() if k != "recurrent")
    assert profile.module_call_us is not None and profile.module_call_us >= 0
    assert set(profile.recurrent) == {"lstm", "gru", "rnn"}
    assert all(c["call_us"] > 0 and c["step_us"] >= 0 for c in profile.recurrent.values())

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

"""The fleet on real multi-node Ray clusters started by the tests (issue 20): a head and a second node
started with `ray start`, each serving another archsel target, used through the CLI as a user would; and a
node removed mid-run (ray.cluster_utils: separate raylet processes), after which the run finishes on the
node left with a sound cache."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archsel.profiling.cache import ResultCache
from archsel.profiling.profiler import ProfileOptions

ray = pytest.importorskip("ray", reason="the fleet extra (Ray) is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Every node and the machine running archsel share one token (the README's recipe; Ray 2.60 turns token
# authentication on for a local head but not for a node joining it unless told)
AUTH = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}


def _ray_cli(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ray")
    assert exe, "the ray command comes with the fleet extra"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **AUTH})


@pytest.fixture
def two_node_cluster() -> Iterator[str]:
    """`ray start --head` serving raspberry-pi-5, and a second node serving jetson-orin-nano."""
    port = _free_port()
    address = f"127.0.0.1:{port}"
    try:
        head = _ray_cli("start", "--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=false",
                        "--disable-usage-stats", '--resources={"archsel:raspberry-pi-5": 1}')
        assert head.returncode == 0, head.stderr
        node = _ray_cli("start", f"--address={address}", "--num-cpus=1", "--disable-usage-stats",
                        '--resources={"archsel:jetson-orin-nano": 1}')
        assert node.returncode == 0, node.stderr
        yield address
    finally:
        _ray_cli("stop", "--force")


def test_each_measurement_runs_on_the_node_serving_its_target(two_node_cluster: str, archsel: Any,
                                                              tmp_path: Path) -> None:
    env = {"ARCHSEL_CACHE_DIR": str(tmp_path), "ARCHSEL_RAY_ADDRESS": two_node_cluster, **AUTH}
    status = archsel("fleet", "status", "-f", "json", env=env)
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["targets"] == ["jetson-orin-nano", "raspberry-pi-5"] and len(doc["nodes"]) == 2
    serving = {n["targets"][0]: n["node_id"] for n in doc["nodes"]}
    narrow = archsel("fleet", "status", env={**env, "COLUMNS": "80"}).stdout.splitlines()
    assert all(len(line) <= 80 for line in narrow)  # one line per node at 80 columns, no wrapped cell
    for n in doc["nodes"]:
        assert len([line for line in narrow if line.startswith(n["node_id"][:12])]) == 1
    for n in doc["nodes"]:  # the facts each node reports about itself
        facts = n["facts"]
        assert n["alive"] and facts["cpu_cores"] >= 1 and facts["torch_version"] and facts["archsel_version"]
        assert facts["memory_bytes"] > 0 and facts["cpu_model"]
    for target in ("raspberry-pi-5", "jetson-orin-nano"):
        out = archsel("profile", "lenet5", "small_cnn_cifar", "--target", target, "--on-fleet", "--time-budget", "2",
                      "-f", "json", env=env)
        assert out.returncode == 0, out.stderr
        results = json.loads(out.stdout)["results"]
        assert len(results) == 2 and all(r["status"] == "ok" and r["latency"]["p50_ms"] > 0 for r in results)
        assert {r["conditions"]["fleet"]["node_id"] for r in results} == {serving[target]}
        assert json.loads(out.stdout)["fleet"]["nodes"][0]["node_id"] == serving[target]
    table = archsel("profile", "lenet5", "--target", "jetson-orin-nano", "--on-fleet", "--time-budget", "2", env=env)
    assert table.returncode == 0 and f"Measured on jetson-orin-nano node {serving['jetson-orin-nano'][:12]}" in (
        table.stdout) and "1 from the cache" in table.stdout
    # recommend: estimated for eager PyTorch first, then the candidates that could fit measured on the Pi 5 node
    out = archsel("recommend", "--task", "text-classification", "--target", "raspberry-pi-5", "--on-fleet",
                  "-f", "json", env=env)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["candidates"] and all(c["latency"]["kind"] == "measured" and c["latency"]["runtime"] == "pytorch"
                                     for c in doc["candidates"])
    assert {c["latency"]["detail"]["fleet"]["node_id"] for c in doc["candidates"]} == {serving["raspberry-pi-5"]}
    assert any(n.startswith(f"--on-fleet: {len(doc['candidates'])} of") for n in doc["notes"])
    out = archsel("recommend", "--task", "text-classification", "--target", "raspberry-pi-5", "--on-fleet",
                  "--latency-ms", "0.001", "-f", "json", env=env)  # nothing could fit: nothing measured
    assert out.returncode == 1 and "--on-fleet: 0 of 0 candidates" in " ".join(json.loads(out.stdout)["notes"])
    # calibrate: run on a device of the fleet, the profile written here, and usable as a target
    profile = tmp_path / "pi5.yaml"
    out = archsel("calibrate", "--quick", "--target", "raspberry-pi-5", "--on-fleet", "-o", str(profile), "-f",
                  "json", env=env)
    assert out.returncode == 0, out.stderr
    cal = json.loads(out.stdout)
    assert cal["fleet"]["node_id"] == serving["raspberry-pi-5"] and cal["name"] == "raspberry-pi-5-calibrated"
    assert f"Calibrated on the fleet: raspberry-pi-5 node {serving['raspberry-pi-5'][:12]}" in profile.read_text()
    est = archsel("profile", "lenet5", "--target", str(profile), "-f", "json", env=env)
    assert est.returncode == 0 and json.loads(est.stdout)["results"][0]["latency_ms"] > 0, est.stderr
    # check: the user's model (a file in the current folder, shipped to the node by Ray) gated on the device
    work = tmp_path / "project"
    work.mkdir()
    (work / "tiny_net.py").write_text(
        "import torch.nn as nn\n\n\ndef build():\n"
        "    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),"
        " nn.Linear(8, 10))\n")
    gate = archsel("check", "--model", "tiny_net.py:build", "--input", "1x3x32x32", "--target", "raspberry-pi-5",
                   "--on-fleet", "--latency-ms", "1000", "--time-budget", "2", "-f", "json", env=env, cwd=work)
    assert gate.returncode == 0, gate.stderr
    checked = json.loads(gate.stdout)
    assert checked["status"] == "passed" and checked["conditions"]["latency_kind"] == "measured"
    assert checked["latency"]["fleet"]["node_id"] == serving["raspberry-pi-5"]
    assert any("measured on raspberry-pi-5 node" in n for n in checked["notes"])
    out = archsel("recommend", "--task", "text-classification", "--target", "raspberry-pi-5", "--on-fleet",
                  "--runtime", "ncnn", env=env)
    assert out.returncode == 2 and "--on-fleet measures eager PyTorch" in out.stderr


@pytest.fixture
def dying_cluster() -> Iterator[tuple[Any, Any, Any]]:
    """A head serving nothing and two nodes serving raspberry-pi-5, each its own raylet."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        first = cluster.add_node(num_cpus=1, resources={"archsel:raspberry-pi-5": 1})
        second = cluster.add_node(num_cpus=1, resources={"archsel:raspberry-pi-5": 1})
        ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
        yield cluster, first, second
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_a_node_removed_mid_run_leaves_the_run_to_the_other(dying_cluster: tuple[Any, Any, Any],
                                                             tmp_path: Path) -> None:
    from archsel.profiling.fleet.dispatch import FleetRun, profile_on_fleet

    cluster, first, second = dying_cluster
    cache = ResultCache(tmp_path)
    removed: list[str] = []

    def remove_first_node(_message: str) -> None:  # as soon as the first measurement is back
        if not removed:
            removed.append(first.node_id)
            cluster.remove_node(first, allow_graceful=True)  # SIGTERM to its raylet: a device shut down
            deadline = time.monotonic() + 60  # until Ray's health checks have noticed (seconds)
            while time.monotonic() < deadline and any(n["NodeID"] == first.node_id and n["Alive"]
                                                      for n in ray.nodes()):
                time.sleep(0.2)

    models = ["lenet5", "small_cnn_cifar", "text_cnn", "mobilenet_v3_small", "shufflenet_v2_x1_0"]
    options = ProfileOptions(time_budget_s=2.0)
    records, report = profile_on_fleet(models, options, FleetRun("raspberry-pi-5", cluster.address, 600.0),
                                       cache=cache, advance=remove_first_node)
    assert removed and len(records) == 5
    assert all(r["status"] == "ok" for r in records), [(r["model_id"], r["error"]) for r in records]
    assert any("left mid-run" in e and first.node_id[:8] in e for e in report.events)
    by_node = report.measured_by_node  # the first went after its first result or two; the second did the rest
    assert by_node[first.node_id] + by_node[second.node_id] == 5 and by_node[second.node_id] >= 3
    # the cache is sound: every file whole, and the same query is answered from it alone
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert path.suffix == ".json" and json.loads(path.read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{s.getsockname()[1]}"
    again, report2 = profile_on_fleet(models, options, FleetRun("raspberry-pi-5", closed), cache=cache)
    assert report2.cached == 5 and not report2.contacted
    assert [r["latency"]["p50_ms"] for r in again] == [r["latency"]["p50_ms"] for r in records]

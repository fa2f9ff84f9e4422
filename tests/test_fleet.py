"""Profiling on a fleet (issue 20) against a real one-node Ray cluster started here (`ray.init` with the
`archsel:raspberry-pi-5` resource): measured on the node serving the target, cached under that device's
fingerprint, served again without the cluster, bounded by the run's time budget, one measurement at a time
per node. Multi-node clusters and a node dying mid-run: tests/test_fleet_cluster.py."""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archsel.errors import UsageError
from archsel.profiling.cache import ResultCache
from archsel.profiling.profiler import ProfileOptions

ray = pytest.importorskip("ray", reason="the fleet extra (Ray) is not installed")

TARGET = "raspberry-pi-5"
QUICK = ProfileOptions(time_budget_s=2.0, batches=(1, 2))


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"  # nothing listens once the socket is closed


@pytest.fixture(scope="module")
def fleet_address() -> Iterator[str]:
    ray.init(address="local", num_cpus=2, resources={f"archsel:{TARGET}": 1}, include_dashboard=False,
             log_to_driver=False, configure_logging=False)  # "local": a new instance, never a cluster running here
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def _run(models: list[str], cache: ResultCache, address: str, options: ProfileOptions = QUICK,
         target: str = TARGET, budget_s: float = 600.0) -> tuple[list[dict[str, Any]], Any]:
    from archsel.profiling.fleet.dispatch import FleetRun, profile_on_fleet

    return profile_on_fleet(models, options, FleetRun(target, address, budget_s), cache=cache)


def test_measures_on_the_node_serving_the_target_then_answers_from_the_cache(fleet_address: str,
                                                                             tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    node_id = ray.get_runtime_context().get_node_id()
    records, report = _run(["lenet5", "small_cnn_cifar"], cache, fleet_address)
    assert [(r["model_id"], r["batch"]) for r in records] == [("lenet5", 1), ("lenet5", 2),
                                                               ("small_cnn_cifar", 1), ("small_cnn_cifar", 2)]
    for r in records:
        assert r["status"] == "ok" and r["latency"]["p50_ms"] > 0 and not r["cached"]
        where = r["conditions"]["fleet"]
        assert where["node_id"] == node_id and where["target"] == TARGET and where["cpu_cores"] >= 1
        assert r["conditions"]["threads"] == 2  # the CPUs the node advertises to Ray, not Ray's one thread
    assert report.contacted and report.measured_by_node == {node_id: 4} and report.failed == 0
    # one measurement at a time on the node: the resource has one unit
    spans = sorted((r["conditions"]["fleet"]["started_unix_s"], r["conditions"]["fleet"]["finished_unix_s"])
                   for r in records)
    assert all(end <= nxt_start + 1e-3 for (_, end), (nxt_start, _) in itertools.pairwise(spans))
    # the same query again: every record from the cache, and no cluster contacted (it is not even there)
    again, report2 = _run(["lenet5", "small_cnn_cifar"], cache, _closed_port())
    assert not report2.contacted and report2.cached == 4
    assert [r["latency"]["p50_ms"] for r in again] == [r["latency"]["p50_ms"] for r in records]
    assert all(r["cached"] for r in again)


def test_another_devices_results_never_answer(fleet_address: str, tmp_path: Path) -> None:
    from archsel.profiling.fleet import dispatch

    cache = ResultCache(tmp_path)
    records, _ = _run(["lenet5"], cache, fleet_address, ProfileOptions(time_budget_s=2.0))
    [device] = dispatch.known_devices(cache, TARGET)
    assert device["fingerprint"]["cpu_model"] and device["threads"] == 2
    other = {**device, "fingerprint": {**device["fingerprint"], "cpu_model": "Cortex-A76 (another device)"}}
    cache.put(dispatch._devices_key(TARGET), {"devices": [other]})  # only a different device known
    again, report = _run(["lenet5"], cache, fleet_address, ProfileOptions(time_budget_s=2.0))
    assert report.contacted and report.cached == 0 and not again[0]["cached"]  # measured again, not served
    assert again[0]["status"] == "ok" and records[0]["status"] == "ok"
    assert len(dispatch.known_devices(cache, TARGET)) == 2  # both devices remembered, each with its own results
    assert dispatch.known_devices(cache, "jetson-orin-nano") == []  # and nothing of this target elsewhere


def test_no_node_serving_the_target_is_a_usage_error(fleet_address: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no live node of the cluster at .* serves jetson-orin-nano") as caught:
        _run(["lenet5"], ResultCache(tmp_path), fleet_address, target="jetson-orin-nano")
    assert "archsel:jetson-orin-nano" in str(caught.value)


def test_the_run_time_budget_bounds_a_measurement_that_does_not_end(fleet_address: str, tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    slow = ProfileOptions(time_budget_s=300.0, batches=(32,))  # resnet50 at batch 32: a minute or more here
    records, report = _run(["lenet5", "resnet50"], cache, fleet_address, slow, budget_s=6.0)
    by_model = {r["model_id"]: r for r in records}
    assert by_model["resnet50"]["status"] == "failed" and by_model["resnet50"]["failure_kind"] == "timeout"
    assert "fleet time budget of 6 s" in by_model["resnet50"]["error"]
    assert any("time budget" in e for e in report.events)
    # nothing half-written: only whole entries of the successful records (lenet5's, the device list) are kept
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert path.suffix == ".json" and json.loads(path.read_text())
    if by_model["lenet5"]["status"] == "ok":
        assert report.measured_by_node.total() == 1


def test_cli_without_a_cluster_or_ray_is_one_line_and_exit_2(archsel: Any, tmp_path: Path) -> None:
    env = {"ARCHSEL_CACHE_DIR": str(tmp_path), "ARCHSEL_RAY_ADDRESS": "", "RAY_ADDRESS": ""}
    out = archsel("fleet", "status", "--address", _closed_port(), env=env)
    assert out.returncode == 2 and "no Ray cluster answers at 127.0.0.1:" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    out = archsel("fleet", "status", env=env)
    assert out.returncode == 2 and "no Ray cluster address" in out.stderr and "ARCHSEL_RAY_ADDRESS" in out.stderr
    out = archsel("profile", "lenet5", "--on-fleet", env=env)
    assert out.returncode == 2 and "--on-fleet needs --target" in out.stderr
    for cmd in (["recommend", "--task", "image"], ["calibrate"]):
        out = archsel(*cmd, "--on-fleet", env=env)
        assert out.returncode == 2 and "--on-fleet needs --target" in out.stderr, cmd
    out = archsel("recommend", "--task", "image", "--target", "local", "--on-fleet", env=env)
    assert out.returncode == 2 and "not on local" in out.stderr
    out = archsel("profile", "lenet5", "--on-fleet", "--target", "jetson-orin-nan", env=env)
    assert out.returncode == 2 and "jetson-orin-nano" in out.stderr  # did you mean
    # Ray hidden: the extra's pip install, exit 2
    shadow = tmp_path / "no_ray"
    (shadow / "ray").mkdir(parents=True)
    (shadow / "ray" / "__init__.py").write_text("raise ImportError('ray hidden by the test')\n")
    out = archsel("profile", "lenet5", "--on-fleet", "--target", TARGET, "--address", _closed_port(),
                  env={**env, "PYTHONPATH": str(shadow)})
    assert out.returncode == 2 and "pip install 'archsel[fleet]'" in out.stderr and "Traceback" not in out.stderr
    # the extras' names survive the help's markup (rich reads "[fleet]" as a tag unless escaped)
    helped = " ".join(archsel("profile", "--help", env={**env, "COLUMNS": "300"}).stdout.split())
    assert "needs archsel[fleet])" in helped and "needs archsel[onnx])" in helped


def test_commands_that_do_not_use_the_fleet_never_import_ray() -> None:
    import subprocess
    import sys

    code = ("import sys; sys.argv = ['archsel', 'recommend', '--task', 'video', '--target', 'edge', '-f', 'json']; "
            "from archsel.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "assert 'ray' not in sys.modules, 'ray imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr

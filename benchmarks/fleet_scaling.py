"""Wall time to profile 24 zoo candidates on a simulated device fleet of 1, 2 and 4 nodes (issue 20), and the
overhead Ray adds per measurement.

    python benchmarks/fleet_scaling.py            # writes benchmarks/results_fleet_scaling.md

Each node is a separate Ray raylet (ray.cluster_utils.Cluster) advertising `num_cpus=1` and one unit of
`archsel:raspberry-pi-5`; the head advertises no CPU and no target, so every measurement runs on a device
node, one at a time per node, at one thread, exactly as `archsel profile --on-fleet` runs them (the cache is
off: every run measures). All the nodes share this machine's cores: the figures show what the fan-out costs
and gains here, not what separate devices would give.

Overhead per task = (the run's wall time − the sum of the measurements' own time on the nodes, from each
record's fleet `started_unix_s`/`finished_unix_s`) / tasks × nodes, on the one-node fleet where nothing
overlaps; it holds scheduling, a worker process's start and archsel/torch import, argument and result
transfer. A no-op task's round trip on a warm worker is reported beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archsel.machine import cpu_model  # noqa: E402
from archsel.profiling.profiler import ProfileOptions  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results_fleet_scaling.md"
TARGET = "raspberry-pi-5"
CANDIDATES = [  # 24 zoo models that measure in a second or two at one thread
    "lenet5", "small_cnn_cifar", "text_cnn", "mobilenet_v3_small", "shufflenet_v2_x1_0", "mobilenet_v2",
    "mobilenet_v3_large", "regnet_y_400mf", "efficientnet_b0", "resnet18", "espcn", "crnn", "bilstm_tagger",
    "gru_text_classifier", "transformer_text_classifier", "lstm_forecaster", "gru_forecaster", "tcn_forecaster",
    "transformer_forecaster", "wide_and_deep", "tabnet_style", "row_lstm_classifier", "streaming_gru_asr", "rnn_lm",
]


def _noop() -> float:
    return time.time()


def run(nodes: int, time_budget_s: float) -> dict[str, Any]:
    import ray
    from ray.cluster_utils import Cluster

    from archsel.profiling.fleet.dispatch import FleetRun, profile_on_fleet

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    try:
        for _ in range(nodes):
            cluster.add_node(num_cpus=1, resources={f"archsel:{TARGET}": 1})
        ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
        options = ProfileOptions(time_budget_s=time_budget_s, threads=1, use_cache=False)
        start = time.perf_counter()
        records, report = profile_on_fleet(CANDIDATES, options, FleetRun(TARGET, cluster.address, 3600.0))
        wall = time.perf_counter() - start
        own = sum(r["conditions"]["fleet"]["finished_unix_s"] - r["conditions"]["fleet"]["started_unix_s"]
                  for r in records if "started_unix_s" in r["conditions"].get("fleet", {}))
        noop = ray.remote(_noop).options(num_cpus=0, resources={f"archsel:{TARGET}": 1})
        ray.get(noop.remote())  # a warm worker
        trips = []
        for _ in range(20):
            t0 = time.perf_counter()
            ray.get(noop.remote())
            trips.append(time.perf_counter() - t0)
        failures = sorted({f"{r['model_id']}: {r['failure_kind']}: {r['error']}"
                           for r in records if r["status"] != "ok"})
        return {"nodes": nodes, "wall_s": wall, "measured_s": own, "ok": sum(r["status"] == "ok" for r in records),
                "failures": failures,
                "failed": report.failed, "per_node": dict(report.measured_by_node),
                "noop_ms": statistics.median(trips) * 1e3}
    finally:
        ray.shutdown()
        cluster.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", default="1,2,4")
    parser.add_argument("--time-budget", type=float, default=1.0, help="seconds per measurement")
    args = parser.parse_args()
    rows = [run(int(n), args.time_budget) for n in args.nodes.split(",")]
    one = rows[0]
    overhead = (one["wall_s"] - one["measured_s"]) / len(CANDIDATES) * one["nodes"]
    lines = [
        f"# Fleet scaling: {len(CANDIDATES)} zoo candidates on simulated device nodes ({dt.date.today()})",
        "",
        f"`python benchmarks/fleet_scaling.py` on {cpu_model()} ({os.cpu_count()} cores), Python "
        f"{platform.python_version()}, Ray {__import__('ray').__version__}. Each node: its own raylet, `num_cpus=1`, "
        f"`archsel:{TARGET}` = 1; eager PyTorch fp32, batch 1, 1 thread, {args.time_budget:g} s time budget per "
        "measurement, cache off. **The simulated nodes share this machine's cores**: beyond 2 nodes they compete "
        "for the same 2 cores, so this shows the fan-out's cost and gain here, not separate devices'.",
        "",
        "| nodes | wall time s | speed-up | measurements ok | failed | per node | sum of measurements' own time s |",
        "|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        per_node = ", ".join(str(v) for _k, v in sorted(r["per_node"].items()))
        lines.append(f"| {r['nodes']} | {r['wall_s']:.1f} | {one['wall_s'] / r['wall_s']:.2f}× | {r['ok']} | "
                     f"{r['failed']} | {per_node} | {r['measured_s']:.1f} |")
    lines += [
        "",
        f"Overhead Ray adds per measurement (one node, nothing overlapping: (wall − Σ own time) / tasks): "
        f"**{overhead:.2f} s** (scheduling, the worker's first start and archsel/torch import, argument and "
        f"result transfer; the node's worker is reused between measurements). A no-op task's round trip on a warm "
        f"worker: {statistics.median(r['noop_ms'] for r in rows):.1f} ms (median of 20).",
    ]
    failures = sorted({f for r in rows for f in r["failures"]})
    if failures:
        lines += ["", "Failed (reported as that candidate's failure; the run went on): " + "; ".join(failures)]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

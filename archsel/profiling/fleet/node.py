"""What runs on a device node of the fleet: its facts, and one measurement exactly as `archsel profile`
makes it locally. Ray imports these functions by name on the node, so the node needs archsel and torch."""

from __future__ import annotations

import os
import platform
import socket
import time
from dataclasses import replace
from typing import Any

from archsel.profiling.profiler import ProfileOptions


def _own_node() -> tuple[str, str, float]:
    """(node id, address, CPUs advertised) of the node this runs on."""
    import ray

    node_id = ray.get_runtime_context().get_node_id()
    for n in ray.nodes():
        if n["NodeID"] == node_id:
            return node_id, str(n.get("NodeManagerAddress", "")), float((n.get("Resources") or {}).get("CPU", 0.0))
    return node_id, "", 0.0


def default_threads() -> int:
    """Threads a measurement uses unless told: the CPUs the node advertises to Ray (`ray start --num-cpus`;
    all its cores by default), not Ray's one-thread worker default."""
    cpus = _own_node()[2]
    return max(1, int(cpus)) if cpus >= 1 else max(1, os.cpu_count() or 1)


def node_facts(device: str = "cpu") -> dict[str, Any]:
    """What a node reports about itself: id, address, host, CPU, cores, GPU, memory, versions, and the
    fingerprint its measurements are cached under."""
    import torch

    from archsel import __version__
    from archsel.machine import cpu_model, memory_bytes
    from archsel.profiling.cache import device_fingerprint

    node_id, address, cpus = _own_node()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "node_id": node_id, "node_address": address, "hostname": socket.gethostname(),
        "cpu_model": cpu_model(), "cpu_cores": os.cpu_count(), "ray_cpus": cpus, "gpu_name": gpu,
        "memory_bytes": memory_bytes(), "torch_version": str(torch.__version__), "archsel_version": __version__,
        "python_version": platform.python_version(),
        "fingerprint": device_fingerprint(device),
    }


def measure(model_id: str, options: ProfileOptions, batch: int, dtype: str, target: str) -> dict[str, Any]:
    """Profile one (model, batch, dtype) on this node, uncached (the caller caches under this node's
    fingerprint); the records carry the node and its facts in `conditions.fleet`."""
    from archsel.profiling.profiler import profile, resolve_device

    threads = options.threads or default_threads()
    run = replace(options, device=resolve_device(options.device), batches=(batch,), dtypes=(dtype,), threads=threads,
                  use_cache=False)
    started = time.time()
    records = profile([model_id], run)
    finished = time.time()
    facts = node_facts(run.device)
    where = {"target": target, **{k: v for k, v in facts.items() if k != "fingerprint"},
             "started_unix_s": round(started, 3), "finished_unix_s": round(finished, 3)}
    for record in records:
        record["conditions"]["fleet"] = where
    return {"records": records, "facts": facts, "threads": threads}


def calibrate(device: str, threads: int | None, quick: bool, name: str, target_class: str) -> dict[str, Any]:
    """`archsel calibrate` on this node: micro-benchmarks, reference models, the fit and the profile document
    (written by the caller, on its own machine)."""
    from archsel.estimation.calibrate import calibrate_device, profile_document
    from archsel.profiling.profiler import device_name, resolve_device

    dev = resolve_device(device)
    cal = calibrate_device(device=dev, threads=threads or default_threads(), quick=quick)
    cpu = device_name(dev)
    doc = profile_document(cal, name=name, target_class=target_class, device=dev, device_name=cpu)
    return {"calibration": cal, "doc": doc, "device_name": cpu, "facts": node_facts(dev)}

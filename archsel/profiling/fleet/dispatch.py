"""A profile run fanned out over the fleet nodes that serve a target (`archsel profile --on-fleet`).

Each (model, batch, dtype) is one Ray task asking for one unit of the target's resource (cluster.py): Ray
spreads the tasks over every node serving the target and runs one at a time per node. A task whose node
dies is run again on another node serving the target (Ray's task retries); when none is left alive, or
the run's time budget is spent, what did not finish is reported as failed for its candidate and the run
ends normally. Each successful record is cached here under the fingerprint of the device that measured it
(written whole, atomically), and the devices that served a target are remembered, so the same query again
is answered from the cache without contacting the cluster.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from archsel.errors import UsageError
from archsel.profiling.cache import ResultCache, check_fields
from archsel.profiling.deploy import EAGER
from archsel.profiling.fleet import cluster
from archsel.profiling.profiler import (
    ProfileOptions,
    cached_record,
    plan_models,
    planned_dtypes,
    record_key,
    setup_failure,
)

Log = Callable[[str], None]
MAX_RETRIES = 3  # runs of a task whose node or worker died (Ray retries system failures only)
POLL_S = 1.0  # how often a waiting run looks for finished tasks and live nodes
DEVICES_KIND = "archsel fleet devices"  # cache entry: the devices that served a target
MAX_DEVICES = 64


@dataclass(frozen=True)
class FleetRun:
    """Where and how long: the target the nodes serve, the cluster address (None: from the environment),
    and the seconds the whole run may take."""

    target: str
    address: str | None = None
    time_budget_s: float = 1800.0


@dataclass
class FleetReport:
    """What happened: per node the measurements it made, cache hits, failures, nodes lost mid-run."""

    target: str
    address: str | None = None
    contacted: bool = False
    measured_by_node: Counter[str] = field(default_factory=Counter)
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # node id -> facts
    cached: int = 0
    failed: int = 0
    events: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target, "resource": cluster.target_resource(self.target), "address": self.address,
            "contacted_cluster": self.contacted, "cached": self.cached, "failed": self.failed,
            "nodes": [{**{k: v for k, v in self.nodes.get(n, {}).items() if k != "fingerprint"}, "node_id": n,
                       "measured": self.measured_by_node[n]} for n in sorted(self.measured_by_node)],
            "events": self.events,
        }


# ------------------------------------------------------------------------------------------ device memory


def _devices_key(target: str) -> dict[str, Any]:
    return {"kind": DEVICES_KIND, "target": target}


def _check_devices(value: dict[str, Any]) -> list[dict[str, Any]]:
    check_fields(value, {"devices": list}, what="fleet devices")
    for device in value["devices"]:
        check_fields(device, {"fingerprint": dict, "threads": int, "facts": dict}, what="fleet device")
        if device["threads"] < 1:
            raise ValueError("fleet device: threads below 1")
    return list(value["devices"])


def known_devices(cache: ResultCache, target: str) -> list[dict[str, Any]]:
    """The devices that measured for `target` before, most recent first."""
    return cache.get_valid(_devices_key(target), _check_devices) or []


def remember_device(cache: ResultCache, target: str, facts: dict[str, Any], threads: int) -> None:
    """Put this device first in the target's list (one entry per fingerprint and thread count)."""
    entry = {"fingerprint": facts["fingerprint"], "threads": threads, "facts": facts}
    others = [d for d in known_devices(cache, target)
              if (d["fingerprint"], d["threads"]) != (entry["fingerprint"], threads)]
    cache.put(_devices_key(target), {"devices": [entry, *others][:MAX_DEVICES]})


# ------------------------------------------------------------------------------------------ the run


@dataclass(frozen=True)
class _Item:
    index: int
    model_id: str
    task: str
    shapes: list[list[int]]
    batch: int
    dtype: str


def _conditions(options: ProfileOptions, fleet: FleetRun) -> dict[str, Any]:
    return {"device": options.device, "runtime": options.runtime, "threads": options.threads,
            "time_budget_s": options.time_budget_s, "counter": options.counter, "measured": options.measure,
            "fleet": {"target": fleet.target}}


def _from_cache(cache: ResultCache, options: ProfileOptions, item: _Item,
                devices: list[dict[str, Any]]) -> dict[str, Any] | None:
    for device in devices:
        threads = options.threads or device["threads"]
        key = record_key(options, item.model_id, item.task, item.shapes, item.batch, item.dtype, threads=threads,
                         fingerprint=device["fingerprint"], runtime_version="")
        found = cache.get_valid(key, partial(cached_record, key=key))
        if found is not None:
            return {**found, "cached": True}
    return None


def profile_on_fleet(model_ids: list[str], options: ProfileOptions, fleet: FleetRun, *,
                     cache: ResultCache | None = None, log: Log = lambda _m: None,
                     advance: Log = lambda _m: None) -> tuple[list[dict[str, Any]], FleetReport]:
    """Records (one per model × batch × dtype, in order) measured on nodes serving `fleet.target`, or read
    from the cache; and what happened. Usage errors (no Ray, no cluster, no node serving the target) raise."""
    if options.runtime != EAGER:
        raise UsageError(f"--on-fleet measures eager PyTorch only, not {options.runtime}",
                         hint="drop --runtime, or profile the runtime on the device itself")
    cache = cache if cache is not None else ResultCache()
    dtypes = planned_dtypes(options)
    report = FleetReport(fleet.target, fleet.address)
    records: dict[int, dict[str, Any]] = {}
    items: list[_Item] = []
    base = _conditions(options, fleet)
    for plan in plan_models(model_ids, options):
        for dtype in dtypes:
            for batch in plan.batches:
                index = len(records) + len(items)
                if plan.error is not None or plan.task is None:
                    records[index] = setup_failure(base, options.device, plan.entry.id, plan.task, batch, dtype,
                                                   plan.error or UsageError("no task"))
                    continue
                items.append(_Item(index, plan.entry.id, plan.task, plan.shapes(batch), batch, dtype))
    use_cache = options.use_cache
    devices = known_devices(cache, fleet.target) if use_cache else []
    pending: list[_Item] = []
    for item in items:
        hit = _from_cache(cache, options, item, devices) if use_cache else None
        if hit is not None:
            records[item.index] = hit
            report.cached += 1
            advance(f"{item.model_id}: cached")
        else:
            pending.append(item)
    if pending:
        _run_on_cluster(pending, options, fleet, cache if use_cache else None, records, report, log, advance)
    report.failed = sum(r["status"] != "ok" for r in records.values())
    return [records[i] for i in sorted(records)], report


def _run_on_cluster(pending: list[_Item], options: ProfileOptions, fleet: FleetRun, cache: ResultCache | None,
                    records: dict[int, dict[str, Any]], report: FleetReport, log: Log, advance: Log) -> None:
    from archsel.profiling.fleet import node

    ray = cluster.connect(fleet.address)
    report.contacted = True
    report.address = cluster.resolve_address(fleet.address)
    at_start = cluster.require_serving(ray, report.address, fleet.target)
    log(f"archsel: {len(pending)} measurements on {len(at_start)} node(s) serving {fleet.target}")
    task = _on_target(ray, node.measure, fleet.target)
    refs = {task.remote(item.model_id, options, item.batch, item.dtype, fleet.target): item for item in pending}
    deadline = time.monotonic() + fleet.time_budget_s
    base = _conditions(options, fleet)
    gone: set[str] = set()  # nodes seen leaving (Ray's health checks notice within seconds)

    def fail(item: _Item, kind: str, why: str) -> None:
        records[item.index] = setup_failure(base, options.device, item.model_id, item.task, item.batch, item.dtype,
                                            UsageError(why), kind=kind)
        advance(f"{item.model_id}: {kind}")

    while refs:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        done, _ = ray.wait(list(refs), num_returns=1, timeout=min(POLL_S, left))
        for ref in done:
            item = refs.pop(ref)
            try:
                out = ray.get(ref)
            except Exception as exc:  # the task raised, or its node died more often than it may be retried
                fail(item, "fleet", f"{type(exc).__name__}: {_first_line(exc)}")
                continue
            _accept(item, out, options, fleet, cache, records, report)
            advance(f"{item.model_id} on {out['facts'].get('hostname')}: "
                    + ", ".join(f"{n[:8]} {c}" for n, c in sorted(report.measured_by_node.items())))
        live = {n.node_id for n in cluster.serving(cluster.fleet_nodes(ray), fleet.target)} if refs else set()
        for lost in at_start:
            if refs and lost.node_id not in live and lost.node_id not in gone:
                gone.add(lost.node_id)
                report.events.append(f"node {lost.node_id[:8]} ({lost.address}) left mid-run; its unfinished "
                                     "measurement runs again on another node serving the target, or fails")
        if refs and not done and not live:
            report.events.append(f"no live node serves {fleet.target} any more: {len(refs)} measurements "
                                 "could not run")
            for item in refs.values():
                fail(item, "fleet", f"no live node serves {fleet.target} (the last one left mid-run)")
            refs.clear()
    if refs:
        report.events.append(f"the time budget ({fleet.time_budget_s:g} s) ran out: {len(refs)} measurements "
                             "cancelled")
        for ref, item in refs.items():
            ray.cancel(ref, force=True)
            fail(item, "timeout", f"not finished within the fleet time budget of {fleet.time_budget_s:g} s")


def _on_target(ray: Any, fn: Callable[..., Any], target: str) -> Any:
    """`fn` as a Ray task needing one unit of the target's resource (one at a time per device, on any node
    serving it), run again elsewhere when its node dies, never for its own exceptions."""
    return ray.remote(fn).options(num_cpus=0, resources={cluster.target_resource(target): 1},
                                  max_retries=MAX_RETRIES, retry_exceptions=False)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else repr(exc)


def _accept(item: _Item, out: dict[str, Any], options: ProfileOptions, fleet: FleetRun, cache: ResultCache | None,
            records: dict[int, dict[str, Any]], report: FleetReport) -> None:
    facts, threads = out["facts"], int(out["threads"])
    record = out["records"][0]
    records[item.index] = record
    report.measured_by_node[facts["node_id"]] += 1
    report.nodes[facts["node_id"]] = facts
    if cache is None or record["status"] != "ok":
        return
    key = record_key(options, item.model_id, item.task, item.shapes, item.batch,
                     item.dtype, threads=threads, fingerprint=facts["fingerprint"], runtime_version="")
    if record["input_shapes"] == item.shapes:
        cache.put(key, record)
        remember_device(cache, fleet.target, facts, threads)


def run_one(fn: Callable[..., Any], args: tuple[Any, ...], fleet: FleetRun, *, what: str,
            runtime_env: dict[str, Any] | None = None) -> Any:
    """`fn(*args)` run on one node serving `fleet.target` (retried on another when its node dies), within the
    run's time budget. An archsel error raised there is raised here as it is (one line, its exit status);
    anything else, or the budget running out, is an ArchselError naming `what`. `runtime_env`: Ray's, for the
    job (the working folder a user's code is in, shipped to the nodes; cluster.connect)."""
    from archsel.errors import ArchselError

    try:
        ray = cluster.connect(fleet.address, runtime_env)
    except UsageError:
        raise
    except Exception as exc:  # e.g. the working folder could not be packed, or is too large for Ray
        raise ArchselError(f"{what} on {fleet.target}: Ray could not take the job: {_first_line(exc)}") from None
    cluster.require_serving(ray, cluster.resolve_address(fleet.address), fleet.target)
    ref = _on_target(ray, fn, fleet.target).remote(*args)
    ready, _ = ray.wait([ref], timeout=fleet.time_budget_s)
    if not ready:
        ray.cancel(ref, force=True)
        raise ArchselError(f"{what} on {fleet.target} did not finish within the fleet time budget of "
                           f"{fleet.time_budget_s:g} s", hint="give a larger --fleet-time-budget")
    try:
        return ray.get(ref)
    except Exception as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, ArchselError):
            raise cause from None
        raise ArchselError(f"{what} on {fleet.target} failed: {type(exc).__name__}: {_first_line(exc)}") from None

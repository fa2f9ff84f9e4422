"""On the fleet's devices: `recommend --on-fleet` (the estimated candidates that could fit, measured there)
and `check --on-fleet` (the user's model measured there).

The candidates are first costed as always, estimated for the target's eager PyTorch (what the fleet
measures); those whose estimate could meet the budget (the band's low end within it, and no size or memory
limit broken; every costed candidate without a budget) are then measured on the nodes serving the target
(archsel.profiling.fleet.dispatch: spread over them, cached per device), and their measured latency replaces
the estimate before the constraints are checked again and the ranking is made. A candidate whose measurement
fails keeps its estimate, and a note says why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archsel.advice import constraints as cons
from archsel.advice.costing import MEASURE_BUDGET_S, Item, Latency, measured_latency

if TYPE_CHECKING:
    from archsel.advice.pipeline import Advance, Outcome, Plan
    from archsel.isolation import ChildLimits
    from archsel.profiling.fleet.dispatch import FleetRun
    from archsel.usermodel import UserModel


def could_fit(o: Outcome, budget_ms: float | None) -> bool:
    """Worth measuring: costed, a zoo model, estimated; within the budget at the estimate's optimistic end and
    breaking no limit that measuring cannot change (params, MACs, memory)."""
    if o.user or o.cost is None or o.cost.latency is None or o.cost.latency.kind != "estimated":
        return False
    if any(v.constraint != "latency" for v in o.violations):
        return False
    return budget_ms is None or o.cost.latency.band_low_ms <= budget_ms


def measure_on_fleet(outcomes: list[Outcome], p: Plan, fleet: FleetRun, advance: Advance) -> list[str]:
    """Measure the outcomes that could fit on the fleet, in place; the notes saying what was measured where."""
    from archsel.profiling.fleet.dispatch import profile_on_fleet
    from archsel.profiling.profiler import ProfileOptions

    chosen = [o for o in outcomes if o.status in ("ok", "excluded") and could_fit(o, p.request.latency_ms)]
    groups: dict[tuple[str, int], list[Outcome]] = defaultdict(list)
    for o in chosen:
        assert o.cost is not None
        groups[(o.cost.precision, o.cost.batch)].append(o)
    measured = 0
    failures: list[str] = []
    nodes: set[str] = set()
    events: list[str] = []
    for (precision, batch), group in sorted(groups.items()):
        options = ProfileOptions(task=p.query.task, batches=(batch,), dtypes=(precision,), threads=p.request.threads,
                                 time_budget_s=MEASURE_BUDGET_S)
        records, report = profile_on_fleet([o.candidate.id for o in group], options, fleet, advance=advance)
        events += report.events
        for o, record in zip(group, records, strict=True):
            if record["status"] != "ok" or not record.get("latency"):
                failures.append(f"{o.candidate.id} {precision}: {record.get('failure_kind')}: {record.get('error')}")
                continue
            _take_measurement(o, record, precision, p)
            nodes.add(str(record["conditions"]["fleet"].get("hostname") or record["conditions"]["fleet"]["node_id"]))
            measured += 1
    notes = [f"--on-fleet: {measured} of {len(chosen)} candidates that could fit were measured on {fleet.target} "
             f"devices of the fleet ({', '.join(sorted(nodes)) or 'none'}; eager PyTorch); the others keep their "
             "estimates."]
    notes += [f"--on-fleet: {e}" for e in events]
    notes += [f"--on-fleet: not measured, estimate kept: {f}" for f in failures]
    return notes


def _take_measurement(o: Outcome, record: dict[str, Any], precision: str, p: Plan) -> None:
    """The measured latency in place of the estimate, and the constraints judged again on it."""
    assert o.cost is not None
    where = record["conditions"]["fleet"]
    latency = measured_latency(record["latency"], record["conditions"], precision, record.get("notes") or [],
                               record.get("int8"))
    o.cost = replace(o.cost, latency=on_fleet_node(latency, where))
    o.violations = cons.violations(o.cost, p.limits, p.target)
    o.status = "excluded" if o.violations else "ok"


def on_fleet_node(latency: Latency, where: dict[str, Any]) -> Latency:
    """A latency measured on a fleet node (`where`: the node's facts and target), labelled so."""
    return replace(latency, device=f"{where.get('target')} of the fleet ({where.get('hostname')}, "
                                   f"{latency.detail.get('device_name')})",
                   method=f"measured on {where.get('target')} node {str(where.get('node_id'))[:12]} "
                          f"({where.get('hostname')}) of the fleet; {latency.method}",
                   detail={**latency.detail, "fleet": where})


def on_fleet_user_item(item: Item, user: UserModel, device: str, limits: ChildLimits | None,
                       fleet: FleetRun) -> Item:
    """`item` (costing.user_item's) measured on a node serving `fleet.target` instead of here: the current
    folder is shipped with the job's Ray runtime_env (working_dir), so the factory imports there as here, and
    the user's code runs in archsel.isolation's child on the node with the same limits."""
    import os

    from archsel.isolation import ChildLimits
    from archsel.profiling.fleet.dispatch import run_one

    bounds = limits or ChildLimits()

    def measure(precision: str, budget_s: float, _runtime: str, threads: int | None) -> Latency:
        out = run_one(measure_user_on_node, (user, device, precision, budget_s, threads, bounds, fleet.target),
                      fleet, what="measuring your model", runtime_env={"working_dir": os.getcwd()})
        latency: Latency = out["latency"]
        return on_fleet_node(latency, latency.detail["fleet"])

    return replace(item, measure_fn=measure)


def measure_user_on_node(user: UserModel, device: str, precision: str, budget_s: float, threads: int | None,
                         limits: ChildLimits, target: str) -> dict[str, Any]:
    """Runs on the node: the user's model built and measured in an isolated child process, as `archsel check
    --measure` does locally; the latency carries the node's facts."""
    import time

    from archsel.advice.costing import _in_child
    from archsel.profiling.deploy import EAGER
    from archsel.profiling.fleet.node import default_threads, node_facts
    from archsel.profiling.profiler import resolve_device

    dev = resolve_device(device)
    threads = threads or default_threads()
    started = time.time()
    latency: Latency = _in_child(user.spec, "measure", "archsel.advice.costing:measure_user_model",
                                 (user, dev, precision, budget_s, EAGER, threads), limits)
    facts = node_facts(dev)
    latency.detail["fleet"] = {"target": target, **{k: v for k, v in facts.items() if k != "fingerprint"},
                               "started_unix_s": round(started, 3), "finished_unix_s": round(time.time(), 3)}
    return {"latency": latency, "facts": facts, "threads": threads}

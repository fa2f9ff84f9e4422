"""`recommend --on-fleet`: the estimated candidates that could fit, measured on the fleet's devices.

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
from archsel.advice.costing import MEASURE_BUDGET_S, measured_latency, on_fleet_node

if TYPE_CHECKING:
    from archsel.advice.pipeline import Advance, Outcome, Plan
    from archsel.profiling.fleet.dispatch import FleetRun


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

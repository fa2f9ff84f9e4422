"""`archsel check`'s stage: cost the user's model like any candidate and gate it (docs/check.md).

THIS IMPORTS AND RUNS THE USER'S CODE (the factory named by --model and the model's forward).

The model is costed by archsel.advice.costing (the path compare takes) and judged by
archsel.advice.constraints (the one gate logic). Gates, in order: model (the factory builds and a forward
runs; an error when the user's code raises), precision, params, macs, memory (always: the target's
memory), latency (only with a budget). An estimated latency is gated on its point estimate, or with
`strict` on the high end of its error band; a measured one on `latency_stat`.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from archsel.advice.constraints import Limits, Verdict, evaluate, memory_limit, precision_verdict
from archsel.advice.costing import Cost, cost, user_item
from archsel.errors import ExitStatus

if TYPE_CHECKING:
    from archsel.isolation import ChildLimits
    from archsel.profiling.counting import CountResult
    from archsel.profiling.fleet.dispatch import FleetRun
    from archsel.targets.profiles import TargetProfile
    from archsel.usermodel import UserCodeError, UserModel

GATE_ORDER = ("model", "precision", "params", "macs", "memory", "latency")


@dataclass(frozen=True)
class CheckRequest:
    """Everything one check needs."""

    spec: str
    input_text: str
    target: TargetProfile
    limits: Limits  # latency_stat: the statistic asked for (gated when measured)
    precision: str = "fp32"
    runtime: str | None = None  # the target's runtime (None: its default)
    threads: int | None = None  # CPU runtimes: threads (None: the runtime's own)
    measure: bool = False
    device: str = "cpu"
    time_budget_s: float = 10.0
    model_args: dict[str, Any] = field(default_factory=dict)
    child: ChildLimits | None = None  # what the user's code may take (archsel.isolation; None: its defaults)
    fleet: FleetRun | None = None  # measured on a device of the fleet serving the target

    @property
    def measured(self) -> bool:
        return self.measure or self.target.measured_at_run_time or self.fleet is not None


@dataclass
class Gate:
    """One gate of a check: a judged constraint, or why it could not be judged."""

    name: str  # model | precision | params | macs | memory | latency
    status: str  # passed | failed | error | skipped
    verdict: Verdict | None = None
    error: UserCodeError | None = None  # the user's code raised
    failure: tuple[str, str, str] | None = None  # (kind, reason, exception type): measuring/estimating failed
    duration_s: float | None = None


@dataclass
class CheckResult:
    """The whole check: the model, its cost, every gate, and the run's facts."""

    request: CheckRequest
    gates: list[Gate]
    user: UserModel | None = None
    count: CountResult | None = None
    cost: Cost | None = None
    model_error: UserCodeError | None = None
    notes: list[str] = field(default_factory=list)
    timestamp: str = ""
    hostname: str = ""
    duration_s: float = 0.0

    @property
    def status(self) -> str:
        found = {g.status for g in self.gates}
        return "error" if "error" in found else "failed" if "failed" in found else "passed"

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.SUCCESS if self.status == "passed" else ExitStatus.FAILURE


def gated_limits(request: CheckRequest) -> Limits:
    """--latency-stat applies to measured latency; an estimate is gated on its point estimate (or band high)."""
    if request.measured:
        return request.limits
    return replace(request.limits, latency_stat="p50")


def _skipped_after_model_error(request: CheckRequest) -> list[Gate]:
    limits = request.limits
    budgets = {"params": limits.max_params, "macs": limits.max_macs,
               "memory": memory_limit(request.target, limits), "latency": limits.latency_ms}
    return [Gate(name, "skipped") for name in GATE_ORDER[2:] if budgets[name] is not None]


def run_check(request: CheckRequest) -> CheckResult:
    """Evaluate every gate; UsageError for usage errors (a bad spec, a missing attribute, a bad shape)."""
    from archsel.profiling.profiler import classify_failure
    from archsel.usermodel import UserCodeError

    started = time.perf_counter()
    result = CheckResult(request, [], timestamp=datetime.now().replace(microsecond=0).isoformat(),
                         hostname=socket.gethostname())
    limits = gated_limits(request)
    t0 = time.perf_counter()
    try:
        item, result.user = user_item(request.spec, request.input_text, request.model_args, device=request.device,
                                      limits=request.child)
        if request.fleet is not None:
            from archsel.advice.fleet import on_fleet_user_item

            item = on_fleet_user_item(item, result.user, request.device, request.child, request.fleet)
    except UserCodeError as exc:
        result.model_error = exc
        result.gates.append(Gate("model", "error", error=exc, duration_s=time.perf_counter() - t0))
        result.gates.append(_precision_gate(request))
        result.gates += _skipped_after_model_error(request)
        result.duration_s = time.perf_counter() - started
        return result
    result.count = item.count()
    result.notes += result.user.notes
    result.gates.append(Gate("model", "passed", duration_s=time.perf_counter() - t0))
    t1 = time.perf_counter()
    latency_gate: Gate | None = None
    try:
        result.cost = cost(item, request.precision, request.target, measured=request.measured,
                           runtime=request.runtime, threads=request.threads, budget_s=request.time_budget_s)
    except UserCodeError as exc:
        latency_gate = Gate("latency", "error", error=exc)
    except Exception as exc:  # incl. a profile without a peak for this precision: cannot estimate
        kind, reason = classify_failure(exc)
        latency_gate = Gate("latency", "failed" if kind == "time_budget" else "error",
                            failure=(kind, reason, type(exc).__name__))
    if result.cost is None:  # the sizes still gate
        result.cost = cost(item, request.precision, None, measured=False)
    verdicts = {v.constraint: v for v in evaluate(result.cost, limits, request.target)}
    for name in GATE_ORDER[1:-1]:
        if name in verdicts:
            result.gates.append(Gate(name, "passed" if verdicts[name].passed else "failed", verdicts[name]))
    if "latency" in verdicts:
        latency_gate = Gate("latency", "passed" if verdicts["latency"].passed else "failed", verdicts["latency"])
    elif latency_gate is None and request.limits.latency_ms is not None:
        latency_gate = Gate("latency", "skipped")  # the target does not run this precision
    if latency_gate is not None:
        latency_gate.duration_s = time.perf_counter() - t1
        result.gates.append(latency_gate)
    result.notes += _latency_notes(result)
    result.duration_s = time.perf_counter() - started
    return result


def _precision_gate(request: CheckRequest) -> Gate:
    verdict = precision_verdict(request.precision, request.target, request.runtime)
    return Gate("precision", "passed" if verdict.passed else "failed", verdict)


def _latency_notes(result: CheckResult) -> list[str]:
    request = result.request
    lat = result.cost.latency if result.cost is not None else None
    notes: list[str] = []
    if lat is not None and lat.kind == "measured":
        notes += lat.notes
        if "fleet" in lat.detail:
            notes.append(f"latency {lat.method.split(';')[0]}; precision and memory gates use "
                         f"{request.target.name}'s profile")
        elif not request.target.measured_at_run_time:
            notes.append(f"latency measured on this machine ({lat.detail.get('device_name')}), not on "
                         f"{request.target.name}; precision and memory gates use {request.target.name}'s profile")
    if lat is not None and lat.kind == "estimated" and request.limits.latency_stat != "p50":
        notes.append(f"--latency-stat {request.limits.latency_stat} applies to measured latency; an estimate is "
                     f"gated on its {'band high end' if request.limits.strict else 'point estimate'}")
    return notes

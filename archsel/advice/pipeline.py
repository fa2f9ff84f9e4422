"""One advice run: plan (rules → candidates, target) → cost each (archsel.advice.costing) → constraints
(with precision variants) → score → Pareto front → rank. Plain data in, plain data out; report/ renders it.

`plan` evaluates a request once (the rule engine and the target); `plan_all` does so for every query of a
query file before anything is costed, so that every bad query is reported at its place at once.

Precision: `auto` starts from fp32 (or the target's first supported precision); on edge and mobile targets a
candidate that misses the latency or memory constraint in fp32 is retried at fp16, then int8 (least accuracy
risk first, as far as the target supports them), and shown at the first precision that fits. Measured runs
(`local`, `--measure`) use the base precision only. A candidate that raises is reported as failed; one not
reached within `--time-budget` as skipped; the others go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsel import precisions
from archsel.advice import constraints as cons
from archsel.advice import scoring
from archsel.advice.costing import MEASURE_BUDGET_S, Cost, Item, cost, zoo_item
from archsel.advice.pareto import pareto_front
from archsel.errors import ArchselError, ConfigError, Problem, UsageError
from archsel.query.request import AdviceRequest

if TYPE_CHECKING:
    from archsel.knowledge.engine import Candidate, Recommendation
    from archsel.profiling.fleet.dispatch import FleetRun
    from archsel.query.build import Query
    from archsel.query.queryfile import QuerySpec
    from archsel.targets.profiles import TargetProfile

VARIANT_CLASSES = ("edge", "mobile")
VARIANT_ORDER = ("fp16", "int8")
BASE_ORDER = precisions.MEASURABLE  # the base precision: the first of these the target runs (fp32 first)
USER_RULE_TERM = 0.5  # compare: a user's model no rule speaks for or against sits midway (documented)
Advance = Callable[[str], None]
Progress = Callable[[int, str], AbstractContextManager[Advance]]  # (total, label) -> advance(description)


@dataclass
class Plan:
    """One query made ready to cost: the request, its canonical words, the rules' answer and the target."""

    request: AdviceRequest
    query: Query
    rec: Recommendation
    target: TargetProfile | None
    measured: bool
    source: QuerySpec | None = None  # where a query file wrote it

    @property
    def runtime(self) -> str | None:
        """The target's runtime the candidates are costed for (its default unless the request names one)."""
        return self.target.runtime(self.request.runtime).name if self.target is not None else None

    @property
    def limits(self) -> cons.Limits:
        r = self.request
        return cons.Limits(latency_ms=r.latency_ms, latency_stat=r.latency_stat, max_params=r.max_params,
                           max_macs=r.max_macs)


@dataclass
class Outcome:
    """What happened to one candidate."""

    candidate: Candidate
    status: str  # ok | excluded | failed | skipped
    cost: Cost | None = None
    violations: list[cons.Verdict] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)  # every precision tried
    variant_of: str | None = None  # the base precision, when a lower-precision variant was chosen
    error: str | None = None
    stage: str | None = None  # count | latency (failed) or "rules" (excluded by --family/--exclude)
    quality: scoring.QualityTerm | None = None
    rule_term: float = 0.0
    latency_term: float | None = None
    weights: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    pareto: bool = False
    rank: int = 0
    user: bool = False

    @property
    def miss_distance(self) -> float:
        return cons.overshoot(self.violations) if self.violations else float("inf")


@dataclass
class AdviceResult:
    """The whole answer to one query."""

    plan: Plan
    base_precision: str
    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)

    @property
    def request(self) -> AdviceRequest:
        return self.plan.request

    @property
    def query(self) -> Query:
        return self.plan.query

    @property
    def rec(self) -> Recommendation:
        return self.plan.rec

    @property
    def target(self) -> TargetProfile | None:
        return self.plan.target

    @property
    def measured(self) -> bool:
        return self.plan.measured

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ranked(self) -> list[Outcome]:
        return sorted(self.by_status("ok"), key=lambda o: o.rank)

    def shown(self) -> list[Outcome]:
        """The top `--top` ranked candidates, plus the user's model (compare) wherever it ranks."""
        top = self.ranked[: self.request.top]
        return top + [o for o in self.ranked[self.request.top:] if o.user]

    @property
    def excluded(self) -> list[Outcome]:
        return sorted(self.by_status("excluded"), key=lambda o: (o.miss_distance, -o.candidate.score, o.candidate.id))

    @property
    def cost_axis(self) -> str:
        return "latency" if self.target is not None or self.measured else "macs"


# ------------------------------------------------------------------------------------------ planning


def plan(request: AdviceRequest, source: QuerySpec | None = None) -> Plan:
    """Evaluate `request` once: its canonical query, the rule engine's candidates, the target (no torch).

    Bad words, targets or rules raise UsageError / ConfigError (exit 2).
    """
    from archsel.knowledge.engine import evaluate
    from archsel.knowledge.loader import load_rules
    from archsel.query.build import build_query
    from archsel.targets.profiles import resolve_target

    request = request.validated()
    ruleset = load_rules([Path(p) for p in request.rules])
    profile_dirs = [Path(p) for p in request.profiles]
    query = build_query(  # checks the words in the order the user reads them: task, data, target, ...
        request.task or "", data_type=request.data_type, target=request.target, latency_ms=request.latency_ms,
        latency_tier=request.latency_tier, streaming=request.streaming, sequence_length=request.seq_len,
        dataset_size=request.dataset_size, priorities=request.priority, families=request.family,
        exclude=request.exclude, profile_dirs=profile_dirs, vocab=ruleset.vocabulary,
    )
    target = resolve_target(request.target, profile_dirs) if request.target else None  # loaded once, cached
    if target is not None:
        target.runtime(request.runtime)  # a runtime that does not run there: UsageError
    measured = request.measure or bool(target is not None and target.measured_at_run_time)
    return Plan(request, query, evaluate(query, ruleset), target, measured, source)


def plan_all(requests: Sequence[tuple[AdviceRequest, QuerySpec | None]]) -> list[Plan]:
    """Plan every request; ConfigError with every problem (a query's bad value at the query's place)."""
    plans: list[Plan] = []
    problems: list[Problem] = []
    made: dict[AdviceRequest, Plan] = {}  # identical queries are planned once
    for request, source in requests:
        try:
            same = made.get(request)
            plans.append(replace(same, source=source) if same is not None else plan(request, source))
            made.setdefault(request, plans[-1])
        except ConfigError as exc:  # a folder the query names: said at the query, as the folder's own line
            problems += [source.problem(UsageError(str(p))) for p in exc.problems] if source else exc.problems
        except ArchselError as exc:
            if source is None:
                raise
            problems.append(source.problem(exc))
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))
    return plans


# ------------------------------------------------------------------------------------------ precision


def precision_plan(request: AdviceRequest, target: TargetProfile | None, measured: bool) -> tuple[str, list[str]]:
    """(base precision, variants to try in order when the base misses latency or memory), as the target's
    runtime runs them."""
    if request.precision != "auto":
        return request.precision, []
    rt = target.runtime(request.runtime) if target is not None else None
    supported = ["fp32"] if rt is None else [p for p in BASE_ORDER if rt.runs(p)]
    base = next((p for p in BASE_ORDER if p in supported), "fp32")
    if measured or target is None or target.target_class not in VARIANT_CLASSES:
        return base, []
    return base, [p for p in VARIANT_ORDER if p in supported and p != base]


# ------------------------------------------------------------------------------------------ costing


def first_line(exc: BaseException) -> str:
    """`Type: first line of the message`, at most 300 characters."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"[:300]


class _Clock:
    def __init__(self, budget_s: float | None) -> None:
        self.start = time.monotonic()
        self.budget_s = budget_s

    def left(self) -> float | None:
        return None if self.budget_s is None else self.budget_s - (time.monotonic() - self.start)

    def measure_budget(self) -> float:
        left = self.left()
        return MEASURE_BUDGET_S if left is None else max(0.5, min(MEASURE_BUDGET_S, left))


def _cost_one(candidate: Candidate, item: Item, p: Plan, precisions: tuple[str, list[str]],
              clock: _Clock) -> Outcome:
    out = Outcome(candidate, "ok", user=item.user)
    try:
        item.count()
    except Exception as exc:
        if isinstance(exc, ArchselError) and item.user:
            raise
        out.status, out.stage, out.error = "failed", "count", first_line(exc)
        return out
    base, variants = precisions
    limits = p.limits
    tried: list[tuple[Cost, list[cons.Verdict]]] = []
    for precision in [base, *variants]:
        if tried and not any(v.constraint in cons.PRECISION_FIXABLE for v in tried[-1][1]):
            break  # variants only help with latency and memory
        try:
            c = cost(item, precision, p.target, measured=p.measured, runtime=p.runtime, threads=p.request.threads,
                     budget_s=clock.measure_budget())
        except Exception as exc:
            if precision == base:
                out.status, out.stage, out.error = "failed", "latency", first_line(exc)
                return out
            out.attempts.append({"precision": precision, "error": first_line(exc)})
            continue
        broken = cons.violations(c, limits, p.target)
        tried.append((c, broken))
        out.attempts.append({"precision": precision,
                             "latency_ms": c.latency.at(limits.latency_stat) if c.latency else None,
                             "memory_bytes": c.memory_bytes,
                             "violations": [v.to_dict() for v in broken]})
        if not broken:
            break
    fitting = [(c, v) for c, v in tried if not v]
    if fitting:
        out.cost = fitting[0][0]
        if out.cost.precision != base:
            out.variant_of = base
        return out
    out.status = "excluded"
    out.cost, out.violations = min(tried, key=lambda cv: (cons.overshoot(cv[1]), BASE_ORDER.index(cv[0].precision)
                                                          if cv[0].precision in BASE_ORDER else 9))
    return out


def cost_items(items: list[tuple[Candidate, Item]], p: Plan, precisions: tuple[str, list[str]],
               advance: Advance) -> list[Outcome]:
    """Cost every item in order within `request.time_budget_s`; items not reached are `skipped`."""
    clock = _Clock(p.request.time_budget_s)
    outcomes: list[Outcome] = []
    for candidate, item in items:
        left = clock.left()
        if left is not None and left <= 0:
            outcomes.append(Outcome(candidate, "skipped", user=item.user,
                                    error=f"not reached within --time-budget {p.request.time_budget_s:g} s"))
            advance(f"skipped {candidate.id}")
            continue
        outcomes.append(_cost_one(candidate, item, p, precisions, clock))
        advance(f"costed {candidate.id}")
    return outcomes


# ------------------------------------------------------------------------------------------ ranking


def rank(outcomes: list[Outcome], request: AdviceRequest, all_candidates: list[Candidate]) -> None:
    """Fill the score terms, Pareto marks and ranks of `outcomes` in place (see archsel.advice.scoring)."""
    zoo = {c.id: c for c in all_candidates}
    rule = scoring.rule_terms({cid: c.score for cid, c in zoo.items()})
    quality = scoring.quality_terms({cid: c.quality for cid, c in zoo.items()})
    feasible = [o for o in outcomes if o.status == "ok" and o.cost is not None]
    lat = {o.candidate.id: o.cost.latency.at(request.latency_stat)
           for o in feasible if o.cost is not None and o.cost.latency is not None}
    lat_terms = scoring.latency_terms(lat)
    compared = any(quality[o.candidate.id].value is not None for o in feasible if o.candidate.id in quality)
    for o in outcomes:
        cid = o.candidate.id
        o.rule_term = USER_RULE_TERM if o.user else rule.get(cid, 0.0)
        o.quality = quality.get(cid) or scoring.QualityTerm(None, scoring.UNKNOWN)
        if o.status != "ok":
            continue
        o.latency_term = lat_terms.get(cid)
        o.score, o.weights = scoring.combine(request.objective, o.rule_term, o.quality.value, o.latency_term,
                                           compared)
    points: dict[str, tuple[float, float]] = {}  # the front is of published quality only
    for o in feasible:
        assert o.cost is not None and o.quality is not None
        if o.quality.value is None:
            continue
        cost_value = lat.get(o.candidate.id, float(o.cost.macs)) if lat else float(o.cost.macs)
        points[o.candidate.id] = (o.quality.value, cost_value)
    front = pareto_front(points)
    order = scoring.rank_ids([(o.candidate.id, o.score, o.candidate.score) for o in feasible])
    by_id = {o.candidate.id: o for o in feasible}
    for i, cid in enumerate(order, 1):
        by_id[cid].rank = i
        by_id[cid].pareto = cid in front


# ------------------------------------------------------------------------------------------ the run


def measured_elsewhere(target: TargetProfile | None, measured: bool) -> str | None:
    """The note when `--measure` times this machine for another target (None otherwise)."""
    if measured and target is not None and not target.measured_at_run_time:
        return (f"--measure: latency is measured on this machine, not on {target.name}; memory and precision "
                f"are still checked against {target.name}")
    return None


def _notes(p: Plan) -> list[str]:
    request, target, measured = p.request, p.target, p.measured
    notes: list[str] = []
    if target is None and not measured:
        notes.append("No --target: sizes are counted but latency is not evaluated; give --target to rank on cost.")
        if request.latency_ms is not None:
            notes.append("The latency budget only sets the rules' latency tier without a target.")
    elsewhere = measured_elsewhere(target, measured)
    if elsewhere:
        notes.append(elsewhere)
    if not measured and target is not None and request.latency_stat != "p50":
        notes.append(f"Estimates have no distribution: the budget is checked on {request.latency_stat} = the "
                     "high end of the estimate's error band (p50 = the point estimate).")
    return notes


def run(p: Plan, *, extra: Sequence[tuple[Candidate, Item]] = (), progress: Progress | None = None,
        fleet: FleetRun | None = None) -> AdviceResult:
    """Cost, constrain and rank the candidates of a planned query (see the module docstring).

    `extra` are further (candidate, item) pairs to rank (compare: the user's model); `progress` shows
    how far the costing is (report.console.progress); `fleet`: the candidates that could fit are measured on
    the fleet's devices before ranking (archsel.advice.fleet).
    """
    from archsel.profiling.cache import ResultCache

    precisions = precision_plan(p.request, p.target, p.measured)
    cache = ResultCache()
    items = [(c, zoo_item(c.id, p.query.task, p.request.batch, cache)) for c in p.rec.candidates]
    items += list(extra)
    show: Progress = progress or (lambda _total, _label: nullcontext(lambda _d: None))
    with show(len(items), "costing candidates") as advance:
        outcomes = cost_items(items, p, precisions, advance)
    notes = _notes(p)
    if fleet is not None:
        from archsel.advice.fleet import measure_on_fleet

        with show(len(items), f"measuring on the fleet ({fleet.target})") as advance:
            notes += measure_on_fleet(outcomes, p, fleet, advance)
    for miss in p.rec.misses:
        outcomes.append(Outcome(miss.candidate, "excluded", stage="rules",
                                violations=[cons.excluded_by("rules", miss.why)]))
    all_candidates: list[Candidate] = [*p.rec.candidates, *(m.candidate for m in p.rec.misses)]
    rank(outcomes, p.request, all_candidates)
    return AdviceResult(p, precisions[0], outcomes, notes)

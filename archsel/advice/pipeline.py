"""One advice run: rules → candidates → cost each (count, latency) → constraints (with precision variants)
→ score → Pareto front → rank. Plain data in, plain data out; the commands only render it.

Precision: `auto` starts from fp32 (or the target's first supported precision); on edge and mobile targets a
candidate that misses the latency or memory constraint in fp32 is retried at fp16, then int8 (least accuracy
risk first, as far as the target supports them), and shown at the first precision that fits. Measured runs
(`local`, `--measure`) use the base precision only. A candidate that raises is reported as failed; one not
reached within `--time-budget` as skipped; the others go on.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsel.advice import constraints as cons
from archsel.advice import scoring
from archsel.advice.costing import MEASURE_BUDGET_S, Cost, Latency, make_cost
from archsel.advice.pareto import pareto_front
from archsel.advice.request import AdviceRequest
from archsel.errors import ArchselError

if TYPE_CHECKING:
    from archsel.knowledge.engine import Candidate, Recommendation
    from archsel.profiling.counting import CountResult
    from archsel.query import Query
    from archsel.targets.profiles import TargetProfile

VARIANT_CLASSES = ("edge", "mobile")
VARIANT_ORDER = ("fp16", "int8")
BASE_ORDER = ("fp32", "fp16", "bf16", "int8")
USER_RULE_TERM = 0.5  # compare: a user's model no rule speaks for or against sits midway (documented)
Log = Callable[[str], None]


@dataclass
class Item:
    """Something to cost: a rule candidate (zoo model) or the user's own model (compare)."""

    candidate: Candidate
    count: Callable[[], CountResult]
    measure: Callable[[str, float], Latency]
    user: bool = False


@dataclass
class Outcome:
    """What happened to one candidate."""

    candidate: Candidate
    status: str  # ok | excluded | failed | skipped
    cost: Cost | None = None
    violations: list[cons.Violation] = field(default_factory=list)
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

    request: AdviceRequest
    query: Query
    rec: Recommendation
    target: TargetProfile | None
    measured: bool
    base_precision: str
    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)

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


# ------------------------------------------------------------------------------------------ rules


def evaluate_rules(request: AdviceRequest) -> tuple[Query, Recommendation]:
    """The normalised query and the rule engine's candidates for `request` (no torch)."""
    from archsel.knowledge.engine import evaluate
    from archsel.knowledge.loader import load_rules
    from archsel.query import build_query

    ruleset = load_rules([Path(p) for p in request.rules])
    query = build_query(
        request.task or "",
        data_type=request.data_type,
        target=request.target,
        latency_ms=request.latency_ms,
        latency_tier=request.latency_tier,
        streaming=request.streaming,
        sequence_length=request.seq_len,
        dataset_size=request.dataset_size,
        priorities=request.priority,
        families=request.family,
        exclude=request.exclude,
        profile_dirs=[Path(p) for p in request.profiles],
        vocab=ruleset.vocabulary,
    )
    return query, evaluate(query, ruleset)


def zoo_item(candidate: Candidate, task: str, batch: int, cache: Any) -> Item:
    """An Item for a zoo candidate: cached count, measurement through the profiler."""
    from archsel.advice.costing import cached_count, measured_zoo
    from archsel.zoo.registry import get_model_entry

    entry = get_model_entry(candidate.id)
    return Item(candidate, lambda: cached_count(entry, task, batch, cache)[0],
                lambda precision, budget: measured_zoo(entry, task, batch, precision, budget))


# ------------------------------------------------------------------------------------------ precision


def precision_plan(request: AdviceRequest, target: TargetProfile | None, measured: bool) -> tuple[str, list[str]]:
    """(base precision, variants to try in order when the base misses latency or memory)."""
    if request.precision != "auto":
        return request.precision, []
    supported = target.precisions if target is not None else ("fp32",)
    base = next((p for p in BASE_ORDER if p in supported), "fp32")
    if measured or target is None or target.target_class not in VARIANT_CLASSES:
        return base, []
    return base, [p for p in VARIANT_ORDER if p in supported and p != base]


# ------------------------------------------------------------------------------------------ costing


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A rich progress bar on stderr (TTY only); yields `advance(description)`."""
    if not enabled or total == 0:
        yield lambda _desc: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("costing candidates", total=total)

        def advance(desc: str) -> None:
            bar.update(task, advance=1, description=desc)

        yield advance


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"[:300]


class _Clock:
    def __init__(self, budget_s: float | None) -> None:
        self.start = time.monotonic()
        self.budget_s = budget_s

    def left(self) -> float | None:
        return None if self.budget_s is None else self.budget_s - (time.monotonic() - self.start)


def _attempt(item: Item, count: CountResult, precision: str, request: AdviceRequest,
             target: TargetProfile | None, measured: bool, clock: _Clock) -> tuple[Cost, list[cons.Violation]]:
    from archsel.advice.costing import estimated

    latency: Latency | None = None
    supported = target is None or precision in target.precisions
    if supported:
        if measured:
            left = clock.left()
            budget = MEASURE_BUDGET_S if left is None else max(0.5, min(MEASURE_BUDGET_S, left))
            latency = item.measure(precision, budget)
        elif target is not None:
            latency = estimated(count, target, precision)
    cost = make_cost(item.candidate.id, count, precision, latency)
    return cost, cons.check(cost, request, target)


def _cost_one(item: Item, request: AdviceRequest, target: TargetProfile | None, measured: bool,
              plan: tuple[str, list[str]], clock: _Clock) -> Outcome:
    out = Outcome(item.candidate, "ok", user=item.user)
    try:
        count = item.count()
    except Exception as exc:
        if isinstance(exc, ArchselError) and item.user:
            raise
        out.status, out.stage, out.error = "failed", "count", _first_line(exc)
        return out
    base, variants = plan
    tried: list[tuple[Cost, list[cons.Violation]]] = []
    for precision in [base, *variants]:
        if tried and not any(v.constraint in cons.PRECISION_FIXABLE for v in tried[-1][1]):
            break  # variants only help with latency and memory
        try:
            cost, violations = _attempt(item, count, precision, request, target, measured, clock)
        except Exception as exc:
            if precision == base:
                out.status, out.stage, out.error = "failed", "latency", _first_line(exc)
                return out
            out.attempts.append({"precision": precision, "error": _first_line(exc)})
            continue
        tried.append((cost, violations))
        out.attempts.append({"precision": precision,
                             "latency_ms": cost.latency.at(request.latency_stat) if cost.latency else None,
                             "memory_bytes": cost.memory_bytes,
                             "violations": [v.to_dict() for v in violations]})
        if not violations:
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


def _log_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cost_items(items: list[Item], request: AdviceRequest, target: TargetProfile | None, measured: bool,
               plan: tuple[str, list[str]], *, progress: bool | None = None) -> list[Outcome]:
    """Cost every item in order within `request.time_budget_s`; items not reached are `skipped`."""
    clock = _Clock(request.time_budget_s)
    show = sys.stderr.isatty() if progress is None else progress
    outcomes: list[Outcome] = []
    with _progress(len(items), show) as advance:
        for item in items:
            left = clock.left()
            if left is not None and left <= 0:
                outcomes.append(Outcome(item.candidate, "skipped", user=item.user,
                                        error=f"not reached within --time-budget {request.time_budget_s:g} s"))
                advance(f"skipped {item.candidate.id}")
                continue
            outcomes.append(_cost_one(item, request, target, measured, plan, clock))
            advance(f"costed {item.candidate.id}")
    return outcomes


# ------------------------------------------------------------------------------------------ ranking


def rank(outcomes: list[Outcome], request: AdviceRequest, all_candidates: list[Candidate]) -> None:
    """Fill the score terms, Pareto marks and ranks of `outcomes` in place (see archsel.advice.scoring)."""
    zoo = {c.id: c for c in all_candidates}
    rule = scoring.rule_terms({cid: c.score for cid, c in zoo.items()})
    quality = scoring.quality_terms({cid: c.quality for cid, c in zoo.items()}, rule)
    feasible = [o for o in outcomes if o.status == "ok" and o.cost is not None]
    lat = {o.candidate.id: o.cost.latency.at(request.latency_stat)
           for o in feasible if o.cost is not None and o.cost.latency is not None}
    lat_terms = scoring.latency_terms(lat)
    for o in outcomes:
        cid = o.candidate.id
        o.rule_term = USER_RULE_TERM if o.user else rule.get(cid, 0.0)
        o.quality = quality.get(cid) or scoring.QualityTerm(o.rule_term, scoring.PROXY)
        if o.status != "ok":
            continue
        o.latency_term = lat_terms.get(cid)
        o.score, o.weights = scoring.combine(request.objective, o.rule_term, o.quality.value, o.latency_term)
    points: dict[str, tuple[float, float]] = {}
    for o in feasible:
        assert o.cost is not None and o.quality is not None
        cost_value = lat.get(o.candidate.id, float(o.cost.macs)) if lat else float(o.cost.macs)
        points[o.candidate.id] = (o.quality.value, cost_value)
    front = pareto_front(points)
    order = scoring.rank_ids([(o.candidate.id, o.score, o.candidate.score) for o in feasible])
    by_id = {o.candidate.id: o for o in feasible}
    for i, cid in enumerate(order, 1):
        by_id[cid].rank = i
        by_id[cid].pareto = cid in front


# ------------------------------------------------------------------------------------------ the run


def resolve(request: AdviceRequest) -> tuple[TargetProfile | None, bool]:
    """The target profile (None without --target) and whether latency is measured here."""
    from archsel.targets.profiles import resolve_target

    target = resolve_target(request.target, [Path(p) for p in request.profiles]) if request.target else None
    measured = request.measure or bool(target is not None and target.measured_at_run_time)
    return target, measured


def _notes(request: AdviceRequest, target: TargetProfile | None, measured: bool, log: Log) -> list[str]:
    notes: list[str] = []
    if target is None and not measured:
        notes.append("No --target: sizes are counted but latency is not evaluated; give --target to rank on cost.")
        if request.latency_ms is not None:
            notes.append("The latency budget only sets the rules' latency tier without a target.")
    if measured and target is not None and not target.measured_at_run_time:
        msg = (f"--measure: latency is measured on this machine, not on {target.name}; memory and precision "
               f"are still checked against {target.name}")
        notes.append(msg)
        log(f"archsel: warning: {msg}")
    if not measured and target is not None and request.latency_stat != "p50":
        notes.append(f"Estimates have no distribution: the budget is checked on {request.latency_stat} = the "
                     "high end of the estimate's error band (p50 = the point estimate).")
    return notes


def run(request: AdviceRequest, *, extra: list[Item] | None = None, progress: bool | None = None,
        log: Log = _log_stderr) -> AdviceResult:
    """Answer one query (see the module docstring). Bad input raises UsageError/ConfigError (exit 2)."""
    from archsel.profiling.cache import ResultCache

    request = request.validated()
    query, rec = evaluate_rules(request)
    target, measured = resolve(request)
    plan = precision_plan(request, target, measured)
    cache = ResultCache()
    items = [zoo_item(c, query.task, request.batch, cache) for c in rec.candidates]
    items += extra or []
    outcomes = cost_items(items, request, target, measured, plan, progress=progress)
    for miss in rec.misses:
        outcomes.append(Outcome(miss.candidate, "excluded", stage="rules", violations=[
            cons.Violation("rules", None, None, miss.why)]))
    all_candidates: list[Candidate] = [*rec.candidates, *(m.candidate for m in rec.misses)]
    rank(outcomes, request, all_candidates)
    result = AdviceResult(request, query, rec, target, measured, plan[0], outcomes,
                          _notes(request, target, measured, log))
    for o in result.by_status("failed"):
        log(f"archsel: warning: {o.candidate.id} failed while {'counting' if o.stage == 'count' else 'timing'}: "
            f"{o.error}")
    return result

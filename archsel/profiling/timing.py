"""Measured latency of one callable: warm-up, synchronised timing, adaptive repetition, percentiles.

Method (it matches `torch.utils.benchmark.Timer.adaptive_autorange`, re-implemented so that tails are
per call, not per block of calls):

- warm-up: at least `warmup_min` calls and at least `warmup_s` seconds (capped at a quarter of the
  budget), extended while calls are still getting faster (up to half the budget); on CUDA this absorbs
  cuDNN autotuning and lazy initialisation.
- calls per sample: 1 when a call takes at least 50 µs (each call is then its own sample, so p90/p99
  are real per-call tails); shorter calls are timed in blocks long enough to make timer overhead
  negligible, as torch.utils.benchmark does, and each sample is the block's mean per call.
- timing: `time.perf_counter` around each sample on CPU. On CUDA, warm-up calls are synchronised one
  by one; measured samples are taken in rounds: a pair of CUDA events around each sample, calls issued
  back to back, one synchronize per round — the same steady-state regime as torch.utils.benchmark's
  synchronised blocks (launch overhead overlaps GPU work), with per-call GPU times kept.
- stopping: after each round, stop when there are at least `min_samples` samples, at least
  `min_time_s` was spent measuring, and the spread is stable — IQR / median below `rel_iqr_threshold`
  (torch's adaptive_autorange uses the same rule with 0.1) — or when the time budget is spent, or at
  `max_samples`. `stop_reason` says which.

A call so slow that one (the fastest warm-up) call plus `min_samples` timed calls cannot fit in the
budget raises `TimeBudgetExceeded` instead of returning numbers computed from too few samples.

On a loaded CPU, more threads than free cores make every call wait for descheduled worker threads
(a 0.4 ms forward can take 130 ms with 2 threads on 2 busy cores): measure with `threads` at most
the number of idle cores.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

METHOD = "archsel adaptive timer (torch.utils.benchmark adaptive_autorange rule, per-call samples)"
SHORT_CALL_S = 50e-6  # calls shorter than this are timed in blocks


class TimeBudgetExceeded(RuntimeError):
    """The model is too slow to be measured within its time budget."""


@dataclass(frozen=True)
class TimingConfig:
    """How long and how carefully to measure."""

    time_budget_s: float = 10.0
    min_samples: int = 5
    max_samples: int = 10_000
    min_time_s: float = 0.2
    rel_iqr_threshold: float = 0.1
    warmup_min: int = 2
    warmup_s: float = 0.2
    round_s: float = 0.1

    def __post_init__(self) -> None:
        if self.time_budget_s <= 0:
            raise ValueError("time_budget_s must be positive")
        if self.min_samples < 3:
            raise ValueError("min_samples must be at least 3 (percentiles need samples)")


@dataclass(frozen=True)
class LatencyStats:
    """Per-call latency statistics (milliseconds) with every condition they were measured under."""

    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    std_ms: float
    min_ms: float
    max_ms: float
    iqr_ms: float
    rel_iqr: float
    samples: int
    calls_per_sample: int
    iterations: int  # timed calls (samples × calls_per_sample)
    warmup_iterations: int
    warmup_s: float
    measure_s: float
    stop_reason: str  # "stable" | "time_budget" | "max_samples"
    time_budget_s: float
    throughput_samples_per_s: float  # batch / p50
    batch: int
    device: str
    dtype: str
    threads: int
    torch_version: str
    method: str = METHOD

    def to_dict(self) -> dict[str, Any]:
        return {"measured": True, **asdict(self)}


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default) of already sorted values; q in [0, 100]."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _summarise(samples_s: list[float]) -> dict[str, float]:
    values = sorted(s * 1e3 for s in samples_s)
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
    p50 = percentile(values, 50)
    iqr = percentile(values, 75) - percentile(values, 25)
    return {
        "p50_ms": p50, "p90_ms": percentile(values, 90), "p99_ms": percentile(values, 99),
        "mean_ms": mean, "std_ms": math.sqrt(var), "min_ms": values[0], "max_ms": values[-1],
        "iqr_ms": iqr, "rel_iqr": iqr / p50 if p50 > 0 else 0.0,
    }


def _make_timer(device: str) -> Callable[[Callable[[], Any], int], float]:
    """A function timing `n` calls of `fn`, returning seconds per call, synchronised for the device."""
    if device.startswith("cuda"):
        import torch

        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)

        def cuda_time(fn: Callable[[], Any], n: int) -> float:
            start.record()
            for _ in range(n):
                fn()
            end.record()
            end.synchronize()
            return float(start.elapsed_time(end)) / 1e3 / n

        return cuda_time

    def cpu_time(fn: Callable[[], Any], n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t0) / n

    return cpu_time


def _cuda_round(fn: Callable[[], Any], n: int, count: int) -> list[float]:
    """`count` samples of `n` back-to-back calls, each between two CUDA events; one synchronize at the end.

    The host is never stalled between samples, so launch overhead overlaps GPU work as it does in
    torch.utils.benchmark's blocks and in a serving loop; each sample is still one call's GPU time.
    """
    import torch

    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(count)]
    for start, end in events:
        start.record()
        for _ in range(n):
            fn()
        end.record()
    events[-1][1].synchronize()
    return [float(s.elapsed_time(e)) / 1e3 / n for s, e in events]


def measure_latency(
    fn: Callable[[], Any],
    *,
    config: TimingConfig | None = None,
    device: str = "cpu",
    batch: int = 1,
    dtype: str = "fp32",
    threads: int | None = None,
) -> LatencyStats:
    """Time `fn` (one forward pass, already bound to its inputs) on `device`; see the module docstring.

    `threads`, when given, is set with torch.set_num_threads for the measurement and restored after.
    """
    import torch

    cfg = config or TimingConfig()
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _measure(fn, cfg, device, batch, dtype)
    finally:
        if threads is not None:
            torch.set_num_threads(old_threads)


def _measure(fn: Callable[[], Any], cfg: TimingConfig, device: str, batch: int, dtype: str) -> LatencyStats:
    import torch

    timer = _make_timer(device)
    on_cuda = device.startswith("cuda")
    wall = time.perf_counter
    budget = cfg.time_budget_s

    # Warm-up: at least warmup_min calls and warm_limit seconds; while calls are still getting faster
    # (lazy initialisation, caches, autotuning) it goes on, up to half the budget.
    t_start = wall()
    warm_limit = min(cfg.warmup_s, budget / 4)
    warm_times = [timer(fn, 1)]
    while len(warm_times) < 1000:
        spent = wall() - t_start
        fastest = min(warm_times)
        settling = warm_times[-1] > 2 * fastest or len(warm_times) < 3
        if spent + fastest > budget / 2:
            break
        if len(warm_times) >= cfg.warmup_min and spent >= warm_limit and not settling:
            break
        warm_times.append(timer(fn, 1))
    fastest = min(warm_times)
    if fastest * (1 + cfg.min_samples) > budget:
        raise TimeBudgetExceeded(
            f"the fastest of {len(warm_times)} warm-up passes took {fastest:.3g} s; a warm-up and "
            f"{cfg.min_samples} timed passes do not fit in the time budget of {budget:g} s"
        )
    warmup_s = wall() - t_start
    per_call = min(warm_times[-3:]) if len(warm_times) >= 3 else warm_times[-1]
    n = 1 if per_call >= SHORT_CALL_S else math.ceil(SHORT_CALL_S / max(per_call, 1e-9))

    samples: list[float] = []
    stop_reason = "time_budget"
    t_measure = wall()
    while True:
        if on_cuda:  # one pipelined round, sized from the warm-up estimate and the budget left
            left = budget - (wall() - t_start)
            count = min(int(cfg.round_s / (per_call * n)), int(left / (per_call * n)),
                        cfg.max_samples - len(samples))
            samples.extend(_cuda_round(fn, n, max(1, count, cfg.min_samples - len(samples))))
        else:
            round_end = wall() + cfg.round_s
            while True:
                samples.append(timer(fn, n))
                now = wall()
                if now >= round_end or len(samples) >= cfg.max_samples:
                    break
                if (now - t_start) + per_call * n > budget and len(samples) >= cfg.min_samples:
                    break
        elapsed_total = wall() - t_start
        enough = len(samples) >= cfg.min_samples
        settled = wall() - t_measure >= cfg.min_time_s
        if enough and settled and _summarise(samples)["rel_iqr"] <= cfg.rel_iqr_threshold:
            stop_reason = "stable"
            break
        if len(samples) >= cfg.max_samples:
            stop_reason = "max_samples"
            break
        if enough and elapsed_total + per_call * n > budget:
            stop_reason = "time_budget"
            break
    measure_s = wall() - t_measure
    s = _summarise(samples)
    return LatencyStats(
        p50_ms=s["p50_ms"], p90_ms=s["p90_ms"], p99_ms=s["p99_ms"], mean_ms=s["mean_ms"], std_ms=s["std_ms"],
        min_ms=s["min_ms"], max_ms=s["max_ms"], iqr_ms=s["iqr_ms"], rel_iqr=s["rel_iqr"],
        samples=len(samples),
        calls_per_sample=n,
        iterations=len(samples) * n,
        warmup_iterations=len(warm_times),
        warmup_s=warmup_s,
        measure_s=measure_s,
        stop_reason=stop_reason,
        time_budget_s=budget,
        throughput_samples_per_s=batch * 1e3 / s["p50_ms"] if s["p50_ms"] > 0 else 0.0,
        batch=batch,
        device=device,
        dtype=dtype,
        threads=torch.get_num_threads(),
        torch_version=torch.__version__,
    )

"""Calibrate a hardware profile on the device archsel runs on: micro-benchmarks, measured latencies of
reference zoo models, a fit of per-class efficiencies and per-op overhead (archsel.estimation.fit), and a
profile YAML that validates and can be used from any machine (`--target my-device.yaml`)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archsel.errors import ConfigError, UsageError
from archsel.estimation.fit import FITTED_CLASSES, STREAM_UNKNOWN, Known, Sample, fit, predict
from archsel.estimation.microbench import MicroResults, remeasure_thread_scaling, run_microbenchmarks
from archsel.estimation.roofline import FUSED_KEY, RecurrentCost, gemm_table, parallel_curves
from archsel.files import write_atomic
from archsel.machine import MEMORY_SOURCE, memory_bytes

# Reference models: together they exercise every fitted op class (dense conv, depthwise conv, matmul,
# attention, recurrent) and the memory-bound elementwise/norm ops, from tiny to ~2 GMACs.
REFERENCE_MODELS: tuple[str, ...] = (
    "resnet18", "mobilenet_v3_small", "efficientnet_b0", "shufflenet_v2_x1_0", "transformer_text_classifier",
    "lstm_lm", "gru_text_classifier", "text_cnn", "small_cnn_cifar", "tcn_forecaster",
)
QUICK_REFERENCE_MODELS: tuple[str, ...] = ("small_cnn_cifar", "lstm_forecaster")
# A deployment runtime's references (`calibrate --runtime`): the eager ones and every layer class and size a
# compiled runtime costs differently: grouped, dilated, 3-D and wide-input convolutions, tiny graphs where the
# fixed costs rule, many small ops, recurrent cells with and without convolutions, attention beside
# convolutions. Fitted from the 10 eager references, held-out zoo models were estimated with a median error
# of 23-41% (benchmarks/results_runtime_estimate_accuracy.md, 2026-12-05); these bring the fp32 fits to 12-17%.
RUNTIME_REFERENCE_MODELS: tuple[str, ...] = (
    *REFERENCE_MODELS, "regnet_y_400mf", "mobilenet_v2", "transformer_forecaster", "r3d_18", "crnn",
    "bilstm_tagger", "lstm_forecaster", "wide_and_deep", "mamba_forecaster", "lenet5", "espcn", "conformer_asr",
)
BATCH8_MAX_MACS = 1.0e9  # per-sample MACs above which a reference model is measured at batch 1 only
# The same bound for a deployment runtime's references: up to 4 GMACs per sample, so resnet18, espcn and
# conformer_asr are measured at batch 8 too (9-26 GMACs a pass) and the fit sees layers as large as the big
# zoo models' (resnet50, vit_b_16, DeepLabV3). Fitted without them, those ran 0.6-0.8x their estimates under
# ONNX Runtime and only 75% of held-out fp32 rows were within 25%; with them 81% (median 13.4% -> 10.9%;
# benchmarks/results_runtime_estimate_accuracy.md). r3d_18 (41 GMACs) stays at batch 1.
RUNTIME_BATCH8_MAX_MACS = 4.0e9
CALIBRATE_URL = "https://pytorch.org/docs/stable/benchmark_utils.html"
CALIBRATE_REF = "archsel-calibrate"  # a calibrated profile's reference id, the source of what it measured
Log = Callable[[str], None]


@dataclass
class Measured:
    """A zoo model measured here: its trace and its median latency."""

    model_id: str
    batch: int
    ops: list[Any]
    macs: int
    measured_s: float


def measure_model(model_id: str, batch: int, *, device: str = "cpu", budget_s: float = 2.0) -> Measured:
    """Count (meta trace) and measure (eager, fp32, inference mode) one zoo model at its default input."""
    import torch

    from archsel.profiling.counting import count_model
    from archsel.profiling.timing import TimingConfig, measure_latency
    from archsel.zoo.inputs import make_inputs
    from archsel.zoo.registry import get_model, get_model_entry, resolve_task

    entry = get_model_entry(model_id)
    task = resolve_task(entry, None)
    spec = entry.inputs[task]
    if entry.data_dependent:
        spec = entry.small_input.get(task, spec)
    count = count_model(model_id, task=task, batch=batch)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = get_model(model_id, device=device).eval()
    inputs = make_inputs(spec, batch, device=device)
    with torch.inference_mode():
        model(*inputs)  # first call: lazy initialisation is not part of the steady state
        stats = measure_latency(lambda: model(*inputs), config=TimingConfig(time_budget_s=budget_s),
                                device=device, batch=batch)
    return Measured(model_id, batch, list(count.ops), count.macs, stats.p50_ms / 1e3)


def reference_cases(models: Sequence[str], batches: Sequence[int],
                    max_macs: float = BATCH8_MAX_MACS) -> list[tuple[str, int]]:
    """The (model, batch) pairs a calibration measures: batches above 1 only up to `max_macs` per sample."""
    from archsel.profiling.counting import count_model

    return [(m, b) for m in models for b in batches if b == 1 or count_model(m).macs <= max_macs]


def reference_samples(models: Sequence[str], batches: Sequence[int], *, device: str, budget_s: float,
                      log: Log, rounds: int = 1) -> list[Measured]:
    """Measure every reference_cases pair in `rounds` interleaved rounds, keeping each one's fastest median
    (on a shared machine the least disturbed round)."""
    from archsel.profiling.timing import TimeBudgetExceeded

    cases = reference_cases(models, batches)
    best: dict[tuple[str, int], Measured] = {}
    for r in range(rounds):
        for m, b in cases:
            log(f"measuring {m} batch {b}" + (f" (round {r + 1}/{rounds})" if rounds > 1 else ""))
            try:
                got = measure_model(m, b, device=device, budget_s=budget_s)
            except TimeBudgetExceeded as exc:
                log(f"skipped {m} batch {b}: {exc}")
                continue
            if (m, b) not in best or got.measured_s < best[(m, b)].measured_s:
                best[(m, b)] = got
    return [best[c] for c in cases if c in best]


@dataclass
class Calibration:
    """What a calibration measured and fitted."""

    micro: MicroResults
    references: list[Measured]
    peak_macs_per_s: dict[str, float]  # per precision, after renormalisation
    bandwidth_bytes_per_s: float
    efficiency: dict[str, float]  # fitted classes and "bandwidth", each in (0, 1]
    overhead_s: float  # fitted cost per module call (framework dispatch the bare-op micro-benchmarks miss)
    fused_op_s: float = 0.0  # fitted host cost per op of a fused inference kernel (transformer fast path)
    fit_errors: list[float] = field(default_factory=list)  # measured / fitted - 1 per reference sample
    known: Known = field(default_factory=Known)  # the measured fixed costs the fit used
    weight_bandwidth_bytes_per_s: dict[str, float] = field(default_factory=dict)  # cell -> fitted byte/s



def calibrate_from(micro: MicroResults, references: Sequence[Measured]) -> Calibration:
    """Fit efficiencies and overhead to `references`, with the micro-benchmarks as prior and scale."""
    peak = micro.gemm_macs_per_s["fp32"]
    bw = micro.bandwidth_bytes_per_s
    conv = micro.conv_macs_per_s.get("fp32", peak)
    known = known_costs(micro)
    # On several threads a rate benchmark's kernel ran `slow` times slower than perfect thread scaling,
    # which is what the fitted rates describe (roofline.ParallelCurve)
    curves = known.parallel
    size = micro.rate_sizes

    def slow(family: str, key: str) -> float:
        return curves[family].slowdown(size[key]) if family in curves and key in size else 1.0

    prior = {"conv": peak / conv / slow("conv", "conv"),
             "depthwise_conv": peak / micro.depthwise_macs_per_s / slow("depthwise_conv", "depthwise_conv"),
             "matmul": 1.0 / slow("matmul", "matmul"), "attention": 1.0 / slow("matmul", "matmul"),
             "recurrent": peak / micro.recurrent_macs_per_s / slow("lstm", "recurrent"),
             "pooling": (peak / micro.pooling_elements_per_s / slow("memory", "pooling")
                         if micro.pooling_elements_per_s else 10.0),
             "bandwidth": bw / max(micro.activation_bandwidth_bytes_per_s, bw) / slow("memory", "activation"),
             "overhead": max(micro.overhead_s, 1e-7),
             "weights_lstm": 1.0 / slow("memory", "activation"), "weights_gru_rnn": 1.0 / slow("memory", "activation"),
             # per op of a fused kernel; a run without that micro-benchmark starts from a tiny op's cost
             "fused": max(micro.fused_op_s or micro.overhead_s, 1e-7)}
    if known.extra_s:  # the bare ops' fixed costs are measured: the fitted overhead is per module call
        prior["overhead"] = max(micro.overhead_s - known.extra_s.get("elementwise", 0.0), 1e-7)
    samples = [Sample(f"{r.model_id} b{r.batch}", r.ops, r.measured_s, r.batch) for r in references]
    x = fit(samples, peak, bw, prior, known=known) if samples else dict(prior)
    errors = [s.measured_s / predict(s.ops, peak, bw, x, s.batch, known) - 1 for s in samples]
    eff = {c: 1.0 / x[c] for c in FITTED_CLASSES}
    # Efficiencies are fractions of a peak: when a class ran faster than the GEMM micro-benchmark, the
    # peak is raised to it (and the others scaled down) so that every fraction stays within (0, 1].
    scale = max(1.0, *eff.values())
    bw_eff = 1.0 / x["bandwidth"]
    bw_scale = max(1.0, bw_eff)
    return Calibration(
        micro=micro, references=list(references),
        peak_macs_per_s={p: r * scale for p, r in micro.gemm_macs_per_s.items()},
        bandwidth_bytes_per_s=bw * bw_scale,
        efficiency={**{c: max(v / scale, 1e-4) for c, v in eff.items()}, "bandwidth": bw_eff / bw_scale},
        overhead_s=x["overhead"], fused_op_s=x["fused"], fit_errors=errors, known=known,
        weight_bandwidth_bytes_per_s={c: r.weight_bandwidth / x[STREAM_UNKNOWN[c]]
                                      for c, r in known.recurrent.items() if r.weight_bandwidth},
    )


def known_costs(micro: MicroResults) -> Known:
    """The measured fixed costs (per op class, per view, per recurrent call and step), cache bandwidth and
    thread-scaling curves."""
    return Known(
        extra_s=dict(micro.op_overhead_s),
        recurrent={c: RecurrentCost(micro.recurrent_call_s.get(c, 0.0), micro.recurrent_step_s.get(c, 0.0),
                                    micro.recurrent_weight_bandwidth.get(c, micro.activation_bandwidth_bytes_per_s),
                                    micro.recurrent_large_step_s.get(c, 0.0),
                                    micro.recurrent_large_from_bytes if c in micro.recurrent_large_step_s else 0.0)
                   for c in micro.recurrent_step_s},
        async_dispatch=micro.device.startswith("cuda"), kernel_s=micro.kernel_s,
        parallel=parallel_curves(micro.parallel),
        gemm_efficiency=gemm_table(micro.gemm_efficiency),
    )


def _memory_gb(device: str) -> tuple[float, str]:
    if device.startswith("cuda"):
        import torch

        total = torch.cuda.get_device_properties(torch.device(device)).total_memory
        return round(total / 1e9, 1), "measured: torch.cuda.get_device_properties().total_memory"
    found = memory_bytes()
    if found is None:
        raise UsageError("the OS does not report this machine's memory size")
    return round(found / 1e9, 1), MEMORY_SOURCE


def profile_document(cal: Calibration, *, name: str, target_class: str, device: str,
                     device_name: str, memory: tuple[float, str] | None = None) -> dict[str, Any]:
    """The profile YAML content (a dict in schema order) for a calibration (`memory`: GB and how it was
    found, when not read from `device` now)."""
    import numpy as np
    import torch

    m = cal.micro
    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
    ref = CALIBRATE_REF
    scale = cal.peak_macs_per_s["fp32"] / m.gemm_macs_per_s["fp32"]
    peaks = {
        p: {"value": round(v * 2 / 1e12, 6), "source": ref,
            "derivation": f"measured: GEMM {m.sizes.get('gemm', '')} at {p} ran at "
                          f"{m.gemm_macs_per_s[p] * 2 / 1e9:.4g} GFLOPS"
                          + (f", x{scale:.3g} because a fitted op class ran faster than the GEMM" if scale > 1
                             else "")
                          + (f"; rates as if every kernel scaled perfectly to {m.threads} threads (`parallel` "
                             "charges each kernel's shortfall)" if m.parallel else "")}
        for p, v in cal.peak_macs_per_s.items()
    }
    bw_note = (f"measured: {m.sizes.get('bandwidth', 'copy')} at {m.bandwidth_bytes_per_s / 1e9:.4g} GB/s"
               + (f", x{cal.bandwidth_bytes_per_s / m.bandwidth_bytes_per_s:.3g} because the fitted effective "
                  f"bandwidth of the models (their activations partly stay in cache) was higher"
                  if cal.bandwidth_bytes_per_s > m.bandwidth_bytes_per_s * 1.0001 else ""))
    mem_gb, mem_note = memory or _memory_gb(device)
    estimator: dict[str, Any] = {}
    if cal.known.extra_s:
        estimator["op_overhead_us"] = {k: round(v * 1e6, 4)
                                       for k, v in {**cal.known.extra_s, FUSED_KEY: cal.fused_op_s}.items()}
    if cal.known.async_dispatch:
        estimator["dispatch"] = "async"
        estimator["kernel_us"] = round(cal.known.kernel_s * 1e6, 4)
    if cal.known.recurrent:
        estimator["recurrent"] = {
            c: {"call_us": round(r.call_s * 1e6, 4), "step_us": round(r.step_s * 1e6, 4),
                **({"weight_bandwidth_gbs": round(cal.weight_bandwidth_bytes_per_s[c] / 1e9, 4)}
                   if c in cal.weight_bandwidth_bytes_per_s else {}),
                **({"large_step_us": round(r.large_step_s * 1e6, 4),
                    "large_from_kb": round(r.large_from_bytes / 1024, 1)} if r.large_from_bytes else {})}
            for c, r in cal.known.recurrent.items()}
    if m.gemm_efficiency:
        estimator["gemm_efficiency"] = [list(pt) for pt in m.gemm_efficiency]
    if m.parallel:
        estimator["parallel"] = {f: c if f == "threads" else [list(pt) for pt in c] for f, c in m.parallel.items()}
    errs = np.abs(np.asarray(cal.fit_errors)) if cal.fit_errors else np.asarray([np.nan])
    refs = sorted({r.model_id for r in cal.references})
    kind = "gpu" if device.startswith("cuda") else "cpu"
    return {
        "name": name,
        "display_name": f"{device_name} ({m.threads} threads, calibrated {when})" if kind == "cpu"
        else f"{device_name} (calibrated {when})",
        "class": target_class,
        "kind": kind,
        "peak_tflops": peaks,
        "memory_bandwidth_gbs": {"value": round(cal.bandwidth_bytes_per_s / 1e9, 3), "source": ref,
                                 "derivation": bw_note},
        "memory_gb": {"value": mem_gb, "source": ref, "derivation": mem_note},
        "precisions": list(cal.peak_macs_per_s),
        "runtimes": ["pytorch"],
        "references": {ref: {
            "title": f"archsel calibrate on {device_name}, torch {torch.__version__}, {m.threads} threads, "
                     f"{when} (micro-benchmarks timed with the torch.utils.benchmark adaptive rule)",
            "url": CALIBRATE_URL, "publisher": "archsel"}},
        "notes": ("Micro-benchmarks: " + "; ".join(f"{k}: {v}" for k, v in m.sizes.items())
                  + f". Measured: activation-sized copy {m.activation_bandwidth_bytes_per_s / 1e9:.4g} GB/s; "
                  f"per-op overhead of tiny ops {m.overhead_s * 1e6:.3g} us."),
        "efficiency": {k: round(float(v), 6) for k, v in cal.efficiency.items()},
        "overhead_us": round(cal.known.extra_s.get("other", 0.0) * 1e6, 4),
        "module_call_us": round(cal.overhead_s * 1e6, 4),
        **estimator,
        "estimator_source": (
            f"calibrated by `archsel calibrate` on {device_name} ({m.threads} threads, torch {torch.__version__}, "
            f"{when}): non-negative least-squares fit of per-class efficiencies and the cost per module call to "
            f"{len(cal.references)} measured latencies of {len(refs)} reference models ({', '.join(refs)}), "
            f"fit median |error| {float(np.median(errs)) * 100:.1f}%; micro-benchmark rates as prior; fixed costs "
            f"per op class and of recurrent cells measured by micro-benchmarks"
            + ("; GEMM rate by rows measured on one thread" if m.gemm_efficiency else "")
            + (f"; thread scaling of small kernels measured on 1 and {m.threads} threads" if m.parallel else "")),
    }


def write_profile(doc: dict[str, Any], out: Path, edit: Callable[[str], str] | None = None) -> Path:
    """Validate `doc` as a profile and write it to `out` atomically (temporary file, then rename); `edit`
    changes its YAML text first (a calibrated runtime's entry, archsel.estimation.calibrate_runtime)."""
    from archsel.targets.profiles import profile_problems
    from archsel.yamlio import dump_yaml

    out = Path(out)
    if out.suffix not in (".yaml", ".yml"):
        raise UsageError(f"--out {str(out)!r} must end in .yaml or .yml")
    text = ("# Written by `archsel calibrate`; every figure was measured on the device named below.\n"
            + dump_yaml(doc))
    if edit is not None:
        text = edit(text)

    def validate(tmp: Path) -> None:
        problems = profile_problems([tmp])
        if problems:
            raise ConfigError(problems, f"calibrated profile does not validate: {problems[0]}")

    return write_atomic(out, text, what="--out", check=validate)


def run_calibration(*, device: str = "cpu", quick: bool = False, models: Sequence[str] | None = None,
                    batches: Sequence[int] = (1, 8), budget_s: float | None = None,
                    log: Log = lambda _m: None) -> Calibration:
    """Micro-benchmarks and reference measurements on `device` (torch threads as currently set), then fit."""
    if device.startswith("cuda"):
        precisions: tuple[str, ...] = ("fp32",) if quick else ("fp32", "fp16", "bf16")
    else:
        precisions = ("fp32",)
    budget = budget_s if budget_s is not None else (0.3 if quick else 1.5)
    micro = run_microbenchmarks(device, precisions, quick=quick, budget_s=budget / 2 if quick else 1.0, log=log)
    refs = reference_samples(models or (QUICK_REFERENCE_MODELS if quick else REFERENCE_MODELS),
                             (1,) if quick else batches, device=device, budget_s=budget, log=log,
                             rounds=1 if quick else 2)
    if not quick:
        remeasure_thread_scaling(micro, log)
    return calibrate_from(micro, refs)


def calibrate_device(*, device: str = "cpu", threads: int | None = None, quick: bool = False,
                     log: Log = lambda _m: None) -> Calibration:
    """run_calibration on `threads` torch threads (restored after); UsageError when no reference model
    could be measured within its time budget."""
    import torch

    from archsel.profiling.timing import TimeBudgetExceeded

    old = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        cal = run_calibration(device=device, quick=quick, log=log)
    except TimeBudgetExceeded as exc:
        raise UsageError(f"a micro-benchmark could not be timed: {exc}",
                         hint="the machine is too busy: run on an idle machine or with fewer --threads") from exc
    finally:
        torch.set_num_threads(old)
    if not cal.references:
        raise UsageError("no reference model could be measured within its time budget",
                         hint="run on an idle machine or with fewer --threads")
    return cal

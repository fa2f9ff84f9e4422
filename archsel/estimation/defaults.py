"""Per-device-kind estimator defaults (efficiency per op class, bandwidth share, per-op overhead,
recurrent cells' fixed costs).

These seed the built-in profiles (profiles/*.yaml carry them with `estimator_source`) and are what an
uncalibrated estimate uses. Where each figure comes from is in docs/estimation.md: the GPU overhead is
fitted to measured H100 batch-1 latencies, the CPU figures follow the measured micro-benchmark ratios
reported there, and the rest is engineering judgement, labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class KindDefaults:
    efficiency: dict[str, float]
    overhead_us: float
    source: str
    # cell -> {"call_us": per call, "step_us": per sequential step, ...}; used when a profile gives none
    recurrent: dict[str, dict[str, float]] = field(default_factory=dict)
    dispatch: str = "sync"  # "async": host dispatch overlaps device execution (roofline.critical_path)
    kernel_us: float = 0.0  # minimum device time of a kernel
    # host cost per op of a fused inference kernel (transformer fast path), as a share of overhead_us
    fused_share: float = 1.0


CLASS_DEFAULTS: dict[str, KindDefaults] = {
    "cpu": KindDefaults(
        efficiency={"conv": 0.5, "depthwise_conv": 0.08, "matmul": 0.6, "attention": 0.35, "recurrent": 0.15,
                    "bandwidth": 0.6},
        overhead_us=8.0,
        recurrent={"lstm": {"call_us": 120.0, "step_us": 0.5}, "gru": {"call_us": 50.0, "step_us": 12.0},
                   "rnn": {"call_us": 45.0, "step_us": 4.5}},
        fused_share=0.77,  # measured: 8.1 us per op of a tiny fused encoder layer / 10.6 us per tiny op
        source="cpu defaults (docs/estimation.md): engineering judgement from oneDNN/XNNPACK GEMM-vs-conv "
               "ratios and the depthwise roofline analysis of Zhang et al. 2020; per-op overhead of eager "
               "PyTorch dispatch",
    ),
    "gpu": KindDefaults(
        efficiency={"conv": 0.45, "depthwise_conv": 0.04, "matmul": 0.6, "attention": 0.4, "recurrent": 0.1,
                    "bandwidth": 0.75},
        overhead_us=20.0,
        recurrent={c: {"call_us": 90.0, "step_us": 0.3, "large_step_us": 12.0, "large_from_kb": 512.0}
                   for c in ("lstm", "gru", "rnn")},
        dispatch="async",
        kernel_us=1.0,
        fused_share=0.56,  # fitted on H100 references: 9.4 us per fused op / 16.7 us per tiny op
        source="gpu defaults (docs/estimation.md): overhead fitted to measured H100 batch-1 eager latencies; "
               "recurrent cell and kernel costs measured on an H100 (cuDNN, torch 2.11); efficiencies "
               "engineering judgement from published depthwise-vs-dense GPU measurements",
    ),
}


def kind_defaults(kind: str) -> KindDefaults:
    """The defaults for a profile's `kind` (gpu: the GPU figures; cpu, soc, npu: the CPU ones)."""
    return CLASS_DEFAULTS["gpu" if kind == "gpu" else "cpu"]

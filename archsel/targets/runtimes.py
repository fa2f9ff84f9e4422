"""The runtimes a device runs models with, as its profile lists them (no torch).

A runtime runs on one compute unit of the device (cpu, gpu, npu), at the precisions it supports there,
with its own estimator parameters (archsel.estimation.engine): per-class efficiency of the unit's peak,
a fixed cost per compiled layer and per inference, and for CPU runtimes the thread scaling. `pytorch` is
eager PyTorch: it is estimated with the profile's own (per-op dispatch) parameters instead. One runtime
is the device's default: what its users deploy with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from archsel.errors import unknown
from archsel.targets.schema import RUNTIME_ALIASES, RUNTIME_FACTS, RUNTIMES

EAGER = "pytorch"
TF32_CLASS_WORDS = {"conv": "convolutions", "depthwise_conv": "depthwise convolutions",
                    "matmul": "matrix multiplications", "attention": "attention", "recurrent": "recurrent cells"}
RUNTIME_WORDS = {"pytorch": "PyTorch", "onnxruntime": "ONNX Runtime CUDA EP", "tensorrt": "TensorRT"}
# Fitted fields a precision's own fit always holds (absent: none), not inherited from the entry's.
PER_FIT_FIELDS = frozenset({"half_efficiency_macs", "graph_cost"})
UNIT_OF_KIND = {"gpu": "gpu", "cpu": "cpu", "soc": "cpu", "npu": "npu"}  # the unit the device's own peaks are for


@dataclass(frozen=True)
class RuntimeSpec:
    """One runtime on one device."""

    name: str
    unit: str  # cpu | gpu | npu
    precisions: tuple[str, ...]
    default: bool = False
    float_as: str | None = None  # the precision an fp32 model computes in here (an NPU: fp16)
    peak_tflops: dict[str, float] = field(default_factory=dict)  # the unit's peaks where not the device's
    peak_sources: dict[str, str] = field(default_factory=dict)  # precision -> citation, or "fitted: ..."
    precision_rates: dict[str, float] = field(default_factory=dict)  # relative to the unit's fp32 peak
    efficiency: dict[str, float] = field(default_factory=dict)
    layer_us: float | None = None
    call_us: float | None = None
    fused_traffic: float | None = None
    cores: int | None = None
    threads: int | None = None
    parallel_efficiency: float | None = None
    source: str = ""  # where the parameters come from
    on_chip_bandwidth: float | None = None  # with on_chip_mb: the rate of traffic kept on chip, x memory bandwidth
    half_efficiency_macs: float | None = None  # work per thread at which a GEMM layer runs at half its efficiency
    # facts the runtime's source or documentation states (RUNTIME_FACTS), each as the profile writes it:
    # {value or classes, source, derivation}; read through the properties below
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    fact_sources: dict[str, str] = field(default_factory=dict)  # fact -> its citation
    accuracy: dict[str, Any] | None = None  # the fit's own held-out error (a calibration's), as the profile has it
    by_precision: dict[str, dict[str, Any]] = field(default_factory=dict)  # precision -> its own fitted entry
    graph_cost: dict[str, Any] | None = None  # the graph cost model's fit (a calibration's), as the profile has it

    def for_precision(self, precision: str) -> RuntimeSpec:
        """The runtime as it estimates models run at `precision`: the parameters fitted for that precision
        (`by_precision`) in place of its own, where it has them."""
        entry = self.by_precision.get(precision)
        if not entry:
            return self
        own = {k: v for k, v in fitted_fields(entry).items() if k in entry or k in PER_FIT_FIELDS}
        return replace(self, **own, by_precision={})

    def _fact_float(self, key: str) -> float | None:
        value = (self.facts.get(key) or {}).get("value")
        return None if value is None else float(value)

    def _fact_str(self, key: str) -> str | None:
        value = (self.facts.get(key) or {}).get("value")
        return None if value is None else str(value)

    def _fact_classes(self, key: str) -> tuple[str, ...]:
        return tuple((self.facts.get(key) or {}).get("classes") or ())

    @property
    def on_chip_mb(self) -> float | None:
        """On-chip memory (MiB) the runtime keeps a layer's tensors in (an NPU's VTCM)."""
        return self._fact_float("on_chip_mb")

    @property
    def matmul_row_tile(self) -> float | None:
        """Rows sharing one read of a matmul's weights (untiled kernels: 1)."""
        return self._fact_float("matmul_row_tile")

    @property
    def linear_rows_chain(self) -> float | None:
        """Share of peak at most on matmuls of unpacked rows (one FMA chain per row)."""
        return self._fact_float("linear_rows_chain")

    @property
    def grouped_conv_class(self) -> str | None:
        """The layer class whose kernels run grouped convolutions."""
        return self._fact_str("grouped_conv_class")

    @property
    def fusion(self) -> str | None:
        """What fuses into a layer (archsel.estimation.engine.FUSIONS; None: memory ops)."""
        return self._fact_str("fusion")

    @property
    def tf32_classes(self) -> tuple[str, ...]:
        """Op classes whose fp32 ops run on TF32 Tensor Cores by default here."""
        return self._fact_classes("fp32_as_tf32")

    @property
    def float_classes(self) -> tuple[str, ...]:
        """Layer classes a quantized model keeps in float here (at float_as)."""
        return self._fact_classes("quantized_float_classes")

    @property
    def eager(self) -> bool:
        return self.name == EAGER

    def runs(self, precision: str) -> str | None:
        """The precision a model of `precision` computes in on this runtime, or None when it cannot run it."""
        if precision in self.precisions:
            return precision
        return self.float_as if precision == "fp32" else None

    @property
    def accepted_precisions(self) -> tuple[str, ...]:
        """The precisions it takes models in: those `runs` accepts (fp32 too where floats compute lower)."""
        return (("fp32",) if self.float_as and "fp32" not in self.precisions else ()) + self.precisions

    def tf32_note(self) -> str:
        """What an fp32 estimate that ran `tf32_classes` at the TF32 rate says of it ('' without any)."""
        if not self.tf32_classes:
            return ""
        classes = " and ".join(TF32_CLASS_WORDS.get(c, c) for c in self.tf32_classes)
        return f"fp32 {classes} at the TF32 Tensor Core rate ({RUNTIME_WORDS.get(self.name, self.name)} default)"

    @property
    def fitted(self) -> bool:
        """Whether the parameters were fitted to measurements (else: judgement defaults)."""
        return self.source.lower().startswith("fitted")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "default": self.default, "precisions": list(self.precisions),
                "float_as": self.float_as,
                "peak_tflops": dict(self.peak_tflops), "precision_rates": dict(self.precision_rates),
                "efficiency": dict(self.efficiency), "layer_us": self.layer_us, "call_us": self.call_us,
                "fused_traffic": self.fused_traffic,
                "cores": self.cores, "threads": self.threads, "parallel_efficiency": self.parallel_efficiency,
                "on_chip_mb": self.on_chip_mb, "on_chip_bandwidth": self.on_chip_bandwidth,
                "half_efficiency_macs": self.half_efficiency_macs,
                "matmul_row_tile": self.matmul_row_tile,
                "linear_rows_chain": self.linear_rows_chain, "grouped_conv_class": self.grouped_conv_class,
                "fusion": self.fusion, "fp32_as_tf32": list(self.tf32_classes),
                "quantized_float_classes": list(self.float_classes), "accuracy": self.accuracy,
                "by_precision": {p: {k: e[k] for k in sorted(e)} for p, e in sorted(self.by_precision.items())},
                "source": self.source}


def canonical_runtime(name: str) -> str:
    """'TensorRT', 'trt' → 'tensorrt'; an unknown name raises a UsageError with a did-you-mean."""
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    key = RUNTIME_ALIASES.get(key, key)
    if key not in RUNTIMES:
        raise unknown("runtime", name, [*RUNTIMES, *RUNTIME_ALIASES])
    return key


def parse_runtimes(data: Any, kind: str, precisions: tuple[str, ...],
                   citation: Any) -> dict[str, RuntimeSpec]:
    """A profile's `runtimes` (a list of names, or a mapping name -> entry) as RuntimeSpecs.

    A bare list gives each runtime the device's main unit and precisions and no parameters (judgement
    defaults); its default is `pytorch` when listed, else the first. `citation(figure)` formats a
    sourced figure of the file.
    """
    unit = UNIT_OF_KIND.get(kind, "cpu")
    if isinstance(data, list):
        data = [RUNTIME_ALIASES.get(n, n) for n in data]
        first = EAGER if EAGER in data else data[0]
        return {n: RuntimeSpec(n, unit, precisions, default=n == first,
                               source="judgement: archsel's defaults for the unit (no parameters in the profile)")
                for n in data}
    out: dict[str, RuntimeSpec] = {}
    for written, entry in data.items():
        name = RUNTIME_ALIASES.get(written, written)
        peaks: dict[str, float] = {}
        sources: dict[str, str] = {}
        for p, figure in (entry.get("peak_tflops") or {}).items():
            peaks[p] = float(figure["value"])
            sources[p] = f"fitted: {figure['fitted']}" if "fitted" in figure else citation(figure)
        out[name] = RuntimeSpec(
            name=name, unit=entry["unit"], precisions=tuple(entry["precisions"]),
            default=bool(entry.get("default", False)), float_as=entry.get("float_as"), peak_tflops=peaks,
            peak_sources=sources,
            **fitted_fields(entry), cores=entry.get("cores"), threads=entry.get("threads"),
            facts={key: dict(entry[key]) for key in RUNTIME_FACTS if isinstance(entry.get(key), dict)},
            fact_sources={key: citation(entry[key]) for key in RUNTIME_FACTS if isinstance(entry.get(key), dict)},
            by_precision={p: dict(e) for p, e in (entry.get("by_precision") or {}).items()},
        )
    return out


def fitted_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """RuntimeSpec fields of an entry's fitted parameters (schema.PRECISION_FIT_KEYS), absent ones as None/empty."""
    return {
        "precision_rates": {p: float(v) for p, v in (entry.get("precision_rates") or {}).items()},
        "efficiency": {k: float(v) for k, v in (entry.get("efficiency") or {}).items()},
        "layer_us": _float(entry.get("layer_us")), "call_us": _float(entry.get("call_us")),
        "fused_traffic": _float(entry.get("fused_traffic")),
        "parallel_efficiency": _float(entry.get("parallel_efficiency")), "source": str(entry["source"]).strip(),
        "on_chip_bandwidth": _float(entry.get("on_chip_bandwidth")),
        "half_efficiency_macs": _float(entry.get("half_efficiency_macs")),
        "accuracy": dict(entry["accuracy"]) if isinstance(entry.get("accuracy"), dict) else None,
        "graph_cost": dict(entry["graph_cost"]) if isinstance(entry.get("graph_cost"), dict) else None,
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)

"""The runtimes a device runs models with, as its profile lists them (no torch).

A runtime runs on one compute unit of the device (cpu, gpu, npu), at the precisions it supports there,
with its own estimator parameters (archsel.estimation.engine): per-class efficiency of the unit's peak,
a fixed cost per compiled layer and per inference, and for CPU runtimes the thread scaling. `pytorch` is
eager PyTorch: it is estimated with the profile's own (per-op dispatch) parameters instead. One runtime
is the device's default: what its users deploy with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archsel.errors import unknown
from archsel.targets.schema import RUNTIME_ALIASES, RUNTIMES

EAGER = "pytorch"
TF32_CLASS_WORDS = {"conv": "convolutions", "depthwise_conv": "depthwise convolutions",
                    "matmul": "matrix multiplications", "attention": "attention", "recurrent": "recurrent cells"}
RUNTIME_WORDS = {"pytorch": "PyTorch", "onnxruntime": "ONNX Runtime CUDA EP", "tensorrt": "TensorRT"}
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
    on_chip_mb: float | None = None  # on-chip memory (MiB) the runtime keeps a layer's tensors in (an NPU's VTCM)
    on_chip_source: str = ""  # its citation
    on_chip_figure: dict[str, Any] = field(default_factory=dict)  # as the profile writes it (value, source)
    on_chip_bandwidth: float | None = None  # the rate of traffic kept there, × the memory bandwidth
    matmul_row_tile: float | None = None  # rows sharing one read of a matmul's weights (untiled kernels: 1)
    matmul_row_tile_source: str = ""  # its citation
    matmul_row_tile_figure: dict[str, Any] = field(default_factory=dict)  # as the profile writes it
    linear_rows_chain: float | None = None  # share of peak at most on matmuls of unpacked rows (a FMA chain)
    linear_rows_chain_figure: dict[str, Any] = field(default_factory=dict)  # as the profile writes it
    grouped_conv_class: str | None = None  # the layer class whose kernels run grouped convolutions
    grouped_conv_source: str = ""  # its citation
    grouped_conv_figure: dict[str, Any] = field(default_factory=dict)  # as the profile writes it
    fusion: str | None = None  # what fuses into a layer (archsel.estimation.engine.FUSIONS; None: memory)
    fusion_source: str = ""  # its citation
    fusion_figure: dict[str, Any] = field(default_factory=dict)  # as the profile writes it
    tf32_classes: tuple[str, ...] = ()  # op classes whose fp32 ops run on TF32 Tensor Cores by default here
    tf32_source: str = ""  # its citation
    tf32_figure: dict[str, Any] = field(default_factory=dict)  # as the profile writes it (classes, source)
    float_classes: tuple[str, ...] = ()  # layer classes a quantized model keeps in float here (at float_as)
    float_classes_source: str = ""  # its citation
    float_classes_figure: dict[str, Any] = field(default_factory=dict)  # as the profile writes it (classes, source)

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
                "matmul_row_tile": self.matmul_row_tile,
                "linear_rows_chain": self.linear_rows_chain, "grouped_conv_class": self.grouped_conv_class,
                "fusion": self.fusion, "fp32_as_tf32": list(self.tf32_classes),
                "quantized_float_classes": list(self.float_classes), "source": self.source}


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
            precision_rates={p: float(v) for p, v in (entry.get("precision_rates") or {}).items()},
            efficiency={k: float(v) for k, v in (entry.get("efficiency") or {}).items()},
            layer_us=_float(entry.get("layer_us")), call_us=_float(entry.get("call_us")),
            fused_traffic=_float(entry.get("fused_traffic")),
            cores=entry.get("cores"), threads=entry.get("threads"),
            parallel_efficiency=_float(entry.get("parallel_efficiency")), source=str(entry["source"]).strip(),
            on_chip_mb=float(entry["on_chip_mb"]["value"]) if entry.get("on_chip_mb") else None,
            on_chip_source=citation(entry["on_chip_mb"]) if entry.get("on_chip_mb") else "",
            on_chip_figure=dict(entry.get("on_chip_mb") or {}),
            on_chip_bandwidth=_float(entry.get("on_chip_bandwidth")),
            matmul_row_tile=float(entry["matmul_row_tile"]["value"]) if entry.get("matmul_row_tile") else None,
            matmul_row_tile_source=citation(entry["matmul_row_tile"]) if entry.get("matmul_row_tile") else "",
            matmul_row_tile_figure=dict(entry.get("matmul_row_tile") or {}),
            linear_rows_chain=float(entry["linear_rows_chain"]["value"]) if entry.get("linear_rows_chain") else None,
            linear_rows_chain_figure=dict(entry.get("linear_rows_chain") or {}),
            grouped_conv_class=str(entry["grouped_conv_class"]["value"]) if entry.get("grouped_conv_class") else None,
            grouped_conv_source=citation(entry["grouped_conv_class"]) if entry.get("grouped_conv_class") else "",
            grouped_conv_figure=dict(entry.get("grouped_conv_class") or {}),
            fusion=str(entry["fusion"]["value"]) if entry.get("fusion") else None,
            fusion_source=citation(entry["fusion"]) if entry.get("fusion") else "",
            fusion_figure=dict(entry.get("fusion") or {}),
            tf32_classes=tuple((entry.get("fp32_as_tf32") or {}).get("classes") or ()),
            tf32_source=citation(entry["fp32_as_tf32"]) if entry.get("fp32_as_tf32") else "",
            tf32_figure=dict(entry.get("fp32_as_tf32") or {}),
            float_classes=tuple((entry.get("quantized_float_classes") or {}).get("classes") or ()),
            float_classes_source=citation(entry["quantized_float_classes"])
            if entry.get("quantized_float_classes") else "",
            float_classes_figure=dict(entry.get("quantized_float_classes") or {}),
        )
    return out


def _float(value: Any) -> float | None:
    return None if value is None else float(value)

"""Latency under a compiled deployment runtime (TensorRT, QNN, LiteRT, Core ML, ncnn, ONNX Runtime, OpenVINO,
ExecuTorch, MNN): the same trace as eager PyTorch, costed as the graph such a runtime executes.

A runtime compiles the traced graph into layers. Each op that computes (conv, depthwise conv, matmul,
attention, recurrent, pooling) starts a layer (convolutions by their window: a dense 3×3 stride-1 one is its
own class, `conv3x3`: runtimes run it with Winograd, which needs 2.25–4× fewer multiplications, so its
efficiency against direct MACs may exceed 1; 3-D and dilated ones are classes of their own); the
memory-bound ops after it (norms, activations, residual adds, softmax, copies and reshapes) fuse into it:
they launch nothing, and only the share `fused_traffic` of their traffic reaches memory (0: kept on chip, as
conv+bn+act fusion and flash attention do; 1: written and read back, as a materialised attention score
matrix is). A memory op with no layer before it (the graph's first ops) is a layer of its own; views cost
nothing. Per layer and per inference:

    layer time = max(work / (unit peak at the precision × efficiency of the layer's class × threads share),
                     bytes at the precision / (memory bandwidth × bandwidth efficiency))
                 + fused_traffic × fused ops' bytes at the precision / (memory bandwidth × bandwidth efficiency)
                 + layer_us
    latency    = call_us + Σ layer times

work = the layer's MACs (a pooling layer: its input elements), bytes = what its first op moves (input,
weights, output; a recurrent layer also re-reads its weights every step).

A unit with on-chip memory the runtime keeps tensors in (the Hexagon NPU's VTCM: `on_chip_mb` of the
runtime; a calibrated CPU's caches below the last level) runs a layer's traffic at the on-chip rate (memory
bandwidth × `on_chip_bandwidth`) while its working set (input, weights and output at the precision; a
recurrent layer's: one cell's weights, re-read every step) fits; a CPU's caches are per core, so T threads of
C cores have min(T, C) / C of them (a stacked LSTM whose cell holds 4.2 MiB of weights ran 1.8x faster on 2
threads than on 1 under ONNX Runtime, on a Xeon with 2 MiB of L2 per core). Of a layer whose working set
exceeds the capacity, the share beyond it (spill = (working set − capacity) / working set) runs at the memory
bandwidth × its efficiency. Its fused ops run on the tiles the layer holds on chip (the epilogue of the tiled op), so
their traffic stays at the on-chip rate:

    memory = bytes × ((1 − spill) / on-chip rate + spill / (bandwidth × bandwidth efficiency))
    fused  = fused_traffic × fused bytes / on-chip rate

A dense layer too small to fill the unit's kernels (`half_efficiency_macs` of the runtime, m0, fitted: a CPU
runtime's GEMM tiles and threads need work to amortise their packing, edges and synchronisation) runs its
compute slower by a factor that falls with its work per thread w (MACs / threads used; off CPUs, its MACs):

    compute × (1 + √(m0 / w))        (dense conv classes, matmul, attention; at w = m0: half its efficiency)

Without it the fitted efficiencies were those of the calibration's reference models' small layers, and large
CNNs and transformers ran 0.6–0.8x the estimate under ONNX Runtime; with m0 = 3e6 MACs (chosen by
cross-validation over the reference models, archsel.estimation.engine_fit.cross_validated_half_efficiency)
the held-out zoo models' fp32 median error fell from 15.0% to 13.4%, 68% → 75% within ±25%
(benchmarks/results_runtime_estimate_accuracy.md, a Xeon).

A runtime whose matrix-multiply kernels do not tile rows (`matmul_row_tile` of the runtime, a sourced figure:
ncnn's Vulkan InnerProduct/Gemm shaders compute one output per invocation, so every row of the input re-reads
the whole weight matrix) moves a matmul layer's weights once per tile of rows instead of once:

    re-read bytes = MACs / tile − MACs / rows      (rows: the smaller output dimension; 0 when rows ≤ tile)

(each multiply reads its weight from memory when the tile is 1; a matrix-vector product re-reads nothing).
A runtime whose kernels run a matrix multiply of several rows, when the rows are no multiple of the pack
(LINEAR_ROW_PACK), as a per-row loop with one accumulator (`linear_rows_chain` of the runtime, a sourced
share of peak: ncnn's InnerProduct_arm on a 2-D input, a dependent FMA chain over the inputs, latency-bound)
caps such a layer's efficiency at that share: efficiency = min(efficiency of its class, linear_rows_chain).
A runtime that runs grouped (not depthwise) convolutions with its depthwise kernels (`grouped_conv_class` of
the runtime, a sourced fact: ncnn converts any grouped convolution to its ConvolutionDepthWise layer, whose
Vulkan shaders run each group as a direct convolution, without the GEMM, Winograd or cooperative-matrix paths
of its Convolution layer) costs those layers at that class's efficiency.

A runtime whose graph optimiser fuses only normalisations and activations into the layer before them
(`fusion: activations` of the runtime, a sourced fact: ncnnoptimize folds BatchNorm, Scale and the
activations into Convolution/InnerProduct; Concat, BinaryOp/Eltwise, Permute, global Pooling and copies stay
layers of their own, one Vulkan dispatch each) makes every other memory op a layer of its own, with its own
traffic and `layer_us`.

A runtime whose model format keeps some layer classes in float in a quantized model
(`quantized_float_classes` of the runtime, a sourced fact: TFLite's CONV_3D kernel takes float32 only, so a
w8a8 TFLite model keeps its Conv3D in float) runs an integer row's layers of those classes at its float
precision (`float_as`, else fp32): that precision's peak and bytes (layer_precision).

On a CPU unit the threads share is min(T, cores) / cores, × parallel_efficiency beyond one thread. The
parameters of each (device, runtime) live in the device profile (archsel.targets.runtimes): fitted to
published measurements by benchmarks/published_fit.py, or the unit's judgement defaults below, which the
output then names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archsel import precisions
from archsel.estimation.roofline import ClassShare, Estimate, OpLike, launches, moved_bytes, streamed_weight_bytes, work
from archsel.targets.schema import ENGINE_EFFICIENCY_KEYS

if TYPE_CHECKING:
    from archsel.targets.profiles import TargetProfile
    from archsel.targets.runtimes import RuntimeSpec

COMPUTE_KINDS = frozenset({"conv", "depthwise_conv", "matmul", "attention", "recurrent", "pooling"})
WINOGRAD_WINDOW = "3x3/1"
MAX_WINOGRAD_EFFICIENCY = 4.0  # F(4,3) Winograd: 4x fewer multiplications than direct convolution
# The unit's judgement defaults for a runtime without fitted parameters (engineering judgement, not measured).
UNIT_DEFAULTS: dict[str, dict[str, float]] = {
    "gpu": {"conv": 0.5, "conv3x3": 0.6, "conv3d": 0.4, "dilated_conv": 0.4, "depthwise_conv": 0.1,
            "matmul": 0.6, "attention": 0.5, "recurrent": 0.2, "pooling": 0.3, "bandwidth": 0.7, "layer_us": 5.0,
            "call_us": 20.0, "fused_traffic": 0.2},
    "npu": {"conv": 0.4, "conv3x3": 0.4, "conv3d": 0.2, "dilated_conv": 0.3, "depthwise_conv": 0.2,
            "matmul": 0.4, "attention": 0.3, "recurrent": 0.1, "pooling": 0.2, "bandwidth": 0.6, "layer_us": 10.0,
            "call_us": 100.0, "fused_traffic": 0.5, "on_chip_bandwidth": 0.6},
    "cpu": {"conv": 0.5, "conv3x3": 0.7, "conv3d": 0.4, "dilated_conv": 0.4, "depthwise_conv": 0.15,
            "matmul": 0.5, "attention": 0.4, "recurrent": 0.2, "pooling": 0.2, "bandwidth": 0.6, "layer_us": 3.0,
            "call_us": 10.0, "fused_traffic": 0.3},
}
PARALLEL_EFFICIENCY = 0.8  # judgement default for CPU runtimes beyond one thread
MIB = 1 << 20  # on_chip_mb counts MiB (QNN's vtcm_size_in_mb: VTCM sizes are powers of two)
LINEAR_ROW_PACK = 4  # rows packed per vector (ncnn's elempack 4 fp32, 4 or 8 fp16): other row counts run unpacked
CONV_WINDOWS = frozenset({"conv3x3", "conv3d", "dilated_conv"})  # layer classes of dense convs besides "conv"
# The layer classes whose kernels are GEMMs (tiled matrix products): the small-layer slowdown applies to them.
GEMM_CLASSES = frozenset({"conv", *CONV_WINDOWS, "matmul", "attention"})


def op_kind(layer_kind: str) -> str:
    """The estimator's op class of a layer class (a conv window class is a conv)."""
    return "conv" if layer_kind in CONV_WINDOWS else layer_kind


@dataclass
class Layer:
    """One compiled layer: the op that starts it, and the work and bytes it is charged for."""

    kind: str
    ops: int
    macs: int
    work: int
    bytes: int  # at float32
    streamed: int  # weight bytes a recurrent layer re-reads over its steps (at float32)
    steps: int = 0
    fused_bytes: int = 0  # what the memory ops fused into it move (at float32)
    rows: int = 0  # a matmul's smaller output dimension (batch x tokens for a linear layer); else 0
    grouped: bool = False  # a grouped (not depthwise) convolution


def layer_class(op: OpLike) -> str:
    """The op's class in a compiled runtime: convolutions by their window (archsel.profiling.op_macs.conv_window):
    dense 3x3 stride 1 (Winograd), 3-D, dilated; other ops their own kind."""
    window = str(getattr(op, "window", "") or "")
    if op.kind != "conv" or not window:
        return op.kind
    if window == WINOGRAD_WINDOW:
        return "conv3x3"
    if window.split("/")[0].count("x") >= 2:
        return "conv3d"
    return "dilated_conv" if "d" in window.split("/")[1] else "conv"


def grouped(op: OpLike) -> bool:
    """Whether the op is a grouped convolution that is not depthwise (its window ends in "g<groups>")."""
    window = str(getattr(op, "window", "") or "")
    return op.kind == "conv" and "g" in window.split("/")[-1]


def runtime_class(layer: Layer, grouped_conv_class: str | None) -> str:
    """The class a runtime costs `layer` at: a grouped convolution at `grouped_conv_class` where the runtime
    names one, else the layer's own."""
    return grouped_conv_class if grouped_conv_class and layer.grouped else layer.kind


FUSIONS = ("memory", "activations")  # what fuses into the layer before it: every memory op, or only these
# Elementwise ops with a second tensor operand or a reduction: not activations (their own layer under
# `fusion: activations`, as ncnn's BinaryOp and global Pooling are).
UNFUSED_ELEMENTWISE = frozenset({"add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "pow", "mean", "sum",
                                 "amax", "maximum", "minimum", "where"})


def fuses(op: OpLike, fusion: str = "memory") -> bool:
    """Whether a memory op fuses into the layer before it: any under `memory` fusion; under `activations`
    only normalisations and single-operand elementwise ops (activations), not adds, products, reductions,
    concatenations or copies."""
    if fusion == "memory":
        return True
    name = str(getattr(op, "op", "") or "")
    name = name.split(".")[1] if name.startswith("aten.") else name
    return op.kind == "norm" or (op.kind == "elementwise" and name not in UNFUSED_ELEMENTWISE)


def compile_layers(ops: Sequence[OpLike], batch: int = 1, fusion: str = "memory") -> list[Layer]:
    """The layers a compiling runtime makes of the traced `ops` (see the module docstring); `fusion`: what
    fuses into a layer (FUSIONS)."""
    out: list[Layer] = []
    for op in ops:
        if not launches(op):
            continue
        if op.kind in COMPUTE_KINDS or not out or not fuses(op, fusion):
            streamed = streamed_weight_bytes(op, batch)
            kind = layer_class(op)
            out.append(Layer(kind, 1, op.macs, work(op), moved_bytes(op, batch), streamed,
                             int(getattr(op, "steps", 0) or 0) if op.kind == "recurrent" else 0,
                             rows=int(getattr(op, "gemm_min_dim", 0) or 0) if op.kind == "matmul" else 0,
                             grouped=grouped(op)))
        else:  # fused: no launch; its traffic counts only as the runtime's fused_traffic share
            out[-1].ops += 1
            out[-1].fused_bytes += moved_bytes(op, batch)
    return out


def reread_bytes(layer: Layer, row_tile: float) -> float:
    """Weight bytes (at float32) a matmul layer re-reads when the runtime's kernels share one read of its
    weights among only `row_tile` rows: 4 × (MACs / tile − MACs / rows); 0 without a tile, for other layers,
    and where its rows fit one tile."""
    if row_tile <= 0 or layer.kind != "matmul" or layer.rows <= row_tile or not layer.macs:
        return 0.0
    return 4.0 * layer.macs * (1.0 / row_tile - 1.0 / layer.rows)


def row_chained(layer: Layer, ceiling: float) -> bool:
    """Whether the runtime's `linear_rows_chain` ceiling (> 0) applies to `layer`: a matmul of more than one row
    whose rows are no multiple of LINEAR_ROW_PACK (run row by row, one accumulator chain)."""
    return ceiling > 0 and layer.kind == "matmul" and layer.rows > 1 and layer.rows % LINEAR_ROW_PACK != 0


def used_threads(unit: str, cores: int, threads: int) -> int:
    """The threads a layer's work is split between: min(threads, cores) on a CPU; 1 elsewhere (its MACs are
    the measure of its size)."""
    return max(min(threads, cores), 1) if unit == "cpu" else 1


def small_layer_factor(kind: str, work: float, threads: int, half_efficiency_macs: float) -> float:
    """How much slower than its class efficiency a layer of class `kind` and `work` MACs split between `threads`
    computes: 1 + √(m0 / (work / threads)) for a GEMM class (GEMM_CLASSES) where the runtime has m0 > 0, else 1."""
    if half_efficiency_macs <= 0 or kind not in GEMM_CLASSES or work <= 0:
        return 1.0
    return 1.0 + (half_efficiency_macs * threads / work) ** 0.5


def threads_share(unit: str, cores: int, threads: int, parallel_efficiency: float) -> float:
    """The share of a unit's peak (all its cores) `threads` threads reach: 1 off CPUs; on a CPU
    min(threads, cores) / cores, × `parallel_efficiency` beyond one thread."""
    if unit != "cpu" or cores <= 1:
        return 1.0
    used = min(threads, cores)
    return used / cores * (parallel_efficiency if used > 1 else 1.0)


@dataclass(frozen=True)
class EngineRates:
    """A runtime's figures in base units (MAC/s, byte/s, s)."""

    runtime: str
    unit: str
    peak_macs_per_s: Mapping[str, float]  # precision -> MAC/s of the unit (all its cores)
    bandwidth_bytes_per_s: float
    efficiency: Mapping[str, float] = field(default_factory=dict)  # COMPUTE_KINDS and "bandwidth"
    layer_s: float = 0.0
    call_s: float = 0.0
    fused_traffic: float = 0.0  # share of the fused memory ops' traffic that reaches memory
    cores: int = 1
    threads: int = 1
    parallel_efficiency: float = 1.0
    fitted: bool = False
    on_chip_bytes: float = 0.0  # on-chip memory the runtime keeps a layer's tensors in (0: none modelled)
    on_chip_bandwidth: float = 0.0  # its rate, a multiple of the memory bandwidth
    matmul_row_tile: float = 0.0  # rows sharing one read of a matmul's weights (0: tiled, no re-reads modelled)
    grouped_conv_class: str | None = None  # the class whose kernels run grouped convolutions (None: conv's own)
    linear_rows_chain: float = 0.0  # share of peak at most on matmuls of unpacked rows (row_chained; 0: none)
    fusion: str = "memory"  # what fuses into a layer (FUSIONS)
    tf32_macs_per_s: float = 0.0  # the rate fp32 layers of tf32_classes run at (the unit's tf32 peak)
    tf32_classes: frozenset[str] = frozenset()  # op classes (op_kind) whose fp32 layers run on TF32 Tensor Cores
    float_classes: frozenset[str] = frozenset()  # layer classes a quantized model keeps in float (float_precision)
    float_precision: str = "fp32"  # the precision those layers compute in (the runtime's float_as)
    half_efficiency_macs: float = 0.0  # work per thread at which a GEMM layer runs at half its efficiency (0: none)

    @classmethod
    def from_profile(cls, profile: TargetProfile, runtime: RuntimeSpec, threads: int | None = None) -> EngineRates:
        """The rates of `runtime` on `profile`, its missing parameters from the unit's judgement defaults."""
        from archsel.targets.runtimes import UNIT_OF_KIND

        defaults = UNIT_DEFAULTS[runtime.unit]
        own_unit = UNIT_OF_KIND.get(profile.kind, "cpu") == runtime.unit
        published = {**(profile.peak_tflops if own_unit else {}), **runtime.peak_tflops}
        peaks = dict(published)
        if "tf32" not in peaks and "fp32" in peaks:
            peaks["tf32"] = peaks["fp32"]
        for p, rate in runtime.precision_rates.items():  # × its own peak, or the fp32 peak where it has none
            base = published.get(p, published.get("fp32"))
            if base is not None:
                peaks[p] = base * rate
        eff = {k: runtime.efficiency.get(k, defaults[k]) for k in ENGINE_EFFICIENCY_KEYS}
        cores = runtime.cores or 1
        # fp32 layers of the runtime's TF32 classes: the unit's own tf32 peak × the share its fp32 kernels reach
        tf32 = published.get("tf32", 0.0) * runtime.precision_rates.get("fp32", 1.0) if runtime.tf32_classes else 0.0
        return cls(
            runtime=runtime.name, unit=runtime.unit,
            peak_macs_per_s={p: v * 1e12 / 2 for p, v in peaks.items() if p in runtime.precisions},
            bandwidth_bytes_per_s=float(profile.memory_bandwidth_gbs or 0.0) * 1e9, efficiency=eff,
            layer_s=(runtime.layer_us if runtime.layer_us is not None else defaults["layer_us"]) * 1e-6,
            call_s=(runtime.call_us if runtime.call_us is not None else defaults["call_us"]) * 1e-6,
            fused_traffic=runtime.fused_traffic if runtime.fused_traffic is not None else defaults["fused_traffic"],
            cores=cores, threads=threads or runtime.threads or cores,
            parallel_efficiency=runtime.parallel_efficiency or PARALLEL_EFFICIENCY, fitted=runtime.fitted,
            on_chip_bytes=(runtime.on_chip_mb or 0.0) * MIB,
            on_chip_bandwidth=runtime.on_chip_bandwidth if runtime.on_chip_bandwidth is not None
            else defaults.get("on_chip_bandwidth", defaults["bandwidth"]),
            matmul_row_tile=runtime.matmul_row_tile or 0.0, grouped_conv_class=runtime.grouped_conv_class,
            linear_rows_chain=runtime.linear_rows_chain or 0.0, fusion=runtime.fusion or "memory",
            tf32_macs_per_s=tf32 * 1e12 / 2, tf32_classes=frozenset(runtime.tf32_classes) if tf32 else frozenset(),
            float_classes=frozenset(runtime.float_classes), float_precision=runtime.float_as or "fp32",
            half_efficiency_macs=runtime.half_efficiency_macs or 0.0,
        )

    def precision_of(self, precision: str, kind: str) -> str:
        """The precision a layer of class `kind` computes in when the model runs at `precision`."""
        return layer_precision(precision, kind, self.float_classes, self.float_precision)

    def threads_share(self) -> float:
        return threads_share(self.unit, self.cores, self.threads, self.parallel_efficiency)

    def tf32_for(self, precision: str, kind: str) -> bool:
        """Whether a layer of class `kind` at `precision` runs at the tf32 rate (an fp32 layer of a TF32 class)."""
        return precision == "fp32" and self.tf32_macs_per_s > 0 and op_kind(kind) in self.tf32_classes

    def peak_for(self, precision: str, kind: str) -> float:
        """MAC/s a layer of class `kind` runs against at `precision`, before efficiencies and threads."""
        peak = self.tf32_macs_per_s if self.tf32_for(precision, kind) else self.peak_macs_per_s.get(precision)
        if not peak:
            raise ValueError(f"runtime {self.runtime!r} has no rate for precision {precision!r}")
        return peak

    def mac_rate(self, precision: str, kind: str, ceiling: float = 0.0) -> float:
        """MAC/s of a layer of class `kind`; `ceiling` (> 0): its efficiency at most that share of peak."""
        efficiency = self.efficiency.get(kind, self.efficiency["conv"])
        efficiency = min(efficiency, ceiling) if ceiling > 0 else efficiency
        return self.peak_for(precision, kind) * efficiency * self.threads_share()

    @property
    def effective_bandwidth(self) -> float:
        return self.bandwidth_bytes_per_s * self.efficiency["bandwidth"]

    @property
    def on_chip_rate(self) -> float:
        return self.bandwidth_bytes_per_s * self.on_chip_bandwidth


def on_chip_share(unit: str, cores: int, threads: int | None) -> float:
    """The share of the on-chip memory `threads` threads use: a CPU's caches below the last level are each
    core's own (archsel.machine.cpu_caches counts every core's L2), so min(threads, cores) / cores of them;
    all of it elsewhere (an NPU's VTCM)."""
    if unit != "cpu" or cores <= 1 or not threads:
        return 1.0
    return used_threads(unit, cores, threads) / cores


def spill_share(layer: Layer, scale: float, on_chip_bytes: float) -> float:
    """The share of a layer's traffic beyond the on-chip capacity: (working set − capacity) / working set,
    the working set being its input, weights and output at the precision (`scale` × float32 bytes) — for a
    recurrent layer, the weights one cell re-reads at every step (streamed / steps: a stacked or
    bidirectional LSTM runs each layer and direction over the whole sequence with its own weights); 0
    where it fits or no capacity is modelled."""
    working_set = (layer.streamed / layer.steps if layer.streamed and layer.steps else layer.bytes) * scale
    if on_chip_bytes <= 0 or working_set <= on_chip_bytes:
        return 0.0
    return (working_set - on_chip_bytes) / working_set


def layer_precision(precision: str, kind: str, float_classes: frozenset[str], float_precision: str) -> str:
    """The precision a layer of class `kind` computes in: a quantized (integer) model's layers of the
    runtime's `float_classes` stay in float (`float_precision`, e.g. TFLite's CONV_3D, whose kernel takes
    float32 only); any other layer at the model's `precision`."""
    if kind in float_classes and precisions.get(precision).name.startswith("int"):
        return float_precision
    return precision


def layer_times(layer: Layer, rates: EngineRates, precision: str) -> tuple[float, float, float, float]:
    """(compute, memory, fused traffic, fixed) seconds of one layer."""
    kind = runtime_class(layer, rates.grouped_conv_class)
    precision = rates.precision_of(precision, kind)
    scale = precisions.get(precision).bytes_scale
    ceiling = rates.linear_rows_chain if row_chained(layer, rates.linear_rows_chain) else 0.0
    compute = layer.work / rates.mac_rate(precision, kind, ceiling) if layer.work else 0.0
    compute *= small_layer_factor(kind, layer.work, used_threads(rates.unit, rates.cores, rates.threads),
                                  rates.half_efficiency_macs)
    moved = (layer.bytes + layer.streamed + reread_bytes(layer, rates.matmul_row_tile)) * scale
    fused_bytes = layer.fused_bytes * scale
    if rates.on_chip_bytes > 0:
        capacity = rates.on_chip_bytes * on_chip_share(rates.unit, rates.cores, rates.threads)
        spill = spill_share(layer, scale, capacity)
        memory = moved * ((1 - spill) / rates.on_chip_rate + spill / rates.effective_bandwidth)
        fused = rates.fused_traffic * fused_bytes / rates.on_chip_rate
    else:
        memory = moved / rates.effective_bandwidth
        fused = rates.fused_traffic * fused_bytes / rates.effective_bandwidth
    return compute, memory, fused, rates.layer_s * max(layer.steps, 1)


def estimate_engine(ops: Sequence[OpLike], rates: EngineRates, precision: str = "fp32", batch: int = 1) -> Estimate:
    """Estimate one forward pass of the traced `ops` (of `batch` samples) under the runtime `rates`."""
    if rates.effective_bandwidth <= 0 or (rates.on_chip_bytes > 0 and rates.on_chip_rate <= 0):
        raise ValueError("memory bandwidth must be positive")
    shares: dict[str, ClassShare] = {}
    for layer in compile_layers(ops, batch, rates.fusion):
        compute, memory, fused, fixed = layer_times(layer, rates, precision)
        kind = runtime_class(layer, rates.grouped_conv_class)
        s = shares.setdefault(kind, ClassShare(kind, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0))
        s.ops += layer.ops
        s.macs += layer.macs
        s.bytes += int((layer.bytes + layer.streamed + reread_bytes(layer, rates.matmul_row_tile))
                       * precisions.get(rates.precision_of(precision, kind)).bytes_scale)
        s.compute_s += compute
        s.memory_s += memory + fused
        s.overhead_s += fixed
        s.total_s += fixed + max(compute, memory) + fused
        if compute >= memory and layer.work:
            s.compute_bound_ops += 1
            s.compute_bound_s += compute
        else:
            s.memory_bound_ops += 1
            s.memory_bound_s += memory
    call = ClassShare("call", 0, 0, 0, 0.0, 0.0, rates.call_s, rates.call_s, 0, 0)
    by_class = sorted([*shares.values(), call], key=lambda c: (-c.total_s, c.kind))
    return Estimate(precision, sum(c.total_s for c in by_class), sum(c.overhead_s for c in by_class), by_class)

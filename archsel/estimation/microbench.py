"""Micro-benchmarks of the device archsel runs on: GEMM and conv rates per precision, depthwise conv, an
LSTM, memory bandwidth, the fixed cost of a tiny op of each op class, and the per-call and per-step costs
of tiny LSTM/GRU/RNN cells. Each is timed with archsel.profiling.timing (median per call)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from archsel.profiling.precision import torch_dtype


@dataclass
class MicroResults:
    """Measured rates in base units: MAC/s per precision and op class, byte/s, seconds per op."""

    device: str
    threads: int
    gemm_macs_per_s: dict[str, float] = field(default_factory=dict)  # precision -> MAC/s
    conv_macs_per_s: dict[str, float] = field(default_factory=dict)
    depthwise_macs_per_s: float = 0.0
    recurrent_macs_per_s: float = 0.0
    pooling_elements_per_s: float = 0.0  # input elements per second of a 2x2 max pool
    bandwidth_bytes_per_s: float = 0.0  # a copy larger than the caches (main memory)
    activation_bandwidth_bytes_per_s: float = 0.0  # a copy the size of a typical activation (4 MiB)
    overhead_s: float = 0.0
    op_overhead_s: dict[str, float] = field(default_factory=dict)  # op class (or "view") -> s per tiny op
    recurrent_call_s: dict[str, float] = field(default_factory=dict)  # cell -> s per call (1 step, tiny)
    recurrent_step_s: dict[str, float] = field(default_factory=dict)  # cell -> s per extra time step
    # GPUs: cell -> host s per step of a cell large enough for per-step kernel launches, and from which size
    recurrent_large_step_s: dict[str, float] = field(default_factory=dict)
    recurrent_large_from_bytes: float = 0.0
    # GPUs: cell -> byte/s of the per-step weight reads of a fused cell (from a mid-size and a tiny cell)
    recurrent_weight_bandwidth: dict[str, float] = field(default_factory=dict)
    kernel_s: float = 0.0  # GPUs: device time of a tiny kernel (CUDA graph replay, no host cost)
    fused_op_s: float = 0.0  # per op of a fused inference kernel (a tiny transformer layer's fast path)
    # CPUs on several threads: family -> [size, speedup over one thread] per kernel timed, and the profile's
    # `parallel` table made from them (threads; per family its points, smoothed: parallel_table)
    parallel_points: dict[str, list[list[float]]] = field(default_factory=dict)
    parallel: dict[str, Any] = field(default_factory=dict)
    # CPUs: [smaller output dimension, rate / the largest one's] of GEMMs of a few row counts, on one thread
    gemm_efficiency: list[list[float]] = field(default_factory=list)
    # each rate benchmark's kernel size on its thread-scaling curve (roofline.parallel_size units)
    rate_sizes: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, str] = field(default_factory=dict)  # what was run, for the profile's provenance

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> MicroResults:
        """The results to_dict wrote (a benchmark's JSON), with the thread-scaling table made again from its
        measured points (its keys do not survive JSON)."""
        res = cls(**doc)
        if res.parallel_points:
            res.parallel = parallel_table(res.parallel_points, res.threads)
        return res


TIMING_FLOOR_S = 0.5  # the least time budget of one timing
QUICK_TIMING_FLOOR_S = 0.1  # --quick: a coarse profile in seconds (a tiny op still runs thousands of times)


def _time(fn: Callable[[], Any], device: str, budget_s: float, floor_s: float = TIMING_FLOOR_S) -> float:
    """Median seconds per call of `fn` within max(budget_s, floor_s); on a machine so busy that its budget
    cannot hold the minimum samples, once more with 4x the budget, at least 4x TIMING_FLOOR_S
    (TimeBudgetExceeded if that fails too)."""
    import torch

    from archsel.profiling.timing import TimeBudgetExceeded, TimingConfig, measure_latency

    def median_s(budget: float) -> float:
        cfg = TimingConfig(time_budget_s=budget, min_time_s=min(0.2, budget / 4), warmup_s=min(0.2, budget / 4))
        return measure_latency(fn, config=cfg, device=device).p50_ms / 1e3

    with torch.inference_mode():
        fn()  # first call: lazy initialisation (oneDNN primitives, cuBLAS handles) is not timed
        budget_s = max(budget_s, floor_s)
        try:
            return median_s(budget_s)
        except TimeBudgetExceeded:
            return median_s(4 * max(budget_s, TIMING_FLOOR_S))  # a short --quick budget gets the full one


def run_microbenchmarks(device: str = "cpu", precisions: tuple[str, ...] = ("fp32",), *, quick: bool = False,
                        budget_s: float = 1.0, log: Callable[[str], None] = lambda _m: None) -> MicroResults:
    """Run every micro-benchmark on `device` (threads as currently set in torch)."""
    import torch
    from torch import nn

    dev = torch.device(device)
    res = MicroResults(device=device, threads=torch.get_num_threads())
    gpu = device.startswith("cuda")
    floor_s = QUICK_TIMING_FLOOR_S if quick else TIMING_FLOOR_S
    n = 384 if quick else (4096 if gpu else 1024)
    hw = 28 if quick else 56
    # A GPU needs enough work per kernel to show its sustained rate (a batch-1 layer is over before the
    # host has issued the next): batch 8 and more channels there; CPUs run the batch-1 layers.
    nb, ch, dw_ch = (8, 128, 256) if gpu and not quick else (1, 64, 128)
    for p in precisions:
        dt = torch_dtype(p)
        log(f"GEMM {n}x{n}x{n} {p}")
        a = torch.randn(n, n, device=dev, dtype=dt)
        b = torch.randn(n, n, device=dev, dtype=dt)
        res.gemm_macs_per_s[p] = n**3 / _time(functools.partial(torch.matmul, a, b), device, budget_s, floor_s)
        log(f"conv 3x3 {ch}->{ch} at {nb}x{hw}x{hw} {p}")
        conv = nn.Conv2d(ch, ch, 3, padding=1, bias=False).to(dev, dt).eval()
        x = torch.randn(nb, ch, hw, hw, device=dev, dtype=dt)
        conv_s = _time(functools.partial(conv, x), device, budget_s, floor_s)
        res.conv_macs_per_s[p] = nb * ch * ch * 9 * hw * hw / conv_s
    log(f"depthwise conv 3x3 x{dw_ch}")
    dw = nn.Conv2d(dw_ch, dw_ch, 3, padding=1, groups=dw_ch, bias=False).to(dev).eval()
    xd = torch.randn(nb, dw_ch, hw, hw, device=dev)
    res.depthwise_macs_per_s = nb * dw_ch * 9 * hw * hw / _time(lambda: dw(xd), device, budget_s, floor_s)
    log("max pool 2x2")
    xp = torch.randn(nb, 2 * ch if gpu else 64, hw, hw, device=dev)
    pool_s = _time(lambda: torch.nn.functional.max_pool2d(xp, 2), device, budget_s, floor_s)
    res.pooling_elements_per_s = xp.numel() / pool_s
    # GPUs: a fused (small) cell over a large batch shows the recurrent arithmetic rate, not per-step costs
    rh, rb = (128, 256) if gpu and not quick else (256, 1)
    log(f"LSTM {rh}x{rh}, batch {rb}, 32 steps")
    lstm = nn.LSTM(rh, rh, batch_first=True).to(dev).eval()
    xs = torch.randn(rb, 32, rh, device=dev)
    res.recurrent_macs_per_s = 4 * rh * (rh + rh) * 32 * rb / _time(lambda: lstm(xs), device, budget_s, floor_s)
    elems = (8 if quick else 16) * 2**20  # 2 x 32 / 64 MiB: beyond a typical L3
    log(f"memory bandwidth: copy of {elems * 4 / 2**20:.0f} MiB")
    src = torch.randn(elems, device=dev)
    dst = torch.zeros_like(src)  # touched once, so no page faults are timed
    res.bandwidth_bytes_per_s = 2 * elems * 4 / _time(lambda: dst.copy_(src), device, budget_s, floor_s)
    act = 2**20  # 4 MiB of fp32: a 64x128x128 activation, as large as most layers' outputs
    log("activation bandwidth: copy of 4 MiB")
    src_a = torch.randn(act, device=dev)
    dst_a = torch.zeros_like(src_a)
    copy_s = _time(lambda: dst_a.copy_(src_a), device, budget_s, floor_s)
    res.activation_bandwidth_bytes_per_s = 2 * act * 4 / copy_s
    log("per-op overhead: tiny conv, linear, layer norm, relu and add")
    tiny_conv = nn.Conv2d(4, 4, 3, padding=1).to(dev).eval()
    tiny_lin = nn.Linear(16, 16).to(dev).eval()
    tiny_norm = nn.LayerNorm(16).to(dev).eval()
    x4 = torch.randn(1, 4, 4, 4, device=dev)
    x16 = torch.randn(1, 16, device=dev)

    def tiny_ops() -> Any:
        torch.relu(tiny_norm(tiny_lin(x16)) + x16)
        return tiny_conv(x4)

    res.overhead_s = _time(tiny_ops, device, budget_s / 2, floor_s) / 5
    res.op_overhead_s = op_fixed_costs(device, budget_s / 4, log, floor_s)
    res.recurrent_call_s, res.recurrent_step_s = recurrent_fixed_costs(device, budget_s / 4, log, floor_s)
    res.fused_op_s = fused_kernel_op_cost(device, budget_s / 4, log, floor_s)
    res.rate_sizes = {"matmul": n * n, "conv": nb * ch * ch * 9 * hw * hw, "depthwise_conv": nb * dw_ch * 9 * hw * hw,
                      "recurrent": 4 * rh * 2 * rh * rb, "pooling": xp.numel() / 4, "activation": act}
    res.sizes = {"gemm": f"{n}x{n}x{n}", "conv": f"3x3 {ch}->{ch}, {nb}x{ch}x{hw}x{hw}",
                 "depthwise": f"3x3 x{dw_ch}, {nb}x{dw_ch}x{hw}x{hw}",
                 "pooling": f"max pool 2x2 on {'x'.join(map(str, xp.shape))}",
                 "recurrent": f"LSTM {rh}->{rh}, batch {rb}, 32 steps",
                 "bandwidth": f"copy_ of {elems * 4 / 2**20:.0f} MiB fp32 (read + write)",
                 "activation_bandwidth": "copy_ of 4 MiB fp32 (read + write)",
                 "overhead": "mean of 5 tiny ops: conv 4->4 on 4x4, linear 16->16, layer norm, add, relu",
                 "op_overhead": "per op class, the mean of tiny functional calls: " + TINY_OPS_NOTE,
                 "recurrent_fixed": _recurrent_note(device),
                 "fused": f"nn.TransformerEncoderLayer({FUSED_DIM}, 2 heads) on 1x{FUSED_LEN}x{FUSED_DIM}, "
                          "inference fast path: its time / the ops it runs"}
    if not gpu:
        res.gemm_efficiency = gemm_shape_efficiency(0.005 if quick else 0.02, log)
        res.sizes["gemm_efficiency"] = GEMM_SHAPE_NOTE
    if not gpu and res.threads > 1:
        res.parallel_points = thread_scaling_points(res.threads, 0.005 if quick else 0.02, log, quick=quick)
        res.parallel = parallel_table(res.parallel_points, res.threads)
        res.sizes["parallel"] = PARALLEL_NOTE
    if gpu:  # what only an asynchronous device needs: the kernel floor and cuDNN's two cell regimes
        res.kernel_s = kernel_floor_s(device, log)
        res.recurrent_large_step_s = large_cell_step_costs(device, budget_s / 4, log)
        res.recurrent_large_from_bytes = LARGE_CELL_FROM_BYTES
        res.recurrent_weight_bandwidth = fused_cell_weight_bandwidth(device, res.recurrent_step_s, budget_s / 4, log)
        res.sizes["kernel"] = f"CUDA graph of {GRAPH_OPS} adds on 16 elements, per add"
        res.sizes["recurrent_large"] = (f"LSTM/GRU/RNN {LARGE_HIDDEN}->{LARGE_HIDDEN}, batch 1, {LARGE_STEPS[0]} "
                                        f"and {LARGE_STEPS[1]} steps: per step = difference / "
                                        f"{LARGE_STEPS[1] - LARGE_STEPS[0]}")
    return res


def _recurrent_note(device: str) -> str:
    short, long = _rnn_lengths(device)
    return (f"LSTM/GRU/RNN {RNN_TINY_HIDDEN}->{RNN_TINY_HIDDEN}, batch 1, {short} and {long} steps: per step = "
            f"difference / {long - short}, per call = {RNN_SHORT}-step time - {RNN_SHORT} steps")


TINY_OPS_NOTE = ("conv 4->4 3x3 on 1x4x4x4; depthwise 3x3 x8 on 1x8x4x4; linear 16->16; attention 1x1x4x8; "
                 "layer and batch norm; add, relu, sigmoid, softmax; max and adaptive-average pool; cat and "
                 "a transposed copy; view and transpose (views)")
RNN_TINY_HIDDEN, RNN_SHORT, RNN_LONG = 8, 4, 64
# On a GPU a tiny cell's steps run on the device behind the host's per-call cost: its per-step time shows
# only once the device time exceeds the host's, so it is taken from two long sequences.
GPU_RNN_LENGTHS = (512, 2048)
# cuDNN (fp32, torch 2.11, H100) launches kernels from the host at every step once the hidden-to-hidden
# weights pass 256 KiB (LSTM at hidden 256 (1 MiB), GRU at 256 (768 KiB), RNN at 512 (1 MiB); RNN at 256
# and LSTM at 128 stay fused): ~10-14 us per step on the host instead of ~0.3 us on the device (measured
# over hidden sizes 8-1024; docs/estimation.md). The switch is taken at 512 KiB.
LARGE_CELL_FROM_BYTES = 512.0 * 1024
LARGE_HIDDEN, LARGE_STEPS = 512, (16, 128)
MID_HIDDEN = 128  # fused on the GPU (below the switch) yet large enough for its weight reads to show
GRAPH_OPS = 100


def _rnn_lengths(device: str) -> tuple[int, int]:
    return GPU_RNN_LENGTHS if device.startswith("cuda") else (RNN_SHORT, RNN_LONG)


def _tiny_cases(device: str) -> dict[str, list[Callable[[], Any]]]:
    """Op class -> tiny functional calls whose time is (almost) only the fixed cost of the op."""
    import torch
    import torch.nn.functional as F

    dev = torch.device(device)
    x4 = torch.randn(1, 4, 4, 4, device=dev)
    w4 = torch.randn(4, 4, 3, 3, device=dev)
    x8 = torch.randn(1, 8, 4, 4, device=dev)
    wd = torch.randn(8, 1, 3, 3, device=dev)
    v = torch.randn(1, 16, device=dev)
    w = torch.randn(16, 16, device=dev)
    b = torch.randn(16, device=dev)
    q = torch.randn(1, 1, 4, 8, device=dev)
    mean, var = torch.zeros(4, device=dev), torch.ones(4, device=dev)
    return {
        "conv": [lambda: F.conv2d(x4, w4, padding=1)],
        "depthwise_conv": [lambda: F.conv2d(x8, wd, padding=1, groups=8)],
        "matmul": [lambda: F.linear(v, w, b)],
        "attention": [lambda: F.scaled_dot_product_attention(q, q, q)],
        "norm": [lambda: F.layer_norm(v, (16,)), lambda: F.batch_norm(x4, mean, var, training=False)],
        "elementwise": [lambda: v + v, lambda: torch.relu(v), lambda: torch.sigmoid(v), lambda: v.softmax(-1)],
        "pooling": [lambda: F.max_pool2d(x4, 2), lambda: F.adaptive_avg_pool2d(x4, 1)],
        "data_movement": [lambda: torch.cat([v, v], 1), lambda: x4.transpose(2, 3).contiguous()],
        "view": [lambda: v.view(4, 4), lambda: x4.transpose(2, 3)],
    }


def op_fixed_costs(device: str, budget_s: float, log: Callable[[str], None],
                   floor_s: float = TIMING_FLOOR_S) -> dict[str, float]:
    """Seconds per tiny op of each class (the mean of its cases, each the fastest of three timings);
    "other" is the elementwise figure."""
    log("fixed cost per op class: tiny conv, depthwise, linear, attention, norms, elementwise, pooling, copies")
    out: dict[str, float] = {}
    for kind, fns in _tiny_cases(device).items():  # fastest of 3: a busy host only ever adds time
        out[kind] = sum(min(_time(fn, device, budget_s / 3, floor_s) for _ in range(3)) for fn in fns) / len(fns)
    out["other"] = out["elementwise"]
    out["recurrent"] = 0.0  # a recurrent call's fixed cost is measured by recurrent_fixed_costs
    return out


CELL_GATES: dict[str, int] = {"lstm": 4, "gru": 3, "rnn": 1}  # cell family -> gate matrices per step


def _cell_seconds(cell: str, hidden: int, lengths: set[int], device: str, budget_s: float,
                  floor_s: float = TIMING_FLOOR_S) -> dict[int, float]:
    """Median seconds of one call of a `hidden`->`hidden` cell (batch 1) at each sequence length."""
    import torch
    from torch import nn

    dev = torch.device(device)
    layer = getattr(nn, cell.upper())(hidden, hidden).to(dev).eval()
    return {n: _time(functools.partial(layer, torch.randn(n, 1, hidden, device=dev)), device, budget_s, floor_s)
            for n in lengths}


def recurrent_fixed_costs(device: str, budget_s: float, log: Callable[[str], None],
                          floor_s: float = TIMING_FLOOR_S) -> tuple[dict[str, float], dict[str, float]]:
    """(per call, per step) seconds of tiny LSTM, GRU and RNN cells, from a short and a long sequence."""
    n_short, n_long = _rnn_lengths(device)
    log(f"recurrent fixed costs: LSTM, GRU, RNN at {n_short} and {n_long} steps")
    call: dict[str, float] = {}
    step: dict[str, float] = {}
    for cell in CELL_GATES:
        t = _cell_seconds(cell, RNN_TINY_HIDDEN, {RNN_SHORT, n_short, n_long}, device, budget_s, floor_s)
        step[cell] = max(t[n_long] - t[n_short], 0.0) / (n_long - n_short)
        call[cell] = max(t[RNN_SHORT] - RNN_SHORT * step[cell], 0.0)
    return call, step


def fused_cell_weight_bandwidth(device: str, tiny_step_s: dict[str, float], budget_s: float,
                                log: Callable[[str], None]) -> dict[str, float]:
    """GPUs: byte/s at which a fused cell reads its weights at every step, from the extra time per step of
    a MID_HIDDEN cell over a tiny one (weights per step: 4 x gates x hidden x (input + hidden) bytes)."""
    n_short, n_long = GPU_RNN_LENGTHS
    log(f"fused recurrent cells: hidden {MID_HIDDEN} at {n_short} and {n_long} steps")
    out: dict[str, float] = {}
    for cell, gates in CELL_GATES.items():
        t = _cell_seconds(cell, MID_HIDDEN, {n_short, n_long}, device, budget_s)
        extra = (t[n_long] - t[n_short]) / (n_long - n_short) - tiny_step_s.get(cell, 0.0)
        if extra > 0:
            out[cell] = 4 * gates * MID_HIDDEN * 2 * MID_HIDDEN / extra
    return out


def large_cell_step_costs(device: str, budget_s: float, log: Callable[[str], None]) -> dict[str, float]:
    """Seconds per step of LSTM, GRU and RNN cells above LARGE_CELL_FROM_BYTES (host-launched steps)."""
    n_short, n_long = LARGE_STEPS
    log(f"large recurrent cells: hidden {LARGE_HIDDEN} at {n_short} and {n_long} steps")
    out: dict[str, float] = {}
    for cell in CELL_GATES:
        t = _cell_seconds(cell, LARGE_HIDDEN, {n_short, n_long}, device, budget_s)
        out[cell] = max(t[n_long] - t[n_short], 0.0) / (n_long - n_short)
    return out


FUSED_DIM, FUSED_LEN = 16, 4


def fused_kernel_op_cost(device: str, budget_s: float, log: Callable[[str], None],
                         floor_s: float = TIMING_FLOOR_S) -> float:
    """Seconds per op of a fused inference kernel: a tiny nn.TransformerEncoderLayer on its fast path
    (PyTorch dispatches the layer's kernels from C++ in one call; fastest of three timings) divided by the
    ops of its traced slow path (those the estimator charges; views excluded). 0 where it does not fuse."""
    import torch
    from torch import nn

    from archsel.estimation.roofline import launches
    from archsel.profiling.trace import run_trace

    log("fused transformer layer (inference fast path)")
    layer = nn.TransformerEncoderLayer(FUSED_DIM, 2, 2 * FUSED_DIM, batch_first=True).eval()
    trace, _ = run_trace(layer.to("meta"), (torch.empty(1, FUSED_LEN, FUSED_DIM, device="meta"),))
    ops = [op for op in trace.ops if op.fused and launches(op)]
    if not ops:
        return 0.0
    layer = nn.TransformerEncoderLayer(FUSED_DIM, 2, 2 * FUSED_DIM, batch_first=True).to(device).eval()
    x = torch.randn(1, FUSED_LEN, FUSED_DIM, device=device)
    return min(_time(functools.partial(layer, x), device, budget_s / 3, floor_s) for _ in range(3)) / len(ops)


def kernel_floor_s(device: str, log: Callable[[str], None]) -> float:
    """Device seconds of a tiny kernel: a CUDA graph of GRAPH_OPS adds replayed (no host cost), per add."""
    import torch

    log(f"kernel floor: CUDA graph of {GRAPH_OPS} tiny adds")
    x = torch.randn(16, device=device)
    try:
        return _graph_time(x, device) / GRAPH_OPS
    except RuntimeError as exc:  # graph capture unsupported (an old driver, a virtualised GPU)
        log(f"kernel floor not measured (CUDA graph capture failed: {str(exc)[:80]}); using 0")
        return 0.0


def _graph_time(x: Any, device: str) -> float:
    import torch

    with torch.inference_mode():
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):  # warm-up off the default stream, as graph capture requires
            for _ in range(3):
                x.add(1.0)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for _ in range(GRAPH_OPS):
                x.add(1.0)
        return _time(graph.replay, device, TIMING_FLOOR_S)


# Kernels timed on 1 and on T threads for the thread-scaling curves (sizes in roofline.parallel_size's
# units): 3x3 convs (channels, side), depthwise 3x3 convs (channels, side), linear 512->512 on M rows,
# adds of n elements, and LSTM/GRU/RNN cells (hidden, batch) over 32 steps.
PARALLEL_CONV = ((16, 8), (32, 16), (64, 28), (64, 56))
PARALLEL_DEPTHWISE = ((32, 16), (64, 28), (64, 56), (128, 56))
PARALLEL_GEMM_ROWS = (1, 8, 32, 128)
PARALLEL_ELEMENTS = (8192, 32768, 65536, 262144, 1048576)
PARALLEL_CELLS = ((64, 1), (128, 1), (64, 8), (256, 1), (128, 8), (512, 1), (256, 8))
PARALLEL_STEPS = 32
PARALLEL_NOTE = ("1 vs T threads, fastest of 5 interleaved loops each: 3x3 conv c->c on 1xcxhxh for (c, h) in "
                 f"{PARALLEL_CONV}; depthwise 3x3 for {PARALLEL_DEPTHWISE}; linear 512->512 on "
                 f"{PARALLEL_GEMM_ROWS} rows; add of {PARALLEL_ELEMENTS} elements; LSTM/GRU/RNN (hidden, batch) "
                 f"{PARALLEL_CELLS} over {PARALLEL_STEPS} steps")


# GEMMs of a few row counts (a linear layer 512 -> 2048 on M rows) timed on one thread for the profile's
# gemm_efficiency; below 16 rows a GEMM is a matrix-vector product, bound by its weight reads.
GEMM_SHAPE_ROWS = (16, 64, 256, 1024)
GEMM_SHAPE_NOTE = (f"nn.Linear(512, 2048) on {GEMM_SHAPE_ROWS} rows, 1 thread, fastest of 5 loops each: MAC/s "
                   f"relative to the {GEMM_SHAPE_ROWS[-1]}-row GEMM's")


def _calls_per_loop(fn: Callable[[], Any], repeat_s: float) -> int:
    """How many calls of `fn` take about `repeat_s` (after a warm-up call)."""
    import time

    fn()
    start = time.perf_counter()
    fn()
    return max(1, int(repeat_s / max(time.perf_counter() - start, 1e-7)))


def _loop_s(fn: Callable[[], Any], calls: int) -> float:
    """Seconds per call of `fn` over one loop of `calls` calls."""
    import time

    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def _fastest_s(fn: Callable[[], Any], repeat_s: float, repeats: int = 5) -> float:
    """Seconds per call of `fn`: the fastest of `repeats` loops of about `repeat_s` each."""
    calls = _calls_per_loop(fn, repeat_s)
    return min(_loop_s(fn, calls) for _ in range(repeats))


def gemm_shape_efficiency(repeat_s: float, log: Callable[[str], None]) -> list[list[float]]:
    """[rows, MAC/s relative to the largest row count's] of GEMM_SHAPE_ROWS on one thread (capped at 1;
    torch's thread count is restored)."""
    import torch

    log(f"GEMM rate by rows: linear 512->2048 on {', '.join(map(str, GEMM_SHAPE_ROWS))} rows, 1 thread")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        lin = torch.nn.Linear(512, 2048).eval()
        with torch.inference_mode():
            rates = [m / _fastest_s(functools.partial(lin, torch.randn(m, 512)), repeat_s) for m in GEMM_SHAPE_ROWS]
    finally:
        torch.set_num_threads(before)
    return [[float(m), round(min(r / rates[-1], 1.0), 3)] for m, r in zip(GEMM_SHAPE_ROWS, rates, strict=True)]


def _parallel_cases(quick: bool) -> dict[str, list[tuple[float, Callable[[], Any]]]]:
    """Family -> (size, call) for the thread-scaling benchmark (CPU tensors)."""
    import torch
    from torch import nn

    cases: dict[str, list[tuple[float, Callable[[], Any]]]] = {f: [] for f in
                                                                ("conv", "depthwise_conv", "matmul", "memory")}
    for c, h in PARALLEL_CONV[:3] if quick else PARALLEL_CONV:
        conv = nn.Conv2d(c, c, 3, padding=1, bias=False).eval()
        cases["conv"].append((c * c * 9 * h * h, functools.partial(conv, torch.randn(1, c, h, h))))
    for c, h in PARALLEL_DEPTHWISE[:3] if quick else PARALLEL_DEPTHWISE:
        dw = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False).eval()
        cases["depthwise_conv"].append((c * 9 * h * h, functools.partial(dw, torch.randn(1, c, h, h))))
    lin = nn.Linear(512, 512).eval()
    for m in PARALLEL_GEMM_ROWS:
        cases["matmul"].append((m * 512, functools.partial(lin, torch.randn(m, 512))))
    for n in PARALLEL_ELEMENTS:
        cases["memory"].append((n, functools.partial(torch.add, torch.randn(n), torch.randn(n))))
    for cell, gates in CELL_GATES.items():
        cases[cell] = []
        for hidden, batch in PARALLEL_CELLS[:4] if quick else PARALLEL_CELLS:
            layer = getattr(nn, cell.upper())(hidden, hidden).eval()
            x = torch.randn(PARALLEL_STEPS, batch, hidden)
            cases[cell].append((gates * hidden * 2 * hidden * batch, functools.partial(layer, x)))
    return cases


def _speedup(fn: Callable[[], Any], threads: int, repeat_s: float, repeats: int = 5) -> float:
    """Seconds per call of `fn` on 1 thread / on `threads`: the fastest of `repeats` timed loops each, the
    two thread counts interleaved (a shared machine's drift hits both alike)."""
    import torch

    with torch.inference_mode():
        torch.set_num_threads(1)
        calls = _calls_per_loop(fn, repeat_s)
        best = {1: float("inf"), threads: float("inf")}
        for _ in range(repeats):
            for n in best:
                torch.set_num_threads(n)
                best[n] = min(best[n], _loop_s(fn, calls))
    return best[1] / best[threads]


def thread_scaling_points(threads: int, repeat_s: float, log: Callable[[str], None], *,
                          quick: bool = False) -> dict[str, list[list[float]]]:
    """Family -> [size, speedup] of each PARALLEL_* kernel (its time on 1 thread / on `threads`; torch's
    thread count is restored)."""
    import torch

    log(f"thread scaling: convs, depthwise convs, GEMMs, adds and cells on 1 and {threads} threads")
    before = torch.get_num_threads()
    out: dict[str, list[list[float]]] = {}
    try:
        for family, cases in _parallel_cases(quick).items():
            out[family] = [[float(size), _speedup(fn, threads, repeat_s)] for size, fn in cases]
    finally:
        torch.set_num_threads(before)
    return out


def remeasure_thread_scaling(res: MicroResults, log: Callable[[str], None], *, quick: bool = False) -> None:
    """Time the thread-scaling kernels again (minutes after the first pass: after the reference models) and
    keep each point's larger speedup. On a shared machine another tenant can hold the second core for
    minutes, which makes every kernel look as if it did not scale; one undisturbed pass is enough."""
    if not res.parallel_points:
        return
    again = thread_scaling_points(res.threads, 0.005 if quick else 0.02, log, quick=quick)
    for family, pts in again.items():
        first = dict((w, s) for w, s in res.parallel_points.get(family, []))
        res.parallel_points[family] = [[w, max(s, first.get(w, s))] for w, s in pts]
    res.parallel = parallel_table(res.parallel_points, res.threads)


def parallel_table(points: dict[str, list[list[float]]], threads: int) -> dict[str, Any]:
    """The profile's `parallel` table from measured (size, speedup) points per family: sorted by size,
    made non-decreasing (pool-adjacent-violators: a larger kernel never splits worse than a smaller one, so
    a dip is timing noise) and capped at `threads`."""
    out: dict[str, Any] = {"threads": threads}
    for family, pts in points.items():
        blocks: list[list[float]] = []  # [sum of speedups, count] of pooled runs
        for _w, s in sorted(pts):
            blocks.append([s, 1.0])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
                total, count = blocks.pop()
                blocks[-1][0] += total
                blocks[-1][1] += count
        speedups = [b[0] / b[1] for b in blocks for _ in range(int(b[1]))]
        out[family] = [[float(int(w)), round(min(max(s, 0.5), float(threads)), 3)]
                       for (w, _s), s in zip(sorted(pts), speedups, strict=True)]
    return out

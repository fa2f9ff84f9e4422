"""Micro-benchmarks of the device archsel runs on: GEMM and conv rates per precision, depthwise conv, an
LSTM, memory bandwidth, the fixed cost of a tiny op of each op class, and the per-call and per-step costs
of tiny LSTM/GRU/RNN cells. Each is timed with archsel.profiling.timing (median per call)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

TORCH_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


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
    sizes: dict[str, str] = field(default_factory=dict)  # what was run, for the profile's provenance

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _time(fn: Callable[[], Any], device: str, budget_s: float) -> float:
    """Median seconds per call of `fn`."""
    import torch

    from archsel.profiling.timing import TimingConfig, measure_latency

    with torch.inference_mode():
        fn()  # first call: lazy initialisation (oneDNN primitives, cuBLAS handles) is not timed
        budget_s = max(budget_s, 0.5)
        cfg = TimingConfig(time_budget_s=budget_s, min_time_s=min(0.2, budget_s / 4),
                           warmup_s=min(0.2, budget_s / 4))
        return measure_latency(fn, config=cfg, device=device).p50_ms / 1e3


def run_microbenchmarks(device: str = "cpu", precisions: tuple[str, ...] = ("fp32",), *, quick: bool = False,
                        budget_s: float = 1.0, log: Callable[[str], None] = lambda _m: None) -> MicroResults:
    """Run every micro-benchmark on `device` (threads as currently set in torch)."""
    import torch
    from torch import nn

    dev = torch.device(device)
    res = MicroResults(device=device, threads=torch.get_num_threads())
    n = 384 if quick else (4096 if device.startswith("cuda") else 1024)
    hw = 28 if quick else 56
    for p in precisions:
        dt = getattr(torch, TORCH_DTYPES[p])
        log(f"GEMM {n}x{n}x{n} {p}")
        a = torch.randn(n, n, device=dev, dtype=dt)
        b = torch.randn(n, n, device=dev, dtype=dt)
        res.gemm_macs_per_s[p] = n**3 / _time(functools.partial(torch.matmul, a, b), device, budget_s)
        log(f"conv 3x3 64->64 at {hw}x{hw} {p}")
        conv = nn.Conv2d(64, 64, 3, padding=1, bias=False).to(dev, dt).eval()
        x = torch.randn(1, 64, hw, hw, device=dev, dtype=dt)
        res.conv_macs_per_s[p] = 64 * 64 * 9 * hw * hw / _time(functools.partial(conv, x), device, budget_s)
    log("depthwise conv 3x3 x128")
    dw = nn.Conv2d(128, 128, 3, padding=1, groups=128, bias=False).to(dev).eval()
    xd = torch.randn(1, 128, hw, hw, device=dev)
    res.depthwise_macs_per_s = 128 * 9 * hw * hw / _time(lambda: dw(xd), device, budget_s)
    log("max pool 2x2 x64")
    xp = torch.randn(1, 64, hw, hw, device=dev)
    res.pooling_elements_per_s = xp.numel() / _time(lambda: torch.nn.functional.max_pool2d(xp, 2), device, budget_s)
    log("LSTM 256x256, 32 steps")
    lstm = nn.LSTM(256, 256, batch_first=True).to(dev).eval()
    xs = torch.randn(1, 32, 256, device=dev)
    res.recurrent_macs_per_s = 4 * 256 * (256 + 256) * 32 / _time(lambda: lstm(xs), device, budget_s)
    elems = (8 if quick else 16) * 2**20  # 2 x 32 / 64 MiB: beyond a typical L3
    log(f"memory bandwidth: copy of {elems * 4 / 2**20:.0f} MiB")
    src = torch.randn(elems, device=dev)
    dst = torch.zeros_like(src)  # touched once, so no page faults are timed
    res.bandwidth_bytes_per_s = 2 * elems * 4 / _time(lambda: dst.copy_(src), device, budget_s)
    act = 2**20  # 4 MiB of fp32: a 64x128x128 activation, as large as most layers' outputs
    log("activation bandwidth: copy of 4 MiB")
    src_a = torch.randn(act, device=dev)
    dst_a = torch.zeros_like(src_a)
    res.activation_bandwidth_bytes_per_s = 2 * act * 4 / _time(lambda: dst_a.copy_(src_a), device, budget_s)
    log("per-op overhead: tiny conv, linear, layer norm, relu and add")
    tiny_conv = nn.Conv2d(4, 4, 3, padding=1).to(dev).eval()
    tiny_lin = nn.Linear(16, 16).to(dev).eval()
    tiny_norm = nn.LayerNorm(16).to(dev).eval()
    x4 = torch.randn(1, 4, 4, 4, device=dev)
    x16 = torch.randn(1, 16, device=dev)

    def tiny_ops() -> Any:
        torch.relu(tiny_norm(tiny_lin(x16)) + x16)
        return tiny_conv(x4)

    res.overhead_s = _time(tiny_ops, device, budget_s / 2) / 5
    res.op_overhead_s = op_fixed_costs(device, budget_s / 4, log)
    res.recurrent_call_s, res.recurrent_step_s = recurrent_fixed_costs(device, budget_s / 4, log)
    res.sizes = {"gemm": f"{n}x{n}x{n}", "conv": f"3x3 64->64, 1x64x{hw}x{hw}",
                 "depthwise": f"3x3 x128, 1x128x{hw}x{hw}", "pooling": f"max pool 2x2 on 1x64x{hw}x{hw}",
                 "recurrent": "LSTM 256->256, batch 1, 32 steps",
                 "bandwidth": f"copy_ of {elems * 4 / 2**20:.0f} MiB fp32 (read + write)",
                 "activation_bandwidth": "copy_ of 4 MiB fp32 (read + write)",
                 "overhead": "mean of 5 tiny ops: conv 4->4 on 4x4, linear 16->16, layer norm, add, relu",
                 "op_overhead": "per op class, the mean of tiny functional calls: " + TINY_OPS_NOTE,
                 "recurrent_fixed": f"LSTM/GRU/RNN {RNN_TINY_HIDDEN}->{RNN_TINY_HIDDEN}, batch 1, "
                                    f"{RNN_SHORT} and {RNN_LONG} steps: per step = difference / "
                                    f"{RNN_LONG - RNN_SHORT}, per call = {RNN_SHORT}-step time - {RNN_SHORT} steps"}
    return res


TINY_OPS_NOTE = ("conv 4->4 3x3 on 1x4x4x4; depthwise 3x3 x8 on 1x8x4x4; linear 16->16; attention 1x1x4x8; "
                 "layer and batch norm; add, relu, sigmoid, softmax; max and adaptive-average pool; cat and "
                 "a transposed copy; view and transpose (views)")
RNN_TINY_HIDDEN, RNN_SHORT, RNN_LONG = 8, 4, 64


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


def op_fixed_costs(device: str, budget_s: float, log: Callable[[str], None]) -> dict[str, float]:
    """Seconds per tiny op of each class (the mean of its cases); "other" is the elementwise figure."""
    log("fixed cost per op class: tiny conv, depthwise, linear, attention, norms, elementwise, pooling, copies")
    out: dict[str, float] = {}
    for kind, fns in _tiny_cases(device).items():
        out[kind] = sum(_time(fn, device, budget_s) for fn in fns) / len(fns)
    out["other"] = out["elementwise"]
    out["recurrent"] = 0.0  # a recurrent call's fixed cost is measured by recurrent_fixed_costs
    return out


def recurrent_fixed_costs(device: str, budget_s: float,
                          log: Callable[[str], None]) -> tuple[dict[str, float], dict[str, float]]:
    """(per call, per step) seconds of tiny LSTM, GRU and RNN cells, from a short and a long sequence."""
    import torch
    from torch import nn

    log(f"recurrent fixed costs: LSTM, GRU, RNN at {RNN_SHORT} and {RNN_LONG} steps")
    dev = torch.device(device)
    call: dict[str, float] = {}
    step: dict[str, float] = {}
    h = RNN_TINY_HIDDEN
    for cell, cls in (("lstm", nn.LSTM), ("gru", nn.GRU), ("rnn", nn.RNN)):
        layer = cls(h, h).to(dev).eval()
        short = torch.randn(RNN_SHORT, 1, h, device=dev)
        long = torch.randn(RNN_LONG, 1, h, device=dev)
        t_short = _time(functools.partial(layer, short), device, budget_s)
        t_long = _time(functools.partial(layer, long), device, budget_s)
        step[cell] = max(t_long - t_short, 0.0) / (RNN_LONG - RNN_SHORT)
        call[cell] = max(t_short - RNN_SHORT * step[cell], 0.0)
    return call, step

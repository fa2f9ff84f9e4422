"""The per-op estimator on synthetic devices where the answer is known exactly."""

from __future__ import annotations

import pytest
from fakes import Op

from archsel.estimation.roofline import DeviceRates, estimate_ops

OPS = [Op("conv", 2_000_000_000, 4_000_000, 1_000_000), Op("elementwise", 0, 8_000_000, 8_000_000),
       Op("matmul", 1_000_000_000, 2_000_000, 2_000_000)]
UNIT = {k: 1.0 for k in ("conv", "matmul", "elementwise")}


def test_compute_bound_device_time_is_macs_over_rate() -> None:
    # 1 TMAC/s, effectively infinite bandwidth, no overhead: time = total MACs / rate.
    rates = DeviceRates({"fp32": 1e12}, 1e18, UNIT, 1.0, 0.0)
    est = estimate_ops(OPS, rates)
    assert est.total_s == pytest.approx(3e9 / 1e12, rel=1e-6)
    conv = next(c for c in est.by_class if c.kind == "conv")
    assert conv.compute_bound_ops == 1 and conv.memory_bound_ops == 0


def test_memory_bound_device_time_is_bytes_over_bandwidth() -> None:
    rates = DeviceRates({"fp32": 1e20}, 1e9, UNIT, 1.0, 0.0)
    est = estimate_ops(OPS, rates)
    assert est.total_s == pytest.approx(25e6 / 1e9, rel=1e-6)
    # half-precision halves bytes moved
    assert estimate_ops(OPS, DeviceRates({"fp16": 1e20}, 1e9, UNIT, 1.0, 0.0), "fp16").total_s == pytest.approx(
        12.5e6 / 1e9, rel=1e-6)


def test_overhead_dominates_tiny_ops() -> None:
    rates = DeviceRates({"fp32": 1e15}, 1e12, UNIT, 1.0, 20e-6)
    tiny = [Op("elementwise", 0, 100, 100)] * 100
    est = estimate_ops(tiny, rates)
    assert est.overhead_share > 0.99
    assert est.total_s == pytest.approx(100 * 20e-6, rel=1e-3)


def test_missing_precision_is_an_error() -> None:
    with pytest.raises(ValueError, match="int8"):
        estimate_ops(OPS, DeviceRates({"fp32": 1e12}, 1e9), "int8")


def test_small_kernels_run_at_one_threads_speed_on_a_multithreaded_profile() -> None:
    """Profile `parallel`: rates scale perfectly with threads; each op pays threads / its family's speedup
    at its size (convs by MACs, memory-bound ops by elements written, recurrent ops by MACs per step),
    interpolated in log size between the measured points and held beyond them."""
    from archsel.estimation.roofline import ParallelCurve

    curve = ParallelCurve(threads=2, points=((1e4, 1.0), (1e6, 1.6)))
    assert curve.slowdown(1e3) == pytest.approx(2.0)  # below the first point: its speedup (one thread's)
    assert curve.slowdown(1e5) == pytest.approx(2 / 1.3)  # halfway in log size
    assert curve.slowdown(1e8) == pytest.approx(2 / 1.6)
    flat = DeviceRates({"fp32": 1e12}, 1e18, UNIT, 1.0, 0.0)
    rates = DeviceRates({"fp32": 1e12}, 1e18, UNIT, 1.0, 0.0, parallel={"conv": curve, "memory": curve})
    big_conv = Op("conv", 10**9, 10**3, 10**3)  # a conv's size is its MACs: 1e9, fully parallel
    assert estimate_ops([big_conv], rates).total_s == pytest.approx(1e-3 * 2 / 1.6)
    tiny_conv = Op("conv", 5000, 10**3, 10**3)
    assert estimate_ops([tiny_conv], rates).total_s == pytest.approx(estimate_ops([tiny_conv], flat).total_s * 2)
    # whatever it writes
    assert estimate_ops([Op("conv", 10**9, 10**3, 4 * 10**7)], rates).total_s == pytest.approx(1e-3 * 2 / 1.6)
    # a memory-bound op by the elements it writes; a family without a curve (matmul) is not slowed
    mem = DeviceRates({"fp32": 1e20}, 1e9, UNIT, 1.0, 0.0, parallel={"memory": curve})
    add_small, add_big = Op("elementwise", 0, 8000, 4000), Op("elementwise", 0, 8 * 10**7, 4 * 10**7)
    assert estimate_ops([add_small], mem).total_s == pytest.approx(12000 / 1e9 * 2)
    assert estimate_ops([add_big], mem).total_s == pytest.approx(1.2e8 / 1e9 * 2 / 1.6)
    mm = Op("matmul", 10**6, 10, 10)
    assert estimate_ops([mm], rates).total_s == pytest.approx(estimate_ops([mm], flat).total_s)


def test_a_recurrent_op_is_sized_by_its_macs_per_step() -> None:
    from dataclasses import dataclass as dc

    from archsel.estimation.roofline import ParallelCurve, parallel_size

    @dc
    class Cell:
        kind: str
        macs: int
        bytes_read: int
        bytes_written: int
        op: str
        steps: int

    gru = Cell("recurrent", 64 * 10**5, 10, 10, "aten.gru.input", 64)
    assert parallel_size(gru) == 10**5
    curve = ParallelCurve(2, ((1e6, 1.0), (1e7, 1.2)))
    rates = DeviceRates({"fp32": 1e12}, 1e18, {"recurrent": 1.0}, 1.0, 0.0, parallel={"gru": curve})
    flat = DeviceRates({"fp32": 1e12}, 1e18, {"recurrent": 1.0}, 1.0, 0.0)
    assert estimate_ops([gru], rates).total_s == pytest.approx(2 * estimate_ops([gru], flat).total_s)
    lstm = Cell("recurrent", 64 * 10**5, 10, 10, "aten.lstm.input", 64)  # no lstm curve: not slowed
    assert estimate_ops([lstm], rates).total_s == pytest.approx(estimate_ops([lstm], flat).total_s)


def test_gemms_with_few_rows_run_below_the_gemm_rate() -> None:
    """Profile `gemm_efficiency`: a GEMM's time is divided by the efficiency at its smaller output dimension
    (log interpolation; below the first point the first factor), other ops and GEMMs without a recorded
    shape unchanged."""
    from dataclasses import dataclass as dc

    @dc
    class Gemm:
        kind: str
        macs: int
        bytes_read: int
        bytes_written: int
        gemm_min_dim: int

    table = ((16.0, 0.5), (256.0, 1.0))
    rates = DeviceRates({"fp32": 1e12}, 1e18, {"matmul": 1.0}, 1.0, 0.0, gemm_efficiency=table)
    flat = DeviceRates({"fp32": 1e12}, 1e18, {"matmul": 1.0}, 1.0, 0.0)
    for dim, eff in ((1, 0.5), (16, 0.5), (64, 0.75), (256, 1.0), (4096, 1.0)):
        op = Gemm("matmul", 10**9, 10, 10, dim)
        assert estimate_ops([op], rates).total_s == pytest.approx(1e-3 / eff), dim
    unknown = Gemm("matmul", 10**9, 10, 10, 0)
    assert estimate_ops([unknown], rates).total_s == pytest.approx(estimate_ops([unknown], flat).total_s)

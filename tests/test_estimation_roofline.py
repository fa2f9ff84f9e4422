"""The per-op estimator on synthetic devices where the answer is known exactly."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from archsel.estimation.roofline import DeviceRates, estimate_ops


@dataclass
class Op:
    kind: str
    macs: int
    bytes_read: int
    bytes_written: int


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

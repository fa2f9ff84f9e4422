"""The calibration fit on synthetic devices where the answer is known exactly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from archsel.estimation.fit import Sample, fit, nnls, predict
from archsel.estimation.roofline import DeviceRates, estimate_ops


@dataclass
class Op:
    kind: str
    macs: int
    bytes_read: int
    bytes_written: int
    op: str = "aten.x"


def test_nnls_matches_the_unconstrained_solution_when_it_is_non_negative_and_clips_otherwise() -> None:
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert np.allclose(np.asarray(nnls(a, np.array([1.0, 2.0, 3.0]))), [1.0, 2.0])
    assert np.allclose(np.asarray(nnls(a, np.array([-1.0, 2.0, 1.0]))), [0.0, 1.5])


def _model(i: int) -> list[Op]:
    # models mixing compute-bound convs/matmuls, memory-bound elementwise ops and views, in varying amounts
    return ([Op("conv", 10**9 * (i + 1), 10**6, 10**6)] * (i + 1)
            + [Op("matmul", 5 * 10**8, 10**5, 10**5)] * (3 - i % 3)
            + [Op("depthwise_conv", 10**7 * (i + 2), 4 * 10**6, 4 * 10**6)] * (i % 2 + 1)
            + [Op("elementwise", 0, 8 * 10**6 * (i % 4 + 1), 4 * 10**6)] * (2 + i)
            + [Op("data_movement", 0, 0, 0)] * 5)


def test_fit_recovers_known_efficiencies_and_overhead() -> None:
    peak, bw = 1e12, 1e11
    truth = {"conv": 1 / 0.5, "depthwise_conv": 1 / 0.05, "matmul": 1 / 0.8, "attention": 1.0,
             "recurrent": 1 / 0.2, "bandwidth": 1 / 0.6, "overhead": 20e-6}
    samples = [Sample(f"m{i}", _model(i), predict(_model(i), peak, bw, truth)) for i in range(8)]
    prior = {k: v * 1.7 for k, v in truth.items()}  # a wrong start: the data must pull it back
    got = fit(samples, peak, bw, prior, ridge=1e-9)
    for k in ("conv", "depthwise_conv", "matmul", "bandwidth", "overhead"):
        assert got[k] == pytest.approx(truth[k], rel=1e-3), k
    assert got["recurrent"] == pytest.approx(prior["recurrent"], rel=1e-3)  # no recurrent data: prior kept


def test_fit_prediction_is_the_roofline_estimate() -> None:
    x = {"conv": 2.0, "depthwise_conv": 20.0, "matmul": 1.25, "attention": 1.0, "recurrent": 5.0,
         "bandwidth": 1 / 0.6, "overhead": 20e-6}
    rates = DeviceRates({"fp32": 1e12}, 1e11, {"conv": 0.5, "depthwise_conv": 0.05, "matmul": 0.8,
                                              "attention": 1.0, "recurrent": 0.2}, 0.6, 20e-6)
    for i in range(4):
        assert estimate_ops(_model(i), rates).total_s == pytest.approx(predict(_model(i), 1e12, 1e11, x), rel=1e-9)


def test_views_cost_nothing_and_gathers_move_only_their_rows() -> None:
    rates = DeviceRates({"fp32": 1e12}, 1e9, {}, 1.0, 10e-6)
    assert estimate_ops([Op("data_movement", 0, 0, 0)] * 50, rates).total_s == 0.0
    table = Op("data_movement", 0, 160_000_000, 1_000, op="aten.embedding.default")
    assert estimate_ops([table], rates).total_s == pytest.approx(2_000 / 1e9 + 10e-6)


def test_recurrent_weights_are_streamed_once_per_step_for_the_whole_batch() -> None:
    # memory-bound device: an RNN doing 8e6 MACs re-reads 4 bytes per MAC / batch of weights
    rates = DeviceRates({"fp32": 1e18}, 1e9, {"recurrent": 1.0}, 1.0, 0.0)
    rnn = [Op("recurrent", 8_000_000, 1_000, 1_000)]
    assert estimate_ops(rnn, rates, batch=1).total_s == pytest.approx(32e6 / 1e9)
    assert estimate_ops(rnn, rates, batch=8).total_s == pytest.approx(4e6 / 1e9)
    big_io = [Op("recurrent", 8_000_000, 50_000_000, 0)]  # traced bytes larger: they count
    assert estimate_ops(big_io, rates, batch=8).total_s == pytest.approx(50e6 / 1e9)

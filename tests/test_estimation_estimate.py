"""estimate_model / estimate_count on real zoo entries and built-in profiles: labels, band, breakdown, errors
(eager PyTorch, `runtime="pytorch"`; compiled runtimes: tests/test_runtimes.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest

from archsel.errors import UsageError
from archsel.estimation.accuracy import error_summary, method_accuracy
from archsel.estimation.estimate import estimate_count, estimate_model, required_memory_bytes
from archsel.profiling.counting import count_model
from archsel.targets.profiles import resolve_target


def test_estimate_on_a_zoo_model_is_labelled_with_band_and_breakdown() -> None:
    target = resolve_target("jetson-orin-nano")
    est = estimate_model("resnet18", target, batch=2, precision="fp16", runtime="pytorch")
    assert est.kind == "estimated" and est.target == "jetson-orin-nano" and est.target_class == "edge"
    assert est.batch == 2 and est.precision == "fp16" and est.model_id == "resnet18"
    assert est.band_low_ms <= est.latency_ms <= est.band_high_ms
    assert sum(cast(float, c["time_ms"]) for c in est.by_class) == pytest.approx(est.latency_ms, rel=1e-9)
    assert sum(cast(float, c["share"]) for c in est.by_class) == pytest.approx(1.0, rel=1e-9)
    conv = next(c for c in est.by_class if c["op_class"] == "conv")
    assert conv["ops"] == 20 and conv["bound"] in ("compute", "memory", "overhead")
    assert 0 < est.overhead_share < 1 and est.accuracy_note and "roofline" in est.method
    json.dumps(est.to_dict())  # JSON-ready


def test_band_is_the_measured_error_quantiles_from_the_accuracy_file() -> None:
    acc = method_accuracy("defaults")
    est = estimate_model("mobilenet_v3_small", resolve_target("raspberry-pi-5"), runtime="pytorch")
    if acc is None:  # never benchmarked: no band is invented
        assert est.band_low_ms == est.band_high_ms == est.latency_ms
    else:
        assert est.band_low_ms == pytest.approx(est.latency_ms * acc.ratio_low)
        assert est.band_high_ms == pytest.approx(est.latency_ms * acc.ratio_high)
        assert f"{acc.within_25:.0%} within ±25%" in est.accuracy_note


def test_accuracy_file_is_read_not_invented(tmp_path: Path) -> None:
    ratios = [0.8, 0.9, 1.0, 1.1, 1.3]
    summary = error_summary(ratios)
    assert summary["median_abs_pct"] == pytest.approx(10.0) and summary["within_10"] == pytest.approx(0.6)
    assert summary["within_25"] == pytest.approx(0.8)
    path = tmp_path / "accuracy.json"
    path.write_text(json.dumps({"date": "2026-01-01", "methods": {"calibrated": {
        "devices": ["cpu"], "pooled": summary}}}))
    acc = method_accuracy("calibrated", path)
    assert acc is not None and acc.ratio_low == pytest.approx(0.84) and acc.ratio_high == pytest.approx(1.22)
    assert method_accuracy("defaults", path) is None
    assert method_accuracy("calibrated", tmp_path / "missing.json") is None


def test_unsupported_precision_and_local_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="does not support precision 'bf16'"):
        estimate_model("lenet5", resolve_target("raspberry-pi-4"), precision="bf16")
    # (the A17 Pro's fp32 used to have no rate; Core ML now runs an fp32 model in fp16 on the Neural Engine)
    a17 = estimate_model("lenet5", resolve_target("apple-a17-pro"), precision="fp32")
    assert a17.runtime == "coreml" and a17.precision == "fp16"
    with pytest.raises(UsageError, match="no peak rate for 'int8'"):  # LiteRT on the Pi 4: fp32 only
        estimate_model("lenet5", resolve_target("raspberry-pi-4"), precision="int8", runtime="litert")
    with pytest.raises(UsageError, match="measured, not estimated"):
        estimate_model("lenet5", resolve_target("local"))


def test_estimate_count_needs_a_float32_trace() -> None:
    count = count_model("lenet5", dtype="float16")
    with pytest.raises(ValueError, match="float32 trace"):
        estimate_count(count, resolve_target("t4"), precision="fp16")


def test_required_memory_is_weights_buffers_and_peak_activations_at_the_precision() -> None:
    count = count_model("resnet18", batch=4)
    fp32 = required_memory_bytes(count, "fp32")
    assert fp32 == count.param_bytes + count.buffer_bytes + count.peak_activation_bytes
    assert count.param_bytes == 11_689_512 * 4  # torchvision's published resnet18 parameter count
    assert required_memory_bytes(count, "fp16") == fp32 // 2
    assert required_memory_bytes(count, "int8") == fp32 // 4

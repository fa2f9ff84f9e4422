"""fp32 ops on TF32 Tensor Cores (a runtime's `fp32_as_tf32`): PyTorch on Ampere and later runs float32
cuDNN convolutions in TF32 by default (torch.backends.cudnn.allow_tf32), not its matmuls. Both estimators
charge an fp32 op of such a class at the tf32 peak, the fits do the same arithmetic, and the profile schema
checks the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import Op, edited_profile

from archsel.estimation import engine_fit as ef
from archsel.estimation.engine import EngineRates, Layer, compile_layers, estimate_engine, layer_times
from archsel.estimation.fit import known_from_rates, precision_peaks, predict, prior_from_rates
from archsel.estimation.roofline import DeviceRates, estimate_ops
from archsel.targets.profiles import load_profiles, resolve_target

FP32, TF32 = 2e12 / 2, 8e12 / 2  # MAC/s
EFF = {"conv": 0.5, "depthwise_conv": 0.1, "matmul": 0.5, "attention": 0.5, "recurrent": 0.2, "pooling": 0.1}




CONV = Op("conv", 10**10, 10**3, 10**3, module="c", window="3x3/1")
MATMUL = Op("matmul", 10**10, 10**3, 10**3, module="m")


def _rates(tf32: frozenset[str]) -> DeviceRates:
    return DeviceRates({"fp32": FP32, "tf32": TF32, "fp16": 2 * TF32}, 1e11, EFF, 1.0, 0.0, tf32_classes=tf32)


def test_eager_fp32_conv_runs_at_the_tf32_rate_and_matmul_at_the_fp32_rate() -> None:
    rates = _rates(frozenset({"conv"}))
    conv = estimate_ops([CONV], rates, "fp32").total_s
    matmul = estimate_ops([MATMUL], rates, "fp32").total_s
    assert conv == pytest.approx(10**10 / (TF32 * 0.5))
    assert matmul == pytest.approx(10**10 / (FP32 * 0.5))
    assert estimate_ops([CONV], _rates(frozenset()), "fp32").total_s == pytest.approx(10**10 / (FP32 * 0.5))
    # other precisions keep their own peak
    assert estimate_ops([CONV], rates, "fp16").total_s == pytest.approx(10**10 / (2 * TF32 * 0.5))


def test_compiled_fp32_conv_layers_run_at_the_tf32_rate_and_matmul_layers_at_the_fp32_rate() -> None:
    rates = EngineRates("onnxruntime", "gpu", {"fp32": FP32, "fp16": 2 * TF32}, 1e11, {**EFF, "conv3x3": 0.5,
                        "conv3d": 0.5, "dilated_conv": 0.5, "bandwidth": 1.0}, tf32_macs_per_s=TF32,
                        tf32_classes=frozenset({"conv"}))
    for kind in ("conv", "conv3x3", "conv3d", "dilated_conv"):  # every dense conv window class is a conv
        compute = layer_times(Layer(kind, 1, 10**10, 10**10, 10**3, 0), rates, "fp32")[0]
        assert compute == pytest.approx(10**10 / (TF32 * 0.5)), kind
    assert layer_times(Layer("matmul", 1, 10**10, 10**10, 10**3, 0), rates, "fp32")[0] == pytest.approx(
        10**10 / (FP32 * 0.5))
    assert layer_times(Layer("conv", 1, 10**10, 10**10, 10**3, 0), rates, "fp16")[0] == pytest.approx(
        10**10 / (2 * TF32 * 0.5))


def test_the_fits_predict_what_the_estimators_give_on_a_tf32_runtime() -> None:
    # eager: a profile's own rates, an fp32 sample whose convs run at the tf32 peak
    profile = resolve_target("jetson-orin-nano-super")
    eager = profile.runtime("pytorch")
    assert "conv" in eager.tf32_classes
    rates = DeviceRates.from_profile(profile, eager.precision_rates, eager.tf32_classes)
    assert rates.peak_for("fp32", "conv") == pytest.approx(8.375e12 / 2)
    assert rates.peak_for("fp32", "matmul") == pytest.approx(2.089e12 / 2)
    known, x = known_from_rates(rates), prior_from_rates(rates)
    x["overhead"] = rates.module_call_s
    ops = [Op("conv", 10**9 * (i + 1), 10**6, 10**6, module=f"l{i}") for i in range(4)] + [MATMUL]
    peak, class_peaks = precision_peaks(rates, "fp32")
    assert class_peaks == {"conv": rates.peak_macs_per_s["tf32"]}
    assert predict(ops, peak or 0.0, rates.bandwidth_bytes_per_s, x, 1, known, 1.0, class_peaks) == pytest.approx(
        estimate_ops(ops, rates, "fp32").total_s, rel=1e-9)
    assert precision_peaks(rates, "fp16")[1] == {}
    # compiled: a unit with TF32 classes predicts what estimate_engine gives
    true = EngineRates("onnxruntime", "gpu", {"fp32": FP32}, 1e11, {**EFF, "conv3x3": 0.6, "conv3d": 0.4,
                       "dilated_conv": 0.4, "bandwidth": 0.7}, layer_s=5e-6, call_s=50e-6, fused_traffic=0.2,
                       tf32_macs_per_s=TF32, tf32_classes=frozenset({"conv"}))
    unit = ef.Unit("gpu", {"fp32": FP32, "tf32": TF32}, 1e11, tf32_classes=frozenset({"conv"}))
    exact = ef.Fit({**{k: 1 / v for k, v in true.efficiency.items()}, "layer": 5e-6, "call": 50e-6,
                    "fused": 0.2 / 0.7, "on_chip": 1.0})
    ops = [Op("conv", 10**10, 10**6, 10**6, window="3x3/1"), Op("elementwise", 0, 5 * 10**5, 5 * 10**5),
           Op("matmul", 10**9, 10**6, 0), Op("conv", 10**9, 10**6, 0, window="1x1/1")]
    row = ef.Row("m", tuple(compile_layers(ops)), "fp32", 1.0)
    assert [layer.kind for layer in row.layers] == ["conv3x3", "matmul", "conv"]
    assert ef.predict(row, unit, exact) == pytest.approx(estimate_engine(ops, true, "fp32").total_s, rel=1e-9)
    plain = ef.Unit("gpu", {"fp32": FP32, "tf32": TF32}, 1e11)  # no TF32 classes: the fp32 peak
    assert ef.predict(row, plain, exact) > ef.predict(row, unit, exact)


def test_builtin_profiles_run_fp32_convs_at_tf32_only_where_sourced() -> None:
    from archsel.estimation.estimate import estimate_count
    from archsel.profiling.counting import count_model

    profiles = load_profiles()
    for name in ("jetson-orin-nano", "jetson-orin-nano-super", "a100-sxm"):
        p = profiles[name]
        assert p.peak("tf32") and p.runtime("pytorch").tf32_classes == ("conv",), name
        assert "pytorch" in p.runtime("pytorch").fact_sources["fp32_as_tf32"].lower()
    assert profiles["jetson-orin-nano-super"].peak("tf32") == pytest.approx(16.75 / 2)
    assert profiles["jetson-orin-nano"].peak("tf32") == pytest.approx(10 / 2)
    assert not profiles["t4"].peak("tf32")  # Turing: no TF32
    assert all(not r.tf32_classes for r in profiles["t4"].runtimes.values())
    count = count_model("resnet18")
    target = profiles["jetson-orin-nano-super"]
    fp32 = estimate_count(count, target, precision="fp32", runtime="pytorch")
    fp16 = estimate_count(count, target, precision="fp16", runtime="pytorch")
    assert "fp32 convolutions at the TF32 Tensor Core rate (PyTorch default)" in fp32.method
    assert "TF32" not in fp16.method.split("; efficiencies from")[0]  # (the fit's source may name it)
    trt = estimate_count(count, target, precision="fp32", runtime="tensorrt")
    assert ("fp32 convolutions and matrix multiplications and attention at the TF32 Tensor Core rate "
            "(TensorRT default)") in trt.method
    for name in ("jetson-orin-nano", "jetson-orin-nano-super", "a100-sxm", "h100-sxm"):  # Ampere and Hopper
        tensorrt = profiles[name].runtime("tensorrt")
        assert tensorrt.tf32_classes == ("conv", "matmul", "attention"), name
        assert "BuilderFlag" in tensorrt.fact_sources["fp32_as_tf32"], name
    assert not profiles["jetson-nano"].runtime("tensorrt").tf32_classes  # Maxwell: no TF32


def _profile(tmp_path: Path, entry: str, tf32_peak: bool = True) -> list[str]:
    return edited_profile(tmp_path, "jetson-orin-nano-super",
                          "    fp32_as_tf32: {classes: [conv], source: pytorch-cuda-tf32}\n", entry,
                          None if tf32_peak else "  tf32:")


def test_profile_schema_accepts_and_rejects_fp32_as_tf32(tmp_path: Path) -> None:
    ok = "    fp32_as_tf32: {classes: [conv, matmul], source: pytorch-cuda-tf32}\n"
    assert _profile(tmp_path, ok) == []
    assert resolve_target(str(tmp_path / "p.yaml")).runtime("pytorch").tf32_classes == ("conv", "matmul")
    problems = _profile(tmp_path, "    fp32_as_tf32: {classes: [elementwise], source: pytorch-cuda-tf32}\n")
    assert problems and any("elementwise" in p for p in problems), problems
    problems = _profile(tmp_path, "    fp32_as_tf32: {classes: [conv]}\n")  # a default needs its source
    assert problems and any("source" in p for p in problems), problems
    problems = _profile(tmp_path, "    fp32_as_tf32: {classes: [conv], source: no-such-ref}\n")
    assert any("'no-such-ref' is not in this file's references" in p for p in problems), problems
    problems = _profile(tmp_path, ok, tf32_peak=False)  # TF32 needs the unit's tf32 peak (a T4 has none)
    assert any("has no tf32 peak" in p for p in problems), problems

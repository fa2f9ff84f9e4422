"""Layer classes a runtime keeps in float in a quantized model (a runtime's `quantized_float_classes`):
TFLite's CONV_3D kernel takes float32 tensors only (tensorflow/lite/kernels/conv3d.cc), so a w8a8 TFLite
model keeps its Conv3D in float; LiteRT + QNN delegate on the Hexagon NPU runs it at its float precision
(fp16). The estimator and the fit cost an int8 row's layers of those classes at that precision's rate and
bytes, alike, and the profile schema checks the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import Op, edited_profile

from archsel.estimation import engine_fit as ef
from archsel.estimation.engine import EngineRates, Layer, compile_layers, estimate_engine, layer_precision, layer_times
from archsel.targets.profiles import load_profiles, resolve_target

FP16, INT8 = 10e12 / 2, 40e12 / 2  # MAC/s
EFF = {"conv": 0.5, "conv3x3": 0.5, "conv3d": 0.25, "dilated_conv": 0.5, "depthwise_conv": 0.1, "matmul": 0.5,
       "attention": 0.5, "recurrent": 0.2, "pooling": 0.1, "bandwidth": 0.7}




def _rates(classes: frozenset[str]) -> EngineRates:
    return EngineRates("litert", "npu", {"fp16": FP16, "int8": INT8}, 1e11, EFF, layer_s=1e-6, call_s=30e-6,
                       fused_traffic=0.3, float_classes=classes, float_precision="fp16")


def test_layer_precision_keeps_only_integer_layers_of_the_classes_in_float() -> None:
    classes = frozenset({"conv3d"})
    assert layer_precision("int8", "conv3d", classes, "fp16") == "fp16"
    assert layer_precision("int8", "conv", classes, "fp16") == "int8"
    assert layer_precision("fp16", "conv3d", classes, "fp16") == "fp16"
    assert layer_precision("fp32", "conv3d", classes, "fp16") == "fp32"  # a float model keeps its precision
    assert layer_precision("int8", "conv3d", frozenset(), "fp16") == "int8"


def test_int8_conv3d_layers_run_at_the_float_rate_and_bytes() -> None:
    rates = _rates(frozenset({"conv3d"}))
    conv3d = Layer("conv3d", 1, 10**10, 10**10, 10**3, 0)
    conv = Layer("conv", 1, 10**10, 10**10, 10**3, 0)
    assert layer_times(conv3d, rates, "int8")[0] == pytest.approx(10**10 / (FP16 * 0.25))
    assert layer_times(conv3d, rates, "int8")[1] == pytest.approx(10**3 * 0.5 / (1e11 * 0.7))  # fp16 bytes
    assert layer_times(conv, rates, "int8")[0] == pytest.approx(10**10 / (INT8 * 0.5))
    assert layer_times(conv3d, _rates(frozenset()), "int8")[0] == pytest.approx(10**10 / (INT8 * 0.25))


def test_the_fit_predicts_what_the_estimator_gives_with_float_classes() -> None:
    true = _rates(frozenset({"conv3d"}))
    unit = ef.Unit("npu", {"fp16": FP16, "int8": INT8}, 1e11, float_classes=frozenset({"conv3d"}),
                   float_precision="fp16")
    exact = ef.Fit({**{k: 1 / v for k, v in EFF.items()}, "layer": 1e-6, "call": 30e-6, "fused": 0.3 / 0.7,
                    "on_chip": 1.0})
    ops = [Op("conv", 10**10, 10**6, 10**6, window="3x3x3/1"), Op("elementwise", 0, 5 * 10**5, 5 * 10**5),
           Op("conv", 10**9, 10**6, 0, window="1x1/1"), Op("matmul", 10**9, 10**6, 0)]
    row = ef.Row("m", tuple(compile_layers(ops)), "int8", 1.0)
    assert [layer.kind for layer in row.layers] == ["conv3d", "conv", "matmul"]
    for precision in ("int8", "fp16"):
        r = ef.Row("m", row.layers, precision, 1.0)
        assert ef.predict(r, unit, exact) == pytest.approx(estimate_engine(ops, true, precision).total_s, rel=1e-9)
    plain = ef.Unit("npu", {"fp16": FP16, "int8": INT8}, 1e11)  # without the fact: conv3d at the int8 rate
    assert ef.predict(row, plain, exact) < ef.predict(row, unit, exact)


def test_litert_on_the_snapdragon_npu_keeps_int8_conv3d_in_float_as_sourced() -> None:
    profiles = load_profiles()
    litert = profiles["snapdragon-8-gen-3"].runtime("litert")
    assert litert.float_classes == ("conv3d",)
    assert "conv3d.cc" in litert.fact_sources["quantized_float_classes"]
    rates = EngineRates.from_profile(profiles["snapdragon-8-gen-3"], litert)
    assert rates.precision_of("int8", "conv3d") == "fp16" and rates.precision_of("int8", "conv") == "int8"
    # QNN and ONNX Runtime + QNN EP take their Conv3d from ONNX/DLC, quantized: no such fact
    for name in ("qnn", "onnxruntime"):
        assert not profiles["snapdragon-8-gen-3"].runtime(name).float_classes, name


def _profile(tmp_path: Path, entry: str) -> list[str]:
    return edited_profile(tmp_path, "snapdragon-8-gen-3",
                          "    quantized_float_classes: {classes: [conv3d], source: tflite-conv3d-kernel}\n", entry)


def test_profile_schema_accepts_and_rejects_quantized_float_classes(tmp_path: Path) -> None:
    ok = "    quantized_float_classes: {classes: [conv3d, dilated_conv], source: tflite-conv3d-kernel}\n"
    assert _profile(tmp_path, ok) == []
    assert resolve_target(str(tmp_path / "p.yaml")).runtime("litert").float_classes == ("conv3d", "dilated_conv")
    problems = _profile(tmp_path, "    quantized_float_classes: {classes: [softmax], source: tflite-conv3d-kernel}\n")
    assert problems and any("softmax" in p for p in problems), problems
    problems = _profile(tmp_path, "    quantized_float_classes: {classes: [conv3d]}\n")  # needs its source
    assert problems and any("source" in p for p in problems), problems
    problems = _profile(tmp_path, "    quantized_float_classes: {classes: [conv3d], source: no-such-ref}\n")
    assert any("'no-such-ref' is not in this file's references" in p for p in problems), problems

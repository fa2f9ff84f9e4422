"""OpenVINO backend: real models exported to ONNX, compiled by OpenVINO's CPU plugin, int8 through NNCF."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("openvino")
pytest.importorskip("nncf")

from archsel.profiling.deploy import backend
from archsel.profiling.deploy.export import Exported, export_onnx, numpy_inputs
from archsel.profiling.precision import UnsupportedPrecision

ov_backend: Any = backend("openvino")


def _resnet_tiny() -> tuple[Any, tuple[Any, ...]]:  # a real torchvision CNN, small enough for seconds
    import torch
    from torchvision.models import resnet18

    torch.manual_seed(0)
    return resnet18(num_classes=10).eval(), (torch.randn(1, 3, 64, 64),)


def _calibration(count: int = 3) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(1)
    return [[rng.standard_normal((1, 3, 64, 64), dtype=np.float32)] for _ in range(count)]


def _torch_output(model: Any, inputs: tuple[Any, ...]) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(*inputs).numpy()


def _first_output(result: Any) -> np.ndarray:
    return np.array(next(iter(result.values())))  # a copy: the request reuses its output buffer


@pytest.fixture(scope="module")
def resnet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, tuple[Any, ...], Exported]:
    model, inputs = _resnet_tiny()
    return model, inputs, export_onnx(model, inputs, {"model_id": "resnet18-tiny"},
                                      root=tmp_path_factory.mktemp("onnx"))


def test_fp32_computes_in_f32_and_matches_torch(resnet: Any, tmp_path: Path) -> None:
    model, inputs, graph = resnet
    runner = ov_backend.prepare(graph, numpy_inputs(inputs), precision="fp32", threads=2, calibration=[],
                                cache_dir=tmp_path)
    np.testing.assert_allclose(_first_output(runner.call()), _torch_output(model, inputs), rtol=1e-4, atol=1e-4)
    conditions = runner.conditions
    assert conditions["inference_precision"] == "f32"  # this CPU would default to bf16
    assert set(conditions["compute_layer_precisions"]) == {"f32"}
    assert conditions["threads"] == 2 and conditions["num_streams"] == 1
    assert conditions["runtime"] == "openvino" and conditions["runtime_version"] == ov_backend.version()
    assert conditions["runtime_device"].startswith("CPU") and conditions["performance_hint"] == "LATENCY"
    assert conditions["exporter"] == graph.describe() and runner.int8 is None


def test_bf16_computes_in_bf16_where_the_cpu_has_it(resnet: Any, tmp_path: Path) -> None:
    import openvino as ov

    model, inputs, graph = resnet
    if "BF16" not in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        with pytest.raises(UnsupportedPrecision, match="BF16"):
            ov_backend.prepare(graph, numpy_inputs(inputs), precision="bf16", threads=1, calibration=[],
                               cache_dir=tmp_path)
        pytest.skip("this CPU has no BF16")
    runner = ov_backend.prepare(graph, numpy_inputs(inputs), precision="bf16", threads=1, calibration=[],
                                cache_dir=tmp_path)
    assert runner.conditions["inference_precision"] == "bf16" and runner.conditions["threads"] == 1
    assert runner.conditions["compute_layer_precisions"].get("bf16", 0) >= 20  # resnet18's 20 convs (+ fc)
    np.testing.assert_allclose(_first_output(runner.call()), _torch_output(model, inputs), rtol=0.1, atol=0.1)


def test_int8_runs_the_cnn_in_int8_and_reuses_the_quantized_model(resnet: Any, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _, inputs, graph = resnet
    first = ov_backend.prepare(graph, numpy_inputs(inputs), precision="int8", threads=1,
                               calibration=_calibration(), cache_dir=tmp_path)
    assert capsys.readouterr().out == ""  # NNCF's progress bars and logs are kept quiet
    int8 = first.int8
    assert int8 is not None and int8["int8_mac_fraction"] >= 0.9
    assert int8["int8_layers"] >= 20 and int8["float_layers"] == 0  # 20 convs + fc
    assert int8["method"].startswith("NNCF post-training quantization (nncf.quantize")
    assert int8["calibration"].startswith("3 generated batches") and not int8["reused_from_cache"]
    assert first.conditions["inference_precision"] == "f32"  # what stays float
    first.call()
    saved = [p for p in tmp_path.iterdir()]
    assert len(saved) == 1 and (saved[0] / "model.xml").is_file() and not saved[0].name.startswith(".")

    again = ov_backend.prepare(graph, numpy_inputs(inputs), precision="int8", threads=1,
                               calibration=_calibration(), cache_dir=tmp_path)
    assert again.int8 is not None and again.int8["reused_from_cache"]
    assert again.int8["quantize_s"] == int8["quantize_s"] and again.int8["int8_mac_fraction"] >= 0.9
    assert list(tmp_path.iterdir()) == saved


def test_int8_keeps_an_lstm_in_float_and_says_so(tmp_path: Path) -> None:
    import torch

    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(32, 64, batch_first=True)
            self.head = torch.nn.Linear(64, 8)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.lstm(x)[0])

    torch.manual_seed(0)
    x = torch.randn(1, 16, 32)
    graph = export_onnx(Tagger().eval(), (x,), {"model_id": "tagger"}, root=tmp_path)
    rng = np.random.default_rng(0)
    runner = ov_backend.prepare(graph, numpy_inputs((x,)), precision="int8", threads=1, cache_dir=tmp_path,
                                calibration=[[rng.standard_normal((1, 16, 32), dtype=np.float32)] for _ in range(2)])
    assert runner.int8 is not None and runner.int8["float_layer_types"] == {"RNNSeq": 1}
    # the LSTM does 16 steps x (32 + 64) x 4 x 64 MACs, the head 16 x 64 x 8: the LSTM is 95% of them
    assert runner.int8["int8_mac_fraction"] == pytest.approx(8192 / (393216 + 8192), abs=1e-3)
    assert any("recurrent" in note for note in runner.notes)


def test_a_graph_with_an_unused_input_runs(tmp_path: Path) -> None:
    import torch

    class TwoOfThree(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(8, 4)

        def forward(self, a: torch.Tensor, unused: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
            return self.linear(a) + c

    torch.manual_seed(0)
    model, inputs = TwoOfThree().eval(), (torch.randn(2, 8), torch.randn(3), torch.randn(2, 4))
    graph = export_onnx(model, inputs, {"model_id": "two-of-three"}, root=tmp_path)
    assert graph.input_names == ("input_0", "input_2")
    runner = ov_backend.prepare(graph, numpy_inputs(inputs), precision="fp32", threads=1, calibration=[],
                                cache_dir=tmp_path)
    np.testing.assert_allclose(_first_output(runner.call()), _torch_output(model, inputs), rtol=1e-5, atol=1e-5)


def test_an_unknown_precision_and_an_unreadable_graph_fail_in_one_line(resnet: Any, tmp_path: Path) -> None:
    from archsel.profiling.deploy.openvino import OpenVINOFailed

    _, inputs, graph = resnet
    with pytest.raises(UnsupportedPrecision, match="not int4"):
        ov_backend.prepare(graph, numpy_inputs(inputs), precision="int4", threads=1, calibration=[],
                           cache_dir=tmp_path)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a graph")
    with pytest.raises(OpenVINOFailed) as err:
        ov_backend.prepare(replace(graph, path=broken), numpy_inputs(inputs), precision="fp32", threads=1,
                           calibration=[], cache_dir=tmp_path)
    assert str(err.value).startswith("OpenVINO failed reading the ONNX graph") and "\n" not in str(err.value)

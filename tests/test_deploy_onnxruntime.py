"""The ONNX Runtime backend on real zoo models: fp32 equals torch, int8 really runs in integer kernels (and is
cached), LSTMs go dynamic int8, GRUs stay float, fp16/bf16 are refused, and graphs that drop inputs still run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

import numpy as np
import torch

from archsel.profiling.deploy import backend
from archsel.profiling.deploy.export import Exported, export_onnx, numpy_inputs
from archsel.profiling.deploy.onnxruntime import SessionFailed, prepare
from archsel.profiling.precision import UnsupportedPrecision
from archsel.zoo.inputs import make_inputs
from archsel.zoo.registry import get_model, get_model_entry, resolve_task

CALIBRATION_BATCHES = 3


def _zoo(model_id: str, root: Path) -> tuple[torch.nn.Module, tuple[Any, ...], Exported, list[list[np.ndarray]]]:
    """A zoo model, its inputs at batch 1, its exported graph and calibration batches."""
    entry = get_model_entry(model_id)
    spec = entry.input_for(resolve_task(entry, None))
    torch.manual_seed(0)
    model = get_model(model_id, device="cpu")
    inputs = make_inputs(spec, 1, device="cpu")
    calibration = [numpy_inputs(make_inputs(spec, 1, device="cpu", seed=s)) for s in range(1, CALIBRATION_BATCHES + 1)]
    return model, inputs, export_onnx(model, inputs, {"model_id": model_id}, root=root), calibration


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ort-cache")


@pytest.fixture(scope="module")
def cnn(root: Path) -> tuple[torch.nn.Module, tuple[Any, ...], Exported, list[list[np.ndarray]]]:
    return _zoo("small_cnn_cifar", root)


def _run(graph: Exported, arrays: list[np.ndarray], root: Path, precision: str = "fp32", threads: int = 1,
         calibration: list[list[np.ndarray]] | None = None) -> Any:
    return prepare(graph, arrays, precision=precision, threads=threads, calibration=calibration or [],
                   cache_dir=root / "ort")


def test_the_registry_finds_this_backend() -> None:
    module = backend("onnxruntime")
    import onnxruntime

    assert module.version() == onnxruntime.__version__


def test_fp32_outputs_equal_torch_and_conditions_name_the_session(root: Path, cnn: Any) -> None:
    model, inputs, graph, _ = cnn
    runner = _run(graph, numpy_inputs(inputs), root, threads=2)
    with torch.no_grad():
        expected = model(*inputs).numpy()
    np.testing.assert_allclose(runner.call()[0], expected, rtol=1e-4, atol=1e-5)
    c = runner.conditions
    assert c["threads"] == 2 and c["inter_op_threads"] == 1 and c["execution_mode"] == "ORT_SEQUENTIAL"
    assert (c["runtime"], c["runtime_device"], c["graph_optimization"], c["inference_precision"]) == (
        "onnxruntime", "CPUExecutionProvider", "ORT_ENABLE_ALL", "fp32")
    assert c["exporter"] == graph.describe() and runner.int8 is None


def test_int8_of_a_cnn_runs_in_integer_kernels_and_is_reused_from_the_cache(root: Path, cnn: Any) -> None:
    model, _, graph, calibration = cnn
    arrays = calibration[0]  # a batch inside the calibrated ranges
    first = _run(graph, arrays, root, "int8", calibration=calibration)
    report = first.int8
    assert report["int8_mac_fraction"] >= 0.9 and report["float_layers"] == 0 and report["dynamic_layers"] == 0
    assert report["int8_layers"] == 4  # two convs, two linears
    assert report["calibration"] == "3 generated batches; the accuracy effect was not measured"
    assert report["quantize_s"] > 0 and first.conditions["inference_precision"] == "int8"
    [saved] = (root / "ort").glob(f"{graph.key_hash}.int8-*.onnx")
    import onnxruntime

    assert saved.name.endswith(f".ort{onnxruntime.__version__}.onnx")
    assert not [p for p in (root / "ort").iterdir() if p.name.startswith(".")]  # no temporary left behind
    with torch.no_grad():
        expected = model(*map(torch.from_numpy, arrays)).numpy()
    assert np.abs(first.call()[0] - expected).max() <= 0.1 * np.abs(expected).max()  # int8 tracks fp32

    mtime = saved.stat().st_mtime_ns
    second = _run(graph, arrays, root, "int8", calibration=calibration)
    assert second.int8["quantize_s"] == 0 and saved.stat().st_mtime_ns == mtime
    assert second.int8["int8_mac_fraction"] == report["int8_mac_fraction"]
    np.testing.assert_array_equal(second.call()[0], first.call()[0])


def test_lstm_layers_go_dynamic_int8_and_gru_layers_stay_float(root: Path) -> None:
    _, inputs, graph, calibration = _zoo("lstm_lm", root)
    lstm = _run(graph, numpy_inputs(inputs), root, "int8", calibration=calibration).int8
    assert lstm["dynamic_layers"] == 1 and lstm["int8_layers"] == 2 and lstm["float_layers"] == 0  # LSTM + head
    _, inputs, graph, calibration = _zoo("gru_lm", root)
    gru = _run(graph, numpy_inputs(inputs), root, "int8", calibration=calibration)
    assert gru.int8["float_layer_types"] == {"GRU": 1} and gru.int8["int8_layers"] == 1
    assert 0 < gru.int8["int8_mac_fraction"] < 1 and any("GRU" in note for note in gru.notes)


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_half_precisions_are_unsupported_with_a_reason(root: Path, cnn: Any, precision: str) -> None:
    _, inputs, graph, _ = cnn
    with pytest.raises(UnsupportedPrecision, match="CPU execution provider has no"):
        _run(graph, numpy_inputs(inputs), root, precision)


class _IgnoresFirst(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(8, 4)

    def forward(self, unused: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def test_a_graph_that_dropped_an_unused_input_still_runs(root: Path) -> None:
    torch.manual_seed(0)
    model = _IgnoresFirst().eval()
    inputs = (torch.randn(1, 3), torch.randn(2, 8))
    graph = export_onnx(model, inputs, {"model_id": "ignores-first"}, root=root)
    assert graph.input_names == ("input_1",)
    runner = _run(graph, numpy_inputs(inputs), root)
    with torch.no_grad():
        np.testing.assert_allclose(runner.call()[0], model(*inputs).numpy(), rtol=1e-5, atol=1e-6)


def test_a_graph_that_does_not_load_is_a_one_line_failure(root: Path, cnn: Any, tmp_path: Path) -> None:
    _, inputs, graph, _ = cnn
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a graph")
    with pytest.raises(SessionFailed, match=r"^onnxruntime [\d.]+ \(fp32\): ") as failure:
        _run(Exported(**{**graph.__dict__, "path": broken}), numpy_inputs(inputs), root)
    assert "\n" not in str(failure.value)


def test_layers_with_unknown_shapes_are_counted_apart_from_the_mac_share(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from archsel.profiling.deploy.int8_onnx import QuantSettings, int8_layers, optimized_graph, quantize

    rng = np.random.default_rng(0)
    weights = [numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w"),
               numpy_helper.from_array(rng.standard_normal((16, 5)).astype(np.float32), "m")]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="/conv/Conv"),  # batch "n": MACs unknown
             helper.make_node("MatMul", ["y", "m"], ["z"], name="/fc/MatMul")]  # static: 2*16*5 MACs
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 6, 6]),
                                           helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 16])],
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("z", TensorProto.FLOAT, None)], weights)
    source = tmp_path / "g.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), source)
    batches = [{"x": rng.standard_normal((1, 3, 6, 6)).astype(np.float32),
                "y": rng.standard_normal((2, 16)).astype(np.float32)} for _ in range(2)]
    quantized = quantize(source, batches, tmp_path / "q.onnx", QuantSettings(2, False, "test"))
    layers = int8_layers(onnx.load(str(source)), optimized_graph(quantized.path))
    assert (layers.int8_layers, layers.float_layers, layers.unknown_mac_layers) == (2, 0, 1)
    assert layers.int8_mac_fraction == 1.0  # over the one layer whose MACs are known


class _MaskedAttention(torch.nn.Module):
    """Causal self-attention over 8 steps: its mask holds -inf, a range int8 cannot represent."""

    def __init__(self) -> None:
        super().__init__()
        self.qkv = torch.nn.Linear(16, 48)
        self.register_buffer("mask", torch.triu(torch.full((8, 8), float("-inf")), diagonal=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return torch.softmax(q @ k.transpose(1, 2) / 4 + self.mask, dim=-1) @ v


def test_tensors_reaching_infinity_stay_float_and_the_int8_output_stays_finite(root: Path) -> None:
    torch.manual_seed(0)
    model = _MaskedAttention().eval()
    inputs = (torch.randn(1, 8, 16),)
    graph = export_onnx(model, inputs, {"model_id": "masked-attention"}, root=root)
    calibration = [[np.random.default_rng(s).standard_normal((1, 8, 16)).astype(np.float32)] for s in range(3)]
    runner = _run(graph, calibration[0], root, "int8", calibration=calibration)
    assert runner.int8["unbounded_float_nodes"] >= 1 and runner.int8["int8_mac_fraction"] == 1.0
    assert any("±inf" in note for note in runner.notes)
    with torch.no_grad():
        expected = model(torch.from_numpy(calibration[0][0])).numpy()
    got = runner.call()[0]
    assert np.isfinite(got).all() and np.abs(got - expected).max() <= 0.1 * np.abs(expected).max()


def test_a_graph_the_runtime_cannot_load_is_exported_again_by_the_next_exporter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """mvit_v2_s: ONNX Runtime refuses the TorchScript exporter's graph (If nodes whose branches differ in rank)
    and loads the dynamo exporter's. Here the runtime refuses every TorchScript graph: the run goes on with the
    dynamo exporter's graph and says so; where no exporter's graph loads, the runtime's own error stands."""
    from archsel.profiling.deploy import onnxruntime as ort_backend
    from archsel.profiling.deploy.measure import deployed

    original = ort_backend.prepare
    refused = {"torchscript"}

    def refusing(graph: Exported, *args: Any, **kwargs: Any) -> Any:
        if graph.exporter in refused:
            raise SessionFailed(f"onnxruntime (fp32): cannot load the {graph.exporter} graph")
        return original(graph, *args, **kwargs)

    monkeypatch.setattr(ort_backend, "prepare", refusing)
    entry = get_model_entry("small_cnn_cifar")
    spec = entry.input_for(resolve_task(entry, None))
    model = get_model("small_cnn_cifar", device="cpu")
    inputs = make_inputs(spec, 1, device="cpu")

    def load() -> Any:
        return deployed(model, inputs, lambda seed: make_inputs(spec, 1, device="cpu", seed=seed),
                        model_key={"model_id": "small_cnn_cifar"}, runtime="onnxruntime", precision="fp32",
                        threads=1, batch=1, root=tmp_path)

    with load() as runner, torch.no_grad():
        assert "dynamo exporter" in runner.conditions["exporter"]
        np.testing.assert_allclose(runner.call()[0], model(*inputs).numpy(), rtol=1e-4, atol=1e-5)
    refused.add("dynamo")
    with pytest.raises(SessionFailed, match="cannot load the dynamo graph"), load():
        pass
    tried: list[str] = []

    def refusing_the_precision(graph: Exported, *args: Any, **kwargs: Any) -> Any:
        tried.append(graph.exporter)
        raise UnsupportedPrecision("not the graph's fault")

    monkeypatch.setattr(ort_backend, "prepare", refusing_the_precision)
    with pytest.raises(UnsupportedPrecision), load():
        pass
    assert tried == ["torchscript"]  # a precision the runtime refuses is not exported again

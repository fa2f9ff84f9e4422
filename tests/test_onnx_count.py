"""The ONNX counter: MACs read from an exported graph equal the analytic formulas and archsel's meta count.

Analytic layers are exported with the TorchScript exporter (opset 17) and counted from the graph; zoo models
go through `count_model(counter="onnx")`, with graphs cached in a temporary cache folder for this module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("onnx")

import onnx
import torch
from onnx import TensorProto, helper
from torch import nn

from archsel.errors import UsageError
from archsel.profiling.counting import count_model, count_module
from archsel.profiling.deploy.export import export_onnx
from archsel.profiling.deploy.onnx_count import count_graph, count_onnx, module_of, node_macs, run_values


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    old = os.environ.get("ARCHSEL_CACHE_DIR")
    os.environ["ARCHSEL_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        del os.environ["ARCHSEL_CACHE_DIR"]
    else:
        os.environ["ARCHSEL_CACHE_DIR"] = old


def _graph(model: nn.Module, *inputs: torch.Tensor, root: Path) -> onnx.ModelProto:
    torch.manual_seed(0)
    exported = export_onnx(model.eval(), inputs, {"test": repr(model), "shapes": [list(x.shape) for x in inputs]},
                           root=root)
    return onnx.load(str(exported.path))


def rnn_analytic(gates: int, in_size: int, hidden: int, layers: int, directions: int, steps_x_batch: int) -> int:
    """Per step, sample and direction: gates·hidden·(layer input + hidden) multiply-adds."""
    total = 0
    for layer in range(layers):
        layer_in = in_size if layer == 0 else directions * hidden
        total += directions * gates * hidden * (layer_in + hidden)
    return steps_x_batch * total


def mha_analytic(batch: int, length: int, embed: int) -> int:
    """Q, K, V and output projections 4·L·E², Q·Kᵀ and A·V 2·L²·E (all heads)."""
    return batch * (4 * length * embed * embed + 2 * length * length * embed)


def test_grouped_and_depthwise_conv_and_conv_transpose(tmp_path: Path) -> None:
    grouped = _graph(nn.Conv2d(8, 16, 3, padding=1, groups=4), torch.randn(2, 8, 10, 10), root=tmp_path)
    assert node_macs(grouped) == {"/Conv": 2 * 16 * 10 * 10 * (8 // 4) * 9}  # 57,600
    depthwise = count_graph(_graph(nn.Conv2d(8, 8, 3, stride=2, groups=8), torch.randn(1, 8, 9, 9), root=tmp_path))
    assert depthwise.macs == 8 * 4 * 4 * 9 and depthwise.nodes[0].kind == "depthwise_conv"
    transposed = _graph(nn.ConvTranspose2d(4, 6, 3, stride=2), torch.randn(1, 4, 5, 5), root=tmp_path)
    assert count_graph(transposed).by_op_type == {"ConvTranspose": 4 * 5 * 5 * 6 * 9}  # input × (C_out × k)


def test_linear_as_gemm_and_as_batched_matmul(tmp_path: Path) -> None:
    assert count_graph(_graph(nn.Linear(20, 30), torch.randn(4, 20), root=tmp_path)).by_op_type == {"Gemm": 2400}
    batched = count_graph(_graph(nn.Linear(20, 30), torch.randn(2, 5, 20), root=tmp_path))
    assert batched.by_op_type == {"MatMul": 2 * 5 * 20 * 30} and batched.uncounted == {}
    module = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 4))
    result = count_module(module, (torch.randn(2, 5, 20),), counter="onnx")  # a user's module: uncached graph
    assert result.macs == 2 * 5 * (20 * 30 + 30 * 4) and result.counter == "onnx" and result.params == 754
    assert [(r["module"], r["macs"]) for r in result.by_module() if r["macs"]] == [("0", 6000), ("2", 1200)]


@pytest.mark.parametrize(("cell", "gates", "layers", "bidirectional"),
                         [("LSTM", 4, 2, True), ("GRU", 3, 2, False), ("GRU", 3, 1, True), ("RNN", 1, 2, True)])
def test_recurrent_layers_are_the_sizes_of_w_and_r(tmp_path: Path, cell: str, gates: int, layers: int,
                                                    bidirectional: bool) -> None:
    model = getattr(nn, cell)(10, 20, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    count = count_graph(_graph(model, torch.randn(3, 7, 10), root=tmp_path))
    assert count.macs == rnn_analytic(gates, 10, 20, layers, 2 if bidirectional else 1, 3 * 7)
    nodes = [n for n in count.nodes if n.op_type == cell]
    assert len(nodes) == layers  # ONNX stacks layers as separate nodes
    assert nodes[0].steps == 7 * (2 if bidirectional else 1) and nodes[0].state_weights == gates * 20 * 20
    assert count.macs == count_module(model, (torch.randn(3, 7, 10),)).macs  # and the meta trace agrees


def test_lstm_two_layer_bidirectional_figure(tmp_path: Path) -> None:
    count = count_graph(_graph(nn.LSTM(10, 20, num_layers=2, bidirectional=True), torch.randn(7, 3, 10),
                               root=tmp_path))
    # layer 1: 2 × 80 × (10 + 20) = 4,800; layer 2: 2 × 80 × (40 + 20) = 9,600; × 21 steps·samples
    assert count.macs == 302_400 and count.by_op_type == {"LSTM": 302_400}


class _SelfAttention(nn.Module):
    def __init__(self, embed: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(embed, heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x, need_weights=False)[0]


def test_multihead_attention_and_encoder_layer(tmp_path: Path) -> None:
    batch, length, embed, ffn = 2, 6, 32, 64
    mha = count_graph(_graph(_SelfAttention(embed, 4), torch.randn(batch, length, embed), root=tmp_path))
    assert mha.macs == mha_analytic(batch, length, embed) == 53_760 and mha.uncounted == {}
    layer = nn.TransformerEncoderLayer(embed, 4, dim_feedforward=ffn, batch_first=True, dropout=0.0)
    enc = count_graph(_graph(layer, torch.randn(batch, length, embed), root=tmp_path))
    assert enc.macs == mha_analytic(batch, length, embed) + 2 * batch * length * embed * ffn


def test_einsum_and_unnamed_nodes_and_unknown_ops() -> None:
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3, 4])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 4, 5])
    nodes = [helper.make_node("Einsum", ["a", "b"], ["c"], equation="bij,bjk->bik"),
             helper.make_node("Relu", ["c"], ["d"], name="act"),
             helper.make_node("Mystery", ["d"], ["e"], name="custom", domain="example.ops")]
    out = helper.make_tensor_value_info("e", TensorProto.FLOAT, None)
    model = helper.make_model(helper.make_graph(nodes, "g", [a, b], [out]),
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("example.ops", 1)])
    assert node_macs(model) == {"Einsum:0": 2 * 3 * 4 * 5}
    count = count_graph(model)
    assert count.uncounted == {"Mystery": 1}  # never silently zero
    assert [n.kind for n in count.nodes] == ["matmul", "elementwise", "other"]


def test_opset_23_attention_counts_qk_and_av() -> None:
    shapes = {"q": [2, 4, 6, 8], "k": [2, 4, 10, 8], "v": [2, 4, 10, 16]}
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in shapes.items()]
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node("Attention", ["q", "k", "v"], ["y"], name="attn")], "g", inputs, [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    assert node_macs(model) == {"attn": 2 * 4 * 6 * 10 * (8 + 16)}  # batch·heads·L·S·(E_qk + E_v)
    assert count_graph(model).nodes[0].kind == "attention"


@pytest.mark.parametrize("fmt", ["QDQ", "QOperator"])
def test_int8_graphs_from_onnxruntime_count_the_same(tmp_path: Path, fmt: str) -> None:
    import numpy as np

    quantization = pytest.importorskip("onnxruntime.quantization")

    class Calibration(quantization.CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{"input_0": np.random.default_rng(i).standard_normal((1, 3, 8, 8), np.float32)}
                                 for i in range(2)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3, groups=8), nn.Flatten(),
                          nn.Linear(8 * 4 * 4, 10))
    exported = export_onnx(model.eval(), (torch.randn(1, 3, 8, 8),), {"test": "int8"}, root=tmp_path)
    target = tmp_path / f"{fmt}.onnx"
    quantization.quantize_static(str(exported.path), str(target), Calibration(),
                                 quant_format=getattr(quantization.QuantFormat, fmt))
    count = count_onnx(target)
    assert count.macs == count_onnx(exported.path).macs == 8 * 6 * 6 * 27 + 8 * 4 * 4 * 9 + 128 * 10
    assert count.uncounted == {}
    expected = {"Conv": 8928, "Gemm": 1280} if fmt == "QDQ" else {"QLinearConv": 8928, "QGemm": 1280}
    assert count.by_op_type == expected


def test_run_values_gives_each_value_its_shape_and_element_size() -> None:
    import numpy as np

    pytest.importorskip("onnxruntime")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, "n"])
    scale = helper.make_tensor("scale", TensorProto.FLOAT, [], [0.1])
    zero = helper.make_tensor("zero", TensorProto.UINT8, [], [128])
    nodes = [helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["y"])]
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [out], [scale, zero]),
                              opset_imports=[helper.make_opsetid("", 17)])
    values = run_values(model, {"x": np.zeros((2, 5), np.float32)}, {"q", "y"})
    assert values == {"q": ((2, 5), 1), "y": ((2, 5), 4)}  # the shape a dynamic axis took; uint8 vs float32


def test_module_path_from_exporter_names() -> None:
    assert module_of("/layer1/layer1.0/conv1/Conv") == "layer1.0.conv1"
    assert module_of("/encoder/layers/encoder_layer_0/self_attention/MatMul") == (
        "encoder.layers.encoder_layer_0.self_attention")
    assert module_of("/Flatten") == ""


# Zoo models: the onnx count equals the meta count (benchmarks/results_onnx_count_agreement.md has all 72).
ZOO = {
    "resnet50": 4_089_184_256,
    "mobilenet_v3_large": 216_589_760,
    "efficientnet_b0": 385_814_752,
    "vit_b_16": 17_563_828_224,  # attention's Q·Kᵀ and A·V as MatMul nodes
    "bilstm_tagger": 10_355_200,  # bidirectional LSTM
    "gru_text_classifier": 75_497_984,  # GRU
    "r3d_18": 40_696_553_472,  # 3-D convolutions
    "deeplabv3_resnet50": 178_721_945_088,  # dilated convolutions, Resize
}


@pytest.mark.parametrize("model_id", list(ZOO))
def test_zoo_onnx_count_equals_meta_count(model_id: str) -> None:
    onnx_count = count_model(model_id, counter="onnx")
    meta = count_model(model_id)
    assert onnx_count.macs == meta.macs == ZOO[model_id]
    assert onnx_count.uncounted_ops == {} and onnx_count.counter == "onnx" and onnx_count.path == "cpu"
    assert onnx_count.params == meta.params  # from the module, as the other counters
    assert onnx_count.flops == 2 * onnx_count.macs and onnx_count.peak_activation_bytes > 0


def test_count_onnx_reads_a_graph_file(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
    exported = export_onnx(model.eval(), (torch.randn(1, 3, 8, 8),), {"test": "file"}, root=tmp_path)
    count = count_onnx(exported.path)
    assert count.by_op_type == {"Conv": 8 * 6 * 6 * 27, "Gemm": 288 * 10} and count.uncounted == {}
    assert count.params == 8 * 27 + 8 + 2880 + 10  # the exporter folded BatchNorm into the Conv
    assert count.peak_activation_bytes == 2 * 4 * 8 * 6 * 6  # the Relu's input and output (input freed)


def test_without_onnx_the_counter_is_a_usage_error_and_the_cross_check_skips_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from archsel.profiling.profiler import _cross_check

    monkeypatch.setitem(sys.modules, "onnx", None)  # what importlib sees when onnx is not installed
    with pytest.raises(UsageError, match=r'archsel\[onnx\]'):
        count_model("resnet18", counter="onnx")
    check = _cross_check("resnet18", "image-classification", None, 1, count_model("resnet18"))
    assert check["agree"] and set(check["macs"]) == {"meta", "fvcore"} and "archsel[onnx]" in check["skipped"]["onnx"]


def test_cross_check_has_three_counters_agreeing() -> None:
    from archsel.profiling.profiler import _cross_check

    check = _cross_check("resnet18", "image-classification", None, 1, count_model("resnet18"))
    assert check["agree"] and check["skipped"] == {} and check["errors"] == {}
    assert check["macs"] == {"fvcore": 1_814_073_344, "meta": 1_814_073_344, "onnx": 1_814_073_344}

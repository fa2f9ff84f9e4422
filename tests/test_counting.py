"""Counting is exact on the layers the zoo is built from, against formulas written from the PyTorch docs.

Each recurrent and attention case is counted three ways: archsel's meta-device trace, the same trace on
real CPU tensors (where PyTorch picks fused kernels: mkldnn LSTM, the MHA/encoder fast path) and the
fvcore counter (jit trace with archsel's handles). All must equal the analytic count.
"""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from archsel.errors import UsageError
from archsel.profiling.counting import COUNTERS, count_model, count_module, cross_check

# --- analytic formulas (gate equations of torch.nn.LSTM / GRU / RNN docs) -------------------------------


def rnn_analytic(cell: str, in_size: int, hidden: int, layers: int, bidirectional: bool, steps: int, batch: int,
                 proj: int = 0) -> int:
    """Per step and direction: each gate does W_i·x (hidden×in) and W_h·h (hidden×h_out) multiply-adds;
    LSTM has 4 gates (i, f, g, o), GRU 3 (r, z, n; W_hn·h is computed before r* applies), RNN 1.
    With proj_size, h_t = W_hr·(o ⊙ tanh c_t): h_out = proj, plus proj×hidden per step."""
    gates = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}[cell]
    directions = 2 if bidirectional else 1
    h_out = proj or hidden
    total = 0
    for layer in range(layers):
        layer_in = in_size if layer == 0 else directions * h_out
        per_step = gates * hidden * layer_in + gates * hidden * h_out + (proj * hidden if proj else 0)
        total += directions * steps * batch * per_step
    return total


def mha_analytic(batch: int, q_len: int, kv_len: int, embed: int) -> int:
    """Q projection L·E², K and V projections 2·S·E², Q·Kᵀ and A·V 2·L·S·E (all heads), output L·E²."""
    return batch * (2 * q_len * embed * embed + 2 * kv_len * embed * embed + 2 * q_len * kv_len * embed)


def _three_ways(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    """MACs by the meta trace, the trace on real CPU tensors, and fvcore."""
    meta_model = _to_meta(model)
    return {
        "meta": count_module(meta_model, (x.to("meta"),)).macs,
        "cpu": count_module(model, (x,)).macs,
        "fvcore": count_module(model, (x,), counter="fvcore").macs,
    }


def _to_meta(model: nn.Module) -> nn.Module:
    import copy

    return copy.deepcopy(model).to("meta")


RNN_CASES = [
    # cell, layers, bidirectional, batch_first, proj, unbatched
    ("lstm", 1, False, False, 0, False),
    ("lstm", 2, True, True, 0, False),
    ("lstm", 3, True, False, 0, False),
    ("lstm", 2, False, True, 6, False),
    ("lstm", 2, True, False, 6, False),
    ("lstm", 1, True, True, 0, True),
    ("gru", 1, False, True, 0, False),
    ("gru", 3, True, False, 0, False),
    ("gru", 2, True, True, 0, True),
    ("rnn_tanh", 1, True, False, 0, False),
    ("rnn_tanh", 3, False, True, 0, False),
    ("rnn_relu", 2, True, True, 0, False),
    ("rnn_relu", 1, False, False, 0, True),
]


@pytest.mark.parametrize(("cell", "layers", "bidir", "batch_first", "proj", "unbatched"), RNN_CASES)
def test_recurrent_layers_match_gate_equations(cell: str, layers: int, bidir: bool, batch_first: bool, proj: int,
                                               unbatched: bool) -> None:
    in_size, hidden, steps, batch = 10, 12, 7, 3
    torch.manual_seed(0)
    if cell == "lstm":
        model: nn.Module = nn.LSTM(in_size, hidden, layers, bidirectional=bidir, batch_first=batch_first,
                                   proj_size=proj)
    elif cell == "gru":
        model = nn.GRU(in_size, hidden, layers, bidirectional=bidir, batch_first=batch_first)
    else:
        model = nn.RNN(in_size, hidden, layers, nonlinearity=cell.split("_")[1], bidirectional=bidir,
                       batch_first=batch_first)
    model.eval()
    if unbatched:
        x, batch = torch.randn(steps, in_size), 1
    else:
        x = torch.randn(batch, steps, in_size) if batch_first else torch.randn(steps, batch, in_size)
    expected = rnn_analytic(cell, in_size, hidden, layers, bidir, steps, batch, proj)
    assert _three_ways(model, x) == dict.fromkeys(("meta", "cpu", "fvcore"), expected)
    # the latency estimator's sequential cell steps: time steps x layers x directions, whatever the batch
    # (on real CPU tensors an LSTM runs as oneDNN layers; GRU/RNN cells run as per-step matmuls instead)
    sequential = steps * layers * (2 if bidir else 1)
    paths = [("meta", count_module(_to_meta(model), (x.to("meta"),)))]
    if cell == "lstm" and proj == 0:
        paths.append(("cpu", count_module(model, (x,))))
    # and the hidden-to-hidden weights read at every step: gates x hidden x (proj_size or hidden)
    gates = {"lstm": 4, "gru": 3}.get(cell, 1)
    for path, result in paths:
        assert sum(o.steps for o in result.ops if o.kind == "recurrent") == sequential, path
        assert {o.state_weights for o in result.ops if o.kind == "recurrent" and o.macs} == \
            {gates * hidden * (proj or hidden)}, path


def test_lstm_design_figure() -> None:
    """DESIGN.md: nn.LSTM(80, 256, 2 layers, bidirectional), T=100 is 226,099,200 MACs."""
    with torch.device("meta"):
        model = nn.LSTM(80, 256, 2, bidirectional=True)
    result = count_module(model, (torch.empty(100, 1, 80, device="meta"),))
    assert result.macs == 226_099_200 == rnn_analytic("lstm", 80, 256, 2, True, 100, 1)
    assert result.flops == 2 * result.macs
    assert [o.kind for o in result.ops if o.macs] == ["recurrent"]


class _MHABlock(nn.Module):
    def __init__(self, embed: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(embed, heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x, need_weights=False)[0]


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_multihead_attention_fast_path_and_train_agree(mode: str) -> None:
    """Eval under no_grad takes the fused fast path (aten._native_multi_head_attention) on CPU tensors;
    train mode runs the composite path. Same count, equal to the formula."""
    batch, length, embed, heads = 2, 9, 16, 4
    torch.manual_seed(0)
    model = _MHABlock(embed, heads).train(mode == "train")
    x = torch.randn(batch, length, embed)
    expected = mha_analytic(batch, length, length, embed)
    assert _three_ways(model, x) == dict.fromkeys(("meta", "cpu", "fvcore"), expected)
    cpu_ops = {o.op for o in count_module(model, (x,)).ops}
    assert ("aten._native_multi_head_attention.default" in cpu_ops) == (mode == "eval")


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_transformer_encoder_fast_path_and_train_agree(mode: str) -> None:
    batch, length, embed, heads, ffn, layers = 2, 11, 16, 4, 24, 3
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(embed, heads, ffn, batch_first=True)
    model = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).train(mode == "train")
    x = torch.randn(batch, length, embed)
    expected = layers * (mha_analytic(batch, length, length, embed) + 2 * batch * length * embed * ffn)
    assert _three_ways(model, x) == dict.fromkeys(("meta", "cpu", "fvcore"), expected)
    cpu_ops = {o.op for o in count_module(model, (x,)).ops}
    assert ("aten._transformer_encoder_layer_fwd.default" in cpu_ops) == (mode == "eval")


def test_scaled_dot_product_attention() -> None:
    class SDPA(nn.Module):
        def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            return nn.functional.scaled_dot_product_attention(q, k, v)

    q, k, v = torch.randn(2, 3, 5, 8), torch.randn(2, 3, 7, 8), torch.randn(2, 3, 7, 6)
    expected = 2 * 3 * 5 * 7 * (8 + 6)
    model = SDPA()
    assert count_module(model, (q.to("meta"), k.to("meta"), v.to("meta"))).macs == expected
    assert count_module(model, (q, k, v)).macs == expected
    assert count_module(model, (q, k, v), counter="fvcore").macs == expected


# --- flagging: nothing silently zero --------------------------------------------------------------------

_LIB = torch.library.Library("archsel_test", "DEF")
_LIB.define("mix(Tensor x, Tensor w) -> Tensor")


@torch.library.impl(_LIB, "mix", "CompositeExplicitAutograd")
def _mix(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return x @ w.t()


@torch.library.register_fake("archsel_test::mix", lib=_LIB)
def _mix_fake(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return x.new_empty((*x.shape[:-1], w.shape[0]))


class _Mystery(nn.Module):
    """Has parameters and does its arithmetic through an op archsel does not know."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(5, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.archsel_test.mix(x, self.weight)


def test_unknown_arithmetic_is_reported_and_module_flagged() -> None:
    model = nn.Sequential(nn.Linear(4, 4), _Mystery(), nn.BatchNorm1d(5), nn.ReLU())
    x = torch.randn(3, 4)
    for result in (count_module(model, (x,)), count_module(_to_meta(model), (x.to("meta"),))):
        assert result.uncounted_ops == {"archsel_test.mix.default": 1}
        assert result.zero_mac_modules == ["1"]  # the BatchNorm (a known norm) is not flagged
        assert result.macs == 3 * 4 * 4  # the Linear only
        [mystery] = [o for o in result.ops if o.module == "1"]
        assert not mystery.counted and mystery.kind == "other"


def test_shared_weights_counted_once() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(100, 8)
            self.head = nn.Linear(8, 100, bias=False)
            self.head.weight = self.embed.weight

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.head(self.embed(ids))

    result = count_module(Tied(), (torch.randint(0, 100, (2, 5)),))
    assert result.params == 800 and result.param_bytes == 3200
    assert result.macs == 2 * 5 * 8 * 100
    assert result.zero_mac_modules == []


def test_depthwise_conv_is_classified() -> None:
    model = nn.Sequential(nn.Conv2d(8, 8, 3, groups=8), nn.Conv2d(8, 16, 3, groups=2), nn.Conv2d(16, 4, 1))
    result = count_module(_to_meta(model), (torch.empty(1, 8, 10, 10, device="meta"),))
    assert [o.kind for o in result.ops if o.macs] == ["depthwise_conv", "conv", "conv"]
    assert result.macs == 8 * 9 * 64 + 16 * 4 * 9 * 36 + 4 * 16 * 36


def test_gemms_record_their_smaller_output_dimension() -> None:
    """A linear layer on 1 row, on 64 tokens of 2 sequences (rows = tokens: 128 x 512 -> min 128), a head
    of 10 columns (min 10) and a batched matmul: the estimator sizes a GEMM's efficiency by this."""

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj, self.head = nn.Linear(32, 512), nn.Linear(512, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.proj(x)
            return self.head(torch.bmm(h, h.transpose(1, 2)) @ h)

    result = count_module(_to_meta(Net()), (torch.empty(2, 64, 32, device="meta"),))
    gemms = [(o.op.split(".")[1], o.gemm_min_dim) for o in result.ops if o.kind == "matmul"]
    assert gemms == [("addmm", 128), ("bmm", 64), ("bmm", 64), ("addmm", 10)], gemms
    one_row = count_module(_to_meta(nn.Linear(32, 512)), (torch.empty(1, 32, device="meta"),))
    assert [o.gemm_min_dim for o in one_row.ops if o.kind == "matmul"] == [1]
    assert all(o.gemm_min_dim == 0 for o in result.ops if o.kind != "matmul")


def test_bytes_and_peak_activation() -> None:
    """A 1×1 conv then ReLU on [1, 4, 8, 8] fp32: the conv reads input (1 KiB) and weights, writes 2 KiB;
    input, conv output and ReLU output are alive together at the end (1 + 2 + 2 KiB)."""
    model = _to_meta(nn.Sequential(nn.Conv2d(4, 8, 1, bias=False), nn.ReLU()))
    result = count_module(model, (torch.empty(1, 4, 8, 8, device="meta"),))
    conv = next(o for o in result.ops if o.kind == "conv")
    assert (conv.bytes_read, conv.bytes_written) == (1024 + 8 * 4 * 4, 2048)
    assert conv.module == "0"
    assert result.peak_activation_bytes == 1024 + 2048 + 2048
    assert result.param_bytes == 8 * 4 * 4


# --- the zoo-facing API ---------------------------------------------------------------------------------


def test_count_model_result_and_by_module() -> None:
    result = count_model("resnet50")
    assert result.counter == "meta" and result.path == "meta" and result.dtype == "float32"
    assert result.input_shapes == [[1, 3, 224, 224]] and result.batch == 1
    rows = {r["module"]: r for r in result.by_module(1)}
    assert sum(int(r["macs"]) for r in rows.values()) == result.macs  # type: ignore[call-overload]
    assert sum(int(r["params"]) for r in rows.values()) == result.params  # type: ignore[call-overload]
    assert rows["fc"]["macs"] == 2048 * 1000
    data = json.loads(json.dumps(result.to_dict()))
    assert data["flops"] == 2 * data["macs"] and data["params"] == 25_557_032
    assert data["uncounted_ops"] == {} and data["peak_activation_bytes"] > 0
    batched = count_model("resnet50", input_shape=(4, 3, 224, 224))
    assert batched.batch == 4 and batched.input_shapes == [[4, 3, 224, 224]]
    assert batched.macs == 4 * result.macs
    assert count_model("resnet50", input_shape=(3, 112, 112), batch=2).input_shapes == [[2, 3, 112, 112]]
    half = count_model("resnet50", dtype="float16")
    assert half.macs == result.macs and half.param_bytes * 2 == result.param_bytes


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown counter"):
        count_model("resnet50", counter="thop")
    with pytest.raises(UsageError, match="dimensions"):
        count_model("resnet50", input_shape=(3, 224))
    with pytest.raises(UsageError, match="fvcore counter needs real tensors"):
        count_module(_to_meta(nn.Linear(2, 2)), (torch.empty(1, 2, device="meta"),), counter="fvcore")
    assert COUNTERS == ("meta", "fvcore", "onnx")


def test_cross_check_reports_agreement() -> None:
    check = cross_check("resnet18")
    assert check.agree and check.meta.macs == check.fvcore.macs
    assert "agree" in check.message() and check.fvcore.path == "cpu"

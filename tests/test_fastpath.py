"""The meta trace marks exactly the transformer modules that run PyTorch's fused inference kernels on a real
device: checked against the kernels the profiler sees on CPU tensors, for each fast-path condition."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from archsel.profiling.counting import count_model
from archsel.profiling.trace import run_trace
from archsel.zoo.inputs import make_inputs
from archsel.zoo.registry import get_model, get_model_entry, resolve_task

FUSED_LAYER = "aten::_transformer_encoder_layer_fwd"
FUSED_ATTENTION = "aten::_native_multi_head_attention"
D, L = 16, 5


class Call(nn.Module):
    """Runs `block` the way `call` says (so that masks and query/key/value identity can vary)."""

    def __init__(self, block: nn.Module, call: Callable[[nn.Module, torch.Tensor], Any]) -> None:
        super().__init__()
        self.block = block
        self.call = call

    def forward(self, x: torch.Tensor) -> Any:
        return self.call(self.block, x)


def _causal(x: torch.Tensor) -> torch.Tensor:
    return nn.Transformer.generate_square_subsequent_mask(x.shape[1], device=x.device)


def _pad(x: torch.Tensor) -> torch.Tensor:
    return torch.zeros(x.shape[0], x.shape[1], dtype=torch.bool, device=x.device)


def _kernels(model: nn.Module, inputs: tuple[Any, ...]) -> dict[str, int]:
    """Fused kernels the profiler sees in one inference pass on CPU tensors."""
    with torch.inference_mode():
        model(*inputs)
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            model(*inputs)
    counts = {e.key: e.count for e in prof.key_averages()}
    return {k: counts.get(k, 0) for k in (FUSED_LAYER, FUSED_ATTENTION)}


def _predicted(model: nn.Module, ops: list[Any]) -> dict[str, int]:
    """The same counts from the trace's fused regions (a layer's kernel runs the attention kernel too)."""
    modules = dict(model.named_modules())
    regions = {op.fused for op in ops if op.fused}
    layers = sum(isinstance(modules.get(r), nn.TransformerEncoderLayer) for r in regions)
    attention = sum(isinstance(modules.get(r), nn.MultiheadAttention) for r in regions)
    return {FUSED_LAYER: layers, FUSED_ATTENTION: attention + layers}


def _layer(**kw: Any) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(D, kw.pop("nhead", 2), 2 * D, **{"batch_first": True, **kw})


def _mha(**kw: Any) -> nn.MultiheadAttention:
    return nn.MultiheadAttention(D, kw.pop("heads", 2), **{"batch_first": True, **kw})


CASES: dict[str, tuple[Callable[[], nn.Module], Callable[[nn.Module, torch.Tensor], Any], int, int]] = {
    # name: (block, how it is called, fused layer kernels, fused attention kernels)
    "encoder layer": (_layer, lambda m, x: m(x), 1, 1),
    "encoder layer, norm first": (lambda: _layer(norm_first=True), lambda m, x: m(x), 1, 1),
    "encoder layer, causal float mask": (_layer, lambda m, x: m(x, src_mask=_causal(x)), 1, 1),
    "encoder layer, padding mask": (_layer, lambda m, x: m(x, src_key_padding_mask=_pad(x)), 1, 1),
    "encoder layer, sequence first": (lambda: _layer(batch_first=False), lambda m, x: m(x), 0, 0),
    "encoder layer, odd heads": (lambda: nn.TransformerEncoderLayer(15, 3, 30, batch_first=True),
                                 lambda m, x: m(x[..., :15]), 0, 0),
    "encoder layer, SiLU (its attention still fuses)": (lambda: _layer(activation=nn.SiLU()),
                                                        lambda m, x: m(x), 0, 1),
    "self-attention": (_mha, lambda m, x: m(x, x, x, need_weights=False), 0, 1),
    "self-attention with weights": (_mha, lambda m, x: m(x, x, x), 0, 1),
    "self-attention, bool padding mask": (_mha, lambda m, x: m(x, x, x, key_padding_mask=_pad(x)), 0, 1),
    "self-attention, float mask": (_mha, lambda m, x: m(x, x, x, attn_mask=_causal(x)), 0, 0),
    "cross-attention": (_mha, lambda m, x: m(x, x + 1, x + 1, need_weights=False), 0, 0),
    "self-attention, odd heads": (lambda: nn.MultiheadAttention(15, 3, batch_first=True),
                                  lambda m, x: m(x[..., :15], x[..., :15], x[..., :15]), 0, 0),
    "self-attention, bias_k": (lambda: _mha(add_bias_kv=True), lambda m, x: m(x, x, x), 0, 0),
    "decoder layer (self-attention fuses)": (lambda: nn.TransformerDecoderLayer(D, 2, 2 * D, batch_first=True),
                                             lambda m, x: m(x, x + 1), 0, 1),
    "decoder layer, causal": (lambda: nn.TransformerDecoderLayer(D, 2, 2 * D, batch_first=True),
                              lambda m, x: m(x, x + 1, tgt_mask=_causal(x)), 0, 0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_trace_marks_the_modules_that_fuse_on_a_real_device(name: str) -> None:
    block, call, layers, attention = CASES[name]
    model = Call(block(), call).eval()
    x = torch.randn(2, L, D)
    seen = _kernels(model, (x,))
    assert seen == {FUSED_LAYER: layers, FUSED_ATTENTION: attention}, "the case itself"
    trace, _ = run_trace(copy.deepcopy(model).to("meta"), (x.to("meta"),))
    assert _predicted(model, trace.ops) == seen


def test_training_mode_and_autograd_take_the_slow_path() -> None:
    model = Call(_layer(), lambda m, x: m(x))
    trace, _ = run_trace(copy.deepcopy(model).to("meta"), (torch.empty(1, L, D, device="meta"),))
    assert not any(op.fused for op in trace.ops)  # training mode
    trace, _ = run_trace(copy.deepcopy(model).eval().to("meta"), (torch.empty(1, L, D, device="meta"),),
                         grad=True)
    assert not any(op.fused for op in trace.ops)  # autograd on, parameters require grad
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        trace, _ = run_trace(copy.deepcopy(model).eval().to("meta"), (torch.empty(1, L, D, device="meta"),))
        assert not any(op.fused for op in trace.ops)
    finally:
        torch.backends.mha.set_fastpath_enabled(True)


@pytest.mark.parametrize("model_id", ["transformer_forecaster", "transformer_text_classifier", "multimodal_xattn",
                                      "conformer_asr", "transformer_seq2seq"])
def test_zoo_fused_regions_match_the_kernels_run_on_cpu(model_id: str) -> None:
    entry = get_model_entry(model_id)
    spec = entry.inputs[resolve_task(entry, None)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = get_model(model_id, device="cpu").eval()
    seen = _kernels(model, make_inputs(spec, 1, device="cpu"))
    assert seen[FUSED_ATTENTION] > 0
    assert _predicted(model, count_model(model_id).ops) == seen

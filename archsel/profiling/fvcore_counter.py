"""fvcore's FlopCountAnalysis, extended with archsel's handles for the ops fvcore counts as 0.

fvcore traces with TorchScript (real CPU tensors) and counts one multiply-add as one flop, i.e. MACs.
archsel adds handles for recurrent layers, the fused attention ops and a broadcasting-safe matmul, and
ignores norms/upsampling/pooling (fvcore counts them by default) to follow torchvision's `_ops`
convention. Every node of the traced graph becomes an op record with its module, bytes and MACs.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

import torch
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_analysis import Statistics, _get_scoped_trace_graph
from fvcore.nn.jit_handles import get_shape
from torch import nn
from torch.jit import TracerWarning

from archsel.profiling.op_macs import (
    encoder_layer_macs,
    is_view,
    mha_macs,
    op_kind,
    rnn_macs,
    sdpa_macs,
)


def _shape(v: Any) -> list[int]:
    shape = get_shape(v)
    if shape is None:
        raise ValueError(f"no complete shape for jit value {v.debugName()}")
    return list(shape)


def _list_shapes(v: Any) -> list[list[int]]:
    """Shapes of the tensors in a TensorList value built by prim::ListConstruct."""
    node = v.node()
    if node.kind() != "prim::ListConstruct":
        raise ValueError(f"cannot read the tensor list {v.debugName()} ({node.kind()})")
    return [_shape(i) for i in node.inputs() if i.isCompleteTensor()]


def rnn_handle(inputs: list[Any], outputs: list[Any]) -> int:
    """aten::lstm / gru / rnn_tanh / rnn_relu: padded (3-D input, params at 2) or packed (2-D data, at 3)."""
    data = _shape(inputs[0])
    if len(data) == 2:
        return rnn_macs(data[0], _list_shapes(inputs[3]))
    return rnn_macs(data[0] * data[1], _list_shapes(inputs[2]))


def mha_handle(inputs: list[Any], outputs: list[Any]) -> int:
    """aten::_native_multi_head_attention (nn.MultiheadAttention's fast path)."""
    return mha_macs(_shape(inputs[0]), _shape(inputs[1]))


def encoder_layer_handle(inputs: list[Any], outputs: list[Any]) -> int:
    """aten::_transformer_encoder_layer_fwd (nn.TransformerEncoderLayer's fast path)."""
    return encoder_layer_macs(_shape(inputs[0]), _shape(inputs[14])[0])


def sdpa_handle(inputs: list[Any], outputs: list[Any]) -> int:
    """aten::scaled_dot_product_attention (and the CPU flash variant)."""
    return sdpa_macs(_shape(inputs[0]), _shape(inputs[1]), _shape(inputs[2]))


def matmul_handle(inputs: list[Any], outputs: list[Any]) -> int:
    """aten::matmul / mm / bmm with broadcasting: output elements × the contracted length."""
    a = _shape(inputs[0])
    return math.prod(_shape(outputs[0])) * a[-1]


def baddbmm_handle(inputs: list[Any], outputs: list[Any]) -> int:
    """aten::baddbmm / addbmm / addmv: the product of inputs 1 and 2."""
    return math.prod(_shape(outputs[0])) * _shape(inputs[1])[-1] if _shape(outputs[0]) else 0


def mv_handle(inputs: list[Any], outputs: list[Any]) -> int:
    return math.prod(_shape(inputs[0]))


def addbmm_handle(inputs: list[Any], outputs: list[Any]) -> int:
    b1, b2 = _shape(inputs[1]), _shape(inputs[2])
    return b1[0] * b1[1] * b1[2] * b2[2]


ARCHSEL_HANDLES = {
    "aten::lstm": rnn_handle,
    "aten::gru": rnn_handle,
    "aten::rnn_tanh": rnn_handle,
    "aten::rnn_relu": rnn_handle,
    "aten::_native_multi_head_attention": mha_handle,
    "aten::_transformer_encoder_layer_fwd": encoder_layer_handle,
    "aten::scaled_dot_product_attention": sdpa_handle,
    "aten::_scaled_dot_product_flash_attention_for_cpu": sdpa_handle,
    "aten::matmul": matmul_handle,
    "aten::mm": matmul_handle,
    "aten::bmm": matmul_handle,
    "aten::baddbmm": baddbmm_handle,
    "aten::addbmm": addbmm_handle,
    "aten::mv": mv_handle,
    "aten::addmv": lambda i, o: math.prod(_shape(i[1])),
    "aten::dot": mv_handle,
}
# fvcore counts these by default; torchvision's `_ops` (and archsel) do not.
CONVENTION_IGNORED = ("aten::batch_norm", "aten::group_norm", "aten::layer_norm", "aten::instance_norm",
                      "aten::upsample_nearest2d", "aten::upsample_bilinear2d", "aten::adaptive_avg_pool2d",
                      "aten::grid_sampler")


class ArchselFlopCountAnalysis(FlopCountAnalysis):
    """FlopCountAnalysis (MACs) with archsel's handles; also keeps one record per traced op."""

    def __init__(self, model: nn.Module, inputs: Any) -> None:
        super().__init__(model, inputs)
        self.set_op_handle(**ARCHSEL_HANDLES)
        self.set_op_handle(**dict.fromkeys(CONVENTION_IGNORED))
        for name in CONVENTION_IGNORED:
            self._op_handles.pop(name, None)
        self.unsupported_ops_warnings(False)
        self.uncalled_modules_warnings(False)
        self.records: list[dict[str, Any]] = []
        self.peak_activation_bytes = 0
        self.params_read_counted: set[str] = set()
        self.params_read_uncounted: set[str] = set()

    def _analyze(self) -> Statistics:
        cached: Statistics | None = getattr(self, "_stats", None)
        if cached is not None:
            return cached
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=TracerWarning)
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.filterwarnings("ignore", category=UserWarning)
            graph = _get_scoped_trace_graph(self._model, self._inputs, self._aliases)
        counts: dict[str, Counter[str]] = {}
        unsupported: dict[str, Counter[str]] = {}
        for _, mod in self._model.named_modules(remove_duplicate=False):
            name = self._aliases[mod]
            counts[name], unsupported[name] = Counter(), Counter()
        param_names = _graph_param_names(self._model, graph)
        nodes = [n for n in graph.nodes() if not n.kind().startswith("prim::")]
        last_use = _last_use(graph)
        live: dict[Any, int] = {}
        current = peak = 0
        for v in graph.inputs():
            if v.debugName() not in param_names and v.isCompleteTensor():
                live[v] = _value_bytes(v)
                current += live[v]
        peak = current
        for index, node in enumerate(nodes):
            kind_name = node.kind()
            module = node.scopeName().split("/")[-1]
            module = self._aliases.get(module, module)
            ancestors = self._get_all_ancestors(module)
            ins, outs = list(node.inputs()), list(node.outputs())
            handle = self._op_handles.get(kind_name)
            macs = _as_int(handle(ins, outs)) if handle is not None else 0
            kind, counted = _classify(kind_name, handle is not None, kind_name in self._ignored_ops)
            if kind == "conv" and _jit_depthwise(ins):
                kind = "depthwise_conv"
            for a in ancestors:
                if handle is not None:
                    counts[a][self._simplify_op_name(kind_name)] += macs
                elif not counted:
                    unsupported[a][kind_name] += 1
            used = {param_names[i.debugName()] for i in ins if i.debugName() in param_names}
            (self.params_read_counted if counted else self.params_read_uncounted).update(used)
            view = _is_view(kind_name)
            self.records.append({
                "op": kind_name.replace("::", "."), "kind": kind, "module": module, "macs": macs,
                "bytes_read": 0 if view else sum(_value_bytes(i) for i in ins),
                "bytes_written": 0 if view else sum(_value_bytes(o) for o in outs), "counted": counted,
            })
            for o in outs:
                if o.isCompleteTensor() and not view:
                    live[o] = _value_bytes(o)
                    current += live[o]
            peak = max(peak, current)
            for v in [*ins, *outs]:
                if v in live and last_use.get(v, -1) <= index:
                    current -= live.pop(v)
        self.peak_activation_bytes = peak
        uncalled = set(self._aliases.values()) - {r["module"] for r in self.records}
        self._stats = Statistics(counts=counts, unsupported_ops=unsupported, uncalled_mods=uncalled)
        return self._stats


def _as_int(value: Any) -> int:
    return int(sum(value.values())) if isinstance(value, Counter) else int(value)


def _graph_param_names(model: nn.Module, graph: Any) -> dict[str, str]:
    """Graph input debug name -> parameter/buffer name (the trace appends the unique state dict to the inputs)."""
    state = list(torch.jit._unique_state_dict(model, keep_vars=True).keys())
    inputs = list(graph.inputs())
    if len(state) > len(inputs):
        return {}
    tail = inputs[len(inputs) - len(state):]
    return {v.debugName(): name for v, name in zip(tail, state, strict=True)}


def _last_use(graph: Any) -> dict[Any, int]:
    last: dict[Any, int] = {}
    for index, node in enumerate(n for n in graph.nodes() if not n.kind().startswith("prim::")):
        for v in node.inputs():
            last[v] = index
    for v in graph.outputs():
        last[v] = 1 << 60
    return last


def _value_bytes(v: Any) -> int:
    if not v.isCompleteTensor():
        return 0
    t = v.type()
    dtype = t.dtype()
    size = torch.empty((), dtype=dtype).element_size() if dtype is not None else 4
    return math.prod(t.sizes()) * size


def _jit_depthwise(ins: Sequence[Any]) -> bool:
    try:
        groups = ins[8].toIValue()
        return bool(groups and groups > 1 and groups == _shape(ins[0])[1])
    except (IndexError, ValueError, RuntimeError):
        return False


@cache
def _aten_overload(kind_name: str) -> Any:
    ns, _, name = kind_name.partition("::")
    try:
        packet = getattr(getattr(torch.ops, ns), name)
        overloads = packet.overloads()
        return getattr(packet, "default" if "default" in overloads else overloads[0])
    except (AttributeError, IndexError, RuntimeError):
        return None


def _is_view(kind_name: str) -> bool:
    func = _aten_overload(kind_name)
    return func is not None and is_view(func)


_HANDLE_KINDS = {"aten::_convolution": "conv", "aten::lstm": "recurrent", "aten::gru": "recurrent",
                 "aten::rnn_tanh": "recurrent", "aten::rnn_relu": "recurrent",
                 "aten::_native_multi_head_attention": "attention", "aten::_transformer_encoder_layer_fwd":
                 "attention", "aten::scaled_dot_product_attention": "attention",
                 "aten::_scaled_dot_product_flash_attention_for_cpu": "attention"}


def _classify(kind_name: str, has_handle: bool, ignored: bool) -> tuple[str, bool]:
    """(kind, counted) of a jit node, using archsel's op classification."""
    if has_handle:
        return _HANDLE_KINDS.get(kind_name, "matmul"), True
    func = _aten_overload(kind_name)
    kind = op_kind(func) if func is not None else None
    if kind is None and kind_name in ("aten::linear", "aten::einsum"):
        return "matmul", True
    if kind is None:
        return "other", ignored  # fvcore's ignore list: known to do no arithmetic
    return kind, True


def fvcore_trace(model: nn.Module, inputs: tuple[Any, ...]) -> tuple[list[dict[str, Any]], int, list[str]]:
    """Records of every traced op, peak live activation bytes, and modules flagged for zero MACs."""
    analysis = ArchselFlopCountAnalysis(model, inputs)
    with torch.no_grad():
        by_module = analysis.by_module()
    flagged = []
    for name, mod in model.named_modules():
        direct = [n for n, _ in mod.named_parameters(recurse=False)]
        if not direct or by_module.get(name, 0):
            continue
        full = {f"{name}.{n}" if name else n for n in direct}
        if full & analysis.params_read_uncounted or not full <= analysis.params_read_counted:
            flagged.append(name)
    return analysis.records, analysis.peak_activation_bytes, flagged

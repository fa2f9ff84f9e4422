"""MAC formulas per aten op, and the kind of every op (conv, matmul, attention, norm, ...).

Convention (torchvision's `_ops`): only multiply-accumulates of convolutions, matrix products,
attention and recurrent cells count. Norms, softmax, activations, pooling and other elementwise
arithmetic are *counted* (known, classified) with 0 MACs by convention. An op archsel cannot classify
is reported as uncounted, never silently zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import torch
from torch.utils.flop_counter import flop_registry

aten = torch.ops.aten
KINDS = ("conv", "depthwise_conv", "matmul", "attention", "recurrent", "norm", "elementwise", "pooling",
         "data_movement", "other")

MacFormula = Callable[..., int]


def _numel(t: Any) -> int:
    return math.prod(t.shape) if isinstance(t, torch.Tensor) else 0


def _from_flops(packet: Any) -> MacFormula:
    """Wrap torch's registered FLOP formula (2 per multiply-add) as a MAC formula."""
    formula = flop_registry[packet]

    def macs(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
        return int(formula(*args, **kwargs, out_val=out)) // 2

    return macs


def rnn_macs(steps_times_batch: int, weight_shapes: Sequence[Sequence[int]]) -> int:
    """Per step and sample an RNN cell does one MAC per element of each weight matrix (W_ih, W_hh, W_hr)."""
    return steps_times_batch * sum(math.prod(s) for s in weight_shapes if len(s) == 2)


def _shapes(tensors: Sequence[Any]) -> list[tuple[int, ...]]:
    return [tuple(t.shape) for t in tensors if isinstance(t, torch.Tensor)]


def _rnn_aten(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """aten.lstm/gru/rnn_tanh/rnn_relu: `.input` (padded, 3-D input) and `.data` (packed, 2-D data)."""
    data = args[0]
    if data.dim() == 2:  # .data overload: (data, batch_sizes, hx, params, ...)
        return rnn_macs(data.shape[0], _shapes(args[3]))
    return rnn_macs(data.shape[0] * data.shape[1], _shapes(args[2]))


def _mkldnn_rnn_layer(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    x = args[0]  # one layer, one direction
    return rnn_macs(x.shape[0] * x.shape[1], _shapes([args[1], args[2]]))


def _cudnn_rnn(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    x = args[0]
    steps_batch = x.shape[0] if x.dim() == 2 else x.shape[0] * x.shape[1]
    return rnn_macs(steps_batch, _shapes(args[1]))


def rnn_steps(func: Any, args: Sequence[Any]) -> int:
    """Sequential cell steps of a recurrent op: time steps x layers x directions (0 when not recurrent).

    These run one after another whatever the batch, so their fixed cost per step does not shrink with it.
    aten.lstm/gru/rnn_*: `.input` (input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
    batch_first) or `.data` (data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
    bidirectional); mkldnn_rnn_layer: one layer and direction, time-first input; _cudnn_rnn: (input, ...,
    num_layers at 9, batch_first at 10, bidirectional at 13, batch_sizes at 14).
    """
    name = getattr(getattr(func, "overloadpacket", None), "__name__", "")
    try:
        x = args[0]
        if name in ("lstm", "gru", "rnn_tanh", "rnn_relu"):
            if x.dim() == 2:  # packed
                return len(args[1]) * int(args[5]) * (2 if args[8] else 1)
            steps = x.shape[1] if (len(args) > 8 and args[8] and x.dim() == 3) else x.shape[0]
            return int(steps) * int(args[4]) * (2 if args[7] else 1)
        if name == "mkldnn_rnn_layer":  # the caller has already made the input time-first
            return int(x.shape[0])
        if name == "_cudnn_rnn":
            packed = args[14] is not None and len(args[14]) > 0
            time_steps = len(args[14]) if packed else (x.shape[1] if args[10] else x.shape[0])
            return int(time_steps) * int(args[9]) * (2 if args[13] else 1)
    except (AttributeError, IndexError, TypeError):
        return 0
    return 0


def rnn_state_weights(func: Any, args: Sequence[Any]) -> int:
    """Elements of the hidden-to-hidden weight matrix a recurrent op re-reads at every step (its first
    layer's; all layers share the shape): gates x hidden x hidden (x proj_size with projections). 0 when
    unknown. Libraries pick their algorithm by it (cuDNN launches kernels per step above a size)."""
    name = getattr(getattr(func, "overloadpacket", None), "__name__", "")
    try:
        if name in ("lstm", "gru", "rnn_tanh", "rnn_relu"):
            params = args[3] if args[0].dim() == 2 else args[2]  # packed `.data` overload: params at 3
            return int(math.prod(params[1].shape))
        if name == "mkldnn_rnn_layer":
            return int(math.prod(args[2].shape))
        if name == "_cudnn_rnn" and len(args[1]) > 1:
            return int(math.prod(args[1][1].shape))
    except (AttributeError, IndexError, TypeError):
        return 0
    return 0


def gemm_min_dim(func: Any, out: Any) -> int:
    """The smaller of a GEMM's two output dimensions (rows x columns of mm/addmm/bmm/baddbmm; rows are
    batch x tokens for a linear layer), 0 for other ops. CPU GEMM libraries reach their rate only when both
    are large: on one x86 core a 16-row GEMM ran at 0.68, a 64-row one at 0.9 of a square GEMM's rate."""
    if getattr(func, "overloadpacket", None) not in _MATMUL_PACKETS:
        return 0
    shape: tuple[int, ...] = tuple(getattr(out, "shape", ()))
    return int(min(shape[-2:])) if len(shape) >= 2 else 0


def _lead(shape: Sequence[int], keep: int) -> int:
    return math.prod(shape[:-keep]) if len(shape) > keep else 1


def attention_macs(batch: int, q_len: int, kv_len: int, embed: int, v_embed: int | None = None) -> int:
    """Q·Kᵀ and softmax(·)·V over all heads: batch·L·S·(E_qk + E_v)."""
    return batch * q_len * kv_len * (embed + (embed if v_embed is None else v_embed))


def mha_macs(q_shape: Sequence[int], k_shape: Sequence[int]) -> int:
    """nn.MultiheadAttention: Q, K, V and output projections plus attention (embed dim = last axis)."""
    embed = q_shape[-1]
    batch, q_len, kv_len = _lead(q_shape, 2), q_shape[-2], k_shape[-2]
    proj = batch * (2 * q_len * embed * embed + 2 * kv_len * embed * embed)
    return proj + attention_macs(batch, q_len, kv_len, embed)


def encoder_layer_macs(src_shape: Sequence[int], ffn_dim: int) -> int:
    """nn.TransformerEncoderLayer: self-attention block plus the two feed-forward linears."""
    embed, batch, length = src_shape[-1], _lead(src_shape, 2), src_shape[-2]
    return mha_macs(src_shape, src_shape) + 2 * batch * length * embed * ffn_dim


def sdpa_macs(q_shape: Sequence[int], k_shape: Sequence[int], v_shape: Sequence[int]) -> int:
    return attention_macs(_lead(q_shape, 2), q_shape[-2], k_shape[-2], q_shape[-1], v_shape[-1])


def _native_mha(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    return mha_macs(args[0].shape, args[1].shape)


def _encoder_layer_fwd(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    return encoder_layer_macs(args[0].shape, args[14].shape[0])


def _sdpa(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    return sdpa_macs(args[0].shape, args[1].shape, args[2].shape)


def _mv(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    return _numel(args[0])


def _addmv(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    return _numel(args[1])


def _dot(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    return _numel(args[0])


def _addbmm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    b1, b2 = args[1], args[2]
    return b1.shape[0] * b1.shape[1] * b1.shape[2] * b2.shape[2]


_CONV_PACKETS = (aten.convolution, aten._convolution, aten.cudnn_convolution, aten.convolution_overrideable,
                 aten._slow_conv2d_forward)
_MATMUL_PACKETS = (aten.mm, aten.addmm, aten.bmm, aten.baddbmm)
_SDPA_FLOPS_PACKETS = (aten._scaled_dot_product_efficient_attention, aten._scaled_dot_product_flash_attention,
                       aten._scaled_dot_product_cudnn_attention)

# op packet -> (kind, MAC formula(args, kwargs, out))
MAC_OPS: dict[Any, tuple[str, MacFormula]] = {
    **{p: ("conv", _from_flops(p)) for p in _CONV_PACKETS},
    **{p: ("matmul", _from_flops(p)) for p in _MATMUL_PACKETS},
    **{p: ("attention", _from_flops(p)) for p in _SDPA_FLOPS_PACKETS},
    aten.mv: ("matmul", _mv),
    aten.addmv: ("matmul", _addmv),
    aten.dot: ("matmul", _dot),
    aten.vdot: ("matmul", _dot),
    aten.addbmm: ("matmul", _addbmm),
    aten._scaled_dot_product_flash_attention_for_cpu: ("attention", _sdpa),
    aten._native_multi_head_attention: ("attention", _native_mha),
    aten._transformer_encoder_layer_fwd: ("attention", _encoder_layer_fwd),
    aten.lstm: ("recurrent", _rnn_aten),
    aten.gru: ("recurrent", _rnn_aten),
    aten.rnn_tanh: ("recurrent", _rnn_aten),
    aten.rnn_relu: ("recurrent", _rnn_aten),
    aten.mkldnn_rnn_layer: ("recurrent", _mkldnn_rnn_layer),
    aten._cudnn_rnn: ("recurrent", _cudnn_rnn),
}

# Ops that do arithmetic outside the MAC convention, or none: known, so counted with 0 MACs.
_NORM = {"native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
         "_native_batch_norm_legit_functional", "batch_norm", "_batch_norm_impl_index", "_batch_norm_with_update",
         "_batch_norm_no_update", "cudnn_batch_norm", "miopen_batch_norm", "native_layer_norm", "layer_norm",
         "native_group_norm", "group_norm", "instance_norm", "rms_norm", "_fused_rms_norm", "local_response_norm"}
_POOLING = {"max_pool1d", "max_pool2d", "max_pool3d", "max_pool2d_with_indices", "max_pool3d_with_indices",
            "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
            "adaptive_avg_pool3d", "_adaptive_avg_pool2d", "_adaptive_avg_pool3d", "adaptive_max_pool1d",
            "adaptive_max_pool2d", "adaptive_max_pool3d", "upsample_nearest1d", "upsample_nearest2d",
            "upsample_nearest3d", "_upsample_nearest_exact1d", "_upsample_nearest_exact2d",
            "_upsample_nearest_exact3d", "upsample_linear1d", "upsample_bilinear2d", "_upsample_bilinear2d_aa",
            "upsample_bicubic2d", "_upsample_bicubic2d_aa", "upsample_trilinear3d", "grid_sampler_2d",
            "grid_sampler_3d", "grid_sampler", "roi_align", "roi_pool", "ps_roi_align", "ps_roi_pool",
            "max_unpool2d", "max_unpool3d", "fractional_max_pool2d", "pixel_shuffle", "pixel_unshuffle"}
_ELEMENTWISE = {"_softmax", "softmax", "_log_softmax", "log_softmax", "cumsum", "cumprod", "logcumsumexp",
                "cummax", "cummin", "_safe_softmax", "_masked_softmax", "linalg_vector_norm", "norm", "var",
                "var_mean", "std", "std_mean", "_euclidean_dist", "_cdist_forward", "cdist", "dist",
                "renorm", "logsumexp", "_weight_norm_interface", "polar", "_fused_dropout", "native_dropout",
                "dropout", "feature_dropout", "alpha_dropout", "bernoulli", "_prelu_kernel", "prelu",
                "hardtanh", "glu", "clamp", "clamp_min", "clamp_max", "sum", "mean", "prod", "amax", "amin",
                "max", "min", "aminmax", "softplus", "threshold", "elu", "gelu", "silu", "mish", "hardswish",
                "hardsigmoid", "leaky_relu", "rrelu_with_noise", "celu", "selu", "logit", "hypot", "lerp",
                "addcmul", "addcdiv", "rsub", "_foreach_add", "_foreach_mul", "diff", "trace"}
_DATA_MOVEMENT = {"clone", "_to_copy", "copy", "copy_", "cat", "stack", "index", "index_select", "gather",
                  "scatter", "scatter_add", "scatter_reduce", "index_put", "index_put_", "_index_put_impl_",
                  "index_add", "index_copy", "index_fill", "masked_fill", "masked_scatter", "masked_select",
                  "embedding", "_embedding_bag", "embedding_bag", "constant_pad_nd", "reflection_pad1d",
                  "reflection_pad2d", "reflection_pad3d", "replication_pad1d", "replication_pad2d",
                  "replication_pad3d", "repeat", "repeat_interleave", "roll", "flip", "tril", "triu",
                  "im2col", "col2im", "unfold_copy", "empty", "empty_like", "empty_strided", "zeros",
                  "zeros_like", "ones", "ones_like", "full", "full_like", "new_empty", "new_empty_strided",
                  "new_zeros", "new_ones", "new_full", "arange", "linspace", "logspace", "scalar_tensor",
                  "lift_fresh", "lift_fresh_copy", "fill", "fill_", "zero", "zero_", "_unsafe_view",
                  "contiguous", "resize_", "set_", "_local_scalar_dense", "item", "nonzero", "nonzero_static",
                  "where", "sort", "argsort", "topk", "kthvalue", "argmax", "argmin", "unique", "_unique2",
                  "unique_consecutive", "unique_dim", "searchsorted", "bucketize", "one_hot", "eye",
                  "randperm", "randint", "randn", "rand", "randn_like", "rand_like", "randint_like",
                  "normal", "uniform", "uniform_", "normal_", "tensor_split", "split_with_sizes_copy",
                  "diag_embed", "block_diag", "narrow_copy", "alias_copy", "_assert_async", "_assert_tensor_metadata",
                  "_functional_assert_async", "sym_constrain_range_for_size", "detach_copy", "slice_scatter",
                  "select_scatter", "diagonal_scatter", "as_strided_scatter", "_pin_memory", "lift",
                  "masked_fill_", "_nested_tensor_from_mask", "_assert_scalar", "resize_as_", "_reshape_alias",
                  "view_copy", "_make_dep_token", "meshgrid", "_unsafe_index", "_unsafe_index_put",
                  "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk", "_unsafe_masked_index", "pad",
                  "_shape_as_tensor", "size", "numel", "tensor", "as_tensor", "to", "type_as"}
# Split-like ops whose outputs are views of the input although their schema carries no alias annotation.
_UNANNOTATED_VIEWS = {"unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk"}
_KNOWN_NAMESPACES = ("aten", "prims", "torchvision")
_OTHER_KNOWN = {"nms", "batched_nms"}  # comparisons and selection, no multiply-accumulate


@cache
def op_kind(func: Any) -> str | None:
    """The kind of an op overload without its arguments; None when archsel does not know the op."""
    packet = getattr(func, "overloadpacket", None)
    if packet in MAC_OPS:
        return MAC_OPS[packet][0]
    name = getattr(packet, "__name__", str(func)).split(".")[-1].rstrip("_") or str(func)
    raw = getattr(packet, "__name__", "")
    tags = set(getattr(func, "tags", ()))
    schema = getattr(func, "_schema", None)
    if getattr(func, "namespace", "aten") not in _KNOWN_NAMESPACES:
        raw = name = ""  # a user's custom op: only its declared tags can classify it
    if raw in _NORM or name in _NORM:
        return "norm"
    if raw in _POOLING or name in _POOLING:
        return "pooling"
    if raw in _ELEMENTWISE or name in _ELEMENTWISE:
        return "elementwise"
    if raw in _DATA_MOVEMENT or name in _DATA_MOVEMENT:
        return "data_movement"
    if raw in _OTHER_KNOWN or name in _OTHER_KNOWN:
        return "other"
    if torch.Tag.pointwise in tags or torch.Tag.reduction in tags:
        return "elementwise"
    if torch.Tag.view_copy in tags or torch.Tag.inplace_view in tags or (schema is not None and is_view(func)):
        return "data_movement"
    if schema is not None and not any(_is_tensor_type(a.type) for a in schema.arguments):
        return "data_movement"  # factories: no tensor inputs
    return None


def _is_tensor_type(t: Any) -> bool:
    text = str(t)
    return "Tensor" in text


@cache
def is_view(func: Any) -> bool:
    """True when the op's outputs alias an input without writing it (view, reshape alias, t, ...)."""
    schema = getattr(func, "_schema", None)
    if getattr(getattr(func, "overloadpacket", None), "__name__", "") in _UNANNOTATED_VIEWS:
        return True
    if schema is None or not schema.returns:
        return False
    infos = [r.alias_info for r in schema.returns]
    return all(i is not None and not i.is_write for i in infos)


def op_macs(func: Any, args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> tuple[str | None, int]:
    """(kind, MACs) of one call; kind None means unknown (uncounted). Depthwise convs get their own kind."""
    packet = getattr(func, "overloadpacket", None)
    if packet in MAC_OPS:
        kind, formula = MAC_OPS[packet]
        macs = formula(args, kwargs, out)
        if kind == "conv" and _is_depthwise(args):
            kind = "depthwise_conv"
        return kind, int(macs)
    return op_kind(func), 0


def conv_window(func: Any, args: Sequence[Any]) -> str:
    """A convolution's kernel and stride, e.g. "3x3/1" ("3x3x3/1" in 3-D; a stride that differs per axis: its
    largest), then "d2" when dilated, "g32" when grouped (not depthwise), "t" when transposed: what decides
    how a runtime runs it (Winograd for dense 3x3 stride 1). "" for other ops."""
    if getattr(func, "overloadpacket", None) not in _CONV_PACKETS or len(args) < 9:
        return ""
    weight, stride, dilation, transposed, groups = args[1], args[3], args[5], args[6], args[8]
    if not isinstance(weight, torch.Tensor):
        return ""
    text = "x".join(str(int(k)) for k in weight.shape[2:]) + f"/{max(int(s) for s in stride)}"
    dilated = max(int(d) for d in dilation)
    text += f"d{dilated}" if dilated > 1 else ""
    text += f"g{int(groups)}" if int(groups) > 1 else ""
    return text + ("t" if transposed else "")


def _is_depthwise(args: Sequence[Any]) -> bool:
    """Convolution args: (input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)."""
    if len(args) < 9 or not isinstance(args[0], torch.Tensor):
        return False
    groups, channels = int(args[8]), args[0].shape[1] if args[0].dim() > 1 else 0
    return groups > 1 and groups == channels

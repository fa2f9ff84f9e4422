"""Which transformer modules PyTorch runs as one fused inference kernel (its "fast path").

In eval mode without autograd, nn.TransformerEncoderLayer calls `torch._transformer_encoder_layer_fwd` and
nn.MultiheadAttention `torch._native_multi_head_attention`: one Python call that dispatches the layer's
kernels from C++, instead of a dozen Python-level ops and sub-module calls. The fast path refuses meta
tensors, so a meta trace records the decomposed slow path; the trace marks the ops of a module that would
take the fast path on a real CPU/GPU (`TracedOp.fused`) and the estimator charges them as one call.

The conditions mirror PyTorch's own checks (torch/nn/modules/activation.py and transformer.py, 2.5-2.14)
except those about the device and tensor subclasses, which a real-device run passes. A test runs the zoo's
transformer models on CPU tensors and compares with the fused kernels the profiler sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

FUSED_MODULES: tuple[type[nn.Module], ...] = (nn.TransformerEncoderLayer, nn.MultiheadAttention)


def _float_mask(mask: Any) -> bool:
    return isinstance(mask, torch.Tensor) and torch.is_floating_point(mask)


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def _grad_blocks(params: Sequence[torch.Tensor | None]) -> bool:
    return torch.is_grad_enabled() and any(p is not None and p.requires_grad for p in params)


def _attention_fuses(m: nn.MultiheadAttention, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    query, key, value = (_arg(args, kwargs, i, n) for i, n in enumerate(("query", "key", "value")))
    if _float_mask(_arg(args, kwargs, 5, "attn_mask")) or _float_mask(_arg(args, kwargs, 3, "key_padding_mask")):
        return False
    if not isinstance(query, torch.Tensor) or query.dim() != 3 or query is not key or key is not value:
        return False
    if m.in_proj_weight is None or m.in_proj_bias is None or query.dtype != m.in_proj_weight.dtype:
        return False
    if m.training or m.num_heads % 2 or not m.batch_first or m.bias_k is not None or m.bias_v is not None:
        return False
    if m.add_zero_attn or not m._qkv_same_embed_dim or torch.is_autocast_enabled():
        return False
    return not _grad_blocks([query, m.in_proj_weight, m.in_proj_bias, m.out_proj.weight, m.out_proj.bias])


def _encoder_layer_fuses(m: nn.TransformerEncoderLayer, args: tuple[Any, ...], kwargs: dict[str, Any],
                         hooked: bool) -> bool:
    src = _arg(args, kwargs, 0, "src")
    attn = m.self_attn
    if not isinstance(src, torch.Tensor) or src.dim() != 3 or m.training or not attn.batch_first:
        return False
    if attn.in_proj_bias is None or not attn._qkv_same_embed_dim or not m.activation_relu_or_gelu:
        return False
    if m.norm1.eps != m.norm2.eps or attn.num_heads % 2 or torch.is_autocast_enabled() or hooked:
        return False
    params = [src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias,
              m.norm1.weight, m.norm1.bias, m.norm2.weight, m.norm2.bias, m.linear1.weight, m.linear1.bias,
              m.linear2.weight, m.linear2.bias]
    return not _grad_blocks(params)


def has_hooks(module: nn.Module) -> bool:
    """Whether the module or a sub-module has its own forward (pre-)hooks (they switch the layer path off)."""
    return any(len(getattr(m, "_forward_hooks", {})) + len(getattr(m, "_forward_pre_hooks", {}))
               for m in module.modules())


def takes_fast_path(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], *,
                    hooked: bool = False) -> bool:
    """Whether `module(*args, **kwargs)` on real CPU/CUDA tensors runs PyTorch's fused inference kernel
    (`hooked`: the module had forward hooks of its own before tracing)."""
    if not torch.backends.mha.get_fastpath_enabled():
        return False
    if isinstance(module, nn.TransformerEncoderLayer):
        return _encoder_layer_fuses(module, args, kwargs, hooked)
    if isinstance(module, nn.MultiheadAttention):
        return _attention_fuses(module, args, kwargs)
    return False

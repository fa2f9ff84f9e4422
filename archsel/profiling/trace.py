"""One forward pass, op by op: kind, module, MACs, bytes read and written, and peak live activations.

A TorchDispatchMode sees every aten op after autograd and composite decomposition. On the meta device
no fused kernels are chosen, nothing is allocated and no arithmetic is done; on real tensors the fused
kernels (mkldnn LSTM, the MHA fast path, CPU flash attention) have their own MAC formulas.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode, _disable_current_modes
from torch.utils._pytree import tree_flatten

from archsel.profiling.fastpath import FUSED_MODULES, has_hooks, takes_fast_path
from archsel.profiling.op_macs import (
    MAC_OPS,
    conv_window,
    gemm_min_dim,
    is_view,
    op_macs,
    rnn_state_weights,
    rnn_steps,
)

# Metadata queries that are not computation (FlopCounterMode skips the same ones).
_SKIP = {
    torch.ops.aten.is_contiguous.default, torch.ops.aten.is_contiguous.memory_format,
    torch.ops.aten.is_strides_like_format.default, torch.ops.aten.is_non_overlapping_and_dense.default,
    torch.ops.aten.size.default, torch.ops.aten.sym_size.default, torch.ops.aten.stride.default,
    torch.ops.aten.sym_stride.default, torch.ops.aten.storage_offset.default,
    torch.ops.aten.sym_storage_offset.default, torch.ops.aten.numel.default, torch.ops.aten.sym_numel.default,
    torch.ops.aten.dim.default, torch.ops.prim.layout.default, torch.ops.prim.device.default,
}
_COMPOSITE = torch._C.DispatchKey.CompositeImplicitAutograd


@dataclass
class TracedOp:
    """One op call (the public OpRecord is built from this)."""

    op: str
    kind: str
    module: str
    macs: int
    bytes_read: int
    bytes_written: int
    counted: bool
    param_keys: tuple[int, ...] = ()  # storages of parameters this op read
    steps: int = 0  # recurrent ops: sequential cell steps (time steps x layers x directions)
    state_weights: int = 0  # recurrent ops: elements of the hidden-to-hidden weights read at every step
    fused: str = ""  # module whose fused inference kernel runs this op on a real device (fastpath.py)
    gemm_min_dim: int = 0  # GEMMs: the smaller of the output's two dimensions (op_macs.gemm_min_dim)
    window: str = ""  # dense convolutions: kernel and stride, e.g. "3x3/1" (op_macs.conv_window)


@dataclass
class Trace:
    ops: list[TracedOp] = field(default_factory=list)
    peak_activation_bytes: int = 0


def footprint(t: torch.Tensor) -> int:
    """Bytes a strided tensor covers: broadcast (stride-0) axes count once."""
    if t.is_sparse or t.is_nested:
        return 0
    elems = math.prod(n for n, s in zip(t.shape, t.stride(), strict=True) if s != 0)
    return elems * t.element_size()


def _storage_key(t: torch.Tensor) -> int | None:
    try:
        return int(t.untyped_storage()._cdata)
    except (RuntimeError, NotImplementedError):
        return None


class _ModuleStack:
    """Names the innermost running module via global forward pre/post hooks (modules of the model only)."""

    def __init__(self, model: nn.Module) -> None:
        self.names: dict[int, str] = {}
        for name, mod in model.named_modules(remove_duplicate=False):
            self.names.setdefault(id(mod), name)
        self.stack: list[int] = []
        self._handles: list[Any] = []

    @property
    def current(self) -> str:
        return self.names[self.stack[-1]] if self.stack else ""

    def _pre(self, module: nn.Module, args: Any) -> None:
        if id(module) in self.names:
            self.stack.append(id(module))

    def _post(self, module: nn.Module, args: Any, out: Any) -> None:
        key = id(module)
        if key in self.names and key in self.stack:
            while self.stack and self.stack.pop() != key:
                pass

    def __enter__(self) -> _ModuleStack:
        from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

        self._handles = [register_module_forward_pre_hook(self._pre), register_module_forward_hook(self._post)]
        return self

    def __exit__(self, *exc: object) -> None:
        for h in self._handles:
            h.remove()
        self.stack.clear()


class _LiveMemory:
    """Live activation bytes: each storage is added when an op first outputs it and removed by a finalizer
    the moment it is freed (storages keep one Python object for their lifetime), so the sum is exact."""

    def __init__(self, excluded: set[int]) -> None:
        self.excluded = excluded
        self.seen: set[int] = set()
        self.finalizers: list[weakref.finalize] = []
        self.current = 0
        self.peak = 0

    def _free(self, key: int, nbytes: int) -> None:
        self.current -= nbytes
        self.seen.discard(key)

    def add(self, tensors: list[torch.Tensor]) -> None:
        for t in tensors:
            storage = t.untyped_storage()
            key = int(storage._cdata)
            if key in self.excluded or key in self.seen:
                continue
            nbytes = int(storage.nbytes())
            self.seen.add(key)
            self.current += nbytes
            self.finalizers.append(weakref.finalize(storage, self._free, key, nbytes))
        self.peak = max(self.peak, self.current)

    def close(self) -> None:
        for f in self.finalizers:
            f.detach()
        self.finalizers.clear()


class OpTracer(TorchDispatchMode):
    """Records every aten op of a forward pass with its module, kind, MACs and bytes."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.modules = _ModuleStack(model)
        self.param_keys: set[int] = set()
        for t in [*model.parameters(), *model.buffers()]:
            key = _storage_key(t)
            if key is not None:
                self.param_keys.add(key)
        self.memory = _LiveMemory(set(self.param_keys))
        self.trace = Trace()
        self.fused: list[str] = []  # per running fast-path-capable module: its name if it fuses, else ""

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func in _SKIP:
            return func(*args, **kwargs)
        if func.overloadpacket not in MAC_OPS and func.has_kernel_for_dispatch_key(_COMPOSITE):
            with self:
                result = func.decompose(*args, **kwargs)
            if result is not NotImplemented:
                return result
        out = func(*args, **kwargs)
        self._record(func, args, kwargs, out)
        return out

    def _record(self, func: Any, args: Any, kwargs: Any, out: Any) -> None:
        kind, macs = op_macs(func, args, kwargs, out)
        inputs = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        outputs = [t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
        if is_view(func):
            read = written = 0
        else:
            read = sum(footprint(t) for t in inputs)
            written = sum(footprint(t) for t in outputs)
        keys = tuple(k for k in (_storage_key(t) for t in inputs) if k is not None and k in self.param_keys)
        self.trace.ops.append(TracedOp(
            op=str(func), kind=kind or "other", module=self.modules.current,
            macs=macs, bytes_read=read, bytes_written=written, counted=kind is not None, param_keys=keys,
            steps=rnn_steps(func, args) if kind == "recurrent" else 0,
            state_weights=rnn_state_weights(func, args) if kind == "recurrent" else 0,
            fused=next((f for f in self.fused if f), ""),  # the outermost fused kernel holds the op
            gemm_min_dim=gemm_min_dim(func, out) if kind == "matmul" else 0,
            window=conv_window(func, args) if kind == "conv" else "",
        ))
        self.memory.add(outputs)


_RNN_FUNCS = {"lstm": torch.ops.aten.lstm, "gru": torch.ops.aten.gru, "rnn_tanh": torch.ops.aten.rnn_tanh,
              "rnn_relu": torch.ops.aten.rnn_relu}

_VF_RNN = [getattr(torch._C._VariableFunctions, n) for n in _RNN_FUNCS]
# Norms keep the input's shape; their meta kernels are slow Python decompositions. 0 MACs by convention.
_NORM_FUNCS: dict[Any, Any] = {
    nn.functional.batch_norm: torch.ops.aten.batch_norm.default,
    nn.functional.layer_norm: torch.ops.aten.layer_norm.default,
    nn.functional.group_norm: torch.ops.aten.group_norm.default,
    nn.functional.instance_norm: torch.ops.aten.instance_norm.default,
}


def _norm_op(func: Any) -> Any:
    try:
        return _NORM_FUNCS.get(func)
    except TypeError:  # an unhashable callable
        return None


def _rnn_meta_outputs(name: str, args: tuple[Any, ...]) -> tuple[Any, Any]:
    """Outputs of a whole-sequence RNN on the meta device, from shapes alone; and the op overload."""
    x = args[0]
    packed = x.dim() == 2 and isinstance(args[1], torch.Tensor) and args[1].dim() == 1
    hx = args[2] if packed else args[1]
    bidirectional = bool(args[8] if packed else args[7])
    h0 = hx[0] if isinstance(hx, (list, tuple)) else hx
    features = (2 if bidirectional else 1) * h0.shape[-1]
    out = torch.empty((*x.shape[:-1], features), dtype=x.dtype, device="meta")
    states = [torch.empty_like(h) for h in hx] if isinstance(hx, (list, tuple)) else [torch.empty_like(hx)]
    packet = _RNN_FUNCS[name]
    overload = packet.data if packed else packet.input
    return (out, *states), overload


class _MetaShortcuts(TorchFunctionMode):
    """On the meta device, count nn.LSTM/GRU/RNN as one op each instead of thousands of per-step ops, and
    norms as one op each (the meta kernels of their decompositions are slow Python); outputs are made
    from shapes. Real tensors run as usual."""

    def __init__(self, tracer: OpTracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if (name in _RNN_FUNCS and any(func is f for f in _VF_RNN)
                and isinstance(args[0], torch.Tensor) and args[0].device.type == "meta"):
            with _disable_current_modes():  # making the outputs is not an op of the model
                out, overload = _rnn_meta_outputs(name, args)
            self.tracer._record(overload, args, kwargs, out)
            return out
        norm = _norm_op(func)
        if norm is not None and args and isinstance(args[0], torch.Tensor) and args[0].device.type == "meta":
            with _disable_current_modes():
                result = torch.empty_like(args[0])
            self.tracer._record(norm, args, kwargs, result)
            return result
        return func(*args, **kwargs)


@contextmanager
def _no_op() -> Iterator[None]:
    yield


@contextmanager
def _fast_path_regions(tracer: OpTracer, model: nn.Module) -> Iterator[None]:
    """On the meta device: mark the ops of each transformer module that would run PyTorch's fused inference
    kernel on a real device (fastpath.takes_fast_path), by hooks on those modules for the trace only."""
    handles: list[Any] = []
    for name, mod in model.named_modules():
        if not isinstance(mod, FUSED_MODULES):
            continue
        hooked = has_hooks(mod)  # the model's own hooks, before ours

        def pre(m: nn.Module, args: Any, kwargs: Any, name: str = name or type(mod).__name__,
                hooked: bool = hooked) -> None:
            tracer.fused.append(name if takes_fast_path(m, args, kwargs, hooked=hooked) else "")

        def post(m: nn.Module, args: Any, kwargs: Any, out: Any) -> None:
            tracer.fused.pop()

        handles.append(mod.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(mod.register_forward_hook(post, with_kwargs=True, always_call=True))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def run_trace(model: nn.Module, inputs: tuple[Any, ...], *, grad: bool = False) -> tuple[Trace, Any]:
    """Run `model(*inputs)` once under the tracer; returns the trace and the model output."""
    tracer = OpTracer(model)
    input_tensors = [t for t in tree_flatten(inputs)[0] if isinstance(t, torch.Tensor)]
    tracer.memory.add(input_tensors)
    ctx = _no_op() if grad else torch.no_grad()
    on_meta = any(t.device.type == "meta" for t in input_tensors)
    # Only on meta: an active TorchFunctionMode would also switch off the MHA fast path on real tensors.
    shortcut = _MetaShortcuts(tracer) if on_meta else _no_op()
    regions = _fast_path_regions(tracer, model) if on_meta else _no_op()
    try:
        with ctx, regions, tracer.modules, shortcut, tracer:
            out = model(*inputs)
    finally:
        tracer.memory.close()
    tracer.trace.peak_activation_bytes = tracer.memory.peak
    return tracer.trace, out

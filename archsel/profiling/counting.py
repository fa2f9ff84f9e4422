"""Count MACs, FLOPs, parameters, bytes and activation memory of a zoo model or a user's module.

MACs are multiply-accumulates in torchvision's `_ops` convention (conv, matmul, attention, recurrent
cells); FLOPs = 2 × MACs. Three counters: "meta" (archsel's op trace, on the meta device), "fvcore"
(fvcore's jit-trace analysis with archsel's op handles) and "onnx" (the exported ONNX graph after shape
inference; needs the onnx extra). See docs/profiling.md.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from archsel.errors import UsageError, unknown

if TYPE_CHECKING:
    from torch import nn

    from archsel.profiling.trace import TracedOp

COUNTERS = ("meta", "fvcore", "onnx")
DEFAULT_COUNTER = "meta"  # exact on the whole zoo and fastest (benchmarks/count_accuracy.py)
DTYPES = ("float32", "float16", "bfloat16", "float64")


@dataclass
class OpRecord:
    """One aten op of the forward pass."""

    op: str  # e.g. "aten.convolution.default"
    kind: str  # conv | depthwise_conv | matmul | attention | recurrent | norm | elementwise | pooling | ...
    module: str  # innermost nn.Module that ran it ("" = top level)
    macs: int
    bytes_read: int
    bytes_written: int
    counted: bool  # False: arithmetic archsel could not count (reported in uncounted_ops)
    steps: int = 0  # recurrent ops: sequential cell steps (time steps x layers x directions); else 0
    state_weights: int = 0  # recurrent ops: elements of the hidden-to-hidden weights read at every step
    fused: str = ""  # module whose fused inference kernel runs this op on a real device (fastpath.py)
    gemm_min_dim: int = 0  # GEMMs: the smaller of the output's two dimensions (rows, columns); else 0
    window: str = ""  # dense convolutions: kernel and stride, e.g. "3x3/1"; else ""


@dataclass
class CountResult:
    """Everything one count produced; `to_dict` is JSON-ready with units in the key names."""

    model_id: str | None
    task: str | None
    input_shapes: list[list[int]]
    batch: int
    dtype: str
    counter: str
    path: str  # "meta" (meta device) | "cpu" (real tensors)
    macs: int
    flops: int
    params: int
    param_bytes: int
    buffer_bytes: int
    peak_activation_bytes: int
    ops: list[OpRecord]
    uncounted_ops: dict[str, int]
    zero_mac_modules: list[str]
    seconds: float
    module_params: dict[str, int] = field(default_factory=dict, repr=False)  # direct params per module

    def by_module(self, depth: int = 1) -> list[dict[str, object]]:
        """MACs, FLOPs, params, op count and bytes per module, names cut to `depth` dotted parts."""
        rows: dict[str, dict[str, Any]] = {}

        def row(name: str) -> dict[str, Any]:
            return rows.setdefault(name, {"module": name, "macs": 0, "flops": 0, "params": 0, "ops": 0,
                                          "uncounted_ops": 0, "bytes_read": 0, "bytes_written": 0})

        def cut(name: str) -> str:
            return ".".join(name.split(".")[:depth]) if name and depth > 0 else ""

        for rec in self.ops:
            r = row(cut(rec.module))
            r["macs"] += rec.macs
            r["flops"] += 2 * rec.macs
            r["ops"] += 1
            r["uncounted_ops"] += 0 if rec.counted else 1
            r["bytes_read"] += rec.bytes_read
            r["bytes_written"] += rec.bytes_written
        for name, n in self.module_params.items():
            row(cut(name))["params"] += n
        return list(rows.values())

    def to_dict(self, include_ops: bool = False) -> dict[str, object]:
        data: dict[str, object] = {
            "model_id": self.model_id, "task": self.task, "input_shapes": self.input_shapes,
            "batch": self.batch, "dtype": self.dtype, "counter": self.counter, "path": self.path,
            "macs": self.macs, "gmacs": self.macs / 1e9, "flops": self.flops, "gflops": self.flops / 1e9,
            "params": self.params, "param_bytes": self.param_bytes, "buffer_bytes": self.buffer_bytes,
            "peak_activation_bytes": self.peak_activation_bytes, "op_count": len(self.ops),
            "uncounted_ops": dict(self.uncounted_ops), "zero_mac_modules": list(self.zero_mac_modules),
            "count_seconds": round(self.seconds, 4),
        }
        if include_ops:
            data["ops"] = [asdict(o) for o in self.ops]
        return data


@dataclass
class CrossCheck:
    """Both counters on one model; `agree` when their MACs differ by at most `tolerance` (relative)."""

    meta: CountResult
    fvcore: CountResult
    relative_difference: float
    tolerance: float

    @property
    def agree(self) -> bool:
        return self.relative_difference <= self.tolerance

    def message(self) -> str:
        a, b = self.meta.macs, self.fvcore.macs
        verdict = "agree" if self.agree else "DISAGREE"
        return (f"counters {verdict}: meta {a:,} MACs, fvcore {b:,} MACs "
                f"({self.relative_difference:.2%} apart, tolerance {self.tolerance:.0%})")


def _check_counter(counter: str) -> None:
    if counter not in COUNTERS:
        raise unknown("counter", counter, COUNTERS)


def counter_missing(counter: str) -> str | None:
    """Why `counter` cannot run here (a module it needs is not installed), with the install hint; None if it can.
    Found without importing the module."""
    import importlib.util

    if counter == "onnx" and importlib.util.find_spec("onnx") is None:
        return 'the onnx counter needs onnx, which is not installed (pip install "archsel[onnx]")'
    return None


def _require_counter(counter: str) -> None:
    if counter_missing(counter):
        raise UsageError("the onnx counter needs onnx, which is not installed",
                         hint='pip install "archsel[onnx]"  (in a checkout: pip install -e ".[onnx]")')


def _module_params(model: nn.Module) -> tuple[dict[str, int], int, int, int]:
    """Direct (recurse=False) unique params per module, and totals: params, param bytes, buffer bytes."""
    seen: set[int] = set()
    per_module: dict[str, int] = {}
    for name, mod in model.named_modules():
        n = 0
        for p in mod.parameters(recurse=False):
            if id(p) not in seen:
                seen.add(id(p))
                n += p.numel()
        if n:
            per_module[name] = n
    params = list(model.parameters())  # unique: shared weights once
    buffers = list(model.buffers())
    return (per_module, sum(p.numel() for p in params), sum(p.numel() * p.element_size() for p in params),
            sum(b.numel() * b.element_size() for b in buffers))


def _zero_mac_modules(model: nn.Module, ops: list[TracedOp]) -> list[str]:
    """Modules owning parameters whose subtree got 0 MACs and whose parameters were never read, or were
    read by an op archsel could not count. (A norm or embedding reads its weights in a known op: not flagged;
    MHA's out_proj is read by the parent's matmul: not flagged.)"""
    from archsel.profiling.trace import _storage_key

    read_counted: set[int] = set()
    read_uncounted: set[int] = set()
    subtree_macs: dict[str, int] = {}
    for rec in ops:
        (read_counted if rec.counted else read_uncounted).update(rec.param_keys)
        if rec.macs:
            parts = rec.module.split(".") if rec.module else []
            for i in range(len(parts) + 1):
                key = ".".join(parts[:i])
                subtree_macs[key] = subtree_macs.get(key, 0) + rec.macs
    flagged = []
    for name, mod in model.named_modules():
        keys = {k for k in (_storage_key(p) for p in mod.parameters(recurse=False)) if k is not None}
        if not keys or subtree_macs.get(name, 0):
            continue
        if keys & read_uncounted or not keys <= read_counted:
            flagged.append(name)
    return flagged


def _result(model: nn.Module, inputs: tuple[Any, ...], ops: list[OpRecord], *, counter: str, path: str,
            peak_activation_bytes: int, zero_mac_modules: list[str], model_id: str | None, task: str | None,
            batch: int, dtype: str, started: float) -> CountResult:
    uncounted: dict[str, int] = {}
    for o in ops:
        if not o.counted:
            uncounted[o.op] = uncounted.get(o.op, 0) + 1
    per_module, params, param_bytes, buffer_bytes = _module_params(model)
    macs = sum(o.macs for o in ops)
    return CountResult(
        model_id=model_id, task=task, input_shapes=_input_shapes(inputs), batch=batch, dtype=dtype,
        counter=counter, path=path, macs=macs, flops=2 * macs, params=params, param_bytes=param_bytes,
        buffer_bytes=buffer_bytes, peak_activation_bytes=peak_activation_bytes, ops=ops,
        uncounted_ops=uncounted, zero_mac_modules=zero_mac_modules,
        seconds=time.perf_counter() - started, module_params=per_module,
    )


def _trace_result(model: nn.Module, inputs: tuple[Any, ...], *, model_id: str | None, task: str | None,
                  batch: int, dtype: str, path: str, started: float) -> CountResult:
    from archsel.profiling.trace import run_trace

    trace, _ = run_trace(model, inputs)
    ops = [OpRecord(t.op, t.kind, t.module, t.macs, t.bytes_read, t.bytes_written, t.counted, t.steps,
                    t.state_weights, t.fused, t.gemm_min_dim, t.window)
           for t in trace.ops]
    return _result(model, inputs, ops, counter="meta", path=path, peak_activation_bytes=trace.peak_activation_bytes,
                   zero_mac_modules=_zero_mac_modules(model, trace.ops), model_id=model_id, task=task,
                   batch=batch, dtype=dtype, started=started)


def _fvcore_result(model: nn.Module, inputs: tuple[Any, ...], *, model_id: str | None, task: str | None,
                   batch: int, dtype: str, started: float) -> CountResult:
    from archsel.profiling.fvcore_counter import fvcore_trace

    records, peak, zero_mac = fvcore_trace(model, inputs)
    return _result(model, inputs, [OpRecord(**r) for r in records], counter="fvcore", path="cpu",
                   peak_activation_bytes=peak, zero_mac_modules=zero_mac, model_id=model_id, task=task,
                   batch=batch, dtype=dtype, started=started)


def _onnx_result(model: nn.Module, inputs: tuple[Any, ...], *, model_key: dict[str, Any] | None,
                 model_id: str | None, task: str | None, batch: int, dtype: str, started: float) -> CountResult:
    """Export `model` (float32, CPU) to ONNX (cached under the cache root when `model_key` is given) and count
    the graph. Params and bytes come from the module at `dtype` (unique parameters, as the other counters;
    the graph's initializers differ where the exporter folds BatchNorm into convolutions)."""
    import torch

    from archsel.profiling.deploy.export import export_onnx, numpy_inputs
    from archsel.profiling.deploy.onnx_count import count_onnx

    graph = export_onnx(model.eval(), inputs, model_key)
    feeds = {f"input_{i}": a for i, a in enumerate(numpy_inputs(inputs))}  # the names export_onnx gives
    try:
        count = count_onnx(graph.path, feeds)
    finally:
        if model_key is None:  # an uncached graph lives in its own temporary folder
            shutil.rmtree(graph.path.parent, ignore_errors=True)
    ops = [OpRecord(f"onnx::{n.op_type}", n.kind, n.module, n.macs, n.bytes_read, n.bytes_written, n.counted,
                    n.steps, n.state_weights) for n in count.nodes]
    if dtype != "float32":  # MACs do not depend on the dtype; params and bytes do
        model = model.to(getattr(torch, dtype))
    return _result(model, inputs, ops, counter="onnx", path="cpu", peak_activation_bytes=count.peak_activation_bytes,
                   zero_mac_modules=[], model_id=model_id, task=task, batch=batch, dtype=dtype, started=started)


def _input_shapes(inputs: tuple[Any, ...]) -> list[list[int]]:
    import torch
    from torch.utils._pytree import tree_flatten

    return [list(t.shape) for t in tree_flatten(inputs)[0] if isinstance(t, torch.Tensor)]


def _device_of(model: nn.Module, inputs: tuple[Any, ...]) -> str:
    import torch
    from torch.utils._pytree import tree_flatten

    for t in [*model.parameters(), *tree_flatten(inputs)[0]]:
        if isinstance(t, torch.Tensor):
            return t.device.type
    return "cpu"


def count_module(model: nn.Module, inputs: tuple[Any, ...], *, counter: str = DEFAULT_COUNTER,
                 model_id: str | None = None, task: str | None = None) -> CountResult:
    """Count a user's module on the device its parameters and inputs live on (meta: path "meta").

    With counter="meta" the archsel op trace runs wherever the tensors are (real tensors: path "cpu",
    fused kernels counted by their own formulas); counter="fvcore" needs real CPU tensors; counter="onnx"
    exports real CPU float32 tensors to ONNX (a fresh, uncached graph) and counts the graph.
    """
    import torch

    _check_counter(counter)
    _require_counter(counter)
    if not isinstance(inputs, tuple):
        inputs = (inputs,)
    started = time.perf_counter()
    device = _device_of(model, inputs)
    batch = _input_shapes(inputs)[0][0] if _input_shapes(inputs) and _input_shapes(inputs)[0] else 1
    floats = [p for p in model.parameters() if p.is_floating_point()]
    dtype = str(floats[0].dtype).removeprefix("torch.") if floats else str(torch.get_default_dtype())[6:]
    if counter in ("fvcore", "onnx"):
        if device == "meta":
            raise UsageError(f"the {counter} counter needs real tensors (it runs a jit trace or an ONNX export), "
                             "not the meta device", hint="use counter='meta'")
        if counter == "onnx":
            return _onnx_result(model, inputs, model_key=None, model_id=model_id, task=task, batch=batch,
                                dtype=dtype, started=started)
        return _fvcore_result(model, inputs, model_id=model_id, task=task, batch=batch, dtype=dtype,
                              started=started)
    path = "meta" if device == "meta" else "cpu"
    return _trace_result(model, inputs, model_id=model_id, task=task, batch=batch, dtype=dtype, path=path,
                         started=started)


def count_model(model_id: str, *, task: str | None = None, input_shape: tuple[int, ...] | None = None,
                batch: int = 1, counter: str = DEFAULT_COUNTER, dtype: str = "float32") -> CountResult:
    """Build a zoo model (meta device; real CPU tensors for data-dependent models) and count one forward.

    `input_shape` follows archsel.zoo.inputs.override_shape (first input, with or without batch).
    Data-dependent entries run at their `small_input` unless `input_shape` is given. `seconds` includes
    building the model.
    """
    import torch

    from archsel.zoo.inputs import make_inputs, override_shape
    from archsel.zoo.registry import get_model, get_model_entry, resolve_task

    _check_counter(counter)
    _require_counter(counter)
    if dtype not in DTYPES:
        raise unknown("dtype", dtype, DTYPES)
    if batch < 1:
        raise UsageError(f"batch must be positive, got {batch}")
    entry = get_model_entry(model_id)
    task = resolve_task(entry, task)
    spec = entry.inputs[task]
    if entry.data_dependent and input_shape is None:
        spec = entry.small_input.get(task, spec)
    if input_shape is not None:
        spec, named_batch = override_shape(spec, tuple(input_shape))
        batch = named_batch or batch
    device = "cpu" if entry.data_dependent or counter != "meta" else "meta"
    started = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # data-dependent counts (proposals) depend on the random init: fix it
        model = get_model(model_id, device=device)
    inputs = make_inputs(spec, batch=batch, device=device)
    _full_proposal_budget(model)
    if counter == "onnx":
        key = {"model_id": entry.id, "task": task, "builder": entry.builder, "builder_kwargs": entry.builder_kwargs,
               "full_proposal_budget": True}
        return _onnx_result(model, inputs, model_key=key, model_id=model_id, task=task, batch=batch, dtype=dtype,
                            started=started)
    if dtype != "float32":
        torch_dtype = getattr(torch, dtype)
        model = model.to(torch_dtype)
        inputs = tuple(_cast(x, torch_dtype) for x in inputs)
    if counter == "fvcore":
        return _fvcore_result(model, inputs, model_id=model_id, task=task, batch=batch, dtype=dtype,
                              started=started)
    return _trace_result(model, inputs, model_id=model_id, task=task, batch=batch, dtype=dtype, path=device,
                         started=started)


def _full_proposal_budget(model: nn.Module) -> None:
    """Two-stage detectors: run the RoI heads on the RPN's full post-NMS budget (1000 proposals in eval),
    as a trained model on a real image does, by turning the RPN's NMS off (random weights would otherwise
    leave a seed-dependent number of proposals). Deterministic; matches torchvision's Faster R-CNN R50 figure."""
    rpn = getattr(model, "rpn", None)
    if rpn is not None and hasattr(rpn, "nms_thresh"):
        rpn.nms_thresh = 1.0


def _cast(x: Any, dtype: Any) -> Any:
    if isinstance(x, list):
        return [_cast(v, dtype) for v in x]
    return x.to(dtype) if x.is_floating_point() else x


def cross_check(model_id: str, *, task: str | None = None, input_shape: tuple[int, ...] | None = None,
                batch: int = 1, tolerance: float = 0.01) -> CrossCheck:
    """Count with both counters; `agree` is False when their MACs differ by more than `tolerance`."""
    meta = count_model(model_id, task=task, input_shape=input_shape, batch=batch, counter="meta")
    fv = count_model(model_id, task=task, input_shape=input_shape, batch=batch, counter="fvcore")
    ref = max(meta.macs, fv.macs, 1)
    return CrossCheck(meta=meta, fvcore=fv, relative_difference=abs(meta.macs - fv.macs) / ref, tolerance=tolerance)

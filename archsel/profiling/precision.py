"""Put a model and its inputs in the precision and layout to measure: fp32, fp16, bf16, int8, channels_last,
and optionally torch.compile.

int8 backend — decided by measurement (torch 2.14.1, torchao 0.18.0, 2-core AVX2 CPU, eager mode):
`torch.ao.quantization.quantize_dynamic` (deprecated, still shipped in torch 2.14) runs a
Linear(512→2048→512) MLP at batch 32 in 0.56 ms against 1.45 ms in fp32 and covers nn.LSTM/nn.GRU
(DynamicQuantizedLSTM/GRU). torchao's `quantize_(Int8DynamicActivationInt8WeightConfig())` ran the same
MLP in 153 ms on CPU eager (100× slower than fp32: its kernels target GPU / torch.compile) and leaves
LSTM/GRU weights in fp32. So archsel uses torch.ao dynamic quantization, silences its deprecation
warning, names the backend in every result, and reports int8 as unsupported where it is not available.
Dynamic int8 quantizes Linear/LSTM/GRU/RNN only: convolutions stay fp32, and the result says what
fraction of the parameters was quantized.

fp16/bf16 on CPU: torch runs them (a CPU without native support — no AVX512-BF16/AMX/AVX512-FP16 —
converts per op and is usually slower than fp32); archsel measures them and adds a note saying so. An op
without a kernel for the dtype fails the run and is reported as "unsupported", never as a crash.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archsel import precisions

if TYPE_CHECKING:
    import torch
    from torch import nn

INT8_BACKEND = "torch.ao.quantization.quantize_dynamic (qint8 weights, dynamic activations)"


class UnsupportedPrecision(RuntimeError):
    """This dtype/layout cannot be applied to this model on this device."""


@dataclass
class Prepared:
    """A model ready to measure, its inputs, and what was done to it."""

    model: Any
    inputs: tuple[Any, ...]
    dtype: str
    channels_last: bool
    compile_requested: bool
    int8_backend: str | None = None
    quantized_param_fraction: float | None = None
    notes: list[str] = field(default_factory=list)

    def conditions(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "channels_last": self.channels_last,
            "compile_requested": self.compile_requested,
            "int8_backend": self.int8_backend,
            "quantized_param_fraction": self.quantized_param_fraction,
        }


def normalize_dtype(name: str) -> str:
    """'fp16', 'float16', 'half' → 'fp16': a precision archsel can measure here (UsageError otherwise)."""
    return precisions.normalize(name)


def torch_dtype(name: str) -> torch.dtype:
    """The torch dtype a model is cast to for `name` (float32 for int8: quantization is not a cast)."""
    import torch

    dtype: torch.dtype = getattr(torch, precisions.get(name).cast_dtype or "float32")
    return dtype


def cpu_native_support(dtype: str) -> bool | None:
    """Whether this CPU has native arithmetic for fp16/bf16 (oneDNN's own check); None if unknown."""
    import torch

    probe = {"bf16": "_is_mkldnn_bf16_supported", "fp16": "_is_mkldnn_fp16_supported"}.get(dtype)
    if probe is None:
        return True
    fn = getattr(torch.ops.mkldnn, probe, None)
    try:
        return bool(fn()) if fn is not None else None
    except Exception:
        return None


def _cast_inputs(inputs: Any, dtype: torch.dtype | None, channels_last: bool) -> Any:
    import torch

    if isinstance(inputs, torch.Tensor):
        t = inputs
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        if channels_last and t.dim() == 4:
            t = t.contiguous(memory_format=torch.channels_last)
        elif channels_last and t.dim() == 5:
            t = t.contiguous(memory_format=torch.channels_last_3d)
        return t
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_cast_inputs(i, dtype, channels_last) for i in inputs)
    return inputs


def _has_dim(inputs: Any, dims: tuple[int, ...]) -> bool:
    import torch

    if isinstance(inputs, torch.Tensor):
        return inputs.dim() in dims
    if isinstance(inputs, (list, tuple)):
        return any(_has_dim(i, dims) for i in inputs)
    return False


def _quantize_int8(model: nn.Module) -> tuple[nn.Module, float]:
    import torch
    from torch import nn

    quantize_dynamic = getattr(getattr(torch.ao, "quantization", None), "quantize_dynamic", None)
    if quantize_dynamic is None:
        raise UnsupportedPrecision("int8 needs torch.ao.quantization.quantize_dynamic, "
                                   f"absent in torch {torch.__version__}")
    if not {"qnnpack", "fbgemm", "x86"} & set(torch.backends.quantized.supported_engines):
        raise UnsupportedPrecision("this torch build has no quantized CPU engine")
    targets = (nn.Linear, nn.LSTM, nn.GRU, nn.RNN, nn.LSTMCell, nn.GRUCell, nn.RNNCell)
    total = sum(p.numel() for p in model.parameters())
    covered = {id(p) for m in model.modules() if isinstance(m, targets) for p in m.parameters(recurse=False)}
    covered_n = sum(p.numel() for p in model.parameters() if id(p) in covered)
    if covered_n == 0:
        raise UnsupportedPrecision("no Linear/LSTM/GRU/RNN layer to quantize: "
                                   "dynamic int8 would time the fp32 model")
    wrapper = _forwarding(model)  # quantize_dynamic swaps children only: wrap so a bare LSTM is swapped too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantized = quantize_dynamic(wrapper, set(targets), dtype=torch.qint8)
    return quantized, covered_n / total if total else 0.0


def _check_quantized_runs(model: nn.Module, inputs: tuple[Any, ...]) -> None:
    """One forward pass of the dynamically quantized `model`: a model that reads a Linear layer's weight
    itself (F.linear(x, self.proj.weight), self.proj.weight.device) breaks once quantize_dynamic has swapped
    that layer (its `weight` becomes a method): UnsupportedPrecision, not an error of the model."""
    import torch

    try:
        with torch.inference_mode():
            model(*inputs)
    except (TypeError, AttributeError) as exc:
        raise UnsupportedPrecision(
            "eager int8 (torch.ao dynamic quantization) swaps nn.Linear layers for quantized ones whose "
            f"`weight` is a method, and this model reads a Linear's weight itself ({type(exc).__name__}: "
            f"{str(exc)[:120]}); measure int8 with --runtime onnxruntime or openvino") from exc


def _forwarding(model: nn.Module) -> nn.Module:
    """`model` as the one child of a module that passes every argument on (nn.Sequential takes one input)."""
    from torch import nn

    class Forwarding(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.model = inner

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            return self.model(*args, **kwargs)

    return Forwarding(model)


def prepare(model: nn.Module, inputs: tuple[Any, ...], *, dtype: str, device: str,
            channels_last: bool = False, compile: bool = False) -> Prepared:
    """Apply dtype, layout and compilation to `model` (on `device`, in eval mode) and `inputs`.

    Raises UnsupportedPrecision where the combination cannot run (int8 on CUDA, no quantizable layer).
    With `compile`, the model is wrapped by torch.compile; compilation happens at the first call, and
    the profiler reports (not hides) a failure there.
    """
    import torch

    dtype = normalize_dtype(dtype)
    notes: list[str] = []
    backend: str | None = None
    fraction: float | None = None
    on_cuda = device.startswith("cuda")
    if dtype == "int8":
        if on_cuda:
            raise UnsupportedPrecision("int8 (dynamic quantization) runs on CPU only; use fp16/bf16 on CUDA")
        model, fraction = _quantize_int8(model)
        _check_quantized_runs(model, inputs)
        backend = INT8_BACKEND
        if fraction < 0.999:
            notes.append(f"int8 covers {fraction:.0%} of the parameters (Linear/LSTM/GRU); "
                         "convolutions stay fp32")
        cast: torch.dtype | None = None
    elif dtype in ("fp16", "bf16"):
        cast = torch_dtype(dtype)
        if not on_cuda:
            native = cpu_native_support(dtype)
            if native is False:
                notes.append(f"this CPU has no native {dtype} arithmetic: torch converts per op; "
                             f"expect it slower than fp32")
        model = model.to(cast)
    else:
        cast = None
    if channels_last:
        if _has_dim(inputs, (5,)):
            model = model.to(memory_format=torch.channels_last_3d)
        elif _has_dim(inputs, (4,)):
            model = model.to(memory_format=torch.channels_last)
        else:
            notes.append("channels_last has no effect: the model takes no 4-D or 5-D input")
    new_inputs = _cast_inputs(inputs, cast, channels_last)
    runnable: Any = torch.compile(model) if compile else model
    return Prepared(runnable, new_inputs, dtype, channels_last, compile, backend, fraction, notes)

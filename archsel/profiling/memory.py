"""Peak memory of one forward pass, each figure labelled with how it was obtained.

- CUDA: the caching allocator's peak (`torch.cuda.max_memory_allocated`) during one forward, and the
  part of it above what was allocated before the call (weights, inputs: the activations' share).
- CPU: weights + buffers + peak live activations from the op trace (archsel.profiling.counting), which
  is exact for the traced graph at the traced dtype; and, on Linux, the measured growth of the
  process's peak resident set during one forward (VmHWM is reset first through /proc/self/clear_refs).
  The measured figure includes allocator slack and is meaningful only for activations large enough to
  leave the allocator's cached pool — it is labelled, never substituted for the trace figure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
BYTES_PER_ELEMENT = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 4}
TRACE_DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        _CLEAR_REFS.write_text("5")  # "5" resets VmHWM to the current RSS (Linux ≥ 4.0)
    except OSError:
        return False
    return True


def measure_rss_growth(fn: Callable[[], Any]) -> int | None:
    """Bytes by which the process's peak RSS rose during one call of `fn`; None where not measurable."""
    if not _reset_peak_rss():
        return None
    before = _status_kib("VmRSS")
    fn()
    peak = _status_kib("VmHWM")
    if before is None or peak is None:
        return None
    return max(0, peak - before) * 1024


def measure_cuda_peak(fn: Callable[[], Any], device: str) -> dict[str, Any]:
    """CUDA allocator figures for one call of `fn` on `device`."""
    import torch

    dev = torch.device(device)
    torch.cuda.synchronize(dev)
    torch.cuda.reset_peak_memory_stats(dev)
    before = torch.cuda.memory_allocated(dev)
    fn()
    torch.cuda.synchronize(dev)
    peak = torch.cuda.max_memory_allocated(dev)
    return {
        "method": "CUDA caching allocator peak over one forward (torch.cuda.max_memory_allocated)",
        "cuda_peak_allocated_bytes": int(peak),
        "cuda_allocated_before_bytes": int(before),
        "cuda_peak_above_resident_bytes": int(peak - before),
        "cuda_peak_reserved_bytes": int(torch.cuda.max_memory_reserved(dev)),
    }


def trace_memory(count: Any, dtype: str) -> dict[str, Any]:
    """Weights + buffers + peak live activations from a CountResult, scaled to `dtype` if traced at another.

    int8 keeps the float32 figure: dynamic quantization stores only Linear/RNN weights in int8 and
    activations stay float32, so the trace is an upper bound there.
    """
    traced = str(getattr(count, "dtype", "float32"))
    traced_size = TRACE_DTYPE_BYTES.get(traced, 4)
    scale = BYTES_PER_ELEMENT[dtype] / traced_size
    params = int(count.param_bytes * scale)
    buffers = int(count.buffer_bytes * scale)
    acts = int(count.peak_activation_bytes * scale)
    method = f"op trace ({traced})" + (f" scaled to {dtype}" if scale != 1 else "")
    if dtype == "int8":
        method += "; upper bound for int8 (only Linear/RNN weights are int8)"
    return {
        "method": method,
        "param_bytes": params,
        "buffer_bytes": buffers,
        "peak_activation_bytes": acts,
        "total_bytes": params + buffers + acts,
    }


def measure_memory(fn: Callable[[], Any], device: str, count: Any | None, dtype: str) -> dict[str, Any]:
    """Every memory figure that applies on `device`: the trace estimate (when a count is given) and a
    measured one (CUDA allocator peak, or CPU peak-RSS growth)."""
    result: dict[str, Any] = {"estimated": trace_memory(count, dtype) if count is not None else None}
    if device.startswith("cuda"):
        result["measured"] = measure_cuda_peak(fn, device)
    else:
        growth = measure_rss_growth(fn)
        result["measured"] = None if growth is None else {
            "method": "growth of the process's peak RSS during one forward (/proc VmHWM); "
                      "includes allocator slack, misses memory the allocator had cached",
            "rss_peak_growth_bytes": growth,
        }
    return result

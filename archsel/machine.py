"""Facts about this machine that need no torch: the CPU's model name and the physical memory."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (x86 `model name`, else ARM `Hardware`), or what platform knows."""
    found: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                if key in ("model name", "hardware") and value.strip():
                    found.setdefault(key, value.strip())
    except OSError:
        pass
    return found.get("model name") or found.get("hardware") or platform.processor() or platform.machine()


def memory_bytes() -> int | None:
    """Physical memory (os.sysconf pages × page size), or None where the OS does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


MEMORY_SOURCE = "measured at run time: os.sysconf(SC_PAGE_SIZE) × os.sysconf(SC_PHYS_PAGES)"


CACHE_ROOT = "/sys/devices/system/cpu"


def _cache_size(text: str) -> int | None:
    """Bytes of a sysfs cache `size` ("2048K", "480M")."""
    text = text.strip()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:].upper(), 1)
    digits = text[:-1] if scale > 1 else text
    return int(digits) * scale if digits.isdigit() else None


def cpu_caches(root: str = CACHE_ROOT) -> tuple[int, str] | None:
    """The CPU's caches from level 2 up to, not including, the last level, as Linux reports them (sysfs):
    their total bytes, each instance counted once (by the CPUs sharing it), and what they are ("2 x 2 MiB L2;
    the 480 MiB L3 left out"); the last level only where it is the only one from level 2 up; None where the
    OS does not say. The last-level cache is shared with every core and process of the socket: held against
    69 zoo models under ONNX Runtime and OpenVINO, the runtimes' fits with it counted estimated recurrent models
    whose weights exceed the L2 caches (deepspeech2) 4x too fast (benchmarks/results_runtime_estimate_accuracy.md)."""
    seen: dict[tuple[int, str], int] = {}
    try:
        cpus = sorted(d for d in os.listdir(root) if d.startswith("cpu") and d[3:].isdigit())
        for cpu in cpus:
            base = os.path.join(root, cpu, "cache")
            for index in sorted(os.listdir(base)) if os.path.isdir(base) else ():
                def read(name: str, _dir: str = os.path.join(base, index)) -> str:
                    with open(os.path.join(_dir, name), encoding="utf-8") as fh:
                        return fh.read().strip()

                if not index.startswith("index") or read("type") == "Instruction" or int(read("level")) < 2:
                    continue
                size = _cache_size(read("size"))
                if size:
                    seen[(int(read("level")), read("shared_cpu_list"))] = size
    except (OSError, ValueError):
        return None
    if not seen:
        return None
    levels = sorted({lv for lv, _ in seen})
    kept = on_chip_levels(levels)
    parts = [_level_text(seen, level) for level in kept]
    left = f"; the {_level_text(seen, levels[-1])} left out" if len(levels) > 1 else ""
    return sum(s for (lv, _), s in seen.items() if lv in kept), " + ".join(parts) + left


def on_chip_levels(levels: Iterable[int]) -> list[int]:
    """The cache levels (from 2 up) archsel counts as a CPU's on-chip memory: all but the last, shared with every
    core and process of the socket; the last only where it is the only one."""
    ordered = sorted(set(levels))
    return ordered[:-1] or ordered


def _level_text(seen: dict[tuple[int, str], int], level: int) -> str:
    """'2 x 2 MiB L2', '480 MiB L3': the instances of one cache level."""
    sizes = [s for (lv, _), s in seen.items() if lv == level]
    if len(set(sizes)) == 1 and len(sizes) > 1:
        return f"{len(sizes)} x {sizes[0] / (1 << 20):g} MiB L{level}"
    return " + ".join(f"{s / (1 << 20):g} MiB L{level}" for s in sizes)

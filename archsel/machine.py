"""Facts about this machine that need no torch: the CPU's model name and the physical memory."""

from __future__ import annotations

import os
import platform


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

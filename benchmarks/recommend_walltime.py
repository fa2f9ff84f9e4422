"""Wall time of `archsel recommend --task T --target edge` per task, cold and warm cache, on this machine.

Cold: a fresh, empty ARCHSEL_CACHE_DIR (every candidate is built on the meta device and counted).
Warm: the same command again with that cache (counts are read back; no torch import).
Each is a separate `python -m archsel` subprocess, as a user runs it. Targets (issue 6): cold < 30 s for
video (the heaviest task), warm < 2 s. Run: python benchmarks/recommend_walltime.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

TASKS = ["image-classification", "object-detection", "semantic-segmentation", "super-resolution", "video",
         "image-captioning", "asr", "audio-classification", "translation", "text-classification",
         "text-generation", "sequence-labeling", "timeseries", "ocr", "recommendation", "multimodal"]


def _time(args: list[str], cache: str) -> tuple[float, int]:
    env = {**os.environ, "ARCHSEL_CACHE_DIR": cache, "NO_COLOR": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "archsel", *args], capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs per task (median reported)")
    parser.add_argument("--tasks", nargs="*", default=TASKS)
    opts = parser.parse_args()
    print(f"# archsel recommend wall time, target edge ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()})\n")
    print(f"| task | candidates | exit | cold s | warm s (median of {opts.repeat}) |")
    print("|---|---:|---:|---:|---:|")
    for task in opts.tasks:
        args = ["recommend", "--task", task, "--target", "edge", "--format", "json"]
        with tempfile.TemporaryDirectory(prefix="archsel-bench-") as cache:
            cold, code = _time(args, cache)
            warm = sorted(_time(args, cache)[0] for _ in range(opts.repeat))[opts.repeat // 2]
            env = {**os.environ, "ARCHSEL_CACHE_DIR": cache}
            out = subprocess.run([sys.executable, "-m", "archsel", *args], capture_output=True, text=True, env=env)
            n = json.loads(out.stdout)["total_candidates"] if out.stdout.strip() else 0
        print(f"| {task} | {n} | {code} | {cold:.2f} | {warm:.2f} |", flush=True)


if __name__ == "__main__":
    main()

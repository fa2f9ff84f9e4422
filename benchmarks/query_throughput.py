"""Query throughput: 1, 100, 3,000 (and 10,000 on stdin) queries through `archsel recommend --query FILE
--format jsonl`, and a single warm `archsel recommend --task video --target edge --latency-ms 50`; each a
whole `archsel` process, as a user runs it, median of --repeat runs.

The queries are distinct (task × target × latency budget drawn with a fixed seed, every budget different),
so no answer is reused: the worst case for a query file. One row repeats 72 distinct queries to 3,000, the
case "identical queries in one run are answered once" serves. Every run uses one warm cache folder (counts
and knowledge snapshot written by a first, untimed run); the cold row is the first run in an empty one.
Targets (issue 19): 3,000 queries under 15 s, a warm single recommend under 0.3 s on this 2-core machine.

Run: python benchmarks/query_throughput.py [--repeat N] [--out benchmarks/results_query_throughput.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKS = ["video", "image-classification", "object-detection", "asr", "timeseries", "text-classification",
         "semantic-segmentation", "recommendation"]
TARGETS = ["edge", "cloud", "mobile", "jetson-orin-nano", "raspberry-pi-5", "a100-sxm"]
SINGLE = ["recommend", "--task", "video", "--target", "edge", "--latency-ms", "50"]


def distinct_queries(n: int, seed: int = 19) -> list[dict[str, object]]:
    """`n` queries, no two alike (budgets 1.00–500.00 ms, drawn without repeats)."""
    rng = random.Random(seed)
    budgets = rng.sample(range(100, 50_000), n)
    return [{"task": rng.choice(TASKS), "target": rng.choice(TARGETS), "latency-ms": b / 100} for b in budgets]


def repeated_queries(n: int) -> list[dict[str, object]]:
    """`n` queries cycling through 72 distinct ones (6 tasks × 3 classes × 4 budgets)."""
    base = [{"task": t, "target": c, "latency-ms": b} for t in TASKS[:6] for c in TARGETS[:3] for b in (5, 20, 50, 200)]
    return [base[i % len(base)] for i in range(n)]


def _archsel() -> list[str]:
    script = Path(sys.executable).parent / "archsel"
    return [str(script)] if script.exists() else [sys.executable, "-m", "archsel"]


def _run(args: list[str], cache: str, stdin: str | None = None) -> tuple[float, int, int]:
    """(wall seconds, exit code, stdout lines) of one archsel process."""
    env = {**os.environ, "ARCHSEL_CACHE_DIR": cache, "NO_COLOR": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run([*_archsel(), *args], capture_output=True, text=True, env=env, input=stdin)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"archsel {' '.join(args)} failed (exit {proc.returncode}): {proc.stderr.strip()[:500]}")
    return wall, proc.returncode, proc.stdout.count("\n")


def _median(args: list[str], cache: str, repeat: int, stdin: str | None = None) -> tuple[float, float, int]:
    runs = [_run(args, cache, stdin) for _ in range(repeat)]
    walls = [r[0] for r in runs]
    return statistics.median(walls), min(walls), runs[0][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per row (median reported)")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results_query_throughput.md"))
    opts = parser.parse_args()
    rows: list[tuple[str, str, float, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="archsel-qt-") as tmp:
        cache = str(Path(tmp) / "cache")
        cold, _, _ = _run(SINGLE, cache)  # the first run: counts every candidate, writes the snapshot
        rows.append(("single recommend, cold (empty cache)", " ".join(SINGLE), cold, cold, 1))
        med, low, _ = _median(SINGLE, cache, opts.repeat)
        rows.append(("single recommend, warm", " ".join(SINGLE), med, low, 1))
        files: dict[str, list[dict[str, object]]] = {
            "1 query": distinct_queries(1), "100 distinct queries": distinct_queries(100),
            "3,000 distinct queries": distinct_queries(3000), "3,000 queries, 72 distinct": repeated_queries(3000),
        }
        for label, queries in files.items():
            path = Path(tmp) / f"{len(queries)}-{label.split()[1]}.json"
            path.write_text(json.dumps(queries), encoding="utf-8")
            args = ["recommend", "--query", str(path), "--format", "jsonl"]
            _run(args, cache)  # warm-up: counts of every candidate this file reaches
            med, low, lines = _median(args, cache, opts.repeat)
            if len(queries) > 1 and lines != len(queries):  # one query: one JSON line per candidate
                sys.exit(f"{label}: {lines} JSON lines for {len(queries)} queries")
            rows.append((label, "recommend --query FILE --format jsonl", med, low, len(queries)))
        stream = "".join(f"---\n{json.dumps(q)}\n" for q in distinct_queries(10_000, seed=7))
        args = ["recommend", "--query", "-", "--format", "jsonl"]
        med, low, lines = _median(args, cache, max(1, opts.repeat // 2), stdin=stream)
        if lines != 10_000:
            sys.exit(f"stdin: {lines} JSON lines for 10,000 queries")
        rows.append(("10,000 distinct queries on stdin (YAML documents)", "recommend --query - --format jsonl",
                     med, low, 10_000))
        shutil.rmtree(cache, ignore_errors=True)
    cpu = platform.processor() or platform.machine()
    lines_out = [
        "# Query throughput (benchmarks/query_throughput.py)",
        "",
        f"Whole `archsel` processes on this machine ({cpu}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}), {time.strftime('%Y-%m-%d')}; wall seconds, median of {opts.repeat} runs "
        "(10,000-query row: fewer), warm cache unless said. Estimated latencies (no target here is measured).",
        "",
        "| what | command | queries | wall s (median) | fastest s | ms per query |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, command, med, low, n in rows:
        lines_out.append(f"| {label} | `{command}` | {n:,} | {med:.2f} | {low:.2f} | {1000 * med / n:.1f} |")
    text = "\n".join(lines_out) + "\n"
    opts.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

"""How much a second CPU thread speeds up recurrent cells, by size and batch (the evidence behind the
estimator's per-op thread scaling, which `archsel calibrate --threads T` measures for every kernel family;
docs/estimation.md, "Several CPU threads").

Kernels too small to split run on one thread, so a per-class rate measured on large kernels overstates
small ones. This script times LSTM and
GRU layers (64 steps, eager fp32, inference mode) at 1 and N threads and prints the speedup against the
MACs per step (the work one parallel kernel gets).

    python benchmarks/thread_scaling.py --threads 2 > benchmarks/results_thread_scaling_cpu.md
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

STEPS = 64
GATES = {"LSTM": 4, "GRU": 3}


def _best_s(fn: Callable[[], Any], calls: int, repeats: int = 5) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main() -> None:
    import torch
    from torch import nn

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hidden", default="16,32,64,128,256,512")
    ap.add_argument("--batches", default="1,8")
    args = ap.parse_args()
    print(f"torch {torch.__version__}; {STEPS} steps, eager fp32, inference mode; fastest of 5 repeats\n")
    print(f"| cell | hidden | batch | MACs per step | 1 thread ms | {args.threads} threads ms | speedup |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for cell, gates in GATES.items():
        for hidden in (int(h) for h in args.hidden.split(",")):
            for batch in (int(b) for b in args.batches.split(",")):
                layer = getattr(nn, cell)(hidden, hidden).eval()
                x = torch.randn(STEPS, batch, hidden)
                times = []
                for threads in (1, args.threads):
                    torch.set_num_threads(threads)
                    with torch.inference_mode():
                        times.append(_best_s(lambda: layer(x), 20))  # noqa: B023 (called in this iteration)
                macs = gates * hidden * 2 * hidden * batch
                print(f"| {cell} | {hidden} | {batch} | {macs:,} | {times[0] * 1e3:.3f} | {times[1] * 1e3:.3f} | "
                      f"{times[0] / times[1]:.2f} |")


if __name__ == "__main__":
    main()

"""Does eager PyTorch run float32 convolutions on TF32 Tensor Cores by default, and how much faster is that?
(Evidence for the TF32 rate of eager fp32 convolutions on Ampere and later GPUs: issue 16.)

    python benchmarks/tf32_default.py [--out FILE]     # needs a CUDA GPU of compute capability >= 8.0

Prints the defaults of torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32, then
times torchvision models (random weights, built on the GPU) in eager fp32 with cuDNN TF32 allowed (the
default) and forbidden, and in fp16, at batch 1 and 16: CUDA-event timing, 20 warm-up passes, median of 50
timed passes, the three settings interleaved in 3 rounds (fastest round kept). Writes a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

MODELS = ("resnet50", "vgg16", "efficientnet_b0", "mobilenet_v2", "convnext_tiny", "vit_b_16")
BATCHES = (1, 16)


def time_ms(model, x, passes: int = 50, warmup: int = 20) -> float:  # type: ignore[no-untyped-def]
    import torch

    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        torch.cuda.synchronize()
        times = []
        for _ in range(passes):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            model(x)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    return statistics.median(times)


def main() -> int:
    import torch
    import torchvision

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results_tf32_default.md"))
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("tf32_default: no CUDA GPU here", file=sys.stderr)
        return 2
    name = torch.cuda.get_device_name()
    defaults = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    lines = [f"# Eager PyTorch fp32 with and without TF32 ({name}, torch {torch.__version__}, "
             f"cuDNN {torch.backends.cudnn.version()})", "",
             f"Defaults: `torch.backends.cudnn.allow_tf32` = {defaults[0]}, "
             f"`torch.backends.cuda.matmul.allow_tf32` = {defaults[1]}.", "",
             "`python benchmarks/tf32_default.py`: median ms of 50 passes (CUDA events) after 20 warm-up passes, "
             "fastest of 3 interleaved rounds; torchvision models with random weights, eval mode, "
             "inference_mode; cudnn.benchmark off (PyTorch's default).", "",
             "| model | batch | fp32, TF32 allowed (default) ms | fp32, TF32 off ms | fp16 ms | TF32-off / default |",
             "|---|---:|---:|---:|---:|---:|"]
    for model_name in MODELS:
        model = torchvision.models.get_model(model_name).cuda().eval()
        for batch in BATCHES:
            x = torch.randn(batch, 3, 224, 224, device="cuda")
            best: dict[str, float] = {}
            for _ in range(3):
                for setting in ("default", "no_tf32", "fp16"):
                    torch.backends.cudnn.allow_tf32 = setting != "no_tf32" and defaults[0]
                    m, inp = (model.half(), x.half()) if setting == "fp16" else (model.float(), x)
                    best[setting] = min(best.get(setting, float("inf")), time_ms(m, inp))
            torch.backends.cudnn.allow_tf32 = defaults[0]
            model.float()
            lines.append(f"| {model_name} | {batch} | {best['default']:.3f} | {best['no_tf32']:.3f} | "
                         f"{best['fp16']:.3f} | {best['no_tf32'] / best['default']:.2f} |")
            print(lines[-1], file=sys.stderr)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

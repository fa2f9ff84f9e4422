#!/bin/bash
# The GPU checks a session lent a device machine runs in one call (device tool, kind nvidia-h100-x1):
#   cp ../shared/wheels/*.whl .whl/   (.whl/ ignored through .git/info/exclude)
#   run: bash benchmarks/gpu_checks.sh   carry: [".whl"]   timeout_s: 540
# It runs the GPU-marked tests, the CUDA latency-agreement benchmark with the committed timing method (pipelined
# rounds of per-call events: never yet run on a GPU; results_latency_agreement_cuda_h100.md is the older
# method's run), `archsel profile` measuring on CUDA and estimating for the H100 profile. Everything lands in
# $OUT; copy results_latency_agreement_cuda_h100.md back into benchmarks/ when it ran.
S=$(mktemp -d)
pip install -q --no-index --no-deps --target "$S" .whl/*.whl || exit 3
export PYTHONPATH=$S:. PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$OUT/gpu.txt"
python -c "import torch, onnxruntime; print(torch.__version__, torch.version.cuda, onnxruntime.__version__, onnxruntime.get_available_providers())" >> "$OUT/gpu.txt" 2>&1
timeout 150 python -m pytest -q -p no:cacheprovider -m gpu tests/test_profiling_measure.py tests/test_profile_cli.py > "$OUT/gpu_tests.log" 2>&1
echo "tests rc=$?" >> "$OUT/gpu.txt"
timeout 240 python benchmarks/latency_agreement.py --device cuda --budget 2 > "$OUT/results_latency_agreement_cuda_h100.md" 2> "$OUT/la.err"
echo "agreement rc=$?" >> "$OUT/gpu.txt"
timeout 90 python -m archsel profile resnet50 mobilenet_v3_small --device cuda --dtype fp32,fp16,bf16 --batch 1,32 -f json > "$OUT/profile_cuda.json" 2> "$OUT/profile_cuda.err"
echo "profile rc=$?" >> "$OUT/gpu.txt"
timeout 60 python -m archsel profile resnet50 --target h100-sxm -f json > "$OUT/estimate_h100.json" 2>> "$OUT/profile_cuda.err"
echo "estimate rc=$?" >> "$OUT/gpu.txt"
cat "$OUT/gpu.txt"; tail -5 "$OUT/gpu_tests.log"; tail -30 "$OUT/results_latency_agreement_cuda_h100.md"

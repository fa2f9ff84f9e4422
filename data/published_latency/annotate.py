"""Annotate the published latency measurements in archsel's words.

    python data/published_latency/annotate.py [SOURCE] [--check]

Reads SOURCE (default: the shared copy, $ARCHSEL_PUBLISHED_LATENCY or
/work/shared/published-latency/measurements.json) and then the rows of added.json next to this script (rows
added in this repository from further public sources, the same original fields), keeps every row's original
fields unchanged and in order (the shared rows first, then added.json's in that file's order), adds the
archsel_* fields decided by the tables and rules below, and writes measurements.json next to this script
(deterministic: indent 1, UTF-8, one trailing newline). --check writes nothing and exits 1 when the file here
differs from what the sources give.

Every interpretation is a table entry or a rule in this file, so it can be reviewed and rerun. A row whose
runtime, precision, input or model text is not in the tables stops the script: extending the data means
deciding how to read it here first. Never invent or adjust a figure: the original fields are copied as read.
Standard library only (no archsel import), so it runs anywhere.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET = HERE / "measurements.json"
DEFAULT_SOURCE = Path(os.environ.get("ARCHSEL_PUBLISHED_LATENCY",
                                     "/work/shared/published-latency/measurements.json"))
ADDED_SOURCE = HERE / "added.json"  # rows added here from further public sources, after the shared rows

ORIGINAL_FIELDS = ("model", "zoo_id", "device", "archsel_target", "runtime", "precision", "batch", "input",
                   "latency_ms", "throughput_per_s", "source", "note")
ADDED_FIELDS = ("archsel_runtime", "archsel_unit", "archsel_threads", "archsel_precision", "archsel_batch",
                "archsel_input", "archsel_model", "archsel_note")
RUNTIMES = ("pytorch", "tensorrt", "onnxruntime", "openvino", "litert", "qnn", "coreml", "executorch", "ncnn",
            "mnn", "tensorflow", "mxnet", "paddle")
UNITS = ("cpu", "gpu", "npu")
PRECISIONS = ("fp32", "tf32", "fp16", "int8")
GPU_TARGETS = ("t4", "a100-sxm", "h100-sxm", "jetson-nano", "jetson-orin-nano", "jetson-orin-nano-super")

# --------------------------------------------------------------------------------------------------------
# Runtime text (as the row gives it) → (archsel runtime, compute unit, CPU threads, note). Every TensorRT
# engine is `tensorrt` whatever drives it (Paddle, Triton + ONNX Runtime's TensorRT EP, torch2trt,
# Ultralytics' export, MLPerf harnesses); a TFLite model with the QNN delegate is `litert`, a QNN DLC or
# context binary `qnn`, ONNX Runtime with the QNN EP `onnxruntime`; ExecuTorch's Core ML delegate is
# `coreml`. Threads only for CPU-unit runs that state them.

_PRESUMED_GPU_ORT = ("ONNX Runtime's execution provider is not stated; onnxruntime-gpu on a Jetson (the "
                     "guide's install) is taken as the GPU")
_COREML_NPU = ("Core ML compute units not stated; Core ML's default (all units) runs it on the Neural Engine: "
               "taken as the NPU")

RUNTIME_TABLE: dict[str, tuple[str | None, str | None, int | None, str | None]] = {
    "Core ML (coremltools conversion; compute units not stated)": ("coreml", "npu", None, _COREML_NPU),
    "ExecuTorch Core ML delegate": ("coreml", "npu", None, _COREML_NPU),
    "ExecuTorch XNNPACK (CPU)": ("executorch", "cpu", None, None),
    "ExecuTorch XNNPACK (CPU) via react-native-executorch": ("executorch", "cpu", None, None),
    "MNN (CPU)": ("mnn", "cpu", None, None),
    "MXNet (AMP)": ("mxnet", "gpu", None, None),
    "ONNX Runtime (CPU)": ("onnxruntime", "cpu", None, None),
    "ONNX Runtime (onnxruntime-gpu 1.20 per guide; EP not stated)": ("onnxruntime", "gpu", None,
                                                                     _PRESUMED_GPU_ORT),
    "ONNX Runtime + QNN EP [NPU]": ("onnxruntime", "npu", None, None),
    "ONNX Runtime QNN EP (precompiled) [NPU]": ("onnxruntime", "npu", None, None),
    "OpenVINO (CPU, ARM plugin)": ("openvino", "cpu", None, None),
    "Paddle-TensorRT": ("tensorrt", "gpu", None, None),
    "PaddlePaddle (no TensorRT)": ("paddle", "gpu", None, None),
    "PaddlePaddle (no TensorRT, AMP)": ("paddle", "gpu", None, None),
    "PyTorch (CPU, qnnpack engine, TorchScript per tutorial)": ("pytorch", "cpu", None, None),
    "PyTorch (CPU, qnnpack, TorchScript)": ("pytorch", "cpu", None, None),
    "PyTorch (Intel MLPerf submission, AMX)": ("pytorch", "cpu", None, None),
    "PyTorch eager": ("pytorch", "gpu", None, None),
    "PyTorch eager (AMP)": ("pytorch", "gpu", None, None),
    "PyTorch eager (CPU)": ("pytorch", "cpu", None, None),
    "PyTorch eager (CUDA)": ("pytorch", "gpu", None, None),
    "PyTorch (CUDA; framework path not stated)": ("pytorch", "gpu", None, None),
    "QNN (QAIRT, DLC) [NPU]": ("qnn", "npu", None, None),
    "QNN context binary [NPU]": ("qnn", "npu", None, None),
    "TFLite (CPU)": ("litert", "cpu", None, None),
    "TFLite (LiteRT) + QNN delegate [NPU]": ("litert", "npu", None, None),
    "TensorFlow 1.15": ("tensorflow", "gpu", None, None),
    "TensorFlow 1.15 (AMP)": ("tensorflow", "gpu", None, None),
    "TensorRT (NVIDIA BERT harness)": ("tensorrt", "gpu", None, None),
    "TensorRT (NVIDIA LWIS harness)": ("tensorrt", "gpu", None, None),
    "TensorRT (Ultralytics export)": ("tensorrt", "gpu", None, None),
    "TensorRT (Ultralytics export; version not stated)": ("tensorrt", "gpu", None, None),
    "TensorRT (raw engine execute, trtutils TRTEngine.raw_exec)": ("tensorrt", "gpu", None, None),
    "TensorRT (trtexec engine; JetPack 6.2, L4T 36.4.7)": ("tensorrt", "gpu", None, None),
    "TensorRT 8.4.3 (TensorRT OSS demo/BERT engine)": ("tensorrt", "gpu", None, None),
    "TensorRT 8.4 (trtexec engine from a tf2onnx ONNX graph)": ("tensorrt", "gpu", None, None),
    "TensorRT 10 (Ultralytics export)": ("tensorrt", "gpu", None, None),
    "TensorRT via torch2trt": ("tensorrt", "gpu", None, None),
    "Triton Inference Server 20.11 + ONNX Runtime TensorRT EP": ("tensorrt", "gpu", None, None),
    "ncnn (CPU)": ("ncnn", "cpu", None, None),
    "ncnn (CPU, 1 thread)": ("ncnn", "cpu", 1, None),
    "ncnn (CPU, 4 threads)": ("ncnn", "cpu", 4, None),
    "ncnn Vulkan (GPU, gpu_device=0, 4 CPU threads)": ("ncnn", "gpu", None, None),
    "ncnn Vulkan (GPU, gpu_device=0, 6 CPU threads)": ("ncnn", "gpu", None, None),
    "not stated (NVIDIA/Jetson AI Lab benchmark)": (None, None, None, None),
}

# A CPU run whose note states the thread count ("default 4 threads": the PyTorch Raspberry Pi tutorial).
_NOTE_THREADS = re.compile(r"\bdefault (\d+) threads\b")

# --------------------------------------------------------------------------------------------------------
# Precision text → (precision, note). "float" on Qualcomm's NPU is fp16 (the HTP computes floats in fp16);
# AMP is fp16; ncnn's fp16 arithmetic / Vulkan fp16 storage is fp16; a precision the row does not state is
# null unless the row says it (a presumption is not a statement); "mixed" is null.

_NOT_STATED = "precision not stated by the source"
PRECISION_TABLE: dict[str, tuple[str | None, str | None]] = {
    "amp fp16": ("fp16", None),
    "float (AI Hub unquantized model; Hexagon NPU/HTP computes floats in fp16 - QNN behaviour, not stated in "
    "perf.yaml)": ("fp16", None),
    "fp16": ("fp16", None),
    "fp16 compute (fp32 model; ncnn default use_fp16_arithmetic on ARMv8.2 A76)": ("fp16", None),
    "fp16 storage/arithmetic where the GPU reports support (ncnn defaults; fp32 model)": ("fp16", None),
    "fp32": ("fp32", None),
    "fp32 (A72 has no fp16 arithmetic; ncnn fp16 options inactive)": ("fp32", None),
    "int8": ("int8", None),
    "int8 (AI Hub w8a8: 8-bit weights, 8-bit activations)": ("int8", None),
    "W8A8 (8-bit weights and activations, symmetric per-channel; coremltools LinearQuantizer, 128 calibration "
    "samples)": ("int8", None),
    'int8 (NVIDIA MLPerf resnet50 configs set precision="int8")': ("int8", None),
    "int8 (Q8)": ("int8", None),
    "int8 (TensorRT post-training INT8 calibration, calibration batch 64)": ("int8", None),
    "int8 (QAT Q/DQ ONNX graph, engine built with trtexec --int8)": ("int8", None),
    "int8 (post-training INT8 with FP16 where INT8 is not used: builder.py --int8 --fp16 --strict, "
    "demo/BERT/scripts/inference_benchmark.sh)": ("int8", None),
    "int8 quantized (qnnpack pretrained)": ("int8", None),
    'mixed (system name "PyTorch-MIX")': (None, "mixed precision: no single precision"),
    "not stated": (None, _NOT_STATED),
    "not stated (non-quantized baseline TensorRT engine)": (
        None, _NOT_STATED + " (a TensorRT engine built without --fp16/--int8 runs FP32, with TF32 on an A100)"),
    "not stated (TensorRT export)": (None, _NOT_STATED + " (TensorRT engines may run fp32, fp16 or int8)"),
    "not stated (XNNPACK)": (None, _NOT_STATED),
    "not stated (XNNPACK, fp32 presumed by absence of a quantization tag)": (
        None, _NOT_STATED + " (fp32 likely: the model name has no quantization tag)"),
    "not stated in summary": (None, _NOT_STATED),
    "not stated in summary (NVIDIA MLPerf BERT uses int8/fp16 mix)": (None, _NOT_STATED + " (int8/fp16 mix)"),
    "not stated per row (tutorial uses torchvision.models.quantization; no qnnpack-pretrained weights for "
    "this model)": (None, _NOT_STATED + " (int8 unlikely: no qnnpack-quantized weights exist for this model)"),
    "tf32": ("tf32", None),
}

# Ultralytics' T4 TensorRT10 speeds. The model and comparison pages head the column "Speed T4 TensorRT10 (ms)"
# without a precision, but Ultralytics' own docs chart of the same figures (docs/overrides/javascript/
# benchmark.js @ 3fbd1ca5219293495cb6406cc28e8330ce3cb104: `data` entries YOLO11 n-x, YOLOv8 n-x and YOLOv5 n-x,
# plotted on the x axis titled "Latency T4 TensorRT10 FP16 (ms/img)") states they are FP16. The rule applies
# only to a row whose model and figure are exactly the chart's; other rows (the -cls models, the A100 column)
# keep a null precision.
ULTRALYTICS_T4_FP16_CHART: dict[str, float] = {
    **{f"YOLO11{s} (Ultralytics)": v for s, v in zip("nsmlx", (1.5, 2.5, 4.7, 6.2, 11.3), strict=True)},
    **{f"YOLOv8{s} detect (Ultralytics)": v for s, v in zip("nsmlx", (1.47, 2.66, 5.86, 9.06, 14.37), strict=True)},
    **{f"YOLOv5{s} detect (Ultralytics)": v for s, v in zip("nsmlx", (1.12, 1.92, 4.03, 6.61, 11.89), strict=True)},
}
_ULTRALYTICS_T4 = ("TensorRT 10 (Ultralytics export)", "not stated (TensorRT export)")
_ULTRALYTICS_T4_FP16_NOTE = ("fp16: Ultralytics' docs chart plots this very figure as \"Latency T4 TensorRT10 FP16 "
                             "(ms/img)\" (docs/overrides/javascript/benchmark.js @ "
                             "3fbd1ca5219293495cb6406cc28e8330ce3cb104)")


def read_precision(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """The row's precision and a note: the precision table, then the Ultralytics T4 chart rule."""
    if row["precision"] not in PRECISION_TABLE:
        raise ValueError(f"precision text not in PRECISION_TABLE: {row['precision']!r}")
    if ((row["runtime"], row["precision"]) == _ULTRALYTICS_T4 and row["archsel_target"] == "t4"
            and ULTRALYTICS_T4_FP16_CHART.get(row["model"]) == row["latency_ms"]):
        return "fp16", _ULTRALYTICS_T4_FP16_NOTE
    return PRECISION_TABLE[row["precision"]]


# --------------------------------------------------------------------------------------------------------
# Input text → full input shapes with the batch, in PyTorch layout. "AxBxCxD" is taken as written (NCHW),
# "(…HWC)" is NHWC and is reordered to NCHW, a bare "80x3000 mel" gets batch 1; the texts below give no
# shape (batch or size not stated, variable lengths).

NO_SHAPE: dict[str, str] = {
    "1 sequence, max length 384": "MLPerf sequences vary in length (at most 384 tokens)",
    "1 token step, encoder context from 30 s audio": "decoder step against caches: no single input shape",
    "224x224 images": "batch not stated",
    "224x224 per model name (batch not stated)": "batch not stated",
    "800x800 images": "batch not stated",
    "LibriSpeech utterances": "variable-length utterances",
    "SQuAD sequences, max length 384": "MLPerf sequences vary in length (at most 384 tokens)",
    "image resized by the library (size not stated)": "input size not stated",
}
_DIMS = re.compile(r"^(\d+(?:x\d+)+)(?:\s|$)")


def parse_input(text: str) -> tuple[list[list[int]] | None, str | None]:
    """The row's input text as shapes with the batch (PyTorch layout) and a note on any reading made."""
    if text in NO_SHAPE:
        return None, f"no input shape: {NO_SHAPE[text]}"
    if text == "1 sentence of ~80 tokens":
        return [[1, 80]], "the source gives 'around 80 tokens': taken as 80"
    match = _DIMS.match(text)
    if match is None:
        raise ValueError(f"input text not in the rules: {text!r}")
    dims = [int(d) for d in match.group(1).split("x")]
    if "HWC)" in text:
        n, h, w, c = dims
        return [[n, c, h, w]], "NHWC input (TensorFlow) written in PyTorch's NCHW layout"
    if "mel" in text:
        return [[1, *dims]], None
    if "token" in text and len(dims) != 2:
        raise ValueError(f"token input without a batch: {text!r}")
    return [dims], None


# --------------------------------------------------------------------------------------------------------
# Model text → archsel model id (and a note), for rows without a zoo_id. None: archsel has no faithful
# architecture for it. Ultralytics YOLO ids are the YOLO reference entries (archsel/zoo/catalog/
# reference_detectors.py); every other id is in archsel/zoo/catalog/reference_models.py.

_NCNN = "ncnn's {}.param: {}"
_TV = None  # torchvision's own architecture: nothing to interpret
_YOLOV5_DOCS = ("Ultralytics' comparison pages show the original anchor-based YOLOv5's mAPs (s 37.4 ... x 50.7); "
                "archsel's yolov5* ids are the YOLOv5u form (anchor-free head; the original is "
                "get_model(id, head='anchor')); which one was timed is not stated")
_SENTENCE = "sentence-transformers model: encoder, pooling and normalisation counted"

MODEL_TABLE: dict[str, tuple[str | None, str | None]] = {
    # torchvision classifiers (torch2trt benchmark, PyTorch tutorial, AI Hub, ExecuTorch, react-native-executorch)
    **{f"torchvision.models.{module}.{name}": (name, _TV) for module, name in (
        ("alexnet", "alexnet"), ("densenet", "densenet121"), ("densenet", "densenet161"),
        ("densenet", "densenet169"), ("densenet", "densenet201"), ("resnet", "resnet101"),
        ("resnet", "resnet152"), ("resnet", "resnet34"), ("squeezenet", "squeezenet1_0"),
        ("squeezenet", "squeezenet1_1"), ("vgg", "vgg11"), ("vgg", "vgg11_bn"), ("vgg", "vgg13"),
        ("vgg", "vgg13_bn"), ("vgg", "vgg16"), ("vgg", "vgg16_bn"))},
    "torchvision googlenet (tutorial benchmark)": ("googlenet", _TV),
    "torchvision inception_v3 (tutorial benchmark)": ("inception_v3", _TV),
    "torchvision resnext101_32x8d (tutorial benchmark)": ("resnext101_32x8d", _TV),
    "DenseNet-121 (Qualcomm AI Hub model id densenet121)": ("densenet121", _TV),
    "EfficientNet-B4 (Qualcomm AI Hub model id efficientnet_b4)": ("efficientnet_b4", _TV),
    "EfficientNet-V2-s (Qualcomm AI Hub model id efficientnet_v2_s)": ("efficientnet_v2_s", _TV),
    "GoogLeNet (Qualcomm AI Hub model id googlenet)": ("googlenet", _TV),
    "Inception-v3 (Qualcomm AI Hub model id inception_v3)": ("inception_v3", _TV),
    "InceptionV3 (ExecuTorch example ic3 = torchvision inception_v3)": ("inception_v3", _TV),
    "MNASNet05 (Qualcomm AI Hub model id mnasnet05)": ("mnasnet0_5", _TV),
    "RegNet (Qualcomm AI Hub model id regnet)": (
        "regnet_x_3_2gf", "AI Hub's regnet is torchvision's regnet_x_3_2gf (qai_hub_models/models/regnet/model.py)"),
    "RegNet-Y-800MF (Qualcomm AI Hub model id regnet_y_800mf)": ("regnet_y_800mf", _TV),
    "ResNeXt50 (Qualcomm AI Hub model id resnext50)": ("resnext50_32x4d", _TV),
    "ResNet101 (Qualcomm AI Hub model id resnet101)": ("resnet101", _TV),
    "SqueezeNet-1.1 (Qualcomm AI Hub model id squeezenet1_1)": ("squeezenet1_1", _TV),
    "WideResNet50 (Qualcomm AI Hub model id wideresnet50)": ("wide_resnet50_2", _TV),
    "EFFICIENTNET_V2_S (torchvision efficientnet_v2_s)": ("efficientnet_v2_s", _TV),
    "efficientnet-b4 (NVIDIA DLE)": (
        "efficientnet_b4", "NVIDIA DLE's EfficientNet implementation, the same architecture as torchvision's"),
    "vit-base-patch32-224": ("vit_b_32", "google/vit-base-patch32-224 has torchvision vit_b_32's architecture"),
    # AITemplate's PyTorch eager baselines (examples/*/benchmark_pt.py @ 44026ba)
    "ResNet-50 (timm resnet50, AITemplate benchmark_pt.py)": (
        "resnet50", "timm's resnet50 has torchvision resnet50's layers "
                    "(stride on the 3×3 conv of a downsampling block)"),
    "ViT-B/16 224 (timm VisionTransformer, no class token, average pooling; AITemplate benchmark_pt.py)": (
        "vit_b_16", "timm ViT-B/16 built without the class token and with average pooling: 196 tokens, not torchvision "
                    "vit_b_16's 197"),
    # tf.keras.applications / TF Model Garden classifiers (NVIDIA TensorRT tools/tensorflow-quantization examples)
    "MobileNet-v1 (tf.keras.applications MobileNet, alpha 1.0)": (
        "mobilenet_v1", "Keras MobileNet 1.0 has archsel's mobilenet_v1 layers (its classifier is a 1×1 conv, the "
                        "same multiply-accumulates as the FC)"),
    "MobileNet-v2 (tf.keras.applications MobileNetV2, alpha 1.0)": (
        "mobilenet_v2", "Keras MobileNetV2 1.0 has torchvision mobilenet_v2's layers"),
    "Inception-v3 (tf.keras.applications InceptionV3)": (
        "inception_v3", "Keras InceptionV3 has torchvision inception_v3's layers (torchvision's auxiliary "
                        "classifier runs only in training)"),
    "EfficientNet-B0 (TF Model Garden official/legacy efficientnet)": (
        "efficientnet_b0", "the TF Model Garden EfficientNet-B0 has torchvision efficientnet_b0's architecture"),
    "EfficientNet-B3 (TF Model Garden official/legacy efficientnet)": (
        "efficientnet_b3", "the TF Model Garden EfficientNet-B3 has torchvision efficientnet_b3's architecture"),
    "ResNet50-v1 (tf.keras.applications ResNet50)": (
        None, "Keras ResNet50 is ResNet v1 (stride 2 on the first 1×1 of a downsampling block); archsel's resnet50 "
              "is torchvision's v1.5"),
    "ResNet101-v1 (tf.keras.applications ResNet101)": (
        None, "Keras ResNet101 is ResNet v1 (stride 2 on the first 1×1 of a downsampling block); archsel's "
              "resnet101 is torchvision's v1.5"),
    "ResNet50-v2 (tf.keras.applications ResNet50V2, pre-activation)": (
        None, "pre-activation ResNet v2 not built in archsel"),
    "ResNet101-v2 (tf.keras.applications ResNet101V2, pre-activation)": (
        None, "pre-activation ResNet v2 not built in archsel"),
    # ncnn benchmark networks (Caffe/ONNX conversions)
    "AlexNet [ncnn benchmark/alexnet.param]": (
        "bvlc_alexnet", _NCNN.format("alexnet", "BVLC Caffe AlexNet (grouped convs, LRN), not torchvision's")),
    "GoogLeNet (BVLC Caffe, no BN) [ncnn benchmark/googlenet.param]": (
        "bvlc_googlenet", _NCNN.format("googlenet", "BVLC Caffe GoogLeNet (no BN, 5×5 branches, LRN)")),
    "MnasNet 1.0 [ncnn benchmark/mnasnet.param]": (
        "mnasnet1_0", _NCNN.format("mnasnet", "same stages as torchvision's mnasnet1_0")),
    "MobileNet v1 [ncnn benchmark/mobilenet.param]": (
        "mobilenet_v1", _NCNN.format("mobilenet", "Caffe MobileNet v1 1.0 (Howard et al. 2017)")),
    "MobileNetV1-SSD 300 [ncnn benchmark/mobilenet_ssd.param]": (
        "mobilenet_v1_ssd300", _NCNN.format("mobilenet_ssd", "chuanqi305's MobileNet-SSD (VOC); detection "
                                            "output (decode + NMS) not counted")),
    "SqueezeNet v1.1 (ncnn benchmark param) [ncnn benchmark/squeezenet.param]": (
        "squeezenet1_1_ncnn", _NCNN.format("squeezenet", "SqueezeNet v1.1 with conv10 padded by 1 "
                                            "(torchvision's squeezenet1_1 is not)")),
    "VGG-16 [ncnn benchmark/vgg16.param]": ("vgg16", _NCNN.format("vgg16", "Caffe VGG-16, the same layers")),
    "ViT-B/32 at 384x384 (12 layers, 768 wide, 145 tokens) [ncnn benchmark/vision_transformer.param]": (
        "vit_b_32_384", _NCNN.format("vision_transformer", "torchvision vit_b_32 built for 384×384")),
    # segmentation, video
    "DeepLabV3-Plus-MobileNet (Qualcomm AI Hub model id deeplabv3_plus_mobilenet)": (
        "deeplabv3plus_mobilenet_v2", "jfzhang95's DeepLabV3+ MobileNetV2 (AI Hub's source)"),
    "Video-MAE (Qualcomm AI Hub model id video_mae)": (
        "videomae_base_k400", "MCG-NJU/videomae-base-finetuned-kinetics (AI Hub's weights)"),
    # transformer encoders
    "Bert-Base-Uncased-Hf (Qualcomm AI Hub model id bert_base_uncased_hf)": (
        "bert_base_uncased_mlm", "BertForMaskedLM (AI Hub's model); its attention-mask and mask-index inputs "
                                 "are not modelled"),
    "Distil-Bert-Base-Uncased-Hf (Qualcomm AI Hub model id distil_bert_base_uncased_hf)": (
        "distilbert_base_uncased_mlm", "DistilBertForMaskedLM (AI Hub's model); its attention-mask and "
                                       "mask-index inputs are not modelled"),
    "MobileBERT (google/mobilebert-uncased, ExecuTorch example)": ("mobilebert_uncased", None),
    "bert-base-uncased BertForMaskedLM (Hugging Face, Torch-TensorRT notebook)": (
        "bert_base_uncased_mlm",
        "Hugging Face BertForMaskedLM; its token-type and attention-mask inputs are not modelled"),
    "ALL_MINILM_L6_V2 (sentence-transformers all-MiniLM-L6-v2)": ("all_minilm_l6_v2", _SENTENCE),
    "MULTI_QA_MINILM_L6_COS_V1": ("all_minilm_l6_v2", "multi-qa-MiniLM-L6-cos-v1 has all-MiniLM-L6-v2's "
                                                      "architecture (6 layers, width 384, mean pooling)"),
    "ALL_MPNET_BASE_V2 (sentence-transformers all-mpnet-base-v2, 12-layer 768-wide)": (
        "all_mpnet_base_v2", _SENTENCE),
    "MULTI_QA_MPNET_BASE_DOT_V1": ("all_mpnet_base_v2", "multi-qa-mpnet-base-dot-v1 has all-mpnet-base-v2's "
                                                        "encoder (it pools the CLS token instead of the mean)"),
    "CLIP_VIT_BASE_PATCH32_TEXT (CLIP text encoder)": (
        "clip_vit_b32_text", "CLIP ViT-B/32 text tower with its projection"),
    "clip-vit-base-patch32 (image encoder)": (
        "clip_vit_b32_image", "CLIP ViT-B/32 image tower; the projection to 512 presumed included"),
    "clip-vit-base-patch16 (image encoder)": (
        "clip_vit_b16_image", "CLIP ViT-B/16 image tower; the projection to 512 presumed included"),
    "DINOv2-base-patch14": ("dinov2_base", "facebook/dinov2-base at 224×224 (257 tokens)"),
    "BERT-Large SQuAD (TensorRT demo/BERT, 24 layers, 1024 wide, QA head)": (
        "bert_large_squad", "NVIDIA's BERT-large SQuAD checkpoint: BERT-large with the span head; its segment-id and "
                            "input-mask inputs are not modelled"),
    "BERT-Base SQuAD (TensorRT demo/BERT, 12 layers, 768 wide, QA head)": (
        "bert_base_squad", "NVIDIA's BERT-base SQuAD checkpoint: BERT-base with the span head; its segment-id and "
                           "input-mask inputs are not modelled"),
    "BERT-Large (MLPerf bert-99)": ("bert_large_squad", "BERT-large with the SQuAD span head"),
    "BERT-Large (MLPerf bert-99, SQuAD v1.1)": ("bert_large_squad", "BERT-large with the SQuAD span head"),
    "Whisper-Tiny (Qualcomm AI Hub model id whisper_tiny) - component HfWhisperEncoder": (
        "whisper_tiny_encoder_cross_kv", "AI Hub's encoder component also projects the decoder's "
                                         "cross-attention keys and values"),
    "Whisper-tiny encoder (30 s audio)": ("whisper_tiny_encoder", None),
    "Whisper-Tiny (Qualcomm AI Hub model id whisper_tiny) - component HfWhisperDecoder": (
        None, "Whisper's decoder step is not built in archsel"),
    "Whisper-tiny decoder, one token (~100-token sequence, 30 s context)": (
        None, "Whisper's decoder step is not built in archsel"),
    # not built
    "RNN-T (MLPerf rnnt, LSTM speech model)": (None, "MLPerf RNN-T not built in archsel"),
    "RetinaNet ResNeXt50 FPN (MLPerf retinanet)": (None, "MLPerf RetinaNet (ResNeXt50-32x4d FPN, 264 classes) "
                                                         "not built in archsel"),
    "RetinaNet ResNeXt50-32x4d FPN (MLPerf retinanet, OpenImages)": (
        None, "MLPerf RetinaNet (ResNeXt50-32x4d FPN, 264 classes) not built in archsel"),
    # ExecuTorch benchmark examples built with their libraries' layers (timm, torchSR, torchaudio)
    "InceptionV4 (ExecuTorch example ic4 = timm inception_v4)": ("inception_v4", None),
    "EDSR (ExecuTorch example edsr = torchsr edsr_r16f64, scale 2)": ("edsr_r16f64_x2", None),
    "Wav2Letter (ExecuTorch example w2l = torchaudio Wav2Letter, 4096 classes)": ("wav2letter_4096", None),
    # Ultralytics YOLO (reference entries registered in reference_detectors.py)
    **{f"YOLO11{s} (Ultralytics)": (f"yolo11{s}", None) for s in "nsmlx"},
    **{f"YOLO11{s} detect (Ultralytics)": (f"yolo11{s}", None) for s in "nsmlx"},
    **{f"YOLO11{s}-cls (Ultralytics)": (f"yolo11{s}-cls", None) for s in "nsm"},
    **{f"YOLOv8{s} (Ultralytics)": (f"yolov8{s}", None) for s in "smlx"},
    **{f"YOLOv8{s} detect (Ultralytics)": (f"yolov8{s}", None) for s in "smlx"},
    **{f"YOLOv8{s}-cls (Ultralytics)": (f"yolov8{s}-cls", None) for s in "nsm"},
    "YOLOv8n-seg (Ultralytics)": ("yolov8n-seg", None),
    **{f"YOLOv5{s} detect (Ultralytics)": (f"yolov5{s}", _YOLOV5_DOCS) for s in "nsmlx"},
    "YOLOv11-Detection (Qualcomm AI Hub model id yolov11_det)": ("yolo11n", "AI Hub's default weights: yolo11n.pt"),
    "Yolo-v5 (Qualcomm AI Hub model id yolov5)": (
        "yolov5m", "AI Hub exports yolov5mu.pt: YOLOv5u-m, the form of archsel's yolov5m"),
    "yolov8n (trtutils benchmark)": ("yolov8n", None),
    "yolov8s (trtutils benchmark)": ("yolov8s", None),
    "yolov8m (trtutils benchmark)": ("yolov8m", None),
    "yolov8n (Ultralytics yolov8n.pt, ONNX export)": ("yolov8n", None),
    **{f"{m} (trtutils benchmark)": (None, "not built in archsel")
       for m in ("yolov10n", "yolov9t", "yolov7t", "yoloxn", "yoloxs")},
}

# Notes on rows that carry a zoo_id (the zoo_id is used as given).
ZOO_NOTES: dict[str, str] = {
    "ResNet-50 [ncnn benchmark/resnet50.param]": (
        "ncnn's resnet50.param is Caffe ResNet-50 v1 (stride 2 on the first 1×1 of a downsampling block); the "
        "zoo's resnet50 is torchvision's v1.5 (stride on the 3×3)"),
}

# Per-model input readings that the text alone does not give.
MODEL_INPUTS: dict[str, tuple[list[list[int]] | None, str]] = {
    "clip_vit_b32_text": ([[1, 77]], "the source gives 'around 80 tokens'; CLIP's text context holds 77"),
}
_AI_HUB = "ai-hub-models v0.46.1 (the rows' commit 52c080d), qai_hub_models/models/"
COMPONENT_INPUTS: dict[str, tuple[list[list[int]] | None, str]] = {
    "Whisper-Tiny (Qualcomm AI Hub model id whisper_tiny) - component HfWhisperDecoder": (
        None, "the component's inputs are a token and KV caches, not the mel"),
    # AI Hub profiles a model at its get_input_spec() defaults; for these its info.yaml (where the input text
    # comes from) states another resolution.
    "EfficientNet-B4 (Qualcomm AI Hub model id efficientnet_b4)": (
        [[1, 3, 224, 224]], "profiled at 224x224, not info.yaml's 380x380: " + _AI_HUB + "efficientnet_b4/model.py "
        "takes ImagenetClassifier.get_input_spec (_shared/imagenet_classifier/model.py: IMAGENET_DIM = 224)"),
    "EfficientNet-V2-s (Qualcomm AI Hub model id efficientnet_v2_s)": (
        [[1, 3, 224, 224]], "profiled at 224x224, not info.yaml's 384x384: " + _AI_HUB + "efficientnet_v2_s/model.py "
        "takes ImagenetClassifier.get_input_spec (_shared/imagenet_classifier/model.py: IMAGENET_DIM = 224)"),
    "FCN-ResNet50 (Qualcomm AI Hub model id fcn_resnet50)": (
        [[1, 3, 520, 520]], "profiled at 520x520, not info.yaml's 224x224: " + _AI_HUB + "fcn_resnet50/model.py "
        "takes DeepLabV3Model.get_input_spec (_shared/deeplab/model.py: height = width = 520)"),
    "DeepLabV3-Plus-MobileNet (Qualcomm AI Hub model id deeplabv3_plus_mobilenet)": (
        [[1, 3, 520, 520]], "profiled at 520x520, not info.yaml's 513x513: " + _AI_HUB + "deeplabv3_plus_mobilenet/"
        "model.py takes DeepLabV3Model.get_input_spec (_shared/deeplab/model.py: height = width = 520)"),
}


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(kept) + "." if kept else None


def annotate_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row's original fields unchanged, then the archsel_* fields."""
    if tuple(row) != ORIGINAL_FIELDS:
        raise ValueError(f"unexpected fields {tuple(row)} in row {row.get('model')!r}")
    runtime_text, model_text = row["runtime"], row["model"]
    if runtime_text not in RUNTIME_TABLE:
        raise ValueError(f"runtime text not in RUNTIME_TABLE: {runtime_text!r}")
    runtime, unit, threads, runtime_note = RUNTIME_TABLE[runtime_text]
    if unit == "gpu" and row["archsel_target"] not in GPU_TARGETS:
        raise ValueError(f"GPU runtime {runtime_text!r} on {row['archsel_target']!r}")
    if unit == "cpu" and threads is None and (found := _NOTE_THREADS.search(row["note"])):
        threads = int(found.group(1))
    precision, precision_note = read_precision(row)

    if row["zoo_id"] is not None:
        model, model_note = row["zoo_id"], ZOO_NOTES.get(model_text)
    elif model_text in MODEL_TABLE:
        model, model_note = MODEL_TABLE[model_text]
    else:
        raise ValueError(f"model text not in MODEL_TABLE: {model_text!r}")

    shapes, input_note = parse_input(row["input"])
    if model in MODEL_INPUTS:
        shapes, input_note = MODEL_INPUTS[model]
    if model_text in COMPONENT_INPUTS:
        shapes, input_note = COMPONENT_INPUTS[model_text]
    if shapes is not None and row["batch"] is not None and shapes[0][0] != row["batch"]:
        raise ValueError(f"input {row['input']!r} disagrees with batch {row['batch']} ({model_text!r})")

    return {**row, "archsel_runtime": runtime, "archsel_unit": unit, "archsel_threads": threads,
            "archsel_precision": precision, "archsel_batch": row["batch"], "archsel_input": shapes,
            "archsel_model": model,
            "archsel_note": _join(model_note, input_note, runtime_note, precision_note)}


def annotate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [annotate_row(r) for r in rows]


def load_rows(source: Path) -> list[dict[str, Any]]:
    """The shared rows of SOURCE, then the rows of added.json (when present), in their files' order."""
    rows: list[dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))
    if ADDED_SOURCE.exists():
        rows += json.loads(ADDED_SOURCE.read_text(encoding="utf-8"))
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    """The file's exact text: indent 1, non-ASCII kept, one trailing newline."""
    return json.dumps(rows, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--check"]
    source = Path(args[0]) if args else DEFAULT_SOURCE
    text = render(annotate(load_rows(source)))
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is not what {source} and {ADDED_SOURCE.name} give: rerun annotate.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({text.count(chr(10))} lines) from {source} and {ADDED_SOURCE.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

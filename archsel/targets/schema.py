"""JSON Schemas for hardware profiles (profiles/*.yaml) and class defaults (profiles/classes.yaml).

Every object is closed (additionalProperties: false). Cross-field and cross-file checks (a figure's source
names a reference of the file, peaks only for listed precisions, duplicate names, class defaults) live in
archsel.targets.profiles, because JSON Schema cannot see across files.
"""

from __future__ import annotations

from typing import Any

from archsel.precisions import PRECISIONS  # peak keys and supported precisions; int8 rates in TOPS

TARGET_CLASSES: tuple[str, ...] = ("cloud", "edge", "mobile", "local")
KINDS: tuple[str, ...] = ("gpu", "cpu", "soc", "npu")
# Deployment runtimes (docs/targets.md): `pytorch` is eager PyTorch; the others run a compiled graph.
RUNTIMES: tuple[str, ...] = (
    "pytorch", "tensorrt", "onnxruntime", "openvino", "litert", "qnn", "coreml", "executorch", "ncnn", "mnn",
)
RUNTIME_ALIASES: dict[str, str] = {"tflite": "litert", "trt": "tensorrt", "ort": "onnxruntime", "eager": "pytorch",
                                   "torch": "pytorch", "core-ml": "coreml", "onnx-runtime": "onnxruntime"}
RUNTIME_NAMES: tuple[str, ...] = (*RUNTIMES, *RUNTIME_ALIASES)  # what a profile may write (aliases: as before)
UNITS: tuple[str, ...] = ("cpu", "gpu", "npu")  # the compute unit a runtime runs a model on
# Layer classes a compiled runtime's rates are fitted for (archsel.estimation.engine), and with bandwidth
# the keys of a runtime's `efficiency`.
ENGINE_LAYER_CLASSES: tuple[str, ...] = ("conv", "conv3x3", "conv3d", "dilated_conv", "depthwise_conv", "matmul",
                                         "attention", "recurrent", "pooling")
ENGINE_EFFICIENCY_KEYS: tuple[str, ...] = (*ENGINE_LAYER_CLASSES, "bandwidth")
# Op classes of the latency estimator (archsel.estimation), plus the achievable share of memory bandwidth.
# Facts a runtime's source code or documentation states, each a figure with its source in a runtime entry
RUNTIME_FACTS: tuple[str, ...] = ("on_chip_mb", "matmul_row_tile", "linear_rows_chain", "grouped_conv_class", "fusion",
                                  "fp32_as_tf32", "quantized_float_classes")
MAX_FUSED_TRAFFIC = 5.0  # a compiled runtime's fused_traffic: at most 5x the fused ops' own bytes
MAX_ON_CHIP_BANDWIDTH = 10.0  # on-chip traffic runs at most 10x the DRAM bandwidth (the fit's bound)


def max_bandwidth_efficiency(unit: str, on_chip_mb: bool) -> float:
    """The highest bandwidth efficiency a runtime on `unit` may have: an npu without a modelled on-chip
    capacity (`on_chip_mb`) may keep all its traffic on chip, up to MAX_ON_CHIP_BANDWIDTH; otherwise no
    traffic beats the memory bandwidth."""
    return MAX_ON_CHIP_BANDWIDTH if unit == "npu" and not on_chip_mb else 1.0


OP_CLASSES: tuple[str, ...] = (
    "conv", "depthwise_conv", "matmul", "attention", "recurrent",
    "norm", "elementwise", "pooling", "data_movement", "other",
)
# Op classes whose float32 ops a runtime may compute on TF32 Tensor Cores (runtime `fp32_as_tf32`): those that
# run as matrix products. A compiled runtime's conv layer classes (conv3x3, conv3d, dilated_conv) count as conv.
TF32_CLASSES: tuple[str, ...] = ("conv", "depthwise_conv", "matmul", "attention", "recurrent")
EFFICIENCY_KEYS: tuple[str, ...] = (*OP_CLASSES, "bandwidth")
# Per-class fixed cost per op (views: host bookkeeping only) and recurrent cell families.
OVERHEAD_KEYS: tuple[str, ...] = (*OP_CLASSES, "view", "fused")
RECURRENT_CELLS: tuple[str, ...] = ("lstm", "gru", "rnn")
# Thread-scaling families of a multi-threaded CPU profile (archsel.estimation.roofline.PARALLEL_FAMILIES).
PARALLEL_FAMILIES: tuple[str, ...] = ("conv", "depthwise_conv", "matmul", "memory", *RECURRENT_CELLS)
# Spec figures a profile may carry, each as {value, source, derivation?}.
FIGURE_FIELDS: tuple[str, ...] = ("memory_bandwidth_gbs", "memory_gb", "power_w")

NAME_PATTERN = r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"
REF_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

_FIGURE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["value", "source"],
    "properties": {
        "value": {"type": "number", "exclusiveMinimum": 0},
        "source": {
            "description": "id (or list of ids) of entries in this file's `references`",
            "anyOf": [
                {"type": "string", "pattern": REF_PATTERN},
                {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": REF_PATTERN}},
            ],
        },
        "derivation": {"type": "string", "minLength": 10,
                       "description": "how the value follows from the cited facts, when it is not quoted"},
    },
}

_FRACTION: dict[str, Any] = {"type": "number", "exclusiveMinimum": 0, "maximum": 1}

_FITTED_FIGURE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["value", "fitted"],
    "properties": {
        "value": {"type": "number", "exclusiveMinimum": 0},
        "fitted": {"type": "string", "minLength": 10,
                   "description": "no published figure: how the value was fitted to measurements"},
    },
}

_RUNTIME: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["unit", "precisions", "source"],
    "properties": {
        "default": {"const": True, "description": "what this device's users deploy with (one runtime)"},
        "unit": {"enum": list(UNITS)},
        "precisions": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(PRECISIONS)}},
        "float_as": {"enum": list(PRECISIONS),
                     "description": "the precision an fp32 model computes in on this unit (an NPU runs floats in "
                                    "fp16), when fp32 is not among `precisions`"},
        "peak_tflops": {
            "type": "object",
            "description": "the compute unit's dense peak per precision where it is not the device's (an NPU), "
                           "published (value, source) or fitted (value, fitted)",
            "additionalProperties": False,
            "properties": {p: {"anyOf": [_FIGURE, _FITTED_FIGURE]} for p in PRECISIONS},
        },
        "precision_rates": {
            "type": "object",
            "description": "a precision's achieved rate relative to its peak (or to the fp32 peak where it has "
                           "none): what this runtime's kernels for it reach",
            "additionalProperties": False,
            "properties": {p: {"type": "number", "exclusiveMinimum": 0} for p in PRECISIONS},
        },
        "efficiency": {
            "type": "object",
            "description": "achieved fraction of the unit's peak per op class (and of memory bandwidth)",
            "additionalProperties": False,
            "properties": {**{k: _FRACTION for k in ENGINE_LAYER_CLASSES},
                           "conv3x3": {"type": "number", "exclusiveMinimum": 0, "maximum": 4},
                           "bandwidth": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_ON_CHIP_BANDWIDTH,
                                         "description": "above 1 only on an npu without on_chip_mb: its traffic "
                                                        "stays on chip, at up to 10x the memory bandwidth"}},
        },
        "layer_us": {"type": "number", "minimum": 0, "description": "fixed cost per compiled layer, microseconds"},
        "call_us": {"type": "number", "minimum": 0, "description": "fixed cost per inference, microseconds"},
        "fused_traffic": {"type": "number", "minimum": 0, "maximum": MAX_FUSED_TRAFFIC,
                          "description": "share of the traffic of memory ops fused into a layer that still "
                                         "reaches memory (0: kept on chip)"},
        "on_chip_mb": {**_FIGURE, "description": "on-chip memory (MiB) the runtime keeps a layer's tensors in (an "
                                                 "NPU's VTCM), published (value, source): a layer whose working set "
                                                 "exceeds it spills the excess to DRAM"},
        "fp32_as_tf32": {
            "type": "object",
            "additionalProperties": False,
            "required": ["classes", "source"],
            "description": "the op classes whose float32 ops this runtime computes on TF32 Tensor Cores by default "
                           "on this device (at the unit's tf32 peak), with the source of that default (PyTorch: "
                           "torch.backends.cudnn.allow_tf32 is True, so cuDNN convolutions)",
            "properties": {
                "classes": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(TF32_CLASSES)}},
                "source": _FIGURE["properties"]["source"],
            },
        },
        "quantized_float_classes": {
            "type": "object",
            "additionalProperties": False,
            "required": ["classes", "source"],
            "description": "the layer classes this runtime's model format keeps in float in a quantized (int8) "
                           "model: their layers compute at the runtime's float precision (float_as, else fp32), "
                           "with the source (TFLite: the CONV_3D kernel takes float32 only)",
            "properties": {
                "classes": {"type": "array", "minItems": 1, "uniqueItems": True,
                            "items": {"enum": list(ENGINE_LAYER_CLASSES)}},
                "source": _FIGURE["properties"]["source"],
            },
        },
        "on_chip_bandwidth": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_ON_CHIP_BANDWIDTH,
                              "description": "with on_chip_mb: the rate of traffic kept on chip, a multiple of "
                                             "the memory bandwidth (fitted)"},
        "half_efficiency_macs": {"type": "number", "minimum": 0,
                                 "description": "the work per thread (MACs) at which a dense conv, matmul or "
                                                "attention layer computes at half its class efficiency: a smaller "
                                                "layer does not fill the runtime's kernels (fitted; absent or 0: "
                                                "no slowdown)"},
        "matmul_row_tile": {**_FIGURE, "description": "rows of a matrix multiply that share one read of its "
                                                      "weights in the runtime's kernels, published (value, source): "
                                                      "1 where every row re-reads the whole weight matrix (an "
                                                      "untiled kernel); absent: tiled, no re-reads modelled"},
        "linear_rows_chain": {
            **_FIGURE, "properties": {**_FIGURE["properties"], "value": {"type": "number", "exclusiveMinimum": 0,
                                                                       "maximum": 1}},
            "description": "the share of the unit's peak at most that the runtime's kernels reach on a matrix "
                           "multiply of several rows whose row count is no multiple of 4 (the pack; its "
                           "untiled per-row loop is a dependent FMA chain, latency-bound), published (value, "
                           "source); absent: no such ceiling"},
        "grouped_conv_class": {
            **_FIGURE, "properties": {**_FIGURE["properties"], "value": {"enum": list(ENGINE_LAYER_CLASSES)}},
            "description": "the layer class whose kernels the runtime runs grouped (not depthwise) convolutions "
                           "with, published (value, source); absent: as dense convolutions"},
        "fusion": {
            **_FIGURE, "properties": {**_FIGURE["properties"], "value": {"enum": ["memory", "activations"]}},
            "description": "what the runtime fuses into the layer before it, published (value, source): "
                           "activations = only normalisations and activations (adds, concatenations, copies "
                           "are layers of their own); absent: every memory op"},
        "cores": {"type": "integer", "minimum": 1, "description": "cpu: the cores the peak counts"},
        "threads": {"type": "integer", "minimum": 1, "description": "cpu: threads used unless --threads says"},
        "parallel_efficiency": {**_FRACTION, "description": "cpu: share of linear speed-up beyond one thread"},
        "accuracy": {
            "type": "object",
            "description": "the fit's own leave-one-model-out error against the measurements it was fitted to "
                           "(written by `archsel calibrate --runtime`): its estimates' band and accuracy note; "
                           "absent: archsel/estimation/runtime_accuracy.json's entry for the device, if any",
            "additionalProperties": False,
            "required": ["n", "models", "median_abs_pct", "within_25", "ratio_q10", "ratio_q90"],
            "properties": {
                "n": {"type": "integer", "minimum": 1, "description": "held-out measurements"},
                "models": {"type": "integer", "minimum": 1},
                "median_abs_pct": {"type": "number", "minimum": 0},
                "within_10": {"type": "number", "minimum": 0, "maximum": 1},
                "within_25": {"type": "number", "minimum": 0, "maximum": 1},
                "ratio_q10": {"type": "number", "exclusiveMinimum": 0,
                              "description": "measured / estimated, 10th percentile (the band's low end)"},
                "ratio_q90": {"type": "number", "exclusiveMinimum": 0},
                "spearman": {"type": ["number", "null"], "minimum": -1, "maximum": 1},
                "measured_by": {"type": "string", "description": "what measured and fitted (for the note)"},
                "date": {"type": "string"},
            },
        },
        "source": {"type": "string", "minLength": 10,
                   "description": "where the parameters come from: a fit to measurements, or judgement"},
    },
}
_RUNTIME["properties"]["graph_cost"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["parallel_efficiency", "seconds", "accuracy"],
    "description": "the graph cost model (archsel.estimation.graph_cost) fitted by `archsel calibrate --runtime "
                   "onnxruntime`: a model's estimate costs the graph the runtime runs (exported and quantized "
                   "here), node by node, instead of the trace",
    "properties": {
        "parallel_efficiency": {**_FRACTION, "description": "share of linear speed-up beyond one thread"},
        "seconds": {"type": "object", "minProperties": 1,
                    "additionalProperties": {"type": "number", "minimum": 0},
                    "description": "seconds per unit of each term (per MAC, byte, element, node, step or call)"},
        "accuracy": _RUNTIME["properties"]["accuracy"],
    },
}

# What a runtime's entry may fit anew for models run at one precision (`by_precision`): the parameters
# calibrate fits to that precision's measurements alone (a CPU's int8 kernels gain 3-12x over fp32 on dense
# convolutions and nothing on depthwise ones: one set of efficiencies cannot serve both precisions).
PRECISION_FIT_KEYS: tuple[str, ...] = ("precision_rates", "efficiency", "fused_traffic", "layer_us", "call_us",
                                       "on_chip_bandwidth", "half_efficiency_macs", "parallel_efficiency",
                                       "accuracy", "graph_cost", "source")
_RUNTIME["properties"]["by_precision"] = {
    "type": "object",
    "description": "parameters fitted anew for models run at one precision (each key one of the entry's "
                   "`precisions`): they replace the entry's own for that precision",
    "propertyNames": {"enum": list(PRECISIONS)},
    "additionalProperties": {
        "type": "object", "additionalProperties": False, "required": ["source"],
        "properties": {k: _RUNTIME["properties"][k] for k in PRECISION_FIT_KEYS},
    },
}

_REFERENCE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "url"],
    "properties": {
        "title": {"type": "string", "minLength": 3},
        "url": {"type": "string", "pattern": r"^https?://\S+$"},
        "publisher": {"type": "string"},
    },
}

PROFILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "archsel hardware profile",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "display_name", "class", "kind", "precisions", "runtimes", "references"],
    "properties": {
        "name": {"type": "string", "pattern": NAME_PATTERN},
        "display_name": {"type": "string", "minLength": 3},
        "class": {"enum": list(TARGET_CLASSES)},
        "kind": {"enum": list(KINDS)},
        "measured_at_run_time": {
            "type": "boolean",
            "description": "true: no fixed figures; memory is read from the machine and rates are measured",
        },
        "peak_tflops": {
            "type": "object",
            "description": "dense peak (no structured sparsity) per precision; int8 in TOPS",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {p: _FIGURE for p in PRECISIONS},
        },
        "memory_bandwidth_gbs": _FIGURE,
        "memory_gb": _FIGURE,
        "power_w": _FIGURE,
        "precisions": {"type": "array", "minItems": 1, "uniqueItems": True,
                       "items": {"enum": list(PRECISIONS)}},
        "runtimes": {
            "description": "the runtimes that run on this device, each with its compute unit, precisions and "
                           "estimator parameters, one of them the default (a bare list: names only, "
                           "judgement defaults)",
            "if": {"type": "array"},
            "then": {"minItems": 1, "uniqueItems": True, "items": {"enum": list(RUNTIME_NAMES)}},
            "else": {"type": "object", "minProperties": 1, "propertyNames": {"enum": list(RUNTIME_NAMES)},
                     "additionalProperties": _RUNTIME},
        },
        "references": {
            "type": "object",
            "propertyNames": {"pattern": REF_PATTERN},
            "additionalProperties": _REFERENCE,
        },
        "notes": {"type": "string"},
        "efficiency": {
            "type": "object",
            "description": "achieved fraction of peak per op class (and of bandwidth), for the estimator",
            "additionalProperties": False,
            "properties": {k: _FRACTION for k in EFFICIENCY_KEYS},
        },
        "overhead_us": {"type": "number", "minimum": 0,
                        "description": "fixed cost per operator, microseconds"},
        "op_overhead_us": {
            "type": "object",
            "description": "fixed cost per operator of a class (view: per view op; fused: per op of a fused "
                           "inference kernel such as PyTorch's transformer fast path), microseconds; "
                           "classes not listed cost overhead_us",
            "additionalProperties": False,
            "properties": {k: {"type": "number", "minimum": 0} for k in OVERHEAD_KEYS},
        },
        "module_call_us": {"type": "number", "minimum": 0,
                           "description": "fixed cost per module call (a run of consecutive ops of one "
                                          "nn.Module), microseconds, on top of the ops' own"},
        "recurrent": {
            "type": "object",
            "description": "recurrent layers per cell family: fixed microseconds per call and per sequential "
                           "step (time step x layer x direction), and the effective bandwidth of the weights "
                           "re-read at every step (default: twice the effective memory bandwidth)",
            "additionalProperties": False,
            "properties": {c: {
                "type": "object", "additionalProperties": False, "required": ["call_us", "step_us"],
                "properties": {"call_us": {"type": "number", "minimum": 0},
                               "step_us": {"type": "number", "minimum": 0},
                               "weight_bandwidth_gbs": {"type": "number", "exclusiveMinimum": 0},
                               "large_step_us": {"type": "number", "minimum": 0},
                               "large_from_kb": {"type": "number", "exclusiveMinimum": 0}},
                "dependentRequired": {"large_step_us": ["large_from_kb"], "large_from_kb": ["large_step_us"]},
            } for c in RECURRENT_CELLS},
        },
        "dispatch": {"enum": ["sync", "async"],
                     "description": "async: the host queues kernels and runs ahead of the device (GPUs; the "
                                    "default for kind gpu), sync: each op completes before the next starts"},
        "kernel_us": {"type": "number", "minimum": 0,
                      "description": "minimum device time of a kernel, microseconds (async devices)"},
        "gemm_efficiency": {
            "type": "array", "minItems": 1,
            "description": "[smaller output dimension, rate relative to a large square GEMM] points of GEMMs "
                           "on one thread, dimensions increasing (interpolated in log dimension; few-row GEMMs "
                           "run below the GEMM rate)",
            "items": {"type": "array", "minItems": 2, "maxItems": 2,
                      "prefixItems": [{"type": "number", "exclusiveMinimum": 0},
                                      {"type": "number", "exclusiveMinimum": 0, "maximum": 1}]},
        },
        "parallel": {
            "type": "object",
            "description": "thread scaling of a multi-threaded CPU: the thread count, and per kernel family "
                           "[size, speedup over one thread] points, sizes increasing (interpolated in log size; "
                           "sizes in MACs for convs and per step for recurrent cells, in elements written for "
                           "GEMMs and memory-bound ops)",
            "additionalProperties": False,
            "required": ["threads", *PARALLEL_FAMILIES],
            "properties": {"threads": {"type": "integer", "minimum": 2}, **{f: {
                "type": "array", "minItems": 1,
                "items": {"type": "array", "minItems": 2, "maxItems": 2,
                          "prefixItems": [{"type": "number", "exclusiveMinimum": 0},
                                          {"type": "number", "minimum": 0.5}]},
            } for f in PARALLEL_FAMILIES}},
        },
        "estimator_source": {
            "type": "string", "minLength": 10,
            "description": "where efficiency / overhead_us / op_overhead_us / module_call_us / recurrent / "
                           "dispatch / kernel_us / parallel / gemm_efficiency come from "
                           "(citation or calibration)",
        },
    },
    "dependentRequired": {"efficiency": ["estimator_source"], "overhead_us": ["estimator_source"],
                          "op_overhead_us": ["estimator_source"], "recurrent": ["estimator_source"],
                          "module_call_us": ["estimator_source"], "dispatch": ["estimator_source"],
                          "kernel_us": ["estimator_source"], "parallel": ["estimator_source"],
                          "gemm_efficiency": ["estimator_source"]},
    "if": {"properties": {"measured_at_run_time": {"const": True}}, "required": ["measured_at_run_time"]},
    "then": {"required": []},
    "else": {"required": ["peak_tflops", "memory_bandwidth_gbs", "memory_gb"]},
}

CLASSES_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "archsel target class defaults",
    "type": "object",
    "additionalProperties": False,
    "required": ["defaults"],
    "properties": {
        "defaults": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                c: {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["device", "why"],
                    "properties": {
                        "device": {"type": "string", "pattern": NAME_PATTERN},
                        "why": {"type": "string", "minLength": 10},
                    },
                }
                for c in TARGET_CLASSES
            },
        },
    },
}

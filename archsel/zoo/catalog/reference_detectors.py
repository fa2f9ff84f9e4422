"""Reference-only entries: Ultralytics' YOLOv5(u), YOLOv8 and YOLO11 models, whose device latencies are published.

Ultralytics' docs (CPU ONNX, T4/A100 TensorRT, the NVIDIA Jetson guide) and Qualcomm AI Hub (Snapdragon
phones) publish latencies for these models, so archsel holds their architectures to count them and hold its
estimates against those figures. They are never recommended and are listed only when asked for
(`reference_only=True`). The modules are archsel's own torch.nn code (archsel/zoo/builders/yolo_ultralytics.py),
untrained; published accuracy belongs to Ultralytics' trained weights.

Published figures come from the model pages' tables (params in M, FLOPs in B, both rounded to one decimal;
Ultralytics' FLOPs are 2 × the multiply-accumulates of the BatchNorm-fused model counted by thop, so
published_gmacs = FLOPs / 2 and published_params is the fused count). `COUNTED` holds what archsel's meta
counter gives for each entry (params with BatchNorm, params with BatchNorm folded, MACs at the entry's input);
tests/test_reference_yolo.py checks it and the published figures.
"""

from __future__ import annotations

from collections.abc import Callable

from archsel.zoo.catalog._helpers import image
from archsel.zoo.registry import register_model
from archsel.zoo.spec import ModelEntry, QualityFigure

DETECT = "object-detection"
CLASSIFY = "image-classification"
BUILDER = "archsel.zoo.builders.yolo_ultralytics"
COCO = "COCO val2017"
IMAGENET = "ImageNet-1K val"
BOX_MAP = "box mAP@[.5:.95] %"
TOP1 = "top-1 accuracy %"

V8_DOCS = "https://docs.ultralytics.com/models/yolov8/"
V11_DOCS = "https://docs.ultralytics.com/models/yolo11/"
V5_DOCS = "https://docs.ultralytics.com/models/yolov5/"
V5_REPO = "https://github.com/ultralytics/yolov5 (README, v7.0 checkpoints table)"
JETSON = "https://docs.ultralytics.com/guides/nvidia-jetson/"
AI_HUB = "https://aihub.qualcomm.com/models"

# archsel's meta count of each entry at its default input: (params, params with BatchNorm folded into the
# convs as Ultralytics counts them, MACs). Regenerate with count_model(id) if a builder changes.
COUNTED: dict[str, tuple[int, int, int]] = {
    "yolov8n": (3157200, 3151904, 4371993600),
    "yolov8s": (11166560, 11156544, 14301312000),
    "yolov8m": (25902640, 25886080, 39468364800),
    "yolov8l": (43691520, 43668288, 82574259200),
    "yolov8x": (68229648, 68200608, 128902169600),
    "yolov8n-cls": (2719288, 2715880, 202586112),
    "yolov8s-cls": (6361736, 6356200, 763553792),
    "yolov8m-cls": (17053336, 17043656, 2551224320),
    "yolov8n-seg": (3409968, 3404320, 6001382400),
    "yolo11n": (2624080, 2616248, 3271251200),
    "yolo11s": (9458752, 9443760, 10794880000),
    "yolo11m": (20114688, 20091712, 34052224000),
    "yolo11l": (25372160, 25340992, 43577984000),
    "yolo11x": (56966176, 56919424, 97636224000),
    "yolo11n-cls": (2812104, 2807024, 195878208),
    "yolo11s-cls": (6724008, 6715128, 735687296),
    "yolo11m-cls": (11634216, 11622632, 2406748800),
    "yolov5n": (2654816, 2649200, 3862451200),
    "yolov5s": (9153152, 9142496, 11997721600),
    "yolov5m": (25111456, 25091536, 32102937600),
    "yolov5l": (53225024, 53193088, 67494425600),
    "yolov5x": (97276448, 97229648, 123196441600),
}
# The original anchor-based YOLOv5 (get_model("yolov5n", head="anchor")), counted the same way.
COUNTED_V5_ANCHOR: dict[str, tuple[int, int, int]] = {
    "yolov5n": (1872157, 1867405, 2234060800),
    "yolov5s": (7235389, 7225885, 8216780800),
    "yolov5m": (21190557, 21172173, 24436224000),
    "yolov5l": (46563709, 46533693, 54496870400),
    "yolov5x": (86749405, 86705005, 102724096000),
}
# YOLOv5 repository README (v7.0): params (M), FLOPs (B) at 640, COCO box mAP 50-95
V5_ORIGINAL = {"n": (1.9, 4.5, 28.0), "s": (7.2, 16.5, 37.4), "m": (21.2, 49.0, 45.4), "l": (46.5, 109.1, 49.0),
               "x": (86.7, 205.7, 50.7)}

_NOT_ULTRALYTICS = ("Built by archsel in torch.nn from the published architecture (layer lists and scaling "
                    "constants of Ultralytics' model YAMLs, block definitions from the docs and papers); not "
                    "Ultralytics code, untrained (random weights): for counting and latency estimates only.")
_FUSED = "Ultralytics counts parameters and FLOPs with BatchNorm folded into the convs"
_CSP = "Wang et al., CSPNet: A New Backbone that can Enhance Learning Capability of CNN, CVPRW 2020"
_PAN = "Liu et al., Path Aggregation Network for Instance Segmentation, CVPR 2018"
_GFL = "Li et al., Generalized Focal Loss (distribution focal loss), NeurIPS 2020"
_V8_SW = "Jocher, Chaurasia & Qiu, Ultralytics YOLOv8, 2023 (software, AGPL-3.0; cfg/models/v8/yolov8*.yaml)"
_V11_SW = "Jocher & Qiu, Ultralytics YOLO11, 2024 (software, AGPL-3.0; cfg/models/11/yolo11*.yaml)"
_V11_PAPER = "Khanam & Hussain, YOLOv11: An Overview of the Key Architectural Enhancements, arXiv:2410.17725, 2024"
_V5_SW = "Jocher, Ultralytics YOLOv5, 2020 (software, v7.0, AGPL-3.0, doi:10.5281/zenodo.3908559; models/yolov5*.yaml)"


_V8_PAPER = "Ultralytics YOLOv8 docs (Jocher, Chaurasia & Qiu, Ultralytics YOLOv8, 2023)"
_V11_PAPER_DOCS = "Ultralytics YOLO11 docs (Jocher & Qiu, Ultralytics YOLO11, 2024)"
_V5_PAPER_DOCS = "Ultralytics YOLOv5 docs (Jocher, Ultralytics YOLOv5; the YOLOv5u rows)"
_ULTRA_NOTE = ("archsel's own torch.nn build of the published layout (not Ultralytics code, untrained); the figure "
               "belongs to Ultralytics' trained weights of this architecture")


def _ultra(metric: str, value: float, dataset: str, docs: str, table: str, paper: str, model_id: str,
           size: int = 640) -> QualityFigure:
    """A figure of an Ultralytics docs table (source kept as "<docs> (<table>)")."""
    return QualityFigure(metric, value, dataset, f"{docs} ({table})", paper=paper, table=f"{table}, {model_id} row",
                         url=docs, split=f"{size}×{size} input, as the table states", config_note=_ULTRA_NOTE)


def _m(x: float) -> int:
    """A published count in millions as an integer."""
    return round(x * 1_000_000)


def _counted(model_id: str, table: dict[str, tuple[int, int, int]] | None = None) -> str:
    params, fused, macs = (table or COUNTED)[model_id]
    return (f"archsel counts {params:,} parameters ({fused:,} with BatchNorm folded) and {macs / 1e9:.3f} "
            "GMACs at the entry's input.")


def _vs(model_id: str, params_m: float, gmacs: float) -> str:
    _, fused, macs = COUNTED[model_id]
    return (f"Against the published figures: parameters (folded) {fused / 1e6 / params_m - 1:+.1%}, MACs "
            f"{macs / 1e9 / gmacs - 1:+.1%}.")


def _register(model_id: str, display_name: str, task: str, size: int, builder: str, kwargs: dict[str, object],
              params_m: float, gmacs: float | None, quality: tuple[QualityFigure, ...], *, description: str,
              notes: str, references: tuple[str, ...]) -> None:
    """A reference-only entry; the scale is the character before any "-suffix" ("yolov8n-cls": n)."""
    register_model(ModelEntry(
        id=model_id, display_name=display_name, family="cnn", tasks=(task,), inputs={task: image(size)},
        builder=f"{BUILDER}:{builder}", builder_kwargs=kwargs, description=description, quality=quality,
        published_gmacs=gmacs, published_params=_m(params_m), lightweight=model_id.split("-")[0].endswith("n"),
        notes=" ".join((_NOT_ULTRALYTICS, notes, _counted(model_id))), references=references,
        reference_only=True,
    ))


def _detect_output(classes: int = 80) -> str:
    return (f"forward() in eval mode returns the decoded predictions [N, {4 + classes}, 8400] at 640×640: boxes "
            f"(cx, cy, w, h in input pixels, from the DFL distances around the 8400 anchor points of strides "
            f"8/16/32) and {classes} sigmoid class scores. NMS runs outside the model and is not included.")


def _detectors(prefix: str, display: str, builder: str, published: dict[str, tuple[float, float, float]],
               docs: str, *, description: str, notes: Callable[[str], str], latency: str,
               ai_hub: str, references: tuple[str, ...], paper: str) -> None:
    """A detector family at scales n-x: `notes(scale)` says what is particular to the family and scale."""
    for scale, (params_m, flops, box_map) in published.items():
        model_id = f"{prefix}{scale}"
        _register(
            model_id, f"{display}{scale} (Ultralytics)", DETECT, 640, builder, {"scale": scale, "num_classes": 80},
            params_m, flops / 2, (_ultra(BOX_MAP, box_map, COCO, docs, "Detection (COCO) table", paper, model_id),),
            description=description.format(scale=scale),
            notes=f"{notes(scale)} {_detect_output()} Published ({docs}, Detection (COCO) table): {params_m} M "
                  f"params, {flops} B FLOPs at 640 = {flops / 2:g} GMACs; {_FUSED}, and the same table gives "
                  f"{latency}. " + (f"Qualcomm AI Hub's {ai_hub} is {model_id}.pt ({AI_HUB}). " if scale == "n" else "")
                  + _vs(model_id, params_m, flops / 2),
            references=references)


# ------------------------------------------------------------------------------------------------ YOLOv8

_V8 = {"n": (3.2, 8.7, 37.3), "s": (11.2, 28.6, 44.9), "m": (25.9, 78.9, 50.2), "l": (43.7, 165.2, 52.9),
       "x": (68.2, 257.8, 53.9)}
_V8_SCALE = {"n": "0.33, 0.25, 1024", "s": "0.33, 0.50, 1024", "m": "0.67, 0.75, 768", "l": "1.00, 1.00, 512",
             "x": "1.00, 1.25, 512"}
_V8_REFS = (f"Ultralytics YOLOv8 docs, {V8_DOCS}", _V8_SW, _CSP, _PAN, _GFL)

_detectors(
    "yolov8", "YOLOv8", "yolov8", _V8, V8_DOCS,
    description="Ultralytics YOLOv8-{scale} detector, 640×640, 80 COCO classes: Conv(3×3, s2) stem, C2f backbone, "
                "SPPF, top-down + bottom-up PAN neck, decoupled anchor-free head (DFL box branch, class branch) "
                "at strides 8/16/32.",
    notes=lambda s: f"yolov8.yaml at scale {s} (depth, width, max_channels = {_V8_SCALE[s]}).",
    latency="CPU ONNX and A100 TensorRT latency", ai_hub="YOLOv8-Detection", references=_V8_REFS, paper=_V8_PAPER)

_V8_CLS = {"n": (2.7, 4.3, 69.0), "s": (6.4, 13.5, 73.8), "m": (17.0, 42.7, 76.8)}
_CLS_HEAD = ("Classify head: 1×1 Conv to 1280 channels, global average pool, linear to 1000 classes; forward() "
             "in eval mode returns softmax probabilities [N, 1000].")
for _s, (_p, _f, _top1) in _V8_CLS.items():
    _id = f"yolov8{_s}-cls"
    _register(
        _id, f"YOLOv8{_s}-cls (Ultralytics)", CLASSIFY, 224, "yolov8_cls", {"scale": _s, "num_classes": 1000}, _p,
        None, (_ultra(TOP1, _top1, IMAGENET, V8_DOCS, "Classification (ImageNet) table", _V8_PAPER, _id, 224),),
        description=f"Ultralytics YOLOv8-{_s} image classifier, 224×224, 1000 ImageNet classes: the YOLOv8 "
                    "C2f backbone to stride 32 (no SPPF) and a 1280-channel classification head.",
        notes=f"yolov8-cls.yaml at scale {_s} (its scales keep max_channels 1024 at every size). {_CLS_HEAD} "
              f"Published ({V8_DOCS}, Classification (ImageNet) table): {_p} M params and {_f} B FLOPs 'at 640', "
              "although the model runs at 224, so published_gmacs is left empty. That figure is Ultralytics' "
              "get_flops convention: a thop count at a 32×32 input scaled by (640/32)², which also multiplies "
              "the 1280×1000 linear layer by 400; archsel's count at 32×32 scaled the same way reproduces it "
              "within 1% (tests/test_reference_yolo.py). At the true 224×224 input the linear layer runs once. "
              f"Parameters (folded) against the published figure: {COUNTED[_id][1] / 1e6 / _p - 1:+.1%}.",
        references=(f"Ultralytics YOLOv8 docs, {V8_DOCS}", _V8_SW, _CSP))

_register(
    "yolov8n-seg", "YOLOv8n-seg (Ultralytics)", DETECT, 640, "yolov8_seg", {"scale": "n", "num_classes": 80}, 3.4,
    12.6 / 2, (_ultra(BOX_MAP, 36.7, COCO, V8_DOCS, "Segmentation (COCO) table", _V8_PAPER, "yolov8n-seg"),
               _ultra("mask mAP@[.5:.95] %", 30.5, COCO, V8_DOCS, "Segmentation (COCO) table", _V8_PAPER,
                      "yolov8n-seg")),
    description="Ultralytics YOLOv8-n instance segmentation, 640×640, 80 COCO classes: the YOLOv8n detector "
                "plus per-anchor mask coefficients (32) and a prototype branch at stride 4.",
    notes=" ".join((
        "Task: instance segmentation. archsel's vocabulary has no instance-segmentation task (it maps that word "
        "to semantic-segmentation, a class per pixel, which this model does not produce), so the entry is filed "
        "under object-detection, the closest task: it outputs boxes and scores like the detector, plus masks.",
        "yolov8-seg.yaml at scale n (Segment head: 32 masks, prototypes 256 × width = 64 channels). forward() in "
        "eval mode returns ([N, 116, 8400]: 4 box + 80 class scores + 32 mask coefficients per anchor point, "
        "[N, 32, 160, 160] mask prototypes); NMS and the mask assembly (coefficients × prototypes, crop, "
        "upsample) run outside the model, as in Ultralytics, and are not included.",
        f"Published ({V8_DOCS}, Segmentation (COCO) table): 3.4 M params, 12.6 B FLOPs at 640 = 6.3 GMACs. The "
        "count here is 4.7% lower because thop, which Ultralytics uses, counts a ConvTranspose2d as if every "
        "output pixel met the whole kernel (C_in·k² MACs per output element, 4× the real cost of the 2×2 "
        "stride-2 prototype upsample, +0.31 GMACs); with that convention archsel's count is within 0.3% of the "
        "published figure (tests/test_reference_yolo.py). Parameters (folded) "
        f"{COUNTED['yolov8n-seg'][1] / 3.4e6 - 1:+.1%}.",
        f"Qualcomm AI Hub's YOLOv8-Segmentation is yolov8n-seg.pt ({AI_HUB}).")),
    references=(f"Ultralytics YOLOv8 docs, {V8_DOCS}", "https://docs.ultralytics.com/tasks/segment/", _V8_SW,
                "Bolya et al., YOLACT: Real-time Instance Segmentation, ICCV 2019", _CSP, _PAN, _GFL))

# ------------------------------------------------------------------------------------------------ YOLO11

_V11 = {"n": (2.6, 6.5, 39.5), "s": (9.4, 21.5, 47.0), "m": (20.1, 68.0, 51.5), "l": (25.3, 86.9, 53.4),
        "x": (56.9, 194.9, 54.7)}
_V11_SCALE = {"n": "0.50, 0.25, 1024", "s": "0.50, 0.50, 1024", "m": "0.50, 1.00, 512", "l": "1.00, 1.00, 512",
              "x": "1.00, 1.50, 512"}
_V11_REFS = (f"Ultralytics YOLO11 docs, {V11_DOCS}", _V11_SW, _V11_PAPER, _CSP, _PAN, _GFL)
_PSA = ("The C2PSA block at stride 32 is multi-head self-attention over the 20×20 positions (64 channels a head); "
        "its two attention matmuls are counted here (thop, which Ultralytics uses, does not count them: about "
        "{:.2f} GMACs).")
_ATTN_GMACS = {"n": 0.031, "s": 0.061, "m": 0.061, "l": 0.123, "x": 0.184}

_detectors(
    "yolo11", "YOLO11", "yolo11", _V11, V11_DOCS,
    description="Ultralytics YOLO11-{scale} detector, 640×640, 80 COCO classes: C3k2 backbone, SPPF, C2PSA "
                "attention block, PAN neck, anchor-free DFL head whose class branch uses depthwise convs.",
    notes=lambda s: (f"yolo11.yaml at scale {s} (depth, width, max_channels = {_V11_SCALE[s]}"
                     + ("; at m/l/x every C3k2 uses C3k blocks, as Ultralytics' parser sets" if s in "mlx" else "")
                     + f"). {_PSA.format(_ATTN_GMACS[s])}"),
    latency=f"CPU ONNX and T4 TensorRT latency; Ultralytics' NVIDIA Jetson guide ({JETSON}) benchmarks YOLO11n-x "
            "at 640", ai_hub="YOLOv11-Detection", references=_V11_REFS, paper=_V11_PAPER_DOCS)

_V11_CLS = {"n": (2.8, 0.5, 70.0), "s": (6.7, 1.6, 75.4), "m": (11.6, 4.9, 77.3)}
for _s, (_p, _f, _top1) in _V11_CLS.items():
    _id = f"yolo11{_s}-cls"
    _register(
        _id, f"YOLO11{_s}-cls (Ultralytics)", CLASSIFY, 224, "yolo11_cls", {"scale": _s, "num_classes": 1000}, _p,
        _f / 2,
        (_ultra(TOP1, _top1, IMAGENET, V11_DOCS, "Classification (ImageNet) table", _V11_PAPER_DOCS, _id, 224),),
        description=f"Ultralytics YOLO11-{_s} image classifier, 224×224, 1000 ImageNet classes: the YOLO11 C3k2 "
                    "backbone to stride 32 with C2PSA (no SPPF) and a 1280-channel classification head.",
        notes=f"yolo11-cls.yaml at scale {_s}. {_CLS_HEAD} Published ({V11_DOCS}, Classification (ImageNet) "
              f"table): {_p} M params (with 1000 classes; the YAML's comment, 80 classes, is 1.18 M lower) and "
              f"{_f} B FLOPs at 224 = {_f / 2:g} GMACs. That figure is Ultralytics' get_flops convention: a thop "
              "count at a 32×32 input scaled by (224/32)², which also multiplies the 1280×1000 linear layer by "
              "49; archsel's count at 32×32 scaled the same way reproduces it within 3% (the published figure has one "
              "decimal; tests/test_reference_yolo.py), "
              "while the true count at 224, stated below, is lower. " + _vs(_id, _p, _f / 2),
        references=(f"Ultralytics YOLO11 docs, {V11_DOCS}", _V11_SW, _V11_PAPER, _CSP))

# ------------------------------------------------------------------------------------------------ YOLOv5

_V5U = {"n": (2.6, 7.7, 34.3), "s": (9.1, 24.0, 43.0), "m": (25.1, 64.2, 49.0), "l": (53.2, 135.0, 52.2),
        "x": (97.2, 246.4, 53.2)}
_V5_SCALE = {"n": "0.33, 0.25", "s": "0.33, 0.50", "m": "0.67, 0.75", "l": "1.00, 1.00", "x": "1.33, 1.25"}
_V5_WHICH = (
    "Which YOLOv5: Ultralytics' docs publish parameters, FLOPs and latency (CPU ONNX, A100 TensorRT) only for "
    f"YOLOv5u ({V5_DOCS}): the YOLOv5 backbone and neck of yolov5.yaml with YOLOv8's anchor-free DFL head, the "
    "model the ultralytics package builds from yolov5n.yaml (it swaps yolov5nu.pt in for yolov5n.pt). Qualcomm "
    "AI Hub's Yolo-v5 exports yolov5mu.pt since qai-hub-models 0.38 (Sept. 2025; earlier releases exported the "
    "original yolov5m.pt). So this id is YOLOv5u with the YOLOv8 head of the published v8.2.0 weights (the docs "
    "warn that ultralytics >= 8.3 trains YOLOv5 with a YOLO11-style head instead).")

for _s, (_p, _f, _map) in _V5U.items():
    _id = f"yolov5{_s}"
    _op, _of, _omap = V5_ORIGINAL[_s]
    _ap, _afused, _amacs = COUNTED_V5_ANCHOR[_id]
    _register(
        _id, f"YOLOv5{_s}u (Ultralytics)", DETECT, 640, "yolov5", {"scale": _s, "num_classes": 80}, _p, _f / 2,
        (_ultra(BOX_MAP, _map, COCO, V5_DOCS, "YOLOv5u Detection table", _V5_PAPER_DOCS, f"{_id}u"),),
        description=f"Ultralytics YOLOv5-{_s} (P5, 640×640, 80 COCO classes) in its YOLOv5u form: 6×6 stride-2 "
                    "stem conv, C3 (CSP) backbone, SPPF, PAN neck with 1×1 lateral convs, anchor-free DFL head.",
        notes=f"{_V5_WHICH} yolov5.yaml at scale {_s} (depth, width = {_V5_SCALE[_s]}; max_channels 1024). "
              f"{_detect_output()} Published ({V5_DOCS}, yolov5{_s}u.pt row): {_p} M params, {_f} B FLOPs at 640 "
              f"= {_f / 2:g} GMACs; {_FUSED}. " + _vs(_id, _p, _f / 2) + " "
              f"The original anchor-based YOLOv5{_s} (YOLOv5 repository; 3 anchors a cell, YOLOv3-style head, "
              "output [N, 25200, 85], sigmoid, xy = (2σ − 0.5 + cell)·stride, wh = (2σ)²·anchor) is "
              f"get_model('{_id}', head='anchor'): published {_op} M params, {_of} B FLOPs at 640, "
              f"{_omap} box mAP ({V5_REPO}); archsel counts {_ap:,} parameters ({_afused:,} folded) and "
              f"{_amacs / 1e9:.3f} GMACs.",
        references=(f"Ultralytics YOLOv5 docs, {V5_DOCS}",
                    "https://docs.ultralytics.com/yolov5/tutorials/architecture_description/", _V5_SW, V5_REPO,
                    _CSP, _PAN, _GFL, "Redmon & Farhadi, YOLOv3: An Incremental Improvement, arXiv:1804.02767, 2018"))

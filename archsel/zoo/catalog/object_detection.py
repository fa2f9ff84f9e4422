"""Object detection: torchvision's COCO detectors and a compact YOLO-style single-stage detector."""

from archsel.zoo.catalog._helpers import TV, image, image_list, tv_quality
from archsel.zoo.registry import register_model
from archsel.zoo.spec import ModelEntry, QualityFigure

TASK = "object-detection"
DETECTOR = "archsel.zoo.builders.tv:torchvision_detector"
BOX_MAP = "box mAP@[.5:.95] %"
COCO = "COCO val2017"
_SMALL = {TASK: image_list(224)}

_FPN = ("Lin et al., Feature Pyramid Networks for Object Detection, CVPR 2017",)


def _resized(min_size: int, gmacs: float, *, two_stage: bool = False) -> str:
    """The counting convention of a torchvision detector that resizes its input internally."""
    square = f"{min_size}×{min_size}"
    limit = f"shorter side {min_size} px, longer side at most 1333" if min_size == 800 else square
    text = (f"Input images are resized inside the model ({limit}) before the network runs, so any input "
            f"costs about what that size costs; the published {gmacs} GMACs is torchvision's count at that "
            "size. Post-processing (box decoding, score thresholds, NMS) depends on the data, so the model "
            "is profiled on CPU with real tensors.")
    if two_stage:
        text += (" The second stage runs once per region proposal, so its cost depends on how many "
                 "proposals survive; with random weights that number differs from the trained model's, and a "
                 "count measured here can differ markedly from the published one.")
    return text


def _tv_detector(model_id: str, display_name: str, weights: str, box_map: float, gmacs: float, params: int, *,
                 description: str, min_size: int = 800, two_stage: bool = False, builder: str = DETECTOR,
                 lightweight: bool = False, notes: str = "", references: tuple[str, ...] = ()) -> None:
    register_model(ModelEntry(
        id=model_id, display_name=display_name, family="cnn", tasks=(TASK,),
        inputs={TASK: image_list(min_size)}, builder=builder,
        builder_kwargs={"name": model_id, "num_classes": 91}, description=description,
        quality=tv_quality(BOX_MAP, box_map, COCO, weights), torchvision_weights=weights,
        published_gmacs=gmacs, published_params=params, data_dependent=True, small_input=_SMALL,
        lightweight=lightweight,
        notes=" ".join(filter(None, (_resized(min_size, gmacs, two_stage=two_stage), notes))),
        references=references,
    ))


_FROZEN = "Backbone BatchNorm is frozen (FrozenBatchNorm2d), as in the released COCO model."

_tv_detector("fasterrcnn_resnet50_fpn", "Faster R-CNN ResNet-50 FPN",
             "FasterRCNN_ResNet50_FPN_Weights.COCO_V1", 37.0, 134.38, 41755286, two_stage=True, notes=_FROZEN,
             description="Two-stage detector: ResNet-50 + FPN, region proposal network, RoIAlign box head; "
                         "named with YOLO for detection by the documents (000 selection matrix, 001, 004).",
             references=("Ren et al., Faster R-CNN: Towards Real-Time Object Detection with Region Proposal "
                         "Networks, NeurIPS 2015", *_FPN))
_tv_detector("fasterrcnn_mobilenet_v3_large_fpn", "Faster R-CNN MobileNetV3-Large FPN",
             "FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1", 32.8, 4.494, 19386354, two_stage=True,
             lightweight=True, notes=_FROZEN,
             description="Two-stage detector on a MobileNetV3-Large backbone with a light FPN.",
             references=("Ren et al., Faster R-CNN, NeurIPS 2015",
                         "Howard et al., Searching for MobileNetV3, ICCV 2019"))
_tv_detector("ssdlite320_mobilenet_v3_large", "SSDlite320 MobileNetV3-Large",
             "SSDLite320_MobileNet_V3_Large_Weights.COCO_V1", 21.3, 0.583, 3440060, min_size=320, builder=TV,
             lightweight=True,
             description="Single-shot detector with depthwise-separable heads on MobileNetV3-Large, 320×320.",
             references=("Liu et al., SSD: Single Shot MultiBox Detector, ECCV 2016",
                         "Sandler et al., MobileNetV2 (SSDLite), CVPR 2018"))
_tv_detector("retinanet_resnet50_fpn", "RetinaNet ResNet-50 FPN", "RetinaNet_ResNet50_FPN_Weights.COCO_V1",
             36.4, 151.54, 34014999, notes=_FROZEN,
             description="Single-stage dense detector with focal loss: ResNet-50 + FPN, anchor-based heads.",
             references=("Lin et al., Focal Loss for Dense Object Detection, ICCV 2017", *_FPN))
_tv_detector("fcos_resnet50_fpn", "FCOS ResNet-50 FPN", "FCOS_ResNet50_FPN_Weights.COCO_V1",
             39.2, 128.207, 32269600, notes=_FROZEN,
             description="Anchor-free single-stage detector (per-pixel boxes, centerness): ResNet-50 + FPN.",
             references=("Tian et al., FCOS: Fully Convolutional One-Stage Object Detection, ICCV 2019",
                         *_FPN))

register_model(ModelEntry(
    id="yolo_compact", display_name="Compact YOLO-style detector (YOLOv8-n layout)", family="cnn",
    tasks=(TASK,),
    inputs={TASK: image(640)}, builder="archsel.zoo.builders.yolo:yolo_style",
    builder_kwargs={"depth": 0.33, "width": 0.25, "max_channels": 1024, "num_classes": 80},
    description="Real-time single-stage detector: CSP (C2f) backbone with widths 16/32/64/128/256, SPPF, "
                "PAN/FPN neck, anchor-free decoupled box/class heads at strides 8/16/32, 80 classes, "
                "640×640. The documents' first choice for real-time detection (000 [四]).",
    lightweight=True,
    notes="YOLO-style, built by archsel in torch.nn; not an official YOLO release and not Ultralytics code. "
          "It follows the YOLOv8-n layout of Ultralytics' yolov8.yaml (depth 0.33, width 0.25) and has the "
          "same parameter count (3,157,200). forward() returns the raw head outputs per scale "
          "([N, 144, H/s, W/s]: 64 box-distribution bins + 80 class logits); box decoding is in decode(), "
          "and NMS is not included, so neither is counted. Untrained: the quoted mAP is Ultralytics' for its "
          "trained yolov8n.pt, the same architecture.",
    quality=(QualityFigure(
        BOX_MAP, 37.3, COCO,
        paper="Ultralytics YOLOv8 docs (Jocher, Chaurasia & Qiu, Ultralytics YOLOv8, 2023)",
        table="Detection (COCO) table, YOLOv8n row (mAPval 50-95)",
        url="https://docs.ultralytics.com/models/yolov8/",
        split="640×640 input, as the table states",
        config_note="archsel's own torch.nn build of the YOLOv8-n layout (same 3,157,200 parameters), not "
                    "Ultralytics code; the figure is Ultralytics' trained weights with their box decoding and NMS"),),
    references=("Redmon et al., You Only Look Once: Unified, Real-Time Object Detection, CVPR 2016",
                "Jocher et al., Ultralytics YOLOv8, 2023 (software)",
                "Wang et al., CSPNet: A New Backbone that can Enhance Learning Capability of CNN, CVPRW 2020",
                "Liu et al., Path Aggregation Network for Instance Segmentation, CVPR 2018",
                "Li et al., Generalized Focal Loss, NeurIPS 2020"),
))

"""Semantic segmentation: torchvision's DeepLabV3 / LR-ASPP / FCN, and DeepLabV3+ (seed 004)."""

from archsel.zoo.catalog._helpers import TV, image, tv_quality
from archsel.zoo.registry import register_model
from archsel.zoo.spec import ModelEntry

TASK = "semantic-segmentation"
MIOU = "mIoU %"
DATASET = "COCO val2017, 20 PASCAL VOC categories"
SIZE = 520  # torchvision's segmentation transforms resize to 520

_AUX = ("Built with aux_loss=True like the released COCO_WITH_VOC_LABELS weights: the auxiliary FCN head on "
        "layer3 also runs in eval mode (torchvision computes it whenever present), and the published GMACs "
        "and parameter count include it.")


def _tv_seg(model_id: str, display_name: str, weights: str, miou: float, gmacs: float, params: int, *,
            aux_loss: bool, description: str, references: tuple[str, ...], lightweight: bool = False) -> None:
    kwargs: dict[str, object] = {"name": model_id, "num_classes": 21}
    if aux_loss:
        kwargs["aux_loss"] = True
    register_model(ModelEntry(
        id=model_id, display_name=display_name, family="cnn", tasks=(TASK,), inputs={TASK: image(SIZE)},
        builder=TV, builder_kwargs=kwargs, description=description,
        quality=tv_quality(MIOU, miou, DATASET, weights), torchvision_weights=weights, published_gmacs=gmacs,
        published_params=params, lightweight=lightweight, notes=_AUX if aux_loss else "",
        references=references,
    ))


_DEEPLAB = ("Chen et al., Rethinking Atrous Convolution for Semantic Image Segmentation, arXiv 2017",)

_tv_seg("deeplabv3_resnet50", "DeepLabV3 ResNet-50", "DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1",
        66.4, 178.722, 42004074, aux_loss=True, references=_DEEPLAB,
        description="Dilated ResNet-50 (output stride 8) with atrous spatial pyramid pooling, 21 classes.")
_tv_seg("deeplabv3_mobilenet_v3_large", "DeepLabV3 MobileNetV3-Large",
        "DeepLabV3_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1", 60.3, 10.452, 11029328, aux_loss=True,
        lightweight=True, references=(*_DEEPLAB, "Howard et al., Searching for MobileNetV3, ICCV 2019"),
        description="DeepLabV3 ASPP head on a dilated MobileNetV3-Large backbone, 21 classes.")
_tv_seg("lraspp_mobilenet_v3_large", "LR-ASPP MobileNetV3-Large",
        "LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1", 57.9, 2.086, 3221538, aux_loss=False,
        lightweight=True, references=("Howard et al., Searching for MobileNetV3, ICCV 2019",),
        description="Lite reduced ASPP segmentation head for mobile on MobileNetV3-Large, 21 classes.")
_tv_seg("fcn_resnet50", "FCN ResNet-50", "FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1",
        60.5, 152.717, 35322218, aux_loss=True,
        references=("Long et al., Fully Convolutional Networks for Semantic Segmentation, CVPR 2015",),
        description="Fully convolutional network on a dilated ResNet-50 (output stride 8), 21 classes.")

register_model(ModelEntry(
    id="deeplabv3plus_resnet50", display_name="DeepLabV3+ ResNet-50", family="cnn", tasks=(TASK,),
    inputs={TASK: image(SIZE)}, builder="archsel.zoo.builders.deeplab_plus:deeplabv3plus_resnet50",
    builder_kwargs={"num_classes": 21},
    description="Encoder-decoder segmentation: ResNet-50 at output stride 16 (last stage dilated), ASPP "
                "(rates 6/12/18 + image pooling, 256 channels), decoder fusing layer1 features reduced to 48 "
                "channels, two 3×3 convs of 256, bilinear upsampling; 21 classes. Named by seed 004.",
    notes="Built by archsel after Chen et al. 2018 (the paper's best decoder setting); the paper's own "
          "backbones are ResNet-101 and modified Xception, ResNet-50 is used here to compare with "
          "torchvision's ResNet-50 segmenters at the same 520×520 input. Untrained: the paper publishes no "
          "figure for this configuration, so none is given.",
    references=("Chen et al., Encoder-Decoder with Atrous Separable Convolution for Semantic Image "
                "Segmentation, ECCV 2018",),
))

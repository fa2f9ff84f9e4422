"""Image classification: torchvision CNNs and ViT, plus the documents' own small CNNs."""

from archsel.zoo.catalog._helpers import TV, image, tv_quality
from archsel.zoo.registry import register_model
from archsel.zoo.spec import ModelEntry

TASK = "image-classification"

register_model(ModelEntry(
    id="resnet50", display_name="ResNet-50", family="cnn", tasks=(TASK,), inputs={TASK: image(224)},
    builder=TV, builder_kwargs={"name": "resnet50"},
    description="Residual CNN; the documents' recommended image classifier (004 task-adaptation matrix).",
    quality=tv_quality("top-1 accuracy %", 80.858, "ImageNet-1K", "ResNet50_Weights.IMAGENET1K_V2"),
    torchvision_weights="ResNet50_Weights.IMAGENET1K_V2", published_gmacs=4.089, published_params=25557032,
    references=("He et al., Deep Residual Learning for Image Recognition, CVPR 2016",),
))

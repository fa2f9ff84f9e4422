"""Image classification: torchvision CNNs and ViT, plus the documents' own small CNNs and a row-scanning LSTM.

Published figures are those of the named torchvision weights: the best-accuracy weights whose transforms
crop to the entry's default input size.
"""

from archsel.zoo.catalog._helpers import TV_REGNET, image, tv_classifier
from archsel.zoo.registry import register_model
from archsel.zoo.spec import ModelEntry

TASK = "image-classification"
SMALL = "archsel.zoo.builders.small_cnns"

_tv = tv_classifier  # a torchvision classifier with the published figures of its weights (torchvision meta)

_RESNET = ("He et al., Deep Residual Learning for Image Recognition, CVPR 2016",)
_EFFNET = ("Tan & Le, EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks, ICML 2019",)
_MBV3 = ("Howard et al., Searching for MobileNetV3, ICCV 2019",)
_REGNET = ("Radosavovic et al., Designing Network Design Spaces, CVPR 2020",)

_tv("resnet18", "ResNet-18", "ResNet18_Weights.IMAGENET1K_V1", 69.758, 1.814, 11689512,
    description="18-layer residual CNN (basic blocks, widths 64/128/256/512).", references=_RESNET)
_tv("resnet50", "ResNet-50", "ResNet50_Weights.IMAGENET1K_V2", 80.858, 4.089, 25557032,
    description="50-layer residual CNN (bottleneck blocks); the documents' recommended image classifier "
                "(004 task-adaptation matrix).", references=_RESNET)
_tv("efficientnet_b0", "EfficientNet-B0", "EfficientNet_B0_Weights.IMAGENET1K_V1", 77.692, 0.386, 5288548,
    description="NAS-designed MBConv CNN (depthwise, squeeze-excitation), the base of the B0-B7 family.",
    references=_EFFNET, lightweight=True)
_tv("efficientnet_b3", "EfficientNet-B3", "EfficientNet_B3_Weights.IMAGENET1K_V1", 82.008, 1.827, 12233232,
    crop=300, description="EfficientNet compound-scaled to B3 (300×300 input).", references=_EFFNET)
_tv("mobilenet_v2", "MobileNetV2", "MobileNet_V2_Weights.IMAGENET1K_V2", 72.154, 0.301, 3504872,
    description="Inverted residuals with linear bottlenecks; depthwise-separable mobile CNN, width 1.0.",
    references=("Sandler et al., MobileNetV2: Inverted Residuals and Linear Bottlenecks, CVPR 2018",),
    lightweight=True)
_tv("mobilenet_v3_small", "MobileNetV3-Small", "MobileNet_V3_Small_Weights.IMAGENET1K_V1",
    67.668, 0.057, 2542856,
    description="NAS-designed mobile CNN (depthwise, SE, hard-swish), small variant for low-resource "
                "devices.",
    references=_MBV3, lightweight=True)
_tv("mobilenet_v3_large", "MobileNetV3-Large", "MobileNet_V3_Large_Weights.IMAGENET1K_V2",
    75.274, 0.217, 5483032,
    description="NAS-designed mobile CNN (depthwise, SE, hard-swish), large variant.", references=_MBV3,
    lightweight=True)
_tv("convnext_tiny", "ConvNeXt-T", "ConvNeXt_Tiny_Weights.IMAGENET1K_V1", 82.52, 4.456, 28589128,
    description="A CNN modernised after vision transformers (7×7 depthwise, LayerNorm, inverted bottleneck); "
                "the documents cite ConvNeXt as proof that CNNs stay competitive (000 [三]).",
    references=("Liu et al., A ConvNet for the 2020s, CVPR 2022",))
_tv("vit_b_16", "ViT-B/16", "ViT_B_16_Weights.IMAGENET1K_SWAG_LINEAR_V1", 81.886, 17.564, 86567656,
    description="Vision Transformer, base size, 16×16 patches, 12 layers of width 768; the documents' "
                "alternative to ResNet-50 (004 task-adaptation matrix).",
    references=("Dosovitskiy et al., An Image Is Worth 16x16 Words, ICLR 2021",
                "Singh et al., Revisiting Weakly Supervised Pre-Training of Visual Perception Models, "
                "CVPR 2022"),
    notes="Published accuracy is that of the SWAG weights (pre-trained weakly supervised on Instagram "
          "images, linear classifier trained on ImageNet-1K), the best torchvision weights at 224×224; the "
          "ImageNet-1K-only IMAGENET1K_V1 weights reach 81.072.",
    quality_note="SWAG weights: pre-trained weakly supervised on Instagram images, linear classifier on "
                 "ImageNet-1K; trained on ImageNet-1K alone (IMAGENET1K_V1) the same model reaches 81.072")
_tv("regnet_y_400mf", "RegNetY-400MF", "RegNet_Y_400MF_Weights.IMAGENET1K_V2", 75.804, 0.402, 4344144,
    builder=TV_REGNET, lightweight=True, references=_REGNET,
    description="RegNetY design-space CNN (grouped convs, SE) at 400 MFLOPs, the paper's mobile regime.")
_tv("regnet_y_1_6gf", "RegNetY-1.6GF", "RegNet_Y_1_6GF_Weights.IMAGENET1K_V2", 80.876, 1.612, 11202430,
    builder=TV_REGNET, references=_REGNET,
    description="RegNetY design-space CNN (grouped convs, SE) at 1.6 GFLOPs.")
_tv("shufflenet_v2_x1_0", "ShuffleNetV2 1.0×", "ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1",
    69.362, 0.145, 2278604,
    description="Channel-split and channel-shuffle mobile CNN (depthwise), width 1.0×.", lightweight=True,
    references=("Ma et al., ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design, "
                "ECCV 2018",))

_DOC_EXAMPLE = ("Written exactly as the source document's example code; untrained, and no accuracy is "
                "published for it. A teaching-scale model for small inputs, not an ImageNet-scale "
                "classifier.")

# Quality unknown on purpose: LeNet-5's 0.95% MNIST error (LeCun et al. 1998) was seen only in secondary summaries,
# is for the 6/16-map tanh network with an RBF output (this is seed 002's wider ReLU SimpleCNN), and a lone MNIST
# figure would be scored as "best of its kind" next to the ImageNet classifiers of the same task.
register_model(ModelEntry(
    id="lenet5", display_name="LeNet-5 style SimpleCNN", family="cnn", tasks=(TASK,),
    inputs={TASK: image(28, c=1)},
    builder=f"{SMALL}:lenet5", builder_kwargs={"in_channels": 1, "num_classes": 10},
    description="Seed 002's SimpleCNN: 1×28×28 → conv5×5(16) → max-pool → conv5×5(32) → max-pool → "
                "FC 120 → 84 → 10, ReLU.",
    notes=_DOC_EXAMPLE + " Source: 002_150698201b3c3cd0.txt section 二.",
    references=("LeCun et al., Gradient-Based Learning Applied to Document Recognition, Proc. IEEE 1998",),
))
register_model(ModelEntry(
    id="small_cnn_cifar", display_name="Two-conv CNN (CIFAR size)", family="cnn", tasks=(TASK,),
    inputs={TASK: image(32)}, builder=f"{SMALL}:small_cnn_cifar", builder_kwargs={"num_classes": 10},
    description="Seed 001's CNNClassifier: 3×32×32 → conv3×3(16) → max-pool → conv3×3(32) → max-pool → "
                "FC 128 → 10, ReLU.",
    notes=_DOC_EXAMPLE + " Source: 001_1f8c0a0fe7d4e3e1.txt (code example); 10 classes assumed "
                         "(CIFAR-10 size).",
))
register_model(ModelEntry(
    id="row_lstm_classifier", display_name="Row-scanning LSTM classifier", family="rnn", tasks=(TASK,),
    inputs={TASK: image(28, c=1)}, builder=f"{SMALL}:row_lstm_classifier",
    builder_kwargs={"in_channels": 1, "width": 28, "hidden": 128, "layers": 1, "num_classes": 10},
    description="Scans a 1×28×28 image row by row as a sequence: 28 time steps of 28 values into a "
                "1-layer unidirectional LSTM (hidden 128), last hidden state → FC 10.",
    streaming=True,
    notes="Seed 002 section 三: treating an image as a row sequence lets an RNN model long-range "
          "dependencies, at a cost the document names: flattening 2-D images into a 1-D sequence loses "
          "local spatial correlation, the recurrence cannot be parallelised over rows (training much slower "
          "than a CNN), and long sequences risk vanishing or exploding gradients. Rows can be consumed as "
          "they arrive (line-scan input); the label comes after the last row. Untrained; no accuracy is "
          "published.",
))

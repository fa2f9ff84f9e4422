"""Super-resolution: ESPCN, the sub-pixel convolution network (seed 001 names super-resolution a CNN task)."""

from archsel.zoo.catalog._helpers import image
from archsel.zoo.registry import register_model
from archsel.zoo.spec import ModelEntry, QualityFigure

TASK = "super-resolution"

register_model(ModelEntry(
    id="espcn", display_name="ESPCN ×3", family="cnn", tasks=(TASK,), inputs={TASK: image(224, c=1)},
    builder="archsel.zoo.builders.super_resolution:espcn", builder_kwargs={"upscale": 3, "channels": 1},
    description="Efficient sub-pixel CNN: conv5×5(64) → conv3×3(32) → conv3×3(9) in low-resolution space, "
                "tanh, then pixel shuffle; ×3 upscaling of the luminance channel (1×224×224 → 1×672×672).",
    lightweight=True,
    quality=(QualityFigure(
        "PSNR dB", 32.55, "Set5 ×3",
        paper="Shi, Caballero, Huszár, Totz, Aitken, Bishop, Rueckert & Wang, Real-Time Single Image and Video "
              "Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network, CVPR 2016 "
              "(arXiv:1609.05158)",
        table="Table 1, ESPCN trained on the 91-image set, Set5 ×3, as quoted in the 'Paper (91)' column of the "
              "yjn870/ESPCN-pytorch README",
        url="https://github.com/yjn870/ESPCN-pytorch/blob/master/README.md",
        split="PSNR on the luminance (Y) channel; trained on the 91-image set",
        config_note="same layers (5×5·64 → 3×3·32 → 3×3·9, tanh, pixel shuffle ×3) with 'same' padding; the "
                    "paper's final ImageNet-trained model scores higher than this 91-image figure"),),
    notes="Paper configuration (l = 3, (f1, n1) = (5, 64), (f2, n2) = (3, 32), f3 = 3) with 'same' padding, "
          "so the output is exactly 3× the input. Designed for real-time video super-resolution. Untrained: the "
          "quality figure is the paper's for this architecture trained on the 91-image set.",
    references=("Shi et al., Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel "
                "Convolutional Neural Network, CVPR 2016",),
))

"""Super-resolution: ESPCN, the sub-pixel convolution network (seed 001 names super-resolution a CNN task)."""

from archsel.zoo.catalog._helpers import image
from archsel.zoo.registry import register_model
from archsel.zoo.spec import ModelEntry

TASK = "super-resolution"

register_model(ModelEntry(
    id="espcn", display_name="ESPCN ×3", family="cnn", tasks=(TASK,), inputs={TASK: image(224, c=1)},
    builder="archsel.zoo.builders.super_resolution:espcn", builder_kwargs={"upscale": 3, "channels": 1},
    description="Efficient sub-pixel CNN: conv5×5(64) → conv3×3(32) → conv3×3(9) in low-resolution space, "
                "tanh, then pixel shuffle; ×3 upscaling of the luminance channel (1×224×224 → 1×672×672).",
    lightweight=True,
    notes="Paper configuration (l = 3, (f1, n1) = (5, 64), (f2, n2) = (3, 32), f3 = 3) with 'same' padding, "
          "so the output is exactly 3× the input. Designed for real-time video super-resolution. Untrained; "
          "no quality figure is given.",
    references=("Shi et al., Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel "
                "Convolutional Neural Network, CVPR 2016",),
))

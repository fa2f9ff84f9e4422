"""Multimodal fusion: CNN + RNN + Transformer over image, text and audio (seed 000 selection matrix), and a
parallel CNN branch + RNN branch with a fusion decision layer (seed 000 [二]/[四])."""

from archsel.zoo.registry import register_model
from archsel.zoo.spec import InputSpec, ModelEntry, TensorSpec

TASK = "multimodal"
_FUSION = "archsel.zoo.builders.fusion:"

IMAGE = TensorSpec("image", (3, 224, 224), ("C", "H", "W"))

register_model(ModelEntry(
    id="multimodal_xattn", display_name="Multimodal CNN + GRU + Transformer (cross-attention fusion)",
    family="hybrid", tasks=(TASK,),
    inputs={TASK: InputSpec((
        IMAGE,
        TensorSpec("tokens", (32,), ("L",), dtype="int64", high=10000),
        TensorSpec("spectrogram", (1, 64, 96), ("C", "F", "T")),
    ))},
    builder=_FUSION + "multimodal_xattn",
    builder_kwargs={"trunk": "resnet18", "vocab": 10000, "dim": 256, "heads": 4, "layers": 2,
                    "audio_widths": (32, 64, 128), "num_classes": 10},
    description=("Seed 000 matrix 'multimodal AI: CNN + RNN + Transformer': ResNet-18 trunk → 7×7 region "
                 "tokens; embedding + bidirectional GRU (2×128) over 32 text tokens (vocabulary 10,000); "
                 "3-block CNN (32, 64, 128) over a 64-mel × 96-frame log-mel spectrogram; text cross-attends "
                 "to image and audio tokens; 2-layer Transformer encoder (256, 4 heads) over "
                 "[CLS, text, image, audio]; linear head (10 classes)."),
    notes=("Assembled from the selection matrix's description, not a published model; no published quality. "
           "The 10-class head is a placeholder for a task-specific label set (builder kwarg num_classes)."),
    references=("He et al., Deep Residual Learning for Image Recognition, CVPR 2016",
                "Cho et al., Learning Phrase Representations using RNN Encoder-Decoder, EMNLP 2014",
                "Vaswani et al., Attention Is All You Need, NeurIPS 2017"),
))

register_model(ModelEntry(
    id="parallel_cnn_rnn_fusion", display_name="Parallel CNN + LSTM fusion (MobileNetV3-Small ‖ 2×LSTM-64)",
    family="hybrid", tasks=(TASK,),
    inputs={TASK: InputSpec((IMAGE, TensorSpec("series", (100, 8), ("T", "F"))))},
    builder=_FUSION + "parallel_cnn_rnn_fusion",
    builder_kwargs={"trunk": "mobilenet_v3_small", "sensors": 8, "hidden": 64, "layers": 2, "fusion": 128,
                    "num_classes": 2},
    description=("Parallel fusion (seed 000 [二] medical sequences / industrial QC, [四] production-line "
                 "inspection): MobileNetV3-Small branch on a 224² image ‖ 2-layer LSTM (64) branch on a "
                 "100-step, 8-channel sensor series → concatenation → MLP (128) decision layer (2 classes: "
                 "pass / defect)."),
    lightweight=True,
    notes=("Assembled from the seed's description, not a published model; no published quality. The two "
           "branches are independent until the fusion layer, so each can run on its own schedule."),
    references=("Howard et al., Searching for MobileNetV3, ICCV 2019",
                "Hochreiter & Schmidhuber, Long Short-Term Memory, Neural Computation 1997"),
))

"""Video understanding: torchvision's Kinetics-400 video models, the documents' CNN + RNN fusions
(serial frame CNN → LSTM/GRU, 3D CNN + LSTM, ConvLSTM, the video content stack) and TimeSformer."""

from archsel.zoo.catalog._helpers import TV, clip, tv_quality
from archsel.zoo.registry import register_model
from archsel.zoo.spec import Family, ModelEntry

TASK = "video-understanding"
MULTIMODAL = "multimodal"
KINETICS = "Kinetics-400"

_B = "archsel.zoo.builders."
FRAME_RNN = _B + "frame_rnn:frame_rnn"

# --- torchvision (published figures from the KINETICS400_V1 weight enums; _ops is at 16 frames) ----------

_TRAN = "Tran et al., A Closer Look at Spatiotemporal Convolutions for Action Recognition, CVPR 2018"
_FIVE_16 = "video-level, 5 clips × 16 frames at 15 fps"

# id, display name, family, weights, crop, GMACs, params, top-1, description, eval protocol, reference
_TV_VIDEO: tuple[tuple[str, str, Family, str, int, float, int, float, str, str, str], ...] = (
    ("r3d_18", "R3D-18", "cnn", "R3D_18_Weights.KINETICS400_V1", 112, 40.697, 33371472, 63.2,
     "18-layer ResNet with full 3D convolutions.", _FIVE_16, _TRAN),
    ("mc3_18", "MC3-18", "cnn", "MC3_18_Weights.KINETICS400_V1", 112, 43.343, 11695440, 63.96,
     "18-layer mixed-convolution ResNet: 3D convolutions in the stem, 2D (1×3×3) in the later layers.",
     _FIVE_16, _TRAN),
    ("r2plus1d_18", "R(2+1)D-18", "cnn", "R2Plus1D_18_Weights.KINETICS400_V1", 112, 40.519, 31505325, 67.463,
     "18-layer ResNet with 3D convolutions factored into 2D spatial + 1D temporal.",
     _FIVE_16, _TRAN),
    ("s3d", "S3D", "cnn", "S3D_Weights.KINETICS400_V1", 224, 17.979, 8320048, 68.368,
     "Separable 3D Inception network (spatial then temporal convolutions, feature gating).",
     "clip-level, 1 clip × 128 frames at 15 fps (not the 16-frame default input)",
     "Xie et al., Rethinking Spatiotemporal Feature Learning (S3D), ECCV 2018"),
    ("mvit_v2_s", "MViTv2-S", "transformer", "MViT_V2_S_Weights.KINETICS400_V1", 224, 64.224, 34537744,
     80.757,
     "Multiscale Vision Transformer v2, small: pooling attention with decomposed relative positions.",
     "video-level, 5 clips × 16 frames at 7.5 fps",
     "Li et al., MViTv2: Improved Multiscale Vision Transformers, CVPR 2022"),
    ("swin3d_t", "Video Swin-T", "transformer", "Swin3D_T_Weights.KINETICS400_V1", 224, 43.882, 28158070,
     77.715,
     "Video Swin Transformer, tiny: shifted 3D window attention.",
     "video-level, 12 clips × 32 frames at 15 fps (not the 16-frame default input)",
     "Liu et al., Video Swin Transformer, CVPR 2022"),
)

for (mid, name, family, weights, crop, gmacs, params, top1, desc, protocol, ref) in _TV_VIDEO:
    register_model(ModelEntry(
        id=mid, display_name=name, family=family, tasks=(TASK,), inputs={TASK: clip(16, crop)},
        builder=TV, builder_kwargs={"name": mid},
        description=f"{desc} torchvision, Kinetics-400 head (400 classes), 16 × {crop}² clips.",
        quality=tv_quality("top-1 accuracy %", top1, KINETICS, weights,
                           config_note=f"evaluated {protocol}; the entry's default input is one 16 × {crop}² clip"),
        torchvision_weights=weights, published_gmacs=gmacs, published_params=params,
        notes=f"Published accuracy evaluated {protocol}; GMACs are torchvision's figure at 16 × {crop}².",
        references=(ref,),
    ))

# --- serial CNN → RNN hybrids (seed 000 [二] serial fusion, [四]; seed 001 video analysis) ---------------

_LRCN = ("Donahue et al., Long-term Recurrent Convolutional Networks for Visual Recognition and "
         "Description, CVPR 2015")
_SERIAL_NOTE = ("Serial fusion as in the selection documents: a torchvision ImageNet-architecture trunk "
                "(classifier removed, global-average-pooled) on each frame, a unidirectional {rnn} over the "
                "frame features, a linear classifier on the last step. Runs frame by frame (streaming): each "
                "new frame costs one trunk pass and one recurrent step. Input [N, C, T, H, W]; 400 classes "
                "so it compares with torchvision's Kinetics-400 models. No published accuracy for this exact "
                "configuration.")

_FRAME_RNNS = (
    # id, display name, trunk, trunk name, rnn, hidden, lightweight, trunk reference
    ("cnn_lstm_resnet18", "CNN-LSTM (ResNet-18 + LSTM-512)", "resnet18", "ResNet-18", "lstm", 512, False,
     "He et al., Deep Residual Learning for Image Recognition, CVPR 2016"),
    ("cnn_gru_resnet18", "CNN-GRU (ResNet-18 + GRU-512)", "resnet18", "ResNet-18", "gru", 512, False,
     "He et al., Deep Residual Learning for Image Recognition, CVPR 2016"),
    ("cnn_lstm_mobilenet_v3", "CNN-LSTM (MobileNetV3-Small + LSTM-256)", "mobilenet_v3_small",
     "MobileNetV3-Small", "lstm", 256, True, "Howard et al., Searching for MobileNetV3, ICCV 2019"),
    ("cnn_gru_mobilenet_v3", "CNN-GRU (MobileNetV3-Small + GRU-256)", "mobilenet_v3_small",
     "MobileNetV3-Small", "gru", 256, True, "Howard et al., Searching for MobileNetV3, ICCV 2019"),
    ("cnn_lstm_efficientnet_b0", "CNN-LSTM (EfficientNet-B0 + LSTM-512)", "efficientnet_b0",
     "EfficientNet-B0", "lstm", 512, False,
     "Tan & Le, EfficientNet: Rethinking Model Scaling for CNNs, ICML 2019"),
)

# Quality unknown on purpose for the frame CNN → RNN hybrids: the nearest published figure, the Kinetics paper's
# ConvNet+LSTM baseline (57.0 top-1, Kay et al. 2017), was seen only in a secondary summary and is a ResNet-50
# trained from scratch; with our MobileNetV3 / ResNet-18 / EfficientNet-B0 trunks it would be scored against
# torchvision's Kinetics-400 figures as if measured alike.
for (mid, name, trunk, trunk_name, rnn, hidden, light, trunk_ref) in _FRAME_RNNS:
    rnn_name = rnn.upper()
    register_model(ModelEntry(
        id=mid, display_name=name, family="hybrid", tasks=(TASK,), inputs={TASK: clip(16, 224)},
        builder=FRAME_RNN, builder_kwargs={"trunk": trunk, "rnn": rnn, "hidden": hidden, "num_classes": 400},
        description=(f"{trunk_name} per frame → 1-layer {rnn_name} ({hidden} hidden) → linear, 400 "
                     "classes; 16 × 224² clips."
                     + (" Small trunk and recurrent width for mobile/edge." if light else "")),
        lightweight=light, streaming=True,
        notes=_SERIAL_NOTE.format(rnn=rnn_name),
        references=(_LRCN, trunk_ref),
    ))

# Quality unknown: no published Kinetics-400 figure for a 3D CNN + LSTM hybrid was found.
register_model(ModelEntry(
    id="c3d_lstm", display_name="3D CNN + LSTM (R3D-18 trunk, 4-frame segments)", family="hybrid",
    tasks=(TASK,), inputs={TASK: clip(16, 112)},
    builder=_B + "frame_rnn:segment_rnn",
    builder_kwargs={"trunk": "r3d_18", "segment": 4, "rnn": "lstm", "hidden": 512, "num_classes": 400},
    description=("The 004 task-adaptation matrix's recommendation for action recognition: R3D-18 stem + "
                 "layer1–4 on consecutive 4-frame segments, spatially averaged to one 512-d feature per "
                 "segment time step, 1-layer LSTM (512) over the steps, linear head (400 classes); "
                 "16 × 112² clips."),
    streaming=True,
    notes=("A 3D ResNet stands in for the original C3D network (torchvision ships no C3D). Default input is "
           "16 × 112², R3D-18's own crop size, so it compares with r3d_18 directly. Streams per 4-frame "
           "segment. No published accuracy for this configuration."),
    references=("Baccouche et al., Sequential Deep Learning for Human Action Recognition, HBU 2011", _TRAN),
))

# Quality unknown on purpose: TimeSformer's published 77.9 top-1 (K400, 8 × 224², official model zoo) is the
# ViT-B model (width 768, ImageNet-21K pre-training), about four times this ViT-S-sized build.
register_model(ModelEntry(
    id="timesformer_small", display_name="TimeSformer-S style (divided space-time, 12×384, 6 heads)",
    family="transformer", tasks=(TASK,), inputs={TASK: clip(8, 224)},
    builder=_B + "video_attention:timesformer",
    builder_kwargs={"img_size": 224, "num_frames": 8, "patch": 16, "dim": 384, "depth": 12, "heads": 6,
                    "num_classes": 400},
    description=("The 004 matrix's alternative for action recognition: TimeSformer with divided space-time "
                 "attention, patch 16, depth 12, width 384, 6 heads (ViT-S size), 8 × 224² clips, "
                 "400 classes."),
    notes=("ViT-S-sized TimeSformer written in torch.nn; the official TimeSformer releases are ViT-B "
           "(768 wide), so this is 'TimeSformer-S style', not an official checkpoint, and has no published "
           "accuracy. Position embeddings are sized for 8 frames at 224²; other sizes need a rebuild "
           "(builder kwargs img_size, num_frames)."),
    references=("Bertasius et al., Is Space-Time Attention All You Need for Video Understanding?, "
                "ICML 2021",),
))

# Quality unknown: ConvLSTM (Shi et al. 2015) was evaluated on Moving-MNIST and radar nowcasting, not on
# classification; no figure for this configuration exists.
register_model(ModelEntry(
    id="convlstm_classifier", display_name="ConvLSTM classifier (2 × ConvLSTM-64)", family="hybrid",
    tasks=(TASK,), inputs={TASK: clip(16, 224)},
    builder=_B + "convlstm:convlstm_classifier",
    builder_kwargs={"stem": (32, 64, 64), "hidden": (64, 64), "kernel": 3, "num_classes": 400},
    description=("ConvLSTM fusion (seed 000 [二]): 3 stride-2 conv-BN-ReLU layers (32, 64, 64) per frame, "
                 "2 stacked ConvLSTM layers (64 hidden, 3×3) unrolled over 16 frames at 28², global pooling, "
                 "linear head (400 classes)."),
    streaming=True,
    notes=("ConvLSTM cells without the paper's peephole terms (a common simplification that keeps the "
           "model independent of frame size). Streams frame by frame. No published accuracy for this "
           "configuration."),
    references=("Shi et al., Convolutional LSTM Network: A Machine Learning Approach for Precipitation "
                "Nowcasting, NeurIPS 2015",),
))

register_model(ModelEntry(
    id="video_content_stack",
    display_name="Video content stack (EfficientNet-B0 → GRU → cross-attn → decoder)",
    family="hybrid", tasks=(TASK, MULTIMODAL), inputs={TASK: clip(16, 224), MULTIMODAL: clip(16, 224)},
    builder=_B + "fusion:video_content_stack",
    builder_kwargs={"trunk": "efficientnet_b0", "rnn": "gru", "hidden": 512, "queries": 8, "heads": 8,
                    "decoder_layers": 2, "num_classes": 400},
    description=("Seed 000 [四] video content understanding stack: EfficientNet-B0 spatial features per "
                 "frame → GRU (512) temporal → 8 learned queries cross-attending to the GRU states → 2-layer "
                 "Transformer decoder (512, 8 heads) output layer → linear head (400 classes); "
                 "16 × 224² clips."),
    notes=("Assembled from the seed's component list, not a published model; no published accuracy. The "
           "multimodal task uses the same clip input (the stack fuses spatial and temporal streams)."),
    references=("Tan & Le, EfficientNet: Rethinking Model Scaling for CNNs, ICML 2019",
                "Cho et al., Learning Phrase Representations using RNN Encoder-Decoder, EMNLP 2014",
                "Vaswani et al., Attention Is All You Need, NeurIPS 2017"),
))

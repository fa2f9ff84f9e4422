"""Reference-only entries: the models of data/published_latency that the zoo has no candidate for.

They are kept to hold archsel's latency estimates against figures others measured on real devices; they are
never recommended and are listed only with `include_references`. Each builds the network that was timed:
torchvision's own classifiers (published figures from their weight enums), the Caffe-era networks of ncnn's
benchmark as its .param files define them, the DeepLabV3+ of Qualcomm AI Hub's source, transformer encoders
with the dimensions of their model cards, and ExecuTorch's benchmark examples Inception-v4 (timm), EDSR (torchSR)
and Wav2Letter (torchaudio) with their libraries' layers. Weights are never loaded: counts and shapes only.
"""

from functools import partial

from archsel.zoo.catalog._helpers import TV, TV_REGNET, clip, image, tokens, tv_classifier
from archsel.zoo.registry import register_model
from archsel.zoo.spec import Family, InputSpec, ModelEntry, TensorSpec

CLS = "image-classification"
DET = "object-detection"
SEG = "semantic-segmentation"
TEXT = "text-classification"
TAG = "sequence-labeling"
MULTI = "multimodal"
ASR = "speech-recognition"
VIDEO = "video-understanding"
B = "archsel.zoo.builders.reference:"
WORDPIECE = 30522  # BERT's uncased WordPiece vocabulary (bert-base-uncased, DistilBERT, MobileBERT, MiniLM)

_REFERENCE = ("Reference-only: kept to hold latency estimates against published device figures "
              "(data/published_latency); never a candidate. ")
_NOMINAL = "The task is nominal: the entry exists to be counted at the published rows' inputs. "
IDS: list[str] = []  # every id this module registers, in order


def _add(entry: ModelEntry) -> None:
    IDS.append(entry.id)
    register_model(entry)


def _ref(entry_id: str, display_name: str, *, family: Family, task: str, spec: InputSpec, builder: str,
         kwargs: dict[str, object], description: str, notes: str, references: tuple[str, ...],
         lightweight: bool = False) -> None:
    _add(ModelEntry(
        id=entry_id, display_name=display_name, family=family,
        tasks=(task,), inputs={task: spec}, builder=builder, builder_kwargs=kwargs, description=description,
        lightweight=lightweight, notes=_REFERENCE + notes, references=references, reference_only=True,
    ))


# ------------------------------------------------------------------------------------------------------
# torchvision classifiers: published GMACs / params / top-1 of the named weights (the best-accuracy weights
# of the architecture), read from torchvision's weight enums; the count on the meta device reproduces them.

_tv = partial(tv_classifier, reference_only=True, register=_add,
              notes_prefix=_REFERENCE + "torchvision's architecture, built without weights. ")

_RESNET = ("He et al., Deep Residual Learning for Image Recognition, CVPR 2016",)
_RESNEXT = ("Xie et al., Aggregated Residual Transformations for Deep Neural Networks, CVPR 2017",)
_DENSENET = ("Huang et al., Densely Connected Convolutional Networks, CVPR 2017",)
_VGG = ("Simonyan & Zisserman, Very Deep Convolutional Networks for Large-Scale Image Recognition, ICLR 2015",)
_SQUEEZENET = ("Iandola et al., SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model "
               "size, arXiv 2016",)
_GOOGLENET = ("Szegedy et al., Going Deeper with Convolutions, CVPR 2015",)
_MNASNET = ("Tan et al., MnasNet: Platform-Aware Neural Architecture Search for Mobile, CVPR 2019",)
_REGNET = ("Radosavovic et al., Designing Network Design Spaces, CVPR 2020",)
_EFFNET = ("Tan & Le, EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks, ICML 2019",)
_VIT = ("Dosovitskiy et al., An Image Is Worth 16x16 Words, ICLR 2021",)
_NCNN = "Tencent/ncnn benchmark/{} (the network ncnn's benchncnn times)"

_tv("resnet34", "ResNet-34", "ResNet34_Weights.IMAGENET1K_V1", 73.314, 3.664, 21797672, references=_RESNET,
    description="34-layer residual CNN (basic blocks, widths 64/128/256/512).")
_tv("resnet101", "ResNet-101", "ResNet101_Weights.IMAGENET1K_V2", 81.886, 7.801, 44549160, references=_RESNET,
    description="101-layer residual CNN (bottleneck blocks 3/4/23/3).")
_tv("resnet152", "ResNet-152", "ResNet152_Weights.IMAGENET1K_V2", 82.284, 11.514, 60192808, references=_RESNET,
    description="152-layer residual CNN (bottleneck blocks 3/8/36/3).")
_tv("resnext50_32x4d", "ResNeXt-50 32×4d", "ResNeXt50_32X4D_Weights.IMAGENET1K_V2", 81.198, 4.23, 25028904,
    references=_RESNEXT, description="ResNet-50 layout with grouped 3×3 convolutions (32 groups of width 4).")
_tv("resnext101_32x8d", "ResNeXt-101 32×8d", "ResNeXt101_32X8D_Weights.IMAGENET1K_V2", 82.834, 16.414,
    88791336, references=_RESNEXT,
    description="ResNet-101 layout with grouped 3×3 convolutions (32 groups of width 8).")
_tv("wide_resnet50_2", "Wide ResNet-50-2", "Wide_ResNet50_2_Weights.IMAGENET1K_V2", 81.602, 11.398, 68883240,
    references=("Zagoruyko & Komodakis, Wide Residual Networks, BMVC 2016",),
    description="ResNet-50 with bottleneck widths doubled.")
_tv("densenet121", "DenseNet-121", "DenseNet121_Weights.IMAGENET1K_V1", 74.434, 2.834, 7978856,
    references=_DENSENET, description="Dense blocks 6/12/24/16, growth rate 32.")
_tv("densenet161", "DenseNet-161", "DenseNet161_Weights.IMAGENET1K_V1", 77.138, 7.728, 28681000,
    references=_DENSENET, description="Dense blocks 6/12/36/24, growth rate 48.")
_tv("densenet169", "DenseNet-169", "DenseNet169_Weights.IMAGENET1K_V1", 75.6, 3.36, 14149480,
    references=_DENSENET, description="Dense blocks 6/12/32/32, growth rate 32.")
_tv("densenet201", "DenseNet-201", "DenseNet201_Weights.IMAGENET1K_V1", 76.896, 4.291, 20013928,
    references=_DENSENET, description="Dense blocks 6/12/48/32, growth rate 32.")
_tv("vgg11", "VGG-11", "VGG11_Weights.IMAGENET1K_V1", 69.02, 7.609, 132863336, references=_VGG,
    description="VGG configuration A: 8 conv layers (3×3) and three FC layers.")
_tv("vgg11_bn", "VGG-11 (BN)", "VGG11_BN_Weights.IMAGENET1K_V1", 70.37, 7.609, 132868840, references=_VGG,
    description="VGG-11 with batch norm after every convolution.")
_tv("vgg13", "VGG-13", "VGG13_Weights.IMAGENET1K_V1", 69.928, 11.308, 133047848, references=_VGG,
    description="VGG configuration B: 10 conv layers (3×3) and three FC layers.")
_tv("vgg13_bn", "VGG-13 (BN)", "VGG13_BN_Weights.IMAGENET1K_V1", 71.586, 11.308, 133053736, references=_VGG,
    description="VGG-13 with batch norm after every convolution.")
_tv("vgg16", "VGG-16", "VGG16_Weights.IMAGENET1K_V1", 71.592, 15.47, 138357544, references=_VGG,
    description="VGG configuration D: 13 conv layers (3×3) and three FC layers.",
    notes="Also the network of ncnn's benchmark/vgg16.param (Caffe VGG_ILSVRC_16_layers): the same layers; "
          "torchvision's adaptive 7×7 pool is the identity at 224×224.")
_tv("vgg16_bn", "VGG-16 (BN)", "VGG16_BN_Weights.IMAGENET1K_V1", 73.36, 15.47, 138365992, references=_VGG,
    description="VGG-16 with batch norm after every convolution.")
_tv("alexnet", "AlexNet (torchvision)", "AlexNet_Weights.IMAGENET1K_V1", 56.522, 0.714, 61100840,
    references=("Krizhevsky, One weird trick for parallelizing convolutional neural networks, arXiv 2014",),
    description="torchvision's single-tower AlexNet (64/192/384/256/256 channels, no LRN, no groups).",
    notes="Not the Caffe AlexNet of ncnn's benchmark: that one is bvlc_alexnet.")
_tv("squeezenet1_0", "SqueezeNet 1.0", "SqueezeNet1_0_Weights.IMAGENET1K_V1", 58.092, 0.819, 1248424,
    references=_SQUEEZENET, lightweight=True, description="Fire modules (squeeze 1×1, expand 1×1 + 3×3), 7×7 stem.")
_tv("squeezenet1_1", "SqueezeNet 1.1", "SqueezeNet1_1_Weights.IMAGENET1K_V1", 58.178, 0.349, 1235496,
    references=_SQUEEZENET, lightweight=True,
    description="SqueezeNet with a 3×3/2 stem and earlier pooling: 2.4× cheaper than 1.0.",
    notes="ncnn's benchmark/squeezenet.param pads conv10; that network is squeezenet1_1_ncnn.")
_tv("googlenet", "GoogLeNet (torchvision)", "GoogLeNet_Weights.IMAGENET1K_V1", 69.778, 1.498, 6624904,
    references=_GOOGLENET, kwargs={"aux_logits": False, "transform_input": True, "init_weights": True},
    description="torchvision's GoogLeNet: inception modules with batch norm, no auxiliary heads.",
    notes="Built like the released weights (transform_input, auxiliary heads removed). torchvision's '5×5' "
          "branch uses a 3×3 convolution; ncnn's Caffe GoogLeNet is bvlc_googlenet.")
_tv("inception_v3", "Inception-v3", "Inception_V3_Weights.IMAGENET1K_V1", 77.294, 5.713, 27161264,
    references=("Szegedy et al., Rethinking the Inception Architecture for Computer Vision, CVPR 2016",),
    crop=299, kwargs={"transform_input": True, "init_weights": True},
    description="Factorised inception modules with batch norm at 299×299; the auxiliary head is built (as in "
                "the released model) but does not run in eval.",
    notes="Qualcomm AI Hub, the ExecuTorch example and the PyTorch Raspberry Pi tutorial time it at 224×224; "
          "the published GMACs are at 299×299.")
_tv("mnasnet0_5", "MnasNet 0.5", "MNASNet0_5_Weights.IMAGENET1K_V1", 67.734, 0.104, 2218512,
    references=_MNASNET, lightweight=True, description="MnasNet-B1 at depth multiplier 0.5.")
_tv("mnasnet1_0", "MnasNet 1.0", "MNASNet1_0_Weights.IMAGENET1K_V1", 73.456, 0.314, 4383312,
    references=_MNASNET, lightweight=True, description="MnasNet-B1 at depth multiplier 1.0.",
    notes="Also the network of ncnn's benchmark/mnasnet.param (same stages, kernels and expansions).")
_tv("regnet_y_800mf", "RegNetY-800MF", "RegNet_Y_800MF_Weights.IMAGENET1K_V2", 78.828, 0.834, 6432512,
    references=_REGNET, builder=TV_REGNET,
    description="RegNetY design-space CNN (grouped convs, SE) at 800 MFLOPs.")
_tv("regnet_x_3_2gf", "RegNetX-3.2GF", "RegNet_X_3_2GF_Weights.IMAGENET1K_V2", 81.196, 3.177, 15296552,
    references=_REGNET, builder=TV_REGNET,
    description="RegNetX design-space CNN (grouped convs, no SE) at 3.2 GFLOPs.",
    notes="Qualcomm AI Hub's 'regnet' model is torchvision's regnet_x_3_2gf (qai_hub_models/models/regnet/"
          "model.py, IMAGENET1K_V1 weights: the same architecture).")
_tv("efficientnet_b4", "EfficientNet-B4", "EfficientNet_B4_Weights.IMAGENET1K_V1", 83.384, 4.394, 19341616,
    references=_EFFNET, crop=380, description="EfficientNet compound-scaled to B4 (380×380 input).")
_tv("efficientnet_v2_s", "EfficientNetV2-S", "EfficientNet_V2_S_Weights.IMAGENET1K_V1", 84.228, 8.366,
    21458488, crop=384, description="Fused-MBConv early stages, MBConv later; small variant at 384×384.",
    references=("Tan & Le, EfficientNetV2: Smaller Models and Faster Training, ICML 2021",))
_tv("vit_b_32", "ViT-B/32", "ViT_B_32_Weights.IMAGENET1K_V1", 75.912, 4.409, 88224232, references=_VIT,
    description="Vision Transformer, base size, 32×32 patches (50 tokens at 224×224), 12 layers of width 768.",
    notes="Also the architecture of google/vit-base-patch32-224 (the Jetson AI Lab rows).")

_ref("vit_b_32_384", "ViT-B/32 at 384×384", family="transformer", task=CLS, spec=image(384), builder=TV,
     kwargs={"name": "vit_b_32", "image_size": 384}, references=(*_VIT, _NCNN.format("vision_transformer.param")),
     description="torchvision's ViT-B/32 built for 384×384 inputs: 145 tokens (12×12 patches + class token), "
                 "12 layers of width 768, 12 heads, MLP 3072.",
     notes="ncnn's benchmark/vision_transformer.param is this network (an mmdeploy export: 32×32 patch conv, "
           "145 positions, 12 pre-norm layers, 1000 classes). torchvision publishes no figure at 384.")

# ------------------------------------------------------------------------------------------------------
# Caffe-era CNNs of ncnn's benchmark, and MobileNet v1

_ref("bvlc_alexnet", "AlexNet (BVLC Caffe)", family="cnn", task=CLS, spec=image(227), builder=B + "bvlc_alexnet",
     kwargs={}, references=("Krizhevsky et al., ImageNet Classification with Deep Convolutional Neural "
                            "Networks, NeurIPS 2012", _NCNN.format("alexnet.param")),
     description="Caffe's bvlc_alexnet: 96 11×11/4, LRN, pool, 256 5×5 (2 groups), LRN, pool, 384 3×3, 384 3×3 "
                 "(2 groups), 256 3×3 (2 groups), pool, FC 4096-4096-1000; 227×227.",
     notes="Layer for layer as ncnn's alexnet.param (grouped convolutions kept, ceil-mode pooling); 60,965,224 "
           "parameters like the Caffe model. Differs from torchvision's alexnet.")
_ref("bvlc_googlenet", "GoogLeNet (BVLC Caffe)", family="cnn", task=CLS, spec=image(224),
     builder=B + "bvlc_googlenet", kwargs={}, references=(*_GOOGLENET, _NCNN.format("googlenet.param")),
     description="Caffe's bvlc_googlenet (the paper's Table 1): 7×7/2 stem, LRN, nine inception modules with "
                 "true 5×5 branches, no batch norm, 7×7 average pool, FC 1000; auxiliary heads not in the "
                 "deploy net.",
     notes="Layer for layer as ncnn's googlenet.param (ceil-mode pooling like Caffe). Differs from "
           "torchvision's googlenet (batch norm, 3×3 in place of 5×5).")
_ref("squeezenet1_1_ncnn", "SqueezeNet 1.1 (ncnn benchmark)", family="cnn", task=CLS, spec=image(227),
     builder=B + "squeezenet1_1_ncnn", kwargs={}, lightweight=True,
     references=(*_SQUEEZENET, _NCNN.format("squeezenet.param")),
     description="SqueezeNet 1.1 as ncnn's benchmark defines it: torchvision's squeezenet1_1 with the final "
                 "1×1 conv10 padded by 1 (16×16 class maps at 227×227 instead of 14×14).",
     notes="ncnn's squeezenet.param gives conv10 pad=1 (and its shape hints 16×16×1000; DeepScale's v1.1 "
           "deploy.prototxt has no pad there); every other layer matches torchvision's squeezenet1_1. Same "
           "parameters (1,235,496), about 8% more MACs at 227×227.")
_ref("mobilenet_v1", "MobileNet v1 1.0", family="cnn", task=CLS, spec=image(224), builder=B + "mobilenet_v1",
     kwargs={}, lightweight=True,
     references=("Howard et al., MobileNets: Efficient Convolutional Neural Networks for Mobile Vision "
                 "Applications, arXiv 2017", _NCNN.format("mobilenet.param")),
     description="3×3/2 conv and 13 depthwise-separable blocks (BN + ReLU after each conv), global average "
                 "pool, FC 1000; width 1.0, 224×224.",
     notes="The paper (Table 1/2) publishes 569 M mult-adds and 4.2 M parameters; this build has 4,231,976 "
           "parameters. Same layers as ncnn's mobilenet.param (Caffe MobileNet with BatchNorm + Scale).")
_ref("mobilenet_v1_ssd300", "MobileNet-SSD 300 (VOC)", family="cnn", task=DET, spec=image(300),
     builder=B + "mobilenet_v1_ssd300", kwargs={}, lightweight=True,
     references=("Liu et al., SSD: Single Shot MultiBox Detector, ECCV 2016",
                 "Howard et al., MobileNets, arXiv 2017", "chuanqi305/MobileNet-SSD (Caffe)",
                 _NCNN.format("mobilenet_ssd.param")),
     description="MobileNet v1 (BN folded into the convs) with four extra 1×1→3×3/2 stages and 1×1 box/class "
                 "heads on six feature maps (3 priors on conv11, 6 elsewhere); 21 VOC classes, 300×300.",
     notes="Layer for layer as ncnn's mobilenet_ssd.param. forward returns the raw head outputs; prior boxes "
           "and DetectionOutput (decode + NMS) are not counted.")

# ------------------------------------------------------------------------------------------------------
# Segmentation

_ref("deeplabv3plus_mobilenet_v2", "DeepLabV3+ MobileNetV2 (jfzhang95)", family="cnn", task=SEG,
     spec=image(513), builder=B + "deeplabv3plus_mobilenet_v2", kwargs={"num_classes": 21}, lightweight=True,
     references=("Chen et al., Encoder-Decoder with Atrous Separable Convolution for Semantic Image "
                 "Segmentation, ECCV 2018", "jfzhang95/pytorch-deeplab-xception (modeling/)",
                 "quic/ai-hub-models qai_hub_models/models/deeplabv3_plus_mobilenet/model.py"),
     description="jfzhang95's DeepLab(backbone='mobilenet', output_stride=16): MobileNetV2 with the stride-32 "
                 "stages dilated, ASPP (rates 6/12/18 + image pooling, 256 channels), decoder on the stride-4 "
                 "features, bilinear upsampling; 21 VOC classes at 513×513.",
     notes="Qualcomm AI Hub's deeplabv3_plus_mobilenet wraps this model (adding input normalisation and an "
           "argmax, not counted). 5,816,053 parameters with batch norm unfolded (AI Hub lists 5.80 M).")

# ------------------------------------------------------------------------------------------------------
# Transformer encoders (dimensions from the model cards / configs; random weights)

_CLIP = ("Radford et al., Learning Transferable Visual Models From Natural Language Supervision, ICML 2021",)
_BERT = "Devlin et al., BERT: Pre-training of Deep Bidirectional Transformers, NAACL 2019"
_ST = "Reimers & Gurevych, Sentence-BERT, EMNLP 2019"


def _bert(**kwargs: object) -> dict[str, object]:
    return {"vocab": WORDPIECE, "max_len": 512, **kwargs}


_ref("bert_base_uncased_mlm", "BERT-base uncased (masked LM)", family="transformer", task=TAG,
     spec=tokens(384, WORDPIECE), builder=B + "text_encoder",
     kwargs=_bert(d=768, layers=12, heads=12, ff=3072, head="mlm"),
     references=(_BERT, "huggingface.co/google-bert/bert-base-uncased (config)",
                 "quic/ai-hub-models qai_hub_models/models/bert_base_uncased_hf"),
     description="BertForMaskedLM: 12 post-norm layers of width 768, 12 heads, FFN 3072, GELU; WordPiece "
                 "30,522; MLM head (dense + GELU + LayerNorm, decoder tied to the word embeddings) over every "
                 "position.",
     notes=_NOMINAL + "Qualcomm AI Hub's Bert-Base-Uncased-Hf is AutoModelForMaskedLM at 1×384 tokens (its "
           "attention mask and mask-index gather are not counted). 109,514,298 parameters like HuggingFace's.")
_ref("distilbert_base_uncased_mlm", "DistilBERT-base uncased (masked LM)", family="transformer", task=TAG,
     spec=tokens(384, WORDPIECE), builder=B + "text_encoder",
     kwargs=_bert(d=768, layers=6, heads=12, ff=3072, type_vocab=0, head="mlm"),
     references=("Sanh et al., DistilBERT, a distilled version of BERT, arXiv 2019",
                 "huggingface.co/distilbert/distilbert-base-uncased (config)",
                 "quic/ai-hub-models qai_hub_models/models/distil_bert_base_uncased_hf"),
     description="DistilBertForMaskedLM: 6 post-norm layers of width 768, 12 heads, FFN 3072, no token types; "
                 "MLM head tied to the word embeddings.",
     notes=_NOMINAL + "Qualcomm AI Hub's Distil-Bert-Base-Uncased-Hf at 1×384 tokens. 66,985,530 parameters.")
_ref("bert_large_squad", "BERT-large (SQuAD span head)", family="transformer", task=TAG,
     spec=tokens(384, WORDPIECE), builder=B + "text_encoder",
     kwargs=_bert(d=1024, layers=24, heads=16, ff=4096, head="qa"),
     references=(_BERT, "mlcommons/inference language/bert (bert-99, SQuAD v1.1)"),
     description="BertForQuestionAnswering, large: 24 post-norm layers of width 1024, 16 heads, FFN 4096; "
                 "start/end logits per token.",
     notes=_NOMINAL + "MLPerf's bert-99 benchmark model at its maximum sequence length 384 (MLPerf samples "
           "vary in length; the harness may pack or truncate).")
_ref("bert_base_squad", "BERT-base (SQuAD span head)", family="transformer", task=TAG,
     spec=tokens(384, WORDPIECE), builder=B + "text_encoder",
     kwargs=_bert(d=768, layers=12, heads=12, ff=3072, head="qa"),
     references=(_BERT, "NVIDIA/TensorRT demo/BERT (bert_tf_ckpt_base_qa_squad2_amp_*_v19.03.1)"),
     description="BertForQuestionAnswering, base: 12 post-norm layers of width 768, 12 heads, FFN 3072; "
                 "start/end logits per token.",
     notes=_NOMINAL + "NVIDIA's BERT-base SQuAD v2 checkpoint that TensorRT's demo/BERT benchmarks at sequence "
           "128 and 384. 108,893,186 parameters like HuggingFace's BertForQuestionAnswering (bert-base-uncased).")
_ref("mobilebert_uncased", "MobileBERT uncased", family="transformer", task=TEXT, spec=tokens(8, WORDPIECE),
     builder=B + "mobilebert", kwargs={}, lightweight=True,
     references=("Sun et al., MobileBERT: a Compact Task-Agnostic BERT for Resource-Limited Devices, ACL 2020",
                 "huggingface.co/google/mobilebert-uncased (config)",
                 "pytorch/executorch examples/models/mobilebert/model.py"),
     description="MobileBertModel: 128-d embeddings with trigram input → 512, 24 layers with 128-wide "
                 "bottlenecks, 4 heads, four stacked FFNs (512, ReLU), NoNorm; first-token output.",
     notes=_NOMINAL + "The ExecuTorch example (MobileBertModel, input 'Hello, my dog is cute' = 8 tokens). "
           "24,581,888 parameters like HuggingFace's MobileBertModel.")
_ref("all_minilm_l6_v2", "all-MiniLM-L6-v2 (sentence embedder)", family="transformer", task=TEXT,
     spec=tokens(128, WORDPIECE), builder=B + "text_encoder",
     kwargs=_bert(d=384, layers=6, heads=12, ff=1536, head="mean"),
     references=(_ST, "Wang et al., MiniLM, NeurIPS 2020",
                 "huggingface.co/sentence-transformers/all-MiniLM-L6-v2 (config)"),
     description="6-layer BERT of width 384 (12 heads, FFN 1536), mean pooling, L2 normalisation.",
     notes=_NOMINAL + "Also the architecture of multi-qa-MiniLM-L6-cos-v1. HuggingFace's BertModel also runs "
           "a 384×384 pooler whose output sentence-transformers ignores; it is left out (0.15 M MACs).")
_ref("all_mpnet_base_v2", "all-mpnet-base-v2 (sentence embedder)", family="transformer", task=TEXT,
     spec=tokens(128, 30527), builder=B + "text_encoder",
     kwargs={"vocab": 30527, "max_len": 514, "d": 768, "layers": 12, "heads": 12, "ff": 3072, "type_vocab": 0,
             "eps": 1e-5, "head": "mean", "relative_buckets": 32},
     references=(_ST, "Song et al., MPNet, NeurIPS 2020",
                 "huggingface.co/sentence-transformers/all-mpnet-base-v2 (config)"),
     description="MPNet-base: 12 post-norm layers of width 768, 12 heads, FFN 3072, relative position bias "
                 "(32 buckets, shared by all layers); mean pooling, L2 normalisation.",
     notes=_NOMINAL + "Also the encoder of multi-qa-mpnet-base-dot-v1 (which pools the CLS token instead). "
           "The unused pooler is left out.")
_ref("clip_vit_b32_text", "CLIP ViT-B/32 text encoder", family="transformer", task=MULTI,
     spec=tokens(77, 49408), builder=B + "clip_text_encoder", kwargs={},
     references=(*_CLIP, "huggingface.co/openai/clip-vit-base-patch32 (config)"),
     description="CLIP text tower: 12 pre-norm layers of width 512, 8 heads, MLP 2048, quick-GELU, causal "
                 "mask, 77 positions; end-of-text state projected to 512.",
     notes=_NOMINAL + "CLIPTextModelWithProjection's layers; 63,428,096 parameters.")
_ref("clip_vit_b32_image", "CLIP ViT-B/32 image encoder", family="transformer", task=MULTI, spec=image(224),
     builder=B + "vision_transformer", kwargs={"style": "clip", "patch": 32, "image_size": 224},
     references=(*_CLIP, "huggingface.co/openai/clip-vit-base-patch32 (config)"),
     description="CLIP image tower: 32×32 patches (50 tokens), pre-LayerNorm, 12 pre-norm layers of width 768, "
                 "quick-GELU; class token projected to 512.",
     notes=_NOMINAL + "CLIPVisionModelWithProjection's layers; 87,849,216 parameters.")
_ref("clip_vit_b16_image", "CLIP ViT-B/16 image encoder", family="transformer", task=MULTI, spec=image(224),
     builder=B + "vision_transformer", kwargs={"style": "clip", "patch": 16, "image_size": 224},
     references=(*_CLIP, "huggingface.co/openai/clip-vit-base-patch16 (config)"),
     description="CLIP image tower with 16×16 patches (197 tokens); otherwise as clip_vit_b32_image.",
     notes=_NOMINAL + "CLIPVisionModelWithProjection's layers; 86,192,640 parameters.")
_ref("dinov2_base", "DINOv2 ViT-B/14", family="transformer", task=CLS, spec=image(224),
     builder=B + "vision_transformer",
     kwargs={"style": "dinov2", "patch": 14, "image_size": 224, "position_grid": 37},
     references=("Oquab et al., DINOv2: Learning Robust Visual Features without Supervision, TMLR 2024",
                 "huggingface.co/facebook/dinov2-base (config)"),
     description="DINOv2 base backbone: 14×14 patches (257 tokens at 224×224), 12 pre-norm layers of width 768 "
                 "with LayerScale, GELU, MLP 3072; positions for 518×518 interpolated to the input.",
     notes=_NOMINAL + "HuggingFace Dinov2Model's layers (pooler output: the normalised class token); "
           "86,580,480 parameters.")
_ref("videomae_base_k400", "VideoMAE ViT-B/16 (Kinetics-400)", family="transformer", task=VIDEO,
     spec=clip(16, 224), builder=B + "videomae_classifier", kwargs={},
     references=("Tong et al., VideoMAE: Masked Autoencoders are Data-Efficient Learners for Self-Supervised "
                 "Video Pre-Training, NeurIPS 2022", "huggingface.co/MCG-NJU/videomae-base-finetuned-kinetics",
                 "quic/ai-hub-models qai_hub_models/models/video_mae/model.py"),
     description="2×16×16 tubelets of a 16×224×224 clip (1568 tokens), fixed sinusoidal positions, 12 pre-norm "
                 "layers of width 768 (12 heads, MLP 3072), mean pooling, LayerNorm, 400 classes.",
     notes="Qualcomm AI Hub's video_mae (VideoMAEForVideoClassification, input [1, 3, 16, 224, 224]); "
           "86,534,800 parameters.")
_WHISPER = ("Radford et al., Robust Speech Recognition via Large-Scale Weak Supervision, ICML 2023",
            "huggingface.co/openai/whisper-tiny (config)")
_MEL = InputSpec((TensorSpec("input_features", (80, 3000), ("F", "T")),))
_ref("whisper_tiny_encoder", "Whisper-tiny encoder", family="transformer", task=ASR, spec=_MEL,
     builder=B + "whisper_encoder", kwargs={}, references=_WHISPER,
     description="Whisper-tiny's audio encoder on 30 s of 80-bin log-mel (3000 frames → 1500 positions): two "
                 "Conv1d + GELU, 4 pre-norm layers of width 384 (6 heads, MLP 1536), final LayerNorm.",
     notes=_NOMINAL + "The encoder alone (react-native-executorch's Whisper encoder); 8,208,384 parameters.")
_ref("whisper_tiny_encoder_cross_kv", "Whisper-tiny encoder + cross-attention K/V", family="transformer",
     task=ASR, spec=_MEL, builder=B + "whisper_encoder", kwargs={"cross_kv_layers": 4},
     references=(*_WHISPER, "quic/ai-hub-models qai_hub_models/models/_shared/hf_whisper/model.py"),
     description="whisper_tiny_encoder plus the 4 decoder layers' cross-attention key and value projections "
                 "of its output: Qualcomm AI Hub's HfWhisperEncoder component, which returns the caches.",
     notes=_NOMINAL + "The decoder component (one token against the caches) is not built.")

# ------------------------------------------------------------------------------------------------------
# ExecuTorch benchmark examples (pytorch/executorch examples/models/*/model.py): each built with the layers of
# the library the example takes it from, at the input its get_example_inputs gives

SR = "super-resolution"
_EXECUTORCH = "pytorch/executorch examples/models/{}/model.py"
_WAVEFORM = InputSpec((TensorSpec("waveform", (1, 700), ("C", "T")),))

_ref("inception_v4", "Inception-v4", family="cnn", task=CLS, spec=image(299), builder=B + "inception_v4",
     kwargs={},
     references=("Szegedy et al., Inception-v4, Inception-ResNet and the Impact of Residual Connections on "
                 "Learning, AAAI 2017 (arXiv:1602.07261)", "huggingface/pytorch-image-models "
                 "timm/models/inception_v4.py", _EXECUTORCH.format("inception_v4")),
     description="Inception-v4 at 299×299: stem to 35×35×384, 4 Inception-A, Reduction-A, 7 Inception-B, "
                 "Reduction-B, 3 Inception-C (conv + batch norm + ReLU throughout, factorised 1×7/7×1 and "
                 "1×3/3×1 convolutions), global average pool, FC 1000.",
     notes="timm's inception_v4 (TF-slim's graph, ported weights), the ExecuTorch example ic4 at 1×3×299×299. "
           "42,679,816 parameters like timm's (42.68 M; its inception_v4.tf_in1k model card: 42.7 M parameters, "
           "12.3 GMACs at 299×299).")
_ref("edsr_r16f64_x2", "EDSR baseline ×2 (16 blocks, 64 features)", family="cnn", task=SR, spec=image(224),
     builder="archsel.zoo.builders.super_resolution:edsr",
     kwargs={"blocks": 16, "features": 64, "scale": 2, "res_scale": 1.0},
     references=("Lim et al., Enhanced Deep Residual Networks for Single Image Super-Resolution, CVPRW 2017",
                 "Coloquinte/torchSR torchsr/models/edsr.py (edsr_r16f64)", _EXECUTORCH.format("edsr")),
     description="EDSR baseline, ×2: DIV2K mean shift (fixed 1×1 conv), head conv 3→64, 16 residual blocks "
                 "(conv-ReLU-conv, no batch norm), body conv + global skip, conv 64→256 + PixelShuffle(2), tail "
                 "conv 64→3, mean shift back; RGB 3×224×224 → 3×448×448.",
     notes="torchSR's edsr_r16f64(2), the ExecuTorch example edsr at 1×3×224×224. 1,369,883 parameters like "
           "torchSR's (1,369,859 trainable and the two frozen mean-shift convolutions' 24); the paper's Table 1 "
           "gives the baseline 1.5 M, the ×4 count (two upsampling stages: 147,712 parameters more).")
_ref("wav2letter_4096", "Wav2Letter (waveform, 4096 classes)", family="cnn", task=ASR, spec=_WAVEFORM,
     builder=B + "wav2letter", kwargs={"num_classes": 4096, "input_type": "waveform", "num_features": 1},
     references=("Collobert et al., Wav2Letter: an End-to-End ConvNet-based Speech Recognition System, arXiv "
                 "2016 (arXiv:1609.03193)", "pytorch/audio torchaudio/models/wav2letter.py",
                 _EXECUTORCH.format("wav2letter")),
     description="Wav2Letter on a raw 1-channel waveform: front-end Conv1d 250 (kernel 250, stride 160), Conv1d "
                 "250 (48, stride 2), seven Conv1d 250 (7), Conv1d 2000 (32), Conv1d 2000 (1), Conv1d 4096 (1), "
                 "ReLU after each, log-softmax over 4096 classes.",
     notes="torchaudio's Wav2Letter(num_classes=4096) (input_type 'waveform', 1 feature: the ExecuTorch example "
           "w2l), timed on 10×1×700 (700 samples: 3 output frames). 34,327,346 parameters, torchaudio's "
           "module's own count (torchaudio publishes none).")

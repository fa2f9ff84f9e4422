"""Image captioning: the documents' CNN → LSTM hybrid (seed 002 hybrid CNN+RNN), Show-and-Tell style."""

from archsel.zoo.registry import register_model
from archsel.zoo.spec import InputSpec, ModelEntry, QualityFigure, TensorSpec

TASK = "image-captioning"
VOCAB, LENGTH = 10000, 20

register_model(ModelEntry(
    id="cnn_lstm_captioner", display_name="CNN-LSTM captioner (ResNet-18 → LSTM-512, Show-and-Tell style)",
    family="hybrid", tasks=(TASK,),
    inputs={TASK: InputSpec((
        TensorSpec("image", (3, 224, 224), ("C", "H", "W")),
        TensorSpec("tokens", (LENGTH,), ("L",), dtype="int64", high=VOCAB),
    ))},
    builder="archsel.zoo.builders.fusion:cnn_lstm_captioner",
    builder_kwargs={"trunk": "resnet18", "embed": 512, "hidden": 512, "vocab": VOCAB, "layers": 1},
    description=("ResNet-18 trunk (pooled 512-d) → linear image embedding (512) as the first LSTM input, "
                 "then teacher-forced caption tokens (embedding 512, vocabulary 10,000, 20 tokens) → 1-layer "
                 "LSTM (512) → vocabulary logits [N, 20, 10000]."),
    notes=("Show-and-Tell layout (image fed once, at step −1) with a ResNet-18 instead of the paper's "
           "Inception encoder. The default input is one teacher-forced training/scoring pass over a 20-token "
           "caption; generating a caption runs the LSTM step by step (beam search is not modelled). The quoted "
           "BLEU-4 is the paper's, with its Inception encoder."),
    quality=(QualityFigure(
        "BLEU-4", 27.7, "MS COCO (the paper's test split)",
        paper="Vinyals, Toshev, Bengio & Erhan, Show and Tell: A Neural Image Caption Generator, CVPR 2015 "
              "(arXiv:1411.4555)",
        table="abstract ('on the newly released COCO dataset, we achieve a BLEU-4 of 27.7') and the paper's COCO "
              "results",
        url="https://paperswithcode.com/paper/show-and-tell-a-neural-image-caption/review/",
        split="captions generated with beam search",
        config_note="paper: an ImageNet-pretrained Inception (GoogLeNet-family) encoder; ours: a ResNet-18 trunk "
                    "with the same image-first LSTM decoder (512), a 10,000-word vocabulary and one "
                    "teacher-forced 20-token pass as the default input"),),
    references=("Vinyals et al., Show and Tell: A Neural Image Caption Generator, CVPR 2015",
                "He et al., Deep Residual Learning for Image Recognition, CVPR 2016"),
))

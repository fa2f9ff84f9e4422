"""OCR: seed 004's CRNN text-line recogniser."""

from archsel.zoo.registry import register_model
from archsel.zoo.spec import InputSpec, ModelEntry, TensorSpec

TASK = "ocr"

# Quality unknown on purpose: Shi et al.'s scene-text accuracies (SVT 80.8, IC13 86.7, lexicon-free) are for the
# 7-layer VGG + 2 × BiLSTM-256 + CTC network trained on Synth90k; this is seed 004's 2-conv, no-pooling sketch
# with a single 39-way label, a different model.
register_model(ModelEntry(
    id="crnn", display_name="CRNN (seed 004 example)", family="hybrid", tasks=(TASK,),
    inputs={TASK: InputSpec((TensorSpec("image", (1, 32, 128), ("C", "H", "W")),))},
    builder="archsel.zoo.builders.ocr:crnn",
    description="Seed 004 §5.2's CRNN: conv 1→32 (3×3) → BN → ReLU → conv 32→64 → BN → ReLU → BiLSTM(64·32 "
                "→ 128 per direction) over the 128 image columns → Linear(256, 39) on the last step.",
    notes="The document's code as written has an undefined feat_dim, a no-op squeeze(2) and a "
          "sequence-first LSTM; we read feat_dim as the image height (32), run the BiLSTM batch-first over "
          "the width, and keep its fc(x[:, -1]) (one 39-way label per image). builder kwarg per_step=True "
          "gives per-column logits for CTC, as Shi et al.'s CRNN does. No pooling, unlike Shi et al.: the "
          "LSTM input is 2048 wide.",
    lightweight=True,
    references=("Seed document 004_2b445ed29071d386.txt §5.2",
                "Shi et al., An End-to-End Trainable Neural Network for Image-based Sequence Recognition, "
                "TPAMI 2017"),
))

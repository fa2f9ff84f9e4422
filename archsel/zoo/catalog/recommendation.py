"""Recommendation / CTR prediction: Wide & Deep and TabNet (seed 004's recommended and alternative)."""

from archsel.zoo.registry import register_model
from archsel.zoo.spec import InputSpec, ModelEntry, QualityFigure, TensorSpec

TASK = "recommendation"
B = "archsel.zoo.builders.tabular:"

register_model(ModelEntry(
    id="wide_and_deep", display_name="Wide & Deep", family="tabular", tasks=(TASK,),
    inputs={TASK: InputSpec((TensorSpec("sparse_ids", (26,), ("fields",), dtype="int64", high=100_000),
                             TensorSpec("dense", (13,), ("features",))))},
    builder=B + "wide_and_deep",
    description="Criteo layout: 26 categorical fields, each hashed to 100,000 ids, and 13 dense features. "
                "Wide: linear weights over the ids, the 325 pairwise field crosses (hashed to 1 M buckets) "
                "and the dense features. Deep: 16-d embeddings (26·16 + 13 = 429) → MLP 1024-512-256 → 1. "
                "Sum → CTR logit.",
    notes="Seed 004's recommended recommender ('feature crosses'). The paper crossed hand-picked app "
          "features; crossing all field pairs by hashing is our stand-in. 46.3 M parameters, almost all in "
          "embedding tables (memory-bound lookups, few MACs). The paper's own evaluation is on Google Play "
          "data; the quoted AUC is an open benchmark's Wide & Deep on Criteo.",
    quality=(QualityFigure(
        "AUC", 0.8138, "Criteo_x1 test (BARS)",
        paper="Zhu, Liu, Yang, Zhang & He, Open Benchmarking for Click-Through Rate Prediction, CIKM 2021 (the "
              "BARS benchmark, FuxiCTR 1.1.0)",
        table="WideDeep_criteo_x1 results table, average of 5 runs (AUC 0.813822, logloss 0.438046)",
        url="https://github.com/reczoo/BARS/blob/main/ranking/ctr/WideDeep/WideDeep_criteo_x1/README.md",
        split="Criteo_x1: the BARS split of Criteo's display-ads data (33.0 M train / 8.25 M validation / "
              "4.59 M test rows), all 13 numeric and 26 categorical fields",
        config_note="benchmark model: wide part is logistic regression on the raw features (no crosses), 10-d "
                    "embeddings, MLP 400-400-400 with batch norm; ours: wide part adds 325 hashed pairwise field "
                    "crosses, 16-d embeddings hashed to 100,000 ids a field, MLP 1024-512-256"),),
    references=("Cheng et al., Wide & Deep Learning for Recommender Systems, DLRS 2016",),
))

# Quality unknown on purpose: TabNet's published figures are multi-class accuracy on Forest Cover Type (96.99),
# Poker Hand (99.2) etc., another task and metric than CTR prediction; quoted here they would be scored as
# "best of their kind" next to Wide & Deep's Criteo AUC. No Criteo figure for TabNet was found.
register_model(ModelEntry(
    id="tabnet_style", display_name="TabNet", family="tabular", tasks=(TASK,),
    inputs={TASK: InputSpec((TensorSpec("features", (39,), ("features",)),))},
    builder=B + "tabnet_style",
    description="TabNet encoder on 39 numeric features (Criteo's 13 dense + 26 categorical as numeric "
                "codes): N_d = N_a = 64, 5 decision steps, γ = 1.5, feature transformer of 2 shared + 2 "
                "step-specific GLU layers, attentive transformer with sparsemax masks and prior scales → 1 "
                "logit.",
    notes="Seed 004's alternative recommender. Faithful sparsemax (sort-based, no approximation). "
          "Simplifications: plain BatchNorm instead of ghost batch norm (identical at inference), no "
          "categorical embedding layer, no decoder (self-supervised pre-training) part, and the sparsity "
          "regulariser is a training loss, not part of the model. Configuration sizes follow the paper's "
          "Forest Cover Type setting; Criteo was not a TabNet benchmark, so no quality figure is quoted.",
    references=("Arik & Pfister, TabNet: Attentive Interpretable Tabular Learning, AAAI 2021",),
))

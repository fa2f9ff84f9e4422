"""Text: classification, translation, sequence labelling and generation (token ids [N, L] int64)."""

from archsel.zoo.catalog._helpers import tokens
from archsel.zoo.registry import register_model
from archsel.zoo.spec import InputSpec, ModelEntry, QualityFigure, TensorSpec

CLS = "text-classification"
MT = "machine-translation"
TAG = "sequence-labeling"
GEN = "text-generation"
B = "archsel.zoo.builders.text:"
WMT14 = "WMT14 En-De newstest2014"  # both translators' figures: one metric and data set, so scoring compares them


def _src_tgt(length: int, vocab: int) -> InputSpec:
    """Source and (shifted) target token ids for a teacher-forced translator."""
    return InputSpec((TensorSpec("src", (length,), ("L",), dtype="int64", high=vocab),
                      TensorSpec("tgt", (length,), ("L",), dtype="int64", high=vocab)))


register_model(ModelEntry(
    id="gru_text_classifier", display_name="GRU text classifier (seed 001)", family="rnn", tasks=(CLS,),
    inputs={CLS: tokens(256, 10000)}, builder=B + "gru_text_classifier",
    description="Seed 001's RNNClassifier: Embedding(10000, 128) → GRU(128, 256) → Linear(256, 2) on the "
                "last hidden state.",
    notes="The code is the document's, line for line; the document names no sizes, so vocabulary 10k, "
          "embedding 128, hidden 256 and 2 classes (sentiment) are our choice. Unidirectional: can consume "
          "tokens as they arrive.",
    lightweight=True, streaming=True,
    references=("Cho et al., Learning Phrase Representations using RNN Encoder-Decoder, EMNLP 2014",),
))

register_model(ModelEntry(
    id="text_cnn", display_name="TextCNN (Kim 2014)", family="cnn", tasks=(CLS,),
    inputs={CLS: tokens(256, 20000)}, builder=B + "text_cnn",
    description="Embedding 300 → Conv1d widths 3/4/5 × 100 maps → ReLU → max over time → dropout 0.5 → "
                "Linear.",
    quality=(QualityFigure(
        "accuracy %", 88.1, "SST-2 test",
        paper="Kim, Convolutional Neural Networks for Sentence Classification, EMNLP 2014 (arXiv:1408.5882)",
        table="Table 2, CNN-multichannel row, SST-2 column (via the paper's Papers-with-Code results)",
        url="https://paperswithcode2.com/paper/44158",
        split="binary Stanford Sentiment Treebank, test set; word2vec-initialised embeddings",
        config_note="paper's best SST-2 row uses two embedding channels (static + fine-tuned word2vec); ours has "
                    "one 300-d channel (the paper's CNN-rand/static/non-static layout; a replication of Kim's "
                    "setup gets 83.5 / 85.6 / 87.0 for those, harvardnlp/sent-conv-torch README), a 20k "
                    "vocabulary and 256-token inputs"),),
    notes="Vocabulary 20k and 2 classes are our choice (Kim used word2vec vocabularies per data set). Max "
          "over the whole text: not streaming.",
    references=("Kim, Convolutional Neural Networks for Sentence Classification, EMNLP 2014",),
))

register_model(ModelEntry(
    id="transformer_text_classifier", display_name="Transformer encoder classifier", family="transformer",
    tasks=(CLS,), inputs={CLS: tokens(256, 30000)}, builder=B + "transformer_text_classifier",
    description="Token + learned position embeddings, 4-layer nn.TransformerEncoder (d=256, 4 heads, ff "
                "1024, post-norm, GELU), mean pooling, Linear to 2 classes; 30k vocabulary.",
    notes="A small BERT-like encoder trained from scratch (no pre-training implied); uses "
          "nn.TransformerEncoder so PyTorch's fused inference fast path applies in eval.",
    references=("Vaswani et al., Attention Is All You Need, NeurIPS 2017",
                "Devlin et al., BERT, NAACL 2019"),
))

register_model(ModelEntry(
    id="transformer_seq2seq", display_name="Transformer-base (Vaswani 2017)", family="transformer",
    tasks=(MT,), inputs={MT: _src_tgt(64, 32000)}, builder=B + "transformer_seq2seq",
    description="nn.Transformer: 6 encoder + 6 decoder layers, d=512, 8 heads, ff 2048, sinusoidal "
                "positions; one 32k-token embedding shared by source, target and the output projection.",
    notes="The paper's base model used a shared ~37k BPE vocabulary (EN-DE) and reports 65 M parameters; "
          "with a shared 32k vocabulary this build has 60.5 M. The decoder is teacher-forced with a causal "
          "mask: one call scores all target positions in parallel (the training/scoring cost); incremental "
          "decoding with a KV cache spends about the same multiply-adds spread over L steps. The quoted BLEU "
          "is the paper's base model with its own vocabulary and training recipe.",
    quality=(QualityFigure(
        "BLEU", 27.3, WMT14,
        paper="Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser & Polosukhin, Attention Is All You "
              "Need, NeurIPS 2017 (arXiv:1706.03762)",
        table="Table 2, 'Transformer (base model)' row, EN-DE column (table text seen in stored copies of the "
              "paper)",
        url="https://arxiv.org/abs/1706.03762",
        split="English→German, trained on WMT 2014 (about 4.5 M sentence pairs), single model",
        config_note="same layer sizes (6 + 6 layers, d=512, 8 heads, ff 2048); the paper shares a ~37k BPE "
                    "vocabulary (65 M parameters), ours a 32k one (60.5 M)"),),
    references=("Vaswani et al., Attention Is All You Need, NeurIPS 2017",),
))

register_model(ModelEntry(
    id="lstm_seq2seq_attention", display_name="LSTM seq2seq + Luong attention", family="rnn", tasks=(MT,),
    inputs={MT: _src_tgt(64, 32000)}, builder=B + "lstm_seq2seq_attention",
    description="Embeddings 512 (separate 32k source and target vocabularies) → 2-layer BiLSTM encoder (256 "
                "per direction) → 2-layer LSTM 512 decoder → global attention (general score) → Linear to "
                "32k.",
    notes="Seed 004's alternative for translation ('RNN + Attention'); OpenNMT-py's default RNN layout. The "
          "decoder is teacher-forced (previous target tokens in, all steps at once) and has no input "
          "feeding, so there is no data-dependent loop. Bidirectional encoder: not streaming.",
    quality=(QualityFigure(
        "BLEU", 16.8, WMT14,
        paper="Luong, Pham & Manning, Effective Approaches to Attention-based Neural Machine Translation, EMNLP "
              "2015 (arXiv:1508.04025)",
        table="Table 1, 'Base + reverse + dropout + global attention (location)' row (ppl 7.3; table text seen "
              "in stored copies of the paper)",
        url="https://arxiv.org/abs/1508.04025",
        split="English→German, trained on WMT'14 (4.5 M sentence pairs), tokenized BLEU (multi-bleu.perl), "
              "single model, no input feeding, no unknown-word replacement",
        config_note="paper: 4-layer unidirectional LSTM encoder and decoder, 1000 cells, 1000-d embeddings, "
                    "50k-word vocabularies, reversed source, location-based attention score; ours: 2-layer "
                    "BiLSTM encoder (256 per direction), 2-layer LSTM 512 decoder, general score, 32k "
                    "vocabularies. Neither has input feeding (the paper's next row, with it, is 18.1)"),),
    references=("Bahdanau et al., Neural Machine Translation by Jointly Learning to Align and Translate, "
                "ICLR 2015",
                "Luong et al., Effective Approaches to Attention-based Neural Machine Translation, EMNLP "
                "2015"),
))

# Quality unknown on purpose: the published CoNLL-2003 figures (Lample et al. 90.94 F1, Huang et al. 90.1) are for
# BiLSTM-CRF models with character features and pre-trained embeddings; no figure for a word-level BiLSTM with a
# softmax output (this model) was found in stored text.
register_model(ModelEntry(
    id="bilstm_tagger", display_name="BiLSTM tagger (NER/POS)", family="rnn", tasks=(TAG,),
    inputs={TAG: tokens(64, 20000)}, builder=B + "bilstm_tagger",
    description="Word embedding 100 → 1 BiLSTM layer, 100 cells per direction → Linear to 9 BIO tags "
                "(CoNLL-2003).",
    notes="Lample et al.'s word-level BiLSTM without the CRF output layer and without character-level "
          "features (per-token softmax instead). Bidirectional: not streaming.",
    lightweight=True,
    references=("Lample et al., Neural Architectures for Named Entity Recognition, NAACL 2016",
                "Huang et al., Bidirectional LSTM-CRF Models for Sequence Tagging, 2015"),
))

# Seed 004 §3: the RNN-family text-generation comparison. Its data set and hardware are unnamed.
_SEED004_SOURCE = "seed 004 §3 table (document's own figures, data set unnamed)"
_SEED004_DATA = "unspecified (as stated in seed 004)"
_SEED004 = {
    "paper": "Seed document 004_2b445ed29071d386.txt (five milestone architectures), the project's source document",
    "table": "§3.2 性能对比实验 (text-generation comparison): BLEU and 训练速度 (step/s) rows",
    "url": "shared/seeds/004_2b445ed29071d386.txt",
    "split": "data set, training and hardware not stated by the document",
    "config_note": "the document gives only parameter counts: vocabulary 2000, embedding 240 and hidden 256 are our "
                   "choice (counts within 7% of its figures), so the figures are the document's own, unverifiable",
}
_LM_TABLE = (
    # id, display, cell, bidirectional, BLEU, steps/s, document params (M)
    ("rnn_lm", "Vanilla RNN LM", "rnn", False, 12.4, 8200, 1.2),
    ("gru_lm", "GRU LM", "gru", False, 13.1, 7800, 1.3),
    ("lstm_lm", "LSTM LM", "lstm", False, 14.7, 6900, 1.6),
    ("bilstm_lm", "BiLSTM LM", "lstm", True, 15.8, 6500, 2.4),
)
for _id, _name, _cell, _bi, _bleu, _steps, _mparams in _LM_TABLE:
    register_model(ModelEntry(
        id=_id, display_name=_name, family="rnn", tasks=(GEN,), inputs={GEN: tokens(128, 2000)},
        builder=B + "recurrent_lm", builder_kwargs={"cell": _cell, "bidirectional": _bi},
        description=f"Embedding(2000, 240) → one {'bidirectional ' if _bi else ''}{_cell.upper()} layer of "
                    f"256 → Linear to 2000 next-token logits (seed 004 lists {_mparams} M parameters).",
        quality=(QualityFigure("BLEU", _bleu, _SEED004_DATA, _SEED004_SOURCE, **_SEED004),
                 QualityFigure("training speed (step/s, hardware unstated)", _steps, _SEED004_DATA,
                               _SEED004_SOURCE, **_SEED004)),
        notes="One of the four models of seed 004's text-generation comparison. The document gives only "
              "parameter counts, so all four share vocabulary 2000, embedding 240, hidden 256, chosen to "
              "bring the counts within 7% of its 1.2/1.3/1.6/2.4 M (exact agreement is impossible with one "
              "shared size: its GRU-to-LSTM gap is too large for the gate formulas). BLEU and step/s are the "
              "document's own, unverifiable figures."
              + (" A bidirectional LM sees future tokens: it can score or fill in text but cannot generate "
                 "left to right, and is not streaming." if _bi
                 else " Unidirectional: generates token by token."),
        lightweight=True, streaming=not _bi,
        references=("Seed document 004_2b445ed29071d386.txt §3.2",
                    "Mikolov et al., Recurrent Neural Network Based Language Model, Interspeech 2010"),
    ))

register_model(ModelEntry(
    id="transformer_lm", display_name="GPT-2 small (decoder-only Transformer)", family="transformer",
    tasks=(GEN,), inputs={GEN: tokens(128, 50257)}, builder=B + "transformer_lm",
    description="12 pre-norm decoder blocks (d=768, 12 heads, ff 3072, GELU) with a causal mask, learned "
                "positions (1024), final LayerNorm, output tied to the 50257-token BPE embedding: 124.4 M "
                "params.",
    notes="Seed 001's 'text generation → Transformer'. GPT-2 small's configuration written with "
          "nn.TransformerEncoder layers and a causal mask (parameter count equals the released GPT-2 small, "
          "124,439,808); default input is 128 tokens to match the RNN LMs. Token-by-token generation needs "
          "a KV cache whose cost grows with the context, so it is not marked streaming.",
    quality=(QualityFigure(
        "perplexity", 37.50, "WikiText-103 test (zero-shot)",
        paper="Radford, Wu, Child, Luan, Amodei & Sutskever, Language Models are Unsupervised Multitask Learners, "
              "OpenAI 2019",
        table="Table 3 (zero-shot results), '117M' row, WikiText103 (PPL) column (table text seen in stored "
              "copies of the report)",
        url="https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf",
        split="trained on WebText only (no fine-tuning on WikiText-103), 1024-token context, the paper's "
              "invertible de-tokenizers",
        config_note="same configuration (12 layers, d=768, 124.4 M parameters; the paper labels it 117M) written "
                    "with nn.TransformerEncoder layers; the figure is at a 1024-token context, our default input "
                    "is 128 tokens (a shorter context gives a higher perplexity)"),),
    references=("Radford et al., Language Models are Unsupervised Multitask Learners, 2019",
                "Vaswani et al., Attention Is All You Need, NeurIPS 2017"),
))

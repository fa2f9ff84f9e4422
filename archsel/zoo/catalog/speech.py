"""Speech recognition (log-mel features [N, T, 80], 10 ms hop) and audio classification (spectrogram CNN)."""

from archsel.zoo.catalog._helpers import sequence
from archsel.zoo.registry import register_model
from archsel.zoo.spec import InputSpec, ModelEntry, QualityFigure, TensorSpec

ASR = "speech-recognition"
AUDIO = "audio-classification"
B = "archsel.zoo.builders.speech:"
FEATS = sequence(1000, 80, name="log_mel")  # 10 s at a 10 ms hop, 80 mel bins
CTC_VOCAB = "29 CTC symbols (blank, 26 letters, space, apostrophe)"
WER = "WER %"

_CONFORMER = dict(
    paper="Gulati, Qin, Chiu, Parmar, Zhang, Yu, Han, Wang, Zhang, Wu & Pang, Conformer: Convolution-augmented "
          "Transformer for Speech Recognition, Interspeech 2020 (arXiv:2005.08100)",
    table="abstract: '2.7%/6.3% with a small model of only 10M parameters' (test / testother, no language "
          "model), the Conformer (S) of Table 2 (the table's text itself was not seen)",
    url="https://studylib.net/doc/27166357/2005.08100",
    split="trained on LibriSpeech 960 h, no external language model",
    config_note="paper: Conformer (S) encoder with relative positional encoding and a single-layer LSTM "
                "transducer (RNN-T) decoder, 10.3 M parameters; ours: an encoder of the same size (16 blocks, "
                "d=144, 4 heads) with absolute sinusoidal positions and a CTC linear head, 8.36 M. A CTC head is "
                "usually less accurate than a transducer, so expect a higher WER than published",
)

register_model(ModelEntry(
    id="lstm_ctc_asr", display_name="BiLSTM-CTC acoustic model", family="rnn", tasks=(ASR,),
    inputs={ASR: FEATS}, builder=B + "lstm_ctc_asr",
    description="Frames stacked ×3 (240 features every 30 ms) → 4 BiLSTM layers, 320 cells per direction → "
                f"logits over {CTC_VOCAB} per 30 ms step.",
    quality=(QualityFigure(
        WER, 9.07, "WSJ eval92",
        paper="Miao, Gowayyed & Metze, EESEN: End-to-End Speech Recognition using Deep RNN Models and WFST-based "
              "Decoding, ASRU 2015 (arXiv:1507.08240)",
        table="WSJ results, character-based CTC system with the standard trigram LM (listed with the paper in "
              "the end2endASR_ranking WSJ-SI284 table; the paper's table text itself was not seen)",
        url="https://github.com/hirofumi0810/end2endASR_ranking/blob/HEAD/wsj.md",
        split="trained on WSJ SI-284; WFST decoding with a lexicon and a trigram language model (7.34 with an "
              "expanded-vocabulary LM)",
        config_note="paper: 4 × 320 BiLSTM over every 10 ms frame, character CTC; ours: the same 4 × 320 "
                    "BiLSTM on 80 log-mel bins stacked ×3 (30 ms steps, after Sak et al.) and 29 symbols. The WER "
                    "includes the paper's WFST lexicon + LM decoding, which is not part of the model"),),
    notes="EESEN's 4 × 320 BiLSTM with the low-frame-rate input of Sak et al. 2015 (stacking cuts the "
          "recurrent steps, and the cost, by 3). Bidirectional, so it needs the whole utterance: not "
          "streaming.",
    references=("Graves & Jaitly, Towards End-to-End Speech Recognition with RNNs, ICML 2014",
                "Miao et al., EESEN: End-to-End Speech Recognition using Deep RNN Models and WFST-based "
                "Decoding, ASRU 2015",
                "Sak et al., Fast and Accurate Recurrent Neural Network Acoustic Models for Speech "
                "Recognition, Interspeech 2015"),
))

# Quality unknown on purpose: Listen, Attend and Spell's only figures (14.1 / 10.3 WER) are on Google's proprietary
# voice-search data with an LSTM listener/speller; they say nothing about this GRU model on a public corpus.
register_model(ModelEntry(
    id="gru_attention_asr", display_name="GRU encoder-decoder with attention (LAS-style)", family="rnn",
    tasks=(ASR,),
    inputs={ASR: InputSpec((FEATS.tensors[0],
                            TensorSpec("prev_tokens", (150,), ("U",), dtype="int64", high=29)))},
    builder=B + "gru_attention_asr",
    description="Encoder: frames stacked ×4 (40 ms steps) → 3 × BiGRU 256. Decoder: embedding 128 → GRU 512 "
                f"→ Luong global attention (general score) → logits over {CTC_VOCAB[3:]} for U=150 "
                "characters.",
    notes="Seed 000's 'RNN (LSTM/GRU) + Attention' for speech. The decoder is teacher-forced: it takes the "
          "previous characters [N, U] and scores all U steps at once (the cost of one full greedy decode, "
          "without its data-dependent loop); no input feeding. Encoder is bidirectional: not streaming.",
    references=("Chan et al., Listen, Attend and Spell, ICASSP 2016",
                "Luong et al., Effective Approaches to Attention-based Neural Machine Translation, EMNLP "
                "2015"),
))

# Quality unknown on purpose: the DS2 paper's LibriSpeech figure (5.33 WER test-clean) is for an 11-layer model
# trained on ~12,000 h of in-house speech with an LM, far from this 2-conv + 5-BiLSTM layout on LibriSpeech alone;
# no published benchmark of this deepspeech.pytorch layout (5 × 1024 BiLSTM) was found in stored text.
register_model(ModelEntry(
    id="deepspeech2", display_name="DeepSpeech2 (CNN + BiLSTM)", family="hybrid", tasks=(ASR,),
    inputs={ASR: FEATS}, builder=B + "deepspeech2",
    description="2 conv layers (32 × 41×11 stride 2×2, 32 × 21×11 stride 2×1, BN, clipped ReLU) → 5 BiLSTM "
                f"layers of 1024 (directions summed) → BN → FC to {CTC_VOCAB}; output at 20 ms steps.",
    notes="Seed 004's recommended 'CNN + BiLSTM' for speech. Layout of deepspeech.pytorch (SeanNaren) on 80 "
          "log-mel bins instead of a 161-bin linear spectrogram; the DS2 paper mostly used GRUs. No "
          "lookahead convolution (that belongs to the unidirectional variant). Not streaming.",
    references=("Amodei et al., Deep Speech 2: End-to-End Speech Recognition in English and Mandarin, "
                "ICML 2016",),
))

register_model(ModelEntry(
    id="conformer_asr", display_name="Conformer-S (CTC)", family="transformer", tasks=(ASR,), inputs={ASR: FEATS},
    builder=B + "conformer_asr",
    description="Conv2d subsampling ×4 → 16 Conformer blocks (d=144, 4 heads, FFN 576, depthwise conv "
                f"kernel 31) → linear CTC head over {CTC_VOCAB}.",
    quality=(QualityFigure(WER, 2.7, "LibriSpeech test-clean", **_CONFORMER),
             QualityFigure(WER, 6.3, "LibriSpeech test-other", **_CONFORMER)),
    notes="Seed 004's alternative for speech. Written with nn.MultiheadAttention and ABSOLUTE sinusoidal "
          "positions instead of the paper's relative (Transformer-XL) positional encoding, and a CTC linear "
          "head instead of the paper's single-layer LSTM transducer decoder: 8.36 M parameters against the "
          "paper's 10.3 M. The quoted WERs are the paper's Conformer (S) with its transducer decoder: a best "
          "case for this CTC variant, not its own figure. Full-context attention: not streaming.",
    references=("Gulati et al., Conformer: Convolution-augmented Transformer for Speech Recognition, "
                "Interspeech 2020",),
))

# Quality unknown: an archsel-sized streaming model (3 × GRU 256); no publication measured this configuration.
register_model(ModelEntry(
    id="streaming_gru_asr", display_name="Streaming GRU-CTC", family="rnn", tasks=(ASR,),
    inputs={ASR: FEATS}, builder=B + "streaming_gru_asr",
    description="Frames stacked ×3 (30 ms steps) → 3 unidirectional GRU layers of 256 → logits over "
                f"{CTC_VOCAB}; about 1.18 M parameters.",
    notes="Causal: every 30 ms the state is updated once, so it decodes while audio arrives (smart "
          "speakers, on-device dictation; seed 000 [四]). No lookahead, so it is less accurate than "
          "bidirectional models.",
    lightweight=True, streaming=True,
    references=("Graves & Jaitly, Towards End-to-End Speech Recognition with RNNs, ICML 2014",
                "Cho et al., Learning Phrase Representations using RNN Encoder-Decoder, EMNLP 2014",
                "Sak et al., Fast and Accurate Recurrent Neural Network Acoustic Models for Speech "
                "Recognition, Interspeech 2015"),
))

register_model(ModelEntry(
    id="audio_cnn", display_name="CNN10 (PANNs-style spectrogram CNN)", family="cnn", tasks=(AUDIO,),
    inputs={AUDIO: InputSpec((TensorSpec("log_mel", (1, 64, 1000), ("C", "mel", "T")),))},
    builder=B + "audio_cnn",
    description="4 VGG blocks (two 3×3 conv + BN + ReLU, 2×2 avg-pool; widths 64-128-256-512), mean over "
                "mel, max+mean over time, FC 512, FC to 527 AudioSet classes.",
    quality=(QualityFigure(
        "mAP", 0.380, "AudioSet evaluation set (527 classes)",
        paper="Kong, Cao, Iqbal, Wang, Wang & Plumbley, PANNs: Large-Scale Pretrained Audio Neural Networks for "
              "Audio Pattern Recognition, IEEE/ACM TASLP 2020 (arXiv:1912.10211)",
        table="AudioSet tagging comparison of CNN6/CNN10/CNN14, CNN10 row; the figure of the authors' released "
              "checkpoint Cnn10_mAP=0.380.pth (zenodo.org/record/3987831), quoted by the PaddleHub panns_cnn10 "
              "model card (the paper's table text itself was not seen)",
        url="https://github.com/PaddlePaddle/PaddleHub/blob/develop/modules/audio/audio_classification/PANNs/cnn10/"
            "README.md",
        split="trained on full AudioSet (balanced sampling, mixup); 32 kHz audio, 64 mel bins",
        config_note="same CNN10 layout (4 VGG blocks 64-128-256-512, FC 512, 527 classes); ours takes a 64-bin "
                    "log-mel input laid out [mel, time] and leaves out the PANNs waveform front end (STFT, mel "
                    "filterbank)"),),
    notes="Seed 001's 'audio classification / music retrieval on spectrograms → CNN'. CNN10 layout of PANNs "
          "with the input laid out [mel, time] (the 3×3 kernels and 2×2 pools are symmetric, so the cost is "
          "the same); the PANNs waveform front end (STFT, mel filterbank) is not part of the model. 5.2 M "
          "parameters but 13.0 GMACs for 10 s of audio, so it is not marked lightweight.",
    references=("Kong et al., PANNs: Large-Scale Pretrained Audio Neural Networks for Audio Pattern "
                "Recognition, IEEE/ACM TASLP 2020",),
))

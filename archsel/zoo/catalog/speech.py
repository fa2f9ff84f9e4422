"""Speech recognition (log-mel features [N, T, 80], 10 ms hop) and audio classification (spectrogram CNN)."""

from archsel.zoo.catalog._helpers import sequence
from archsel.zoo.registry import register_model
from archsel.zoo.spec import InputSpec, ModelEntry, TensorSpec

ASR = "speech-recognition"
AUDIO = "audio-classification"
B = "archsel.zoo.builders.speech:"
FEATS = sequence(1000, 80, name="log_mel")  # 10 s at a 10 ms hop, 80 mel bins
CTC_VOCAB = "29 CTC symbols (blank, 26 letters, space, apostrophe)"

register_model(ModelEntry(
    id="lstm_ctc_asr", display_name="BiLSTM-CTC acoustic model", family="rnn", tasks=(ASR,),
    inputs={ASR: FEATS}, builder=B + "lstm_ctc_asr",
    description="Frames stacked ×3 (240 features every 30 ms) → 4 BiLSTM layers, 320 cells per direction → "
                f"logits over {CTC_VOCAB} per 30 ms step.",
    notes="EESEN's 4 × 320 BiLSTM with the low-frame-rate input of Sak et al. 2015 (stacking cuts the "
          "recurrent steps, and the cost, by 3). Bidirectional, so it needs the whole utterance: not "
          "streaming.",
    references=("Graves & Jaitly, Towards End-to-End Speech Recognition with RNNs, ICML 2014",
                "Miao et al., EESEN: End-to-End Speech Recognition using Deep RNN Models and WFST-based "
                "Decoding, ASRU 2015",
                "Sak et al., Fast and Accurate Recurrent Neural Network Acoustic Models for Speech "
                "Recognition, Interspeech 2015"),
))

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
    id="conformer_asr", display_name="Conformer-S (CTC)", family="hybrid", tasks=(ASR,), inputs={ASR: FEATS},
    builder=B + "conformer_asr",
    description="Conv2d subsampling ×4 → 16 Conformer blocks (d=144, 4 heads, FFN 576, depthwise conv "
                f"kernel 31) → linear CTC head over {CTC_VOCAB}.",
    notes="Seed 004's alternative for speech. Written with nn.MultiheadAttention and ABSOLUTE sinusoidal "
          "positions instead of the paper's relative (Transformer-XL) positional encoding, and a CTC linear "
          "head instead of the paper's single-layer LSTM transducer decoder: 8.36 M parameters against the "
          "paper's 10.3 M, so the paper's WERs are not quoted. Full-context attention: not streaming.",
    references=("Gulati et al., Conformer: Convolution-augmented Transformer for Speech Recognition, "
                "Interspeech 2020",),
))

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
    notes="Seed 001's 'audio classification / music retrieval on spectrograms → CNN'. CNN10 layout of PANNs "
          "with the input laid out [mel, time] (the 3×3 kernels and 2×2 pools are symmetric, so the cost is "
          "the same); the PANNs waveform front end (STFT, mel filterbank) is not part of the model. 5.2 M "
          "parameters but 13.0 GMACs for 10 s of audio, so it is not marked lightweight.",
    references=("Kong et al., PANNs: Large-Scale Pretrained Audio Neural Networks for Audio Pattern "
                "Recognition, IEEE/ACM TASLP 2020",),
))

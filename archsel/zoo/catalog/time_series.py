"""Time-series forecasting: look-back window [N, T=96, F=7] (ETT-like) → forecast [N, 24, 7]."""

from archsel.zoo.catalog._helpers import sequence
from archsel.zoo.registry import register_model
from archsel.zoo.spec import ModelEntry

TASK = "time-series-forecasting"
B = "archsel.zoo.builders.time_series:"
WINDOW = {TASK: sequence(96, 7)}  # 96 past steps of 7 variables (ETT: 6 loads + oil temperature)
OUT = "forecast of 24 steps × 7 variables"

register_model(ModelEntry(
    id="lstm_forecaster", display_name="LSTM forecaster", family="rnn", tasks=(TASK,), inputs=WINDOW,
    builder=B + "lstm_forecaster",
    description=f"2-layer LSTM, 128 units; last hidden state → Linear to a {OUT}.",
    notes="Direct multi-step head (all 24 steps at once), not autoregressive. Unidirectional: the state can "
          "be updated as each new observation arrives.",
    lightweight=True, streaming=True,
    references=("Hochreiter & Schmidhuber, Long Short-Term Memory, Neural Computation 1997",),
))

register_model(ModelEntry(
    id="gru_forecaster", display_name="GRU forecaster", family="rnn", tasks=(TASK,), inputs=WINDOW,
    builder=B + "gru_forecaster",
    description=f"2-layer GRU, 128 units; last hidden state → Linear to a {OUT}.",
    notes="Direct multi-step head. Unidirectional: streamable.",
    lightweight=True, streaming=True,
    references=("Cho et al., Learning Phrase Representations using RNN Encoder-Decoder, EMNLP 2014",),
))

register_model(ModelEntry(
    id="cnn_lstm_forecaster", display_name="CNN-LSTM forecaster", family="hybrid", tasks=(TASK,),
    inputs=WINDOW, builder=B + "cnn_lstm_forecaster",
    description="Two causal Conv1d layers (kernel 3, 64 channels, ReLU) → 2-layer LSTM 128 → Linear to a "
                f"{OUT}.",
    notes="Seed 000's 'RNN/LSTM + CNN features' for time series. The convolutions are left-padded (causal), "
          "so the whole model stays streamable.",
    lightweight=True, streaming=True,
))

register_model(ModelEntry(
    id="lstm_attention_forecaster", display_name="LSTM + attention forecaster", family="rnn", tasks=(TASK,),
    inputs=WINDOW, builder=B + "lstm_attention_forecaster",
    description=f"2-layer LSTM 128 → additive attention pooling over the 96 steps → Linear to a {OUT}.",
    notes="Seed 004's conclusion 'time series → LSTM + attention'. The attention re-weights the whole "
          "window at every forecast, so it is not marked streaming (the LSTM part is).",
    lightweight=True,
    references=("Bahdanau et al., Neural Machine Translation by Jointly Learning to Align and Translate, "
                "ICLR 2015",),
))

# Quality unknown on purpose: Bai et al.'s TCN figures are sequence-modelling benchmarks (sequential MNIST 99.0,
# word-level PTB perplexity 88.68, ...), not forecasting; no ETT figure for a TCN was found. The other forecasters
# here are archsel-sized and have no published figure either.
register_model(ModelEntry(
    id="tcn_forecaster", display_name="TCN forecaster", family="cnn", tasks=(TASK,), inputs=WINDOW,
    builder=B + "tcn_forecaster",
    description="6 residual blocks of two causal dilated Conv1d (kernel 3, 64 channels, dilation 1…32, "
                f"receptive field 253 steps); last step → Linear to a {OUT}.",
    notes="Bai et al.'s TCN without weight normalisation (a training-time reparametrisation; same inference "
          "arithmetic, 64 fewer scale parameters per conv). Causal: streamable with cached activations.",
    lightweight=True, streaming=True,
    references=("Bai et al., An Empirical Evaluation of Generic Convolutional and Recurrent Networks for "
                "Sequence Modeling, 2018",),
))

register_model(ModelEntry(
    id="transformer_forecaster", display_name="Transformer encoder forecaster", family="transformer",
    tasks=(TASK,), inputs=WINDOW, builder="archsel.zoo.builders.time_series:transformer_forecaster",
    description="Linear embedding 7 → 128 + sinusoidal positions → 3-layer nn.TransformerEncoder (8 heads, "
                f"ff 256) → mean over time → Linear to a {OUT}.",
    notes="A vanilla encoder-only forecaster (no Informer/Autoformer sparse attention, no patching). Full "
          "attention over the window: quadratic in T, not streaming.",
    lightweight=True,
    references=("Vaswani et al., Attention Is All You Need, NeurIPS 2017",),
))

# Quality unknown: the Mamba forecasting papers (S-Mamba, TimeMachine) report ETT MSE/MAE, but their tables were
# not found in stored text; MSE/MAE are lower-is-better, which scoring knows.
register_model(ModelEntry(
    id="mamba_forecaster", display_name="Mamba forecaster (selective SSM)", family="ssm", tasks=(TASK,),
    inputs=WINDOW, builder="archsel.zoo.builders.ssm:mamba_forecaster",
    description="Linear embedding 7 → 128, 4 Mamba blocks (d_state 16, causal depthwise conv 4, expand 2, "
                f"input-dependent Δ/B/C), RMSNorm; last step → Linear to a {OUT}.",
    notes="Seed 000 [三]/[五]: Mamba, linear time in sequence length, for long sequences. Plain-torch "
          "reference selective scan (a Python loop over T), not the fused CUDA kernel of mamba-ssm: "
          "measured latency is pessimistic and per-step elementwise work is not counted as MACs. Causal: "
          "streamable with a constant-size state.",
    lightweight=True, streaming=True,
    references=("Gu & Dao, Mamba: Linear-Time Sequence Modeling with Selective State Spaces, 2023",),
))

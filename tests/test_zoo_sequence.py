"""Sequence-model zoo entries: parameter counts against the seed documents' code, streaming honesty,
output shapes on CPU at small inputs, and causality of the streaming forecasters."""

from __future__ import annotations

import pytest

from archsel.zoo import registry

SEED004_SOURCE = "seed 004 §3 table (document's own figures, data set unnamed)"
OWN = (
    "lstm_ctc_asr", "gru_attention_asr", "deepspeech2", "conformer_asr", "streaming_gru_asr", "audio_cnn",
    "gru_text_classifier", "text_cnn", "transformer_text_classifier", "transformer_seq2seq",
    "lstm_seq2seq_attention", "bilstm_tagger", "rnn_lm", "gru_lm", "lstm_lm", "bilstm_lm", "transformer_lm",
    "lstm_forecaster", "gru_forecaster", "cnn_lstm_forecaster", "lstm_attention_forecaster", "tcn_forecaster",
    "transformer_forecaster", "mamba_forecaster", "crnn", "wide_and_deep", "tabnet_style",
)
# Unidirectional recurrence or causal convolution/scan, consumed step by step.
STREAMING = {"streaming_gru_asr", "gru_text_classifier", "rnn_lm", "gru_lm", "lstm_lm", "lstm_forecaster",
             "gru_forecaster", "cnn_lstm_forecaster", "tcn_forecaster", "mamba_forecaster"}


def _lstm(inp: int, h: int) -> int:
    """PyTorch nn.LSTM parameters, one direction of one layer: 4 gates × (W_ih, W_hh, b_ih, b_hh)."""
    return 4 * (inp * h + h * h + 2 * h)


def _gru(inp: int, h: int) -> int:
    """PyTorch nn.GRU parameters, one direction of one layer: 3 gates."""
    return 3 * (inp * h + h * h + 2 * h)


def _rnn(inp: int, h: int) -> int:
    return inp * h + h * h + 2 * h


def _params(model_id: str) -> int:
    return sum(p.numel() for p in registry.get_model(model_id).parameters())


def test_all_entries_registered() -> None:
    assert set(OWN) <= set(registry.list_models())


def test_gru_text_classifier_is_seed001_code() -> None:
    from torch import nn

    model = registry.get_model("gru_text_classifier")
    # Embedding → GRU → Linear, nothing else
    assert [type(m) for m in model.children()] == [nn.Embedding, nn.GRU, nn.Linear]
    vocab, embed, hidden, classes = 10000, 128, 256, 2  # the sizes the entry states
    expected = vocab * embed + _gru(embed, hidden) + hidden * classes + classes
    assert _params("gru_text_classifier") == expected == 1_576_962
    assert "Embedding(10000, 128) → GRU(128, 256) → Linear(256, 2)" in registry.get_model_entry(
        "gru_text_classifier").description


def test_crnn_is_seed004_code() -> None:
    height, classes = 32, 39  # input [N, 1, 32, 128]; seed 004 num_classes=39
    expected = (
        (1 * 32 * 9 + 32) + 2 * 32  # conv1 3×3 + bn1
        + (32 * 64 * 9 + 64) + 2 * 64  # conv2 3×3 + bn2
        + 2 * _lstm(64 * height, 128)  # BiLSTM(64·feat_dim, 128)
        + (256 * classes + classes)  # fc
    )
    assert _params("crnn") == expected == 2_259_303


def test_text_generation_lms_follow_seed004_table() -> None:
    document = {"rnn_lm": 1.2e6, "gru_lm": 1.3e6, "lstm_lm": 1.6e6, "bilstm_lm": 2.4e6}
    vocab, embed, hidden = 2000, 240, 256
    analytic = {
        "rnn_lm": vocab * embed + _rnn(embed, hidden) + hidden * vocab + vocab,
        "gru_lm": vocab * embed + _gru(embed, hidden) + hidden * vocab + vocab,
        "lstm_lm": vocab * embed + _lstm(embed, hidden) + hidden * vocab + vocab,
        "bilstm_lm": vocab * embed + 2 * _lstm(embed, hidden) + 2 * hidden * vocab + vocab,
    }
    counts = {i: _params(i) for i in document}
    assert counts == analytic
    assert counts["rnn_lm"] < counts["gru_lm"] < counts["lstm_lm"] < counts["bilstm_lm"]
    # The brief asks for 15%; one shared size reaches 6.5% at worst (the document's GRU→LSTM step of
    # 0.3 M cannot coexist with its RNN→GRU step of 0.1 M under the gate formulas).
    for model_id, figure in document.items():
        assert abs(counts[model_id] - figure) / figure < 0.07, (model_id, counts[model_id], figure)
    bleu = {"rnn_lm": 12.4, "gru_lm": 13.1, "lstm_lm": 14.7, "bilstm_lm": 15.8}
    for model_id, value in bleu.items():
        entry = registry.get_model_entry(model_id)
        assert [q.value for q in entry.quality if q.metric == "BLEU"] == [value]
        assert all(q.source == SEED004_SOURCE and q.dataset == "unspecified (as stated in seed 004)"
                   for q in entry.quality)


def test_gpt2_small_parameter_count() -> None:
    vocab, ctx, d, layers = 50257, 1024, 768, 12
    analytic = vocab * d + ctx * d + layers * (12 * d * d + 13 * d) + 2 * d  # blocks + final LayerNorm
    assert _params("transformer_lm") == analytic == 124_439_808  # released GPT-2 small


def test_figures_of_our_own_builds_say_how_ours_differs() -> None:
    """A model archsel builds itself quotes a published figure only with its source and what differs from
    the configuration measured (tests/test_zoo_quality_sources.py holds the schema); never a published size."""
    for model_id in OWN:
        entry = registry.get_model_entry(model_id)
        if model_id.endswith("_lm") and model_id != "transformer_lm":
            assert entry.quality  # the seed document's own figures
        for figure in entry.quality:
            assert figure.url and figure.config_note, (model_id, figure)
        assert entry.published_params is None and entry.published_gmacs is None


def test_streaming_flags_are_honest() -> None:
    from torch import nn

    for model_id in OWN:
        entry = registry.get_model_entry(model_id)
        modules = list(registry.get_model(model_id).modules())
        bidirectional = any(isinstance(m, nn.RNNBase) and m.bidirectional for m in modules)
        if bidirectional:
            assert not entry.streaming, model_id
        assert entry.streaming == (model_id in STREAMING), model_id
        if entry.streaming:
            assert not any(isinstance(m, nn.MultiheadAttention) for m in modules), model_id


def _cpu(model_id: str, **overrides: object):  # type: ignore[no-untyped-def]
    import torch

    torch.manual_seed(0)
    return registry.get_model(model_id, device="cpu", **overrides)


@pytest.mark.parametrize(("model_id", "shapes", "expected"), [
    ("streaming_gru_asr", [(2, 40, 80)], (2, 13, 29)),  # frames stacked ×3: 40 // 3 = 13 steps
    ("conformer_asr", [(2, 64, 80)], (2, 15, 29)),  # conv subsampling ×4: ((64-1)//2-1)//2 = 15
    ("mamba_forecaster", [(2, 32, 7)], (2, 24, 7)),
    ("tcn_forecaster", [(2, 32, 7)], (2, 24, 7)),
    ("crnn", [(2, 1, 32, 128)], (2, 39)),
    ("tabnet_style", [(4, 39)], (4, 1)),
])
def test_output_shapes_cpu(model_id: str, shapes: list[tuple[int, ...]], expected: tuple[int, ...]) -> None:
    import torch

    model = _cpu(model_id)
    with torch.no_grad():
        out = model(*[torch.randn(s) for s in shapes])
    assert tuple(out.shape) == expected and torch.isfinite(out).all()


def test_seq2seq_and_wide_deep_shapes_cpu() -> None:
    import torch

    model = _cpu("transformer_seq2seq")
    with torch.no_grad():
        out = model(torch.randint(0, 32000, (2, 7)), torch.randint(0, 32000, (2, 5)))
    assert tuple(out.shape) == (2, 5, 32000)
    wd = _cpu("wide_and_deep", buckets=1000, cross_buckets=5000)  # smaller tables, same layout
    with torch.no_grad():
        ctr = wd(torch.randint(0, 1000, (3, 26)), torch.randn(3, 13))
    assert tuple(ctr.shape) == (3,) and torch.isfinite(ctr).all()
    per_step = _cpu("crnn", per_step=True)
    with torch.no_grad():
        assert tuple(per_step(torch.randn(1, 1, 32, 64)).shape) == (1, 64, 39)


def test_sparsemax_is_exact() -> None:
    import torch

    from archsel.zoo.builders.tabular import sparsemax

    out = sparsemax(torch.tensor([[1.0, 0.5, -1.0], [0.0, 0.0, 0.0]]))
    assert torch.allclose(out, torch.tensor([[0.75, 0.25, 0.0], [1 / 3, 1 / 3, 1 / 3]]))


@pytest.mark.parametrize("model_id", ["mamba_forecaster", "tcn_forecaster"])
def test_causal_models_ignore_the_future(model_id: str) -> None:
    import torch

    model = _cpu(model_id)
    x = torch.randn(1, 32, 7)
    changed = x.clone()
    changed[:, 20:] += torch.randn(1, 12, 7)
    with torch.no_grad():
        a, b = model.forward_features(x), model.forward_features(changed)
    assert torch.allclose(a[:, :20], b[:, :20], atol=1e-6)
    assert not torch.allclose(a[:, 20:], b[:, 20:])

"""Issue 18: every published quality figure in the zoo can be checked (paper, table, url, data set, a metric whose
direction scoring knows) and says how our configuration differs from the one measured; the figures wired for the
custom architectures are the verified ones (docs/research/published_quality.md), and the ones left out stay
"unknown" with the reason next to the entry."""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from archsel.advice.scoring import combine, quality_terms
from archsel.zoo import registry
from archsel.zoo.spec import ModelEntry, QualityFigure

Run = Callable[..., subprocess.CompletedProcess[str]]
CATALOG = Path(__file__).resolve().parent.parent / "archsel" / "zoo" / "catalog"

# Every metric the zoo quotes, with its direction (True: higher is better). A new metric must be added here, and
# scoring must already read it the same way (test_scoring_reads_every_metric_in_its_direction): scoring derives
# the direction from the metric's name, so a metric it would misread (sMAPE, MASE, CRPS, ...) fails here first.
DIRECTION: dict[str, bool] = {
    "top-1 accuracy %": True,
    "box mAP@[.5:.95] %": True,
    "mask mAP@[.5:.95] %": True,
    "mIoU %": True,
    "BLEU": True,
    "BLEU-4": True,
    "training speed (step/s, hardware unstated)": True,
    "PSNR dB": True,
    "mAP": True,
    "accuracy %": True,
    "AUC": True,
    "WER %": False,
    "perplexity": False,
}

# Figures whose url is not a web address: the project's own seed documents.
SEED_DOCUMENTS = "shared/seeds/"

# Left out on purpose (docs/research/published_quality.md, "Wired and left out"): quality unknown, and a
# "# Quality unknown" comment right above the entry says why.
LEFT_OUT = ("deepspeech2", "gru_attention_asr", "streaming_gru_asr", "timesformer_small", "c3d_lstm",
            "convlstm_classifier", "tabnet_style", "crnn", "lenet5", "bilstm_tagger", "tcn_forecaster",
            "mamba_forecaster")
FRAME_RNNS = ("cnn_lstm_resnet18", "cnn_gru_resnet18", "cnn_lstm_mobilenet_v3", "cnn_gru_mobilenet_v3",
              "cnn_lstm_efficientnet_b0")


def _figures() -> list[tuple[ModelEntry, QualityFigure]]:
    return [(e, q) for e in registry.all_entries(include_references=True) for q in e.quality]


def _is_published_model(entry: ModelEntry) -> bool:
    """The builder is the very model the figure was measured on: torchvision's constructor for its weights."""
    return entry.torchvision_weights is not None and entry.builder.startswith("archsel.zoo.builders.tv:")


def _as_published(q: QualityFigure) -> dict[str, object]:
    """What the rule engine hands scoring for a candidate's figure (knowledge.engine._quality)."""
    return {"metric": q.metric, "value": q.value, "dataset": q.dataset, "source": q.source}


def test_every_figure_can_be_checked() -> None:
    figures = _figures()
    assert len(figures) > 60
    for entry, q in figures:
        where = f"{entry.id}: {q.metric}"
        assert q.metric.strip() and q.dataset.strip(), where
        assert isinstance(q.value, int | float) and math.isfinite(q.value) and q.value > 0, where
        assert q.paper.strip(), f"{where}: no paper / publisher"
        assert q.table.strip(), f"{where}: no table / section"
        assert q.url.startswith("https://") or q.url.startswith(SEED_DOCUMENTS), f"{where}: url {q.url!r}"
        assert q.source.strip(), where
        assert q.metric in DIRECTION, f"{where}: metric without a known direction (add it to DIRECTION)"


def test_a_config_note_wherever_the_builder_is_not_the_published_model() -> None:
    for entry, q in _figures():
        if _is_published_model(entry):
            continue
        assert len(q.config_note.strip()) > 20, f"{entry.id}: {q.metric} needs a config_note"


def test_source_defaults_to_paper_table_and_url() -> None:
    q = QualityFigure("PSNR dB", 1.0, "Set5 ×3", paper="P", table="Table 1", url="https://example.org/x")
    assert q.source == "P, Table 1 <https://example.org/x>" == q.citation()
    assert QualityFigure("BLEU", 1.0, "d", "given").source == "given"  # an explicit source is kept


def test_scoring_reads_every_metric_in_its_direction() -> None:
    for metric, higher_is_better in DIRECTION.items():
        q = quality_terms({"low": {"metric": metric, "value": 1.0, "dataset": "d"},
                           "high": {"metric": metric, "value": 2.0, "dataset": "d"}})
        best = "high" if higher_is_better else "low"
        worst = "low" if higher_is_better else "high"
        assert q[best].value == 1.0 and q[worst].value == pytest.approx(0.5), metric


def test_a_lower_wer_is_never_ranked_as_worse() -> None:
    """conformer_asr's published WER against a second ASR candidate with a higher WER on the same test set: the
    lower WER gets the full quality term and the better score, all else equal (never value / best)."""
    conformer = registry.get_model_entry("conformer_asr").quality[0]
    assert (conformer.metric, conformer.dataset) == ("WER %", "LibriSpeech test-clean")
    worse = {"metric": "WER %", "value": 5.33, "dataset": "LibriSpeech test-clean"}  # e.g. the DS2 paper's
    q = quality_terms({"conformer_asr": _as_published(conformer), "other_asr": worse, "no_figure": None})
    assert q["conformer_asr"].value == 1.0
    assert q["other_asr"].value == pytest.approx(2.7 / 5.33)
    assert q["no_figure"].value is None and q["no_figure"].source == "unknown"
    for objective in ("balanced", "latency", "accuracy"):
        good, _ = combine(objective, 0.5, q["conformer_asr"].value, 0.5)
        bad, _ = combine(objective, 0.5, q["other_asr"].value, 0.5)
        assert good > bad, objective


def test_the_two_translators_are_compared_on_one_bleu() -> None:
    """Higher-is-better, for contrast: both figures are BLEU on newstest2014, so they share a group."""
    t = registry.get_model_entry("transformer_seq2seq").quality[0]
    lstm = registry.get_model_entry("lstm_seq2seq_attention").quality[0]
    assert (t.metric, t.dataset) == (lstm.metric, lstm.dataset) == ("BLEU", "WMT14 En-De newstest2014")
    q = quality_terms({"transformer_seq2seq": _as_published(t), "lstm_seq2seq_attention": _as_published(lstm)})
    assert q["transformer_seq2seq"].value == 1.0
    assert q["lstm_seq2seq_attention"].value == pytest.approx(16.8 / 27.3)


@pytest.mark.parametrize(("model_id", "metric", "value", "dataset", "in_paper", "in_url"), [
    ("espcn", "PSNR dB", 32.55, "Set5 ×3", "Real-Time Single Image and Video Super-Resolution", "ESPCN-pytorch"),
    ("transformer_seq2seq", "BLEU", 27.3, "WMT14 En-De newstest2014", "Attention Is All You Need", "1706.03762"),
    ("lstm_seq2seq_attention", "BLEU", 16.8, "WMT14 En-De newstest2014", "Effective Approaches", "1508.04025"),
    ("conformer_asr", "WER %", 2.7, "LibriSpeech test-clean", "Conformer", "2005.08100"),
    ("lstm_ctc_asr", "WER %", 9.07, "WSJ eval92", "EESEN", "end2endASR_ranking"),
    ("transformer_lm", "perplexity", 37.50, "WikiText-103 test (zero-shot)", "Unsupervised Multitask", "openai"),
    ("audio_cnn", "mAP", 0.380, "AudioSet evaluation set (527 classes)", "PANNs", "PaddleHub"),
    ("text_cnn", "accuracy %", 88.1, "SST-2 test", "Convolutional Neural Networks for Sentence", "paperswithcode"),
    ("cnn_lstm_captioner", "BLEU-4", 27.7, "MS COCO (the paper's test split)", "Show and Tell", "paperswithcode"),
    ("wide_and_deep", "AUC", 0.8138, "Criteo_x1 test (BARS)", "Open Benchmarking", "reczoo/BARS"),
    ("yolo_compact", "box mAP@[.5:.95] %", 37.3, "COCO val2017", "YOLOv8", "docs.ultralytics.com"),
])
def test_wired_figures(model_id: str, metric: str, value: float, dataset: str, in_paper: str, in_url: str) -> None:
    q = registry.get_model_entry(model_id).quality[0]  # the first figure is the one scoring uses
    assert (q.metric, q.value, q.dataset) == (metric, value, dataset)
    assert in_paper in q.paper and in_url in q.url and q.config_note


def test_a_wired_figure_shares_its_group_where_the_task_has_one() -> None:
    """yolo_compact's figure is scored against torchvision's COCO detectors, not alone."""
    yolo = registry.get_model_entry("yolo_compact").quality[0]
    tv = registry.get_model_entry("fcos_resnet50_fpn").quality[0]
    assert (yolo.metric, yolo.dataset) == (tv.metric, tv.dataset)


def _comment_above(model_id: str) -> str:
    """The comment lines right above the register_model(ModelEntry(id=...)) that registers `model_id`."""
    for path in CATALOG.glob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if re.search(rf'\bid="{model_id}"', line):
                start = i - 1 if lines[i - 1].startswith("register_model(") else i
                above = []
                for prev in reversed(lines[:start]):
                    if not prev.startswith("#"):
                        break
                    above.append(prev)
                return "\n".join(reversed(above))
    raise AssertionError(f"{model_id} not found in the catalog")


@pytest.mark.parametrize("model_id", LEFT_OUT)
def test_left_out_figures_stay_unknown_with_the_reason_written_down(model_id: str) -> None:
    assert registry.get_model_entry(model_id).quality == ()
    assert "Quality unknown" in _comment_above(model_id), model_id


def test_frame_rnn_hybrids_stay_unknown() -> None:
    for model_id in FRAME_RNNS:
        assert registry.get_model_entry(model_id).quality == (), model_id
    assert "Quality unknown on purpose for the frame CNN" in (CATALOG / "video.py").read_text(encoding="utf-8")


def test_recommend_shows_espcns_quality_with_its_source(archsel: Run) -> None:
    out = archsel("recommend", "--task", "super-resolution", "--target", "edge", "-f", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    espcn = next(c for c in doc["candidates"] if c["id"] == "espcn")
    pub = espcn["published_quality"]
    assert (pub["metric"], pub["value"], pub["dataset"]) == ("PSNR dB", 32.55, "Set5 ×3")
    assert "Shi" in pub["source"] and "Table 1" in pub["source"]
    assert "https://github.com/yjn870/ESPCN-pytorch" in pub["source"]
    assert espcn["quality"] == {"normalised": 1.0, "source": "published", "metric": "PSNR dB",
                                "dataset": "Set5 ×3", "value": 32.55}


def test_models_show_carries_every_source_field(archsel: Run) -> None:
    out = archsel("models", "show", "conformer_asr", "-f", "json")
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)["model"]["quality"]
    assert [f["dataset"] for f in figures] == ["LibriSpeech test-clean", "LibriSpeech test-other"]
    for f in figures:
        assert {"paper", "table", "url", "split", "config_note"} <= set(f)
        assert "transducer" in f["config_note"] and "CTC" in f["config_note"]

"""Every statement of the knowledge index is a rule; every name a rule uses exists; every task is served."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from archsel.knowledge.engine import evaluate
from archsel.knowledge.loader import RuleSet, load_rules
from archsel.query.build import build_query
from archsel.query.vocab import load_vocabulary
from archsel.zoo.registry import list_models
from archsel.zoo.spec import ModelEntry

FIXTURES = Path(__file__).parent / "fixtures"
INDEX = FIXTURES / "knowledge_index.md"  # a copy of shared/KNOWLEDGE.md, so CI needs nothing outside the repo
SHARED_INDEX = Path(__file__).resolve().parents[2] / "shared" / "KNOWLEDGE.md"
SEED_FILES = {
    "000_5453546a1d0cab3a.txt",
    "001_1f8c0a0fe7d4e3e1.txt",
    "002_150698201b3c3cd0.txt",
    "003_fa4dba695afee6fb.txt",
    "004_2b445ed29071d386.txt",
}
# the zoo ids the knowledge base was written against (the brief's list)
ZOO_IDS = [
    "resnet18",
    "resnet50",
    "efficientnet_b0",
    "efficientnet_b3",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "convnext_tiny",
    "vit_b_16",
    "regnet_y_400mf",
    "regnet_y_1_6gf",
    "shufflenet_v2_x1_0",
    "lenet5",
    "small_cnn_cifar",
    "row_lstm_classifier",
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "ssdlite320_mobilenet_v3_large",
    "retinanet_resnet50_fpn",
    "fcos_resnet50_fpn",
    "yolo_compact",
    "deeplabv3_resnet50",
    "deeplabv3_mobilenet_v3_large",
    "deeplabv3plus_resnet50",
    "lraspp_mobilenet_v3_large",
    "fcn_resnet50",
    "espcn",
    "r3d_18",
    "mc3_18",
    "r2plus1d_18",
    "s3d",
    "mvit_v2_s",
    "swin3d_t",
    "cnn_lstm_resnet18",
    "cnn_gru_resnet18",
    "cnn_lstm_mobilenet_v3",
    "cnn_gru_mobilenet_v3",
    "cnn_lstm_efficientnet_b0",
    "c3d_lstm",
    "convlstm_classifier",
    "timesformer_small",
    "video_content_stack",
    "cnn_lstm_captioner",
    "multimodal_xattn",
    "parallel_cnn_rnn_fusion",
    "lstm_ctc_asr",
    "gru_attention_asr",
    "deepspeech2",
    "conformer_asr",
    "streaming_gru_asr",
    "audio_cnn",
    "gru_text_classifier",
    "text_cnn",
    "transformer_text_classifier",
    "transformer_seq2seq",
    "lstm_seq2seq_attention",
    "bilstm_tagger",
    "rnn_lm",
    "gru_lm",
    "lstm_lm",
    "bilstm_lm",
    "transformer_lm",
    "lstm_forecaster",
    "gru_forecaster",
    "cnn_lstm_forecaster",
    "lstm_attention_forecaster",
    "tcn_forecaster",
    "transformer_forecaster",
    "mamba_forecaster",
    "crnn",
    "wide_and_deep",
    "tabnet_style",
]


def _slug(heading: str) -> str:
    text = heading.split("(")[0].strip().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def knowledge_items(text: str) -> dict[str, str]:
    """Every matrix row and bullet of the index, as `<doc>/<section>/<row-N|bullet-N>` → its text.

    Documents are `## NNN_…` headings; sections are `###` headings ("notes" before the first one).
    """
    items: dict[str, str] = {}
    doc = section = None
    rows = bullets = 0
    for line in text.splitlines():
        if line.startswith("## "):
            match = re.match(r"## (\d{3})_", line)
            doc, section, rows, bullets = (match.group(1) if match else None), "notes", 0, 0
        elif line.startswith("### ") and doc:
            section, rows, bullets = _slug(line[4:]), 0, 0
        elif doc and line.startswith("|") and not re.match(r"^\|[-| :]+\|$", line):
            rows += 1
            if rows > 1:  # the first row is the header
                items[f"{doc}/{section}/row-{rows - 1}"] = line
        elif doc and line.startswith("- "):
            bullets += 1
            items[f"{doc}/{section}/bullet-{bullets}"] = line
    return items


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_rules(env=False)


def test_index_copy_is_current() -> None:
    if SHARED_INDEX.is_file():
        assert INDEX.read_text(encoding="utf-8") == SHARED_INDEX.read_text(encoding="utf-8")


def test_extraction_finds_every_matrix_row() -> None:
    items = knowledge_items(INDEX.read_text(encoding="utf-8"))
    assert sum(k.startswith("000/selection-matrix/row-") for k in items) == 7
    assert sum(k.startswith("004/task-adaptation-matrix/row-") for k in items) == 5
    assert sum(k.startswith("000/deployment-environment/bullet-") for k in items) == 3
    assert len(items) == 46  # 18 (000) + 8 (001) + 5 (002) + 3 (003) + 12 (004)


def test_every_index_item_is_a_rule(ruleset: RuleSet) -> None:
    items = knowledge_items(INDEX.read_text(encoding="utf-8"))
    refs = {r.knowledge_ref for r in ruleset.rules}
    missing = sorted(set(items) - refs)
    assert not missing, "not covered by any rule:\n" + "\n".join(f"{m}: {items[m]}" for m in missing)
    assert refs <= set(items), f"rules cite items the index does not have: {sorted(refs - set(items))}"


def test_every_builtin_rule_is_cited(ruleset: RuleSet) -> None:
    for rule in ruleset.rules:
        assert rule.knowledge_ref, rule.id
        assert rule.source.file in SEED_FILES, rule.id
        assert rule.source.file[:3] == rule.knowledge_ref[:3], (
            f"{rule.id}: ref and source name different documents"
        )
        assert rule.rationale.strip() and rule.core_consideration, rule.id


def test_every_matrix_row_has_a_case() -> None:
    """Each row of each selection matrix (and each deployment bullet) is a table-driven query case."""
    items = knowledge_items(INDEX.read_text(encoding="utf-8"))
    matrix = {k for k in items if "/row-" in k} | {
        k for k in items if k.startswith("000/deployment-environment/")
    }
    matrix.add("001/notes/bullet-7")  # 001's summary table is written as one bullet in the index
    cases = {
        yaml.safe_load(p.read_text(encoding="utf-8"))["knowledge_ref"]
        for p in (FIXTURES / "rule_cases").glob("*.yaml")
    }
    assert not matrix - cases, sorted(matrix - cases)


def test_every_expected_zoo_id_is_registered() -> None:
    missing = sorted(set(ZOO_IDS) - set(list_models()))
    assert not missing, f"zoo ids the rules rely on are not registered: {missing}"


def test_rules_name_only_existing_models_and_terms(ruleset: RuleSet) -> None:
    """load_rules already refuses dangling names; check the sets it accepted, directly."""
    vocab = ruleset.vocabulary
    known = set(list_models())
    for rule in ruleset.rules:
        for cand in rule.candidates:
            assert cand.id is None or cand.id in known, (rule.id, cand.id)
            assert set(cand.traits) <= set(vocab.names("traits")), rule.id
        for key, section in (
            ("task", "tasks"),
            ("data_type", "data_types"),
            ("priority", "priorities"),
            ("latency_tier", "latency_tiers"),
            ("sequence_length", "sequence_lengths"),
            ("dataset_size", "dataset_sizes"),
        ):
            assert set(rule.when.get(key, [])) <= set(vocab.names(section)), (rule.id, key)


def test_traits_are_zoo_flags() -> None:
    flags = {f.name for f in fields(ModelEntry) if f.type in ("bool", bool)}
    assert {t.replace("-", "_") for t in load_vocabulary().names("traits")} <= flags


def test_every_task_gets_candidates(ruleset: RuleSet) -> None:
    for task in ruleset.vocabulary.names("tasks"):
        rec = evaluate(build_query(task, vocab=ruleset.vocabulary), ruleset)
        assert rec.candidates, f"no rule names a candidate for {task}"


@pytest.mark.parametrize(
    "word,task",
    [
        ("image-classification", "image-classification"),
        ("object-detection", "object-detection"),
        ("semantic-segmentation", "semantic-segmentation"),
        ("speech-recognition", "speech-recognition"),
        ("asr", "speech-recognition"),
        ("machine-translation", "machine-translation"),
        ("text-classification", "text-classification"),
        ("text-generation", "text-generation"),
        ("video", "video-understanding"),
        ("video-understanding", "video-understanding"),
        ("action-recognition", "video-understanding"),
        ("time-series-forecasting", "time-series-forecasting"),
        ("multimodal", "multimodal"),
        ("recommendation", "recommendation"),
        ("ocr", "ocr"),
        ("audio-classification", "audio-classification"),
        ("image", "image-classification"),
        ("detection", "object-detection"),
        ("speech", "speech-recognition"),
        ("translation", "machine-translation"),
        ("timeseries", "time-series-forecasting"),
        ("Video_Understanding", "video-understanding"),
    ],
)
def test_task_words_users_type(word: str, task: str) -> None:
    assert load_vocabulary().resolve_task(word) == task

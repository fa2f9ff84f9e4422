"""data/published_latency: the annotated measurements validate, are exactly what annotate.py gives, keep every
original figure, and name archsel models that exist and count at the rows' inputs; the reference-only zoo
entries behind them reproduce their published counts and are never candidates."""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from archsel.profiling.counting import count_model
from archsel.zoo import registry
from archsel.zoo.catalog.reference_detectors import COUNTED as YOLO_COUNTED
from archsel.zoo.catalog.reference_models import IDS as REFERENCE_IDS
from archsel.zoo.spec import ModelEntry

DATA = Path(__file__).resolve().parents[1] / "data" / "published_latency"
ROWS: list[dict[str, Any]] = json.loads((DATA / "measurements.json").read_text(encoding="utf-8"))
ADDED_FILE = DATA / "added.json"  # rows added in this repository, after the shared rows

ORIGINAL = ["model", "zoo_id", "device", "archsel_target", "runtime", "precision", "batch", "input",
            "latency_ms", "throughput_per_s", "source", "note"]
ADDED = ["archsel_runtime", "archsel_unit", "archsel_threads", "archsel_precision", "archsel_batch",
         "archsel_input", "archsel_model", "archsel_note"]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_POSITIVE = {"type": "number", "exclusiveMinimum": 0}
_TEXT = {"type": "string", "minLength": 1}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ORIGINAL + ADDED,
        "properties": {
            "model": _TEXT, "zoo_id": _nullable(_TEXT), "device": _TEXT, "archsel_target": _nullable(_TEXT),
            "runtime": _TEXT, "precision": _TEXT, "batch": _nullable({"type": "integer", "minimum": 1}),
            "input": _TEXT, "latency_ms": _nullable(_POSITIVE), "throughput_per_s": _nullable(_POSITIVE),
            "source": _TEXT, "note": {"type": "string"},
            "archsel_runtime": {"enum": ["pytorch", "tensorrt", "onnxruntime", "openvino", "litert", "qnn",
                                         "coreml", "executorch", "ncnn", "mnn", "tensorflow", "mxnet", "paddle",
                                         None]},
            "archsel_unit": {"enum": ["cpu", "gpu", "npu", None]},
            "archsel_threads": _nullable({"type": "integer", "minimum": 1}),
            "archsel_precision": {"enum": ["fp32", "tf32", "fp16", "int8", None]},
            "archsel_batch": _nullable({"type": "integer", "minimum": 1}),
            "archsel_input": _nullable({"type": "array", "minItems": 1, "items": {
                "type": "array", "minItems": 2, "items": {"type": "integer", "minimum": 1}}}),
            "archsel_model": _nullable(_TEXT),
            "archsel_note": _nullable(_TEXT),
        },
        # a figure: a positive latency or a positive throughput
        "anyOf": [{"properties": {"latency_ms": _POSITIVE}}, {"properties": {"throughput_per_s": _POSITIVE}}],
        "allOf": [
            # threads only for a CPU-unit run; a unit only with a runtime
            {"if": {"properties": {"archsel_threads": {"type": "integer"}}},
             "then": {"properties": {"archsel_unit": {"const": "cpu"}}}},
            {"if": {"properties": {"archsel_runtime": {"const": None}}},
             "then": {"properties": {"archsel_unit": {"const": None}}}},
        ],
    },
}


@cache
def _annotate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("published_latency_annotate", DATA / "annotate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_measurements_validate_against_the_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    errors = [f"row {list(e.path)}: {e.message}"
              for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(ROWS)]
    assert not errors, "\n".join(errors[:20])


def test_fields_are_in_the_fixed_order_and_batch_matches_the_input() -> None:
    for row in ROWS:
        assert list(row) == ORIGINAL + ADDED, row["model"]
        assert row["archsel_batch"] == row["batch"]
        if row["archsel_input"] is not None and row["archsel_batch"] is not None:
            assert row["archsel_input"][0][0] == row["archsel_batch"], row["model"]
        if row["zoo_id"] is not None:
            assert row["archsel_model"] == row["zoo_id"]


def test_the_file_is_what_annotate_gives_from_its_own_original_fields() -> None:
    """Without the shared copy: re-annotating the stored original fields reproduces the file byte for byte."""
    annotate = _annotate()
    originals = [{k: row[k] for k in ORIGINAL} for row in ROWS]
    assert annotate.render(annotate.annotate(originals)) == (DATA / "measurements.json").read_text(encoding="utf-8")


def test_the_added_rows_close_the_file_with_their_original_fields_unchanged() -> None:
    """Without the shared copy: added.json's rows are the file's last rows, every original field as in added.json."""
    added = json.loads(ADDED_FILE.read_text(encoding="utf-8"))
    assert added and all(list(row) == ORIGINAL for row in added)
    for ours, theirs in zip(ROWS[len(ROWS) - len(added):], added, strict=True):
        assert {k: ours[k] for k in ORIGINAL} == theirs  # every original field, figures included, unchanged


def test_the_file_is_what_annotate_gives_from_the_shared_and_added_files_and_no_figure_changed() -> None:
    annotate = _annotate()
    source = Path(annotate.DEFAULT_SOURCE)
    if not source.exists():
        pytest.skip(f"shared measurements not present at {source}")
    shared = json.loads(source.read_text(encoding="utf-8"))
    added = json.loads(ADDED_FILE.read_text(encoding="utf-8"))
    assert len(shared) + len(added) == len(ROWS)
    # every row, shared or added, against the file it comes from: every original field, figures included, unchanged
    for ours, theirs in zip(ROWS, shared + added, strict=True):
        assert {k: ours[k] for k in ORIGINAL} == theirs
    assert annotate.load_rows(source) == shared + added
    expected = annotate.render(annotate.annotate(shared + added))
    assert expected == (DATA / "measurements.json").read_text(encoding="utf-8")


def test_the_ultralytics_t4_fp16_rule_needs_the_charted_model_and_figure() -> None:
    annotate = _annotate()
    row = next(r for r in ROWS if r["model"] == "YOLO11n (Ultralytics)" and r["archsel_target"] == "t4")
    original = {k: row[k] for k in ORIGINAL}
    assert row["precision"] == "not stated (TensorRT export)" and row["archsel_precision"] == "fp16"
    assert annotate.annotate_row({**original, "latency_ms": 1.6})["archsel_precision"] is None
    assert annotate.annotate_row({**original, "archsel_target": "a100-sxm"})["archsel_precision"] is None
    charted = {r["model"] for r in ROWS if r["archsel_note"] and "TensorRT10 FP16" in r["archsel_note"]}
    assert charted == set(annotate.ULTRALYTICS_T4_FP16_CHART)


def test_annotate_stops_on_text_it_has_no_rule_for() -> None:
    annotate = _annotate()
    row = {k: ROWS[0][k] for k in ORIGINAL}
    for field, text in (("runtime", "SomeNewRuntime"), ("precision", "bf16-ish"), ("input", "a few images"),
                        ("model", "A new model")):
        changed = {**row, field: text, "zoo_id": None if field == "model" else row["zoo_id"]}
        with pytest.raises(ValueError, match=r"not in|rules"):
            annotate.annotate_row(changed)


# ----------------------------------------------------------------------------------------------------------
# the models the rows name

MODEL_IDS = sorted({r["archsel_model"] for r in ROWS if r["archsel_model"] is not None})


def test_every_named_model_is_registered() -> None:
    registered = {e.id for e in registry.all_entries(include_references=True)}
    assert set(MODEL_IDS) <= registered, sorted(set(MODEL_IDS) - registered)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_every_named_model_resolves(model_id: str) -> None:
    entry = registry.get_model_entry(model_id)
    assert entry.id == model_id


ROW_INPUTS = sorted({(r["archsel_model"], tuple(r["archsel_input"][0]))
                     for r in ROWS if r["archsel_model"] is not None and r["archsel_input"] is not None})


@pytest.mark.parametrize(("model_id", "shape"), ROW_INPUTS, ids=[f"{m}-{'x'.join(map(str, s))}" for m, s in ROW_INPUTS])
def test_every_row_counts_at_its_input(model_id: str, shape: tuple[int, ...]) -> None:
    """The rows are traceable: each (model, input) counts with archsel's default counter, completely."""
    entry = registry.get_model_entry(model_id)
    result = count_model(model_id, input_shape=shape)
    assert result.macs > 0 and result.uncounted_ops == {}
    assert result.batch == shape[0]
    assert result.input_shapes[0][1 - len(shape):] == list(shape[1:])  # detectors take a list of images
    assert result.path == ("cpu" if entry.data_dependent else "meta")


# ----------------------------------------------------------------------------------------------------------
# the reference-only entries of reference_models.py

REFERENCES = [registry.get_model_entry(i) for i in REFERENCE_IDS]
TORCHVISION = [e for e in REFERENCES if e.torchvision_weights is not None]


def test_the_reference_set_covers_the_rows() -> None:
    ids = {e.id for e in REFERENCES}
    assert len(TORCHVISION) >= 28
    assert {"mobilenet_v1", "bvlc_googlenet", "bvlc_alexnet", "vit_b_32_384", "bert_base_uncased_mlm",
            "deeplabv3plus_mobilenet_v2", "regnet_x_3_2gf", "inception_v4", "edsr_r16f64_x2", "wav2letter_4096"} <= ids
    zoo = {e.id for e in registry.all_entries()}
    yolo = set(YOLO_COUNTED)  # the Ultralytics YOLO reference entries (reference_detectors.py)
    assert set(MODEL_IDS) <= ids | zoo | yolo, set(MODEL_IDS) - ids - zoo - yolo


@pytest.mark.parametrize("entry", TORCHVISION, ids=lambda e: e.id)
def test_torchvision_reference_counts_reproduce_the_published_figures(entry: ModelEntry) -> None:
    """All 28 (about 3 s in all on the meta device): MACs within 1% of `_ops`, parameters exact, and the
    catalog's figures equal torchvision's weight enum (metadata only: no download)."""
    from torchvision.models import get_weight

    assert entry.torchvision_weights is not None and entry.published_gmacs is not None
    meta = get_weight(entry.torchvision_weights).meta
    assert (entry.published_gmacs, entry.published_params) == (meta["_ops"], meta["num_params"])
    assert entry.quality[0].value == meta["_metrics"]["ImageNet-1K"]["acc@1"]
    result = count_model(entry.id)
    assert result.path == "meta" and result.uncounted_ops == {}
    assert abs(result.macs / 1e9 - entry.published_gmacs) <= 0.01 * entry.published_gmacs
    assert result.params == entry.published_params


def test_mobilenet_v1_matches_the_paper() -> None:
    """Howard et al. 2017, Table 1/2: 569 M mult-adds and 4.2 M parameters for 1.0 MobileNet-224."""
    result = count_model("mobilenet_v1")
    assert abs(result.macs / 1e6 - 569) <= 0.01 * 569
    assert round(result.params / 1e6, 1) == 4.2


# ExecuTorch's benchmark examples: (id, the row's input, output shape, parameters, MACs), the figures of the
# examples' own modules (timm inception_v4, torchSR edsr_r16f64(2), torchaudio Wav2Letter(num_classes=4096))
# under torch.utils.flop_counter, cross-checked when the entries were written
EXECUTORCH_EXAMPLES = [
    ("inception_v4", (1, 3, 299, 299), (1, 1000), 42_679_816, 12_253_974_624),
    ("edsr_r16f64_x2", (1, 3, 224, 224), (1, 3, 448, 448), 1_369_883, 68_874_236_928),
    ("wav2letter_4096", (10, 1, 700), (10, 4096, 3), 34_327_346, 969_510_000),
]


@pytest.mark.parametrize(("model_id", "shape", "output", "params", "macs"), EXECUTORCH_EXAMPLES,
                         ids=[e[0] for e in EXECUTORCH_EXAMPLES])
def test_executorch_examples_match_their_libraries_modules(model_id: str, shape: tuple[int, ...],
                                                           output: tuple[int, ...], params: int, macs: int) -> None:
    import torch

    assert any(r["archsel_model"] == model_id and r["archsel_input"] == [list(shape)] for r in ROWS)
    entry = registry.get_model_entry(model_id)
    assert f"{params:,} parameters" in entry.notes
    result = count_model(model_id, input_shape=shape)
    assert (result.params, result.macs) == (params, macs)
    assert tuple(registry.get_model(model_id)(torch.empty(shape, device="meta")).shape) == output


@pytest.mark.parametrize("entry", [e for e in REFERENCES if e.torchvision_weights is None], ids=lambda e: e.id)
def test_reference_builds_count_and_match_the_parameters_their_notes_state(entry: ModelEntry) -> None:
    result = count_model(entry.id)
    assert result.macs > 0 and result.uncounted_ops == {} and result.path == "meta"
    stated = re.search(r"([\d,]{7,}) parameters", entry.notes)
    if stated:
        assert result.params == int(stated.group(1).replace(",", ""))


def test_reference_entries_are_never_candidates() -> None:
    candidates = {e.id for e in registry.all_entries()}
    everything = {e.id for e in registry.all_entries(include_references=True)}
    listed, listed_all = set(registry.list_models()), set(registry.list_models(include_references=True))
    for entry in REFERENCES:
        assert entry.reference_only
        assert entry.id not in candidates and entry.id in everything
        assert entry.id not in listed and entry.id in listed_all
        assert entry.notes.startswith("Reference-only") and entry.references


def test_reference_entries_use_the_vocabulary() -> None:
    from archsel.query.vocab import load_vocabulary

    vocab = load_vocabulary()
    for entry in REFERENCES:
        assert set(entry.tasks) <= set(vocab.tasks), entry.id

"""Broken rule files: every kind of breakage is reported as `file:line:col: message`, all at once, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from archsel.knowledge.loader import check_rules

BAD = Path(__file__).parent / "fixtures" / "bad_rules"

# fixture folder -> (file, line, column, a fragment of the message): the one problem it must produce
EXPECTED: dict[str, tuple[str, int, int, str]] = {
    "01_syntax_error": ("a.yaml", 6, 39, "expected ',' or ']'"),
    "02_duplicate_yaml_key": ("a.yaml", 8, 5, "duplicate key 'title' (first defined at line 4)"),
    "03_python_tag": ("a.yaml", 8, 25, "python/object/apply:os.system' is not allowed"),
    "04_empty_file": ("a.yaml", 1, 1, "empty rules file"),
    "05_unknown_top_level_key": ("a.yaml", 2, 1, "unknown key 'rulez' (did you mean 'rules'?)"),
    "06_unknown_rule_key": ("a.yaml", 8, 5, "unknown key 'rationalle' (did you mean 'rationale'?)"),
    "07_missing_source": ("a.yaml", 3, 5, "'source' is a required property"),
    "08_wrong_type_task": ("a.yaml", 6, 18, "'image-classification' is not of type 'array'"),
    "09_duplicate_id_same_file": ("a.yaml", 11, 9, "duplicate rule id 'r1' (first defined at"),
    "10_duplicate_id_across_files": ("b.yaml", 3, 9, "duplicate rule id 'shared' (first defined at"),
    "11_unknown_zoo_id": ("a.yaml", 10, 16, "unknown zoo model id 'resnet5' (did you mean 'resnet50'"),
    "12_unknown_task": (
        "a.yaml",
        6,
        19,
        "unknown task 'image-clasification' (did you mean 'image-classification'",
    ),
    "13_alias_not_canonical": (
        "a.yaml",
        6,
        19,
        "'video' is an alias; rules use the canonical term 'video-understanding'",
    ),
    "14_unknown_data_type": (
        "a.yaml",
        6,
        54,
        "unknown data type 'still-image' (did you mean 'static-image'?)",
    ),
    "15_unknown_target_class": ("a.yaml", 6, 21, "unknown target class 'egde' (did you mean 'edge'?)"),
    "16_unknown_family": ("a.yaml", 10, 20, "unknown family 'cnnn' (did you mean 'cnn'?)"),
    "17_unknown_trait": ("a.yaml", 10, 29, "unknown trait 'lightweigth' (did you mean 'lightweight'?)"),
    "18_negative_weight": ("a.yaml", 10, 53, "weight: -1 is less than or equal to the minimum of 0"),
    "19_weight_too_large": ("a.yaml", 10, 53, "weight: 11 is greater than the maximum of 10"),
    "20_zero_boost": ("a.yaml", 10, 36, "a boost of 0 does nothing"),
    "21_bad_role": ("a.yaml", 10, 32, "'recommend' is not one of ['recommended', 'alternative', 'fallback']"),
    "22_id_and_select": ("a.yaml", 10, 11, "exactly one of `id`"),
    "23_model_wrong_task": (
        "a.yaml",
        10,
        16,
        "model 'resnet50' serves image-classification, none of this rule's tasks",
    ),
    "24_latency_min_above_max": ("a.yaml", 6, 54, "latency_ms min 100 is above max 10"),
    "25_bad_knowledge_ref": ("a.yaml", 8, 20, "knowledge_ref: 'matrix row one' does not match"),
    "26_top_level_list": ("a.yaml", 1, 1, "is not of type 'object'"),
    "27_empty_rules_list": ("a.yaml", 2, 8, "rules: [] should be non-empty"),
    "28_empty_effects": ("a.yaml", 8, 14, "effects: {} should be non-empty"),
    "29_unknown_condition": ("a.yaml", 6, 42, "unknown key 'platform'"),
    "30_streaming_not_bool": ("a.yaml", 6, 23, "'yes' is not of type 'boolean'"),
    "31_bad_rule_id": ("a.yaml", 3, 9, "id: 'Bad Id!' does not match"),
    "32_model_named_twice": ("a.yaml", 11, 16, "model 'resnet50' is named twice in this rule"),
}


def test_every_fixture_has_an_expectation() -> None:
    folders = sorted(p.name for p in BAD.iterdir() if p.is_dir())
    assert folders == sorted(EXPECTED)
    assert len(folders) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_rules_fixture(name: str) -> None:
    file, line, col, fragment = EXPECTED[name]
    problems = [str(p) for p in check_rules([BAD / name])[1]]  # each Problem's text form
    prefix = f"{BAD / name / file}:{line}:{col}: "
    hits = [p for p in problems if p.startswith(prefix) and fragment in p]
    assert hits, f"expected {prefix}…{fragment}, got {problems}"
    if name != "05_unknown_top_level_key":  # the typo'd key also leaves `rules` missing: two true problems
        assert len(problems) == 1, problems


def test_cli_reports_all_at_once_with_exit_2(archsel) -> None:  # type: ignore[no-untyped-def]
    """One `rules validate` over every broken folder: each expected line on stderr, exit 2, no traceback."""
    out = archsel("rules", "validate", *(str(BAD / name) for name in sorted(EXPECTED)))
    assert out.returncode == 2, out.stderr
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    for name, (file, line, col, fragment) in EXPECTED.items():
        prefix = f"{BAD / name / file}:{line}:{col}: "
        assert any(ln.startswith(prefix) and fragment in ln for ln in lines), (name, prefix)


def test_builtin_rules_and_profiles_validate(archsel) -> None:  # type: ignore[no-untyped-def]
    out = archsel("rules", "validate")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("OK: ") and " rules in " in out.stdout


def test_bad_rules_break_recommend_with_exit_2(archsel) -> None:  # type: ignore[no-untyped-def]
    out = archsel("recommend", "--task", "image", "--rules", str(BAD / "11_unknown_zoo_id"))
    assert out.returncode == 2
    assert f"{BAD / '11_unknown_zoo_id' / 'a.yaml'}:10:16: unknown zoo model id 'resnet5'" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_vocabulary_is_reported(tmp_path: Path) -> None:
    from archsel.query.vocab import vocabulary_problems

    bad = tmp_path / "vocabulary.yaml"
    bad.write_text(
        "tasks:\n  video:\n    aliases: [clip]\n    description: x\n    default_data_type: vidoe\n"
        "  clips:\n    aliases: [clip]\n    description: y\ndata_types:\n  video: {description: v}\n"
        "  extra: {description: e, colour: red}\n",
        encoding="utf-8",
    )
    problems = [str(p) for p in vocabulary_problems(bad)]
    assert f"{bad}:11:27: unknown key 'colour'" in problems
    assert any(p.startswith(f"{bad}:5:24: unknown data type 'vidoe'") for p in problems), problems
    assert any(
        p.startswith(f"{bad}:7:") and "'clip' is used by both 'video' and 'clips'" in p for p in problems
    )

"""archsel.usermodel: loading users' factories, meta-device counting with CPU fallback, error attribution."""

from __future__ import annotations

from pathlib import Path

import pytest

from archsel.errors import ExitStatus, UsageError
from archsel.usermodel import UserCodeError, count_user_model, load_user_model, parse_inputs, parse_model_args

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    monkeypatch.syspath_prepend(str(FIXTURES))


def test_factory_is_counted_on_meta_with_exact_figures() -> None:
    user, count = count_user_model("user_models.models:build_small", "2x3x32x32")
    assert count.path == "meta" and user.device == "meta"
    assert user.batch == 2 and user.input_shapes == [[2, 3, 32, 32]]
    assert count.params == 8 * 3 * 9 + 8 + 8 * 10 + 10
    # conv 3→8, 3×3, stride 2 on 32² → 16² outputs; fc 8→10; batch 2
    assert count.macs == 2 * (8 * 3 * 9 * 16 * 16 + 8 * 10)
    assert user.source_file == "user_models/models.py" and user.source_line is not None


def test_data_dependent_model_falls_back_to_cpu_and_says_why() -> None:
    user, count = count_user_model("user_models.models:build_data_dependent", "1x3x16x16")
    assert count.path == "cpu" and user.device == "cpu"
    assert count.macs == 4 * 3 * 9 * 14 * 14
    assert any("meta" in n and "item" in n for n in user.notes)


def test_class_instance_and_kwargs() -> None:
    by_class = load_user_model("user_models.models:TinyNet", "1x3x8x8", kwargs={"num_classes": 3})
    assert by_class.module(*by_class.inputs).shape == (1, 3)
    assert not by_class.module.training
    inst = load_user_model("user_models.models:INSTANCE", "1x3x8x8")
    assert inst.module(*inst.inputs).shape == (1, 5)


def test_user_code_errors_carry_type_message_and_location() -> None:
    with pytest.raises(UserCodeError) as info:
        count_user_model("user_models.models:build_raises", "1x3x8x8")
    err = info.value
    assert err.status == ExitStatus.FAILURE
    assert (err.stage, err.exc_type, err.exc_message) == ("factory", "ValueError", "unsupported width multiplier 3")
    assert err.file == "user_models/models.py" and err.line is not None
    with pytest.raises(UserCodeError) as info:
        load_user_model("user_models.broken_import:build", "1x3x8x8")
    assert info.value.stage == "import" and info.value.exc_type == "ZeroDivisionError"


@pytest.mark.parametrize(("spec", "hint"), [
    ("user_models.models:buld_big", "build_big"),
    ("user_models.models:TinyNet.nope", "public callables"),
    ("user_models.nothere:x", "is it installed"),
    ("not a spec", "package.module:factory"),
    ("user_models.models:build_not_a_module", None),
])
def test_usage_errors(spec: str, hint: str | None) -> None:
    with pytest.raises(UsageError) as info:
        load_user_model(spec, "1x3x8x8")
    assert info.value.status == ExitStatus.ERROR
    if hint:
        assert hint in str(info.value)


def test_parse_inputs_and_model_args() -> None:
    specs = parse_inputs("1x3x32x32+1x77:int64")
    assert [(s.shape, s.dtype) for s in specs] == [((1, 3, 32, 32), "float32"), ((1, 77), "int64")]
    with pytest.raises(UsageError, match="did you mean 'int64'"):
        parse_inputs("1x8:int46")
    assert parse_model_args(["num_classes=10", "width=0.5", "name=tiny", "flag=true"]) == {
        "num_classes": 10, "width": 0.5, "name": "tiny", "flag": True}
    with pytest.raises(UsageError):
        parse_model_args(["novalue"])

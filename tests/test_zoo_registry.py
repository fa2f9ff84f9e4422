"""Every zoo entry builds on the meta device, runs its default input there, and matches published counts."""

from __future__ import annotations

import json

import pytest

from archsel.errors import UsageError
from archsel.zoo import registry
from archsel.zoo.inputs import make_inputs, override_shape, parse_shape
from archsel.zoo.spec import FAMILIES

ALL_IDS = registry.list_models()


def test_registry_rejects_duplicates() -> None:
    entry = registry.get_model_entry(ALL_IDS[0])
    with pytest.raises(ValueError, match="already registered"):
        registry.register_model(entry)


def test_list_models_fnmatch_filters() -> None:
    resnets = registry.list_models("resnet*")
    assert resnets and all(i.startswith("resnet") for i in resnets)
    assert "resnet50" not in registry.list_models("resnet*", exclude="*50")
    assert registry.list_models(["resnet50", "nope*"]) == ["resnet50"]


def test_unknown_model_suggests() -> None:
    with pytest.raises(UsageError) as info:
        registry.get_model_entry("resnet5")
    assert "did you mean 'resnet50'" in str(info.value)


def test_entries_are_well_formed() -> None:
    from archsel.query.vocab import load_vocabulary

    vocab = load_vocabulary()
    for entry in registry.all_entries():
        assert entry.family in FAMILIES
        assert entry.tasks, entry.id
        for task in entry.tasks:
            assert task in vocab.tasks, f"{entry.id}: task {task!r} is not in the vocabulary"
        if entry.data_dependent:
            assert entry.small_input, f"{entry.id}: data-dependent entries need a small CPU input"


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_builds_and_runs_on_meta(model_id: str) -> None:
    """Meta device: no weights allocated, no arithmetic; data-dependent models run on CPU at a small input."""
    import torch

    entry = registry.get_model_entry(model_id)
    device = "cpu" if entry.data_dependent else "meta"
    model = registry.get_model(model_id, device=device)
    params = sum(p.numel() for p in model.parameters())
    assert params > 0
    if entry.published_params is not None:
        assert params == entry.published_params
    for task in entry.tasks:
        spec = entry.small_input.get(task, entry.inputs[task]) if entry.data_dependent else entry.inputs[task]
        with torch.no_grad():
            out = model(*make_inputs(spec, batch=1 if entry.data_dependent else 2, device=device))
        assert out is not None


def test_parse_and_override_shape() -> None:
    entry = registry.get_model_entry("resnet50")
    assert parse_shape("1x3x224x224") == (1, 3, 224, 224)
    spec, batch = override_shape(entry.input_for(), parse_shape("8x3x160x160"))
    assert batch == 8 and spec.tensors[0].shape == (3, 160, 160)
    with pytest.raises(UsageError, match="dimensions"):
        override_shape(entry.input_for(), (3, 224))
    with pytest.raises(UsageError, match="bad input shape"):
        parse_shape("3x224xfoo")


def test_models_cli(archsel) -> None:  # type: ignore[no-untyped-def]
    out = archsel("models", "list", "--format", "json", "--task", "image")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["schema_version"] and "resnet50" in [m["id"] for m in data["models"]]
    bad = archsel("models", "show", "resnet5")
    assert bad.returncode == 2
    assert "did you mean 'resnet50'" in bad.stderr and "Traceback" not in bad.stderr
    bad_task = archsel("models", "list", "--task", "imag-classification")
    assert bad_task.returncode == 2 and "image-classification" in bad_task.stderr


def test_listing_does_not_import_torch(archsel) -> None:  # type: ignore[no-untyped-def]
    code = ("import sys; from archsel.cli import app; from typer.testing import CliRunner; "
            "r = CliRunner().invoke(app, {args}); assert r.exit_code == 0, r.output; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    import subprocess
    import sys

    for args in (["--help"], ["--version"], ["models", "list"], ["models", "show", "resnet50"]):
        proc = subprocess.run([sys.executable, "-c", code.format(args=args)], capture_output=True, text=True)
        assert proc.returncode == 0, (args, proc.stderr)

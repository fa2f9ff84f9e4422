"""ONNX export: a cached graph per (model, input shapes), atomic, read back without exporting again."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("onnx")

from archsel.profiling.deploy import BACKENDS, EAGER, require
from archsel.profiling.deploy.export import ExportFailed, export_onnx


def _resnet_tiny():  # a real torchvision model, small enough to export in a second
    import torch
    from torchvision.models import resnet18

    torch.manual_seed(0)
    return resnet18(num_classes=10).eval(), (torch.randn(1, 3, 64, 64),)


def test_export_writes_one_loadable_graph_and_reads_it_back_from_the_cache(tmp_path: Path) -> None:
    import onnx

    model, inputs = _resnet_tiny()
    first = export_onnx(model, inputs, {"model_id": "resnet18-tiny"}, root=tmp_path)
    assert not first.cached and first.exporter == "torchscript" and first.opset == 17
    assert first.path.parent == tmp_path / "onnx" and first.path.name.endswith(".torchscript.onnx")
    graph = onnx.load(str(first.path))
    onnx.checker.check_model(graph)
    assert first.input_names == ("input_0",)
    assert [d.dim_value for d in graph.graph.input[0].type.tensor_type.shape.dim] == [1, 3, 64, 64]
    assert not list(tmp_path.rglob("*.tmp"))  # nothing half-written left behind

    again = export_onnx(model, inputs, {"model_id": "resnet18-tiny"}, root=tmp_path)
    assert again.cached and again.path == first.path and again.seconds == 0.0


def test_another_input_shape_is_another_graph(tmp_path: Path) -> None:
    import torch

    model, _ = _resnet_tiny()
    a = export_onnx(model, (torch.randn(1, 3, 64, 64),), {"model_id": "m"}, root=tmp_path)
    b = export_onnx(model, (torch.randn(2, 3, 64, 64),), {"model_id": "m"}, root=tmp_path)
    assert a.path != b.path and len(list((tmp_path / "onnx").glob("*.onnx"))) == 2


def test_a_damaged_cached_graph_is_exported_again(tmp_path: Path) -> None:
    model, inputs = _resnet_tiny()
    first = export_onnx(model, inputs, {"model_id": "m"}, root=tmp_path)
    first.path.write_bytes(b"not a graph")
    again = export_onnx(model, inputs, {"model_id": "m"}, root=tmp_path)
    assert not again.cached and again.path.stat().st_size > 1000


def test_an_unexportable_module_is_an_export_failure_naming_each_exporter(tmp_path: Path) -> None:
    import torch

    class Eigen(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.linalg.eigvalsh(x @ x.T)  # no ONNX operator for it

    with pytest.raises(ExportFailed) as err:
        export_onnx(Eigen(), (torch.randn(4, 4),), {"model_id": "bad"}, root=tmp_path)
    assert "torchscript:" in str(err.value) and "dynamo:" in str(err.value)
    assert "eigvalsh" in str(err.value) and "\x1b" not in str(err.value)
    assert not list(tmp_path.rglob("*.onnx"))


def test_require_names_the_pip_install_for_a_missing_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from archsel.errors import UsageError

    require(EAGER)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name, *a))
    with pytest.raises(UsageError) as err:
        require("openvino")
    assert "openvino" in str(err.value) and 'archsel[openvino]' in (err.value.hint or "")
    assert set(BACKENDS) == {"onnxruntime", "openvino", "executorch"}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "executorch" else real(name, *a))
    with pytest.raises(UsageError) as err:
        require("executorch")
    assert 'archsel[executorch]' in (err.value.hint or "")

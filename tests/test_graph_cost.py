"""The graph cost model (archsel.estimation.graph_cost): the per-node fit recovers known costs and the parallel
efficiency; ORT's optimised int8 graph is read with each node's role, MACs and bytes (deploy.ort_graph), and
OpenVINO's executed graph (benchmarks/runtime_graph_cost.py)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import benchmark
from torch import nn

from archsel.estimation import graph_cost
from archsel.estimation.graph_cost import Sample
from archsel.profiling.deploy.graph_node import GraphNode


def test_fit_recovers_known_seconds_per_term() -> None:
    true = {"qconv": 3e-12, "q/dq bytes": 8e-11, "int8 nodes": 2e-6, "int8 call": 3e-5}
    rng = random.Random(0)
    rows = []
    for _ in range(40):
        terms = {"qconv": rng.uniform(1e8, 5e9), "q/dq bytes": rng.uniform(1e5, 5e7),
                 "int8 nodes": rng.randint(10, 300), "int8 call": 1}
        rows.append((graph_cost.predict(true, terms), terms))
    fitted = graph_cost.fit_seconds(rows, sorted(true), {})
    assert fitted == pytest.approx(true, rel=0.02)
    # a frozen term is held at its value: the others absorb nothing of it
    frozen = graph_cost.fit_seconds(rows, ["qconv", "int8 nodes", "int8 call"], {"q/dq bytes": true["q/dq bytes"]})
    assert frozen["qconv"] == pytest.approx(true["qconv"], rel=0.02)


def _conv(role: str, macs: int) -> GraphNode:
    return GraphNode("QLinearConv" if role == "int8" else "Conv", role, "conv", macs, 2, macs // 50, macs // 50,
                     macs // 500, 0, 0)


def _qdq(elements: int) -> GraphNode:
    return GraphNode("QuantizeLinear", "qdq", "other", 0, 0, 4 * elements, elements, elements, 0, 0)


def test_graph_fit_recovers_float_then_integer_terms_and_the_parallel_efficiency() -> None:
    """Samples made from known seconds per term at parallel efficiency 0.8: fp32 is fitted first, int8 keeps
    fp32's float terms (its graphs' float conv) and fits its own; a held-out model is estimated within 5%."""
    true = {"fconv": 2e-11, "fconv sqrt": 0.0, "f conv outputs": 1e-10, "other bytes": 5e-11, "fp32 nodes": 3e-6,
            "fp32 nodes x threads": 1e-6, "fp32 call": 2e-5, "qconv": 5e-12, "qconv sqrt": 0.0,
            "q conv outputs": 3e-10, "q/dq bytes": 1e-10, "int8 nodes": 4e-6, "int8 nodes x threads": 2e-6,
            "int8 call": 5e-5}
    rng = random.Random(1)
    samples = []
    for m in range(12):
        sizes = [int(rng.uniform(1e6, 3e8)) for _ in range(rng.randint(3, 30))]
        graphs = {"fp32": tuple(_conv("float", s) for s in sizes),
                  "int8": (_qdq(sizes[0] // 100), *(_conv("int8", s) for s in sizes[1:]), _conv("float", sizes[0]))}
        for precision, nodes in graphs.items():
            for threads in (1, 2):
                seconds = graph_cost.predict(true, graph_cost.terms(nodes, precision, threads, 0.8, 0.0))
                samples.append(Sample(f"m{m}", precision, threads, seconds, nodes))
    fitted = graph_cost.fit_graph(samples, lambda _t: 0.0)
    assert fitted.parallel == 0.8 and fitted.models["int8"] == sorted({s.model for s in samples})
    for precision in ("fp32", "int8"):
        for s in samples:
            if s.precision == precision:
                assert fitted.estimate_s(s.nodes, precision, s.threads, 0.0) == pytest.approx(s.measured_s, rel=0.01)
    assert fitted.seconds["int8"]["fconv"] == fitted.seconds["fp32"]["fconv"]  # held at fp32's
    held = graph_cost.leave_one_model_out(samples, lambda _t: 0.0)
    assert len(held) == len(samples)
    assert all(h.estimated_s == pytest.approx(h.sample.measured_s, rel=0.05) for h in held)


def test_ort_int8_graph_is_read_with_roles_macs_and_bytes(tmp_path: Path) -> None:
    import numpy as np

    quantization = pytest.importorskip("onnxruntime.quantization")
    from archsel.profiling.deploy.export import export_onnx
    from archsel.profiling.deploy.ort_graph import graph_nodes

    class Calibration(quantization.CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{"input_0": np.random.default_rng(i).standard_normal((1, 8, 16, 16), np.float32)}
                                 for i in range(2)])

        def get_next(self) -> dict[str, Any] | None:
            return next(self.batches, None)

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1, groups=16),
                          nn.Hardswish(), nn.Conv2d(16, 8, 1))
    exported = export_onnx(model.eval(), (torch.randn(1, 8, 16, 16),), {"test": "graph cost"}, root=tmp_path)
    target = tmp_path / "int8.onnx"
    quantization.quantize_static(str(exported.path), str(target), Calibration(),
                                 activation_type=quantization.QuantType.QUInt8, per_channel=True)
    feeds = {"input_0": np.zeros((1, 8, 16, 16), np.float32)}
    nodes = graph_nodes(target, feeds)
    compute = [n for n in nodes if n.role == "int8"]
    assert [(n.op, n.kind, n.macs) for n in compute] == [
        ("QLinearConv", "conv", 16 * 16 * 16 * 8 * 9), ("QLinearConv", "depthwise_conv", 16 * 16 * 16 * 9),
        ("QLinearConv", "conv", 8 * 16 * 16 * 16)]
    first = nodes[0]  # the input quantized: fp32 in, uint8 out
    assert (first.role, first.in_bytes, first.out_bytes) == ("qdq", 8 * 16 * 16 * 4, 8 * 16 * 16)
    # HardSwish has no QDQ kernel: a float island (ORT runs it as HardSigmoid x input) between a
    # DequantizeLinear and a QuantizeLinear
    assert [(n.op, n.role) for n in nodes[3:7]] == [("DequantizeLinear", "qdq"), ("HardSigmoid", "other"),
                                                     ("Mul", "other"), ("QuantizeLinear", "qdq")]
    assert [graph_cost.node_class(n) for n in compute] == ["qconv", "qdepthwise", "qconv"]
    fp32 = graph_nodes(exported.path, feeds)
    assert [graph_cost.node_class(n) for n in fp32 if n.role == "float"] == ["fconv", "fdepthwise", "fconv"]


def test_openvino_executed_graph_is_read_with_macs_from_the_onnx_nodes(tmp_path: Path) -> None:
    import numpy as np

    ov = pytest.importorskip("openvino")
    import onnx

    from archsel.profiling.deploy import onnx_count
    from archsel.profiling.deploy.export import export_onnx

    bench = benchmark("runtime_graph_cost")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1, groups=16),
                          nn.Flatten(), nn.Linear(16 * 16 * 16, 10))
    exported = export_onnx(model.eval(), (torch.randn(1, 8, 16, 16),), {"test": "graph cost ov"}, root=tmp_path)
    graph = onnx.load(str(exported.path))
    counts = {c.name: c for c in onnx_count.count_nodes(graph, {"input_0": np.zeros((1, 8, 16, 16), np.float32)})[0]}
    compiled = ov.Core().compile_model(str(exported.path), "CPU", {"INFERENCE_PRECISION_HINT": "f32",
                                                                    "INFERENCE_NUM_THREADS": 1})
    nodes = bench.ov_nodes(compiled, graph, counts)
    compute = [(graph_cost.node_class(n), n.macs) for n in nodes if n.role == "float"]
    assert compute == [("fconv", 16 * 16 * 16 * 8 * 9), ("fdepthwise", 16 * 16 * 16 * 9), ("fmatmul", 4096 * 10)]
    assert all(n.role == "other" for n in nodes if not n.macs)  # fp32: nothing is quantized


def test_a_compute_class_no_reference_had_is_named_not_charged_nothing() -> None:
    fit = graph_cost.GraphFit(1.0, {"int8": {"qconv": 1e-11, "int8 nodes": 1e-6, "int8 call": 1e-5}}, "fp32")
    matmul = GraphNode("QGemm", "int8", "matmul", 10**6, 0, 10**4, 10**3, 10**3, 0, 0)
    assert fit.unfitted_classes([_conv("int8", 10**7), matmul], "int8") == ["int8 matmul"]
    assert fit.unfitted_classes([_conv("int8", 10**7), _qdq(100)], "int8") == []
    rows = fit.breakdown([_conv("int8", 10**7), _qdq(100)], "int8", 1, 0.0)
    assert [r["op_class"] for r in rows] == ["int8 conv", "call", "q/dq"]
    assert sum(float(r["time_ms"]) for r in rows) == pytest.approx(
        fit.estimate_s([_conv("int8", 10**7), _qdq(100)], "int8", 1, 0.0) * 1e3)


def test_a_3d_convolution_no_reference_had_costs_as_a_2d_one_and_is_held_out_only_where_costed() -> None:
    """oneDNN and MLAS run 3-D convolutions as the same implicit GEMMs as 2-D ones: an unfitted qconv3d takes
    qconv's seconds (r3d_18 held out of a calibration was 30x too fast without); a class with no parent is
    named unfitted and its samples left out of the held-out score (the product estimates them from the trace)."""
    fit = graph_cost.GraphFit(1.0, {"int8": {"qconv": 1e-11, "q conv outputs": 0.0, "int8 nodes": 1e-6}}, "fp32")
    conv3d = GraphNode("QLinearConv", "int8", "conv", 10**8, 3, 10**5, 10**5, 10**4, 0, 0)
    assert fit.unfitted_classes([conv3d], "int8") == []
    assert fit.estimate_s([conv3d], "int8", 1, 0.0) == pytest.approx(1e8 * 1e-11 + 1e-6)
    samples = []
    for m in range(4):
        nodes = (_conv("int8", 10**7 * (m + 1)),) if m < 3 else (GraphNode("QGemm", "int8", "matmul", 10**6, 0,
                                                                           10**4, 10**3, 10**3, 0, 0),)
        for precision in ("fp32", "int8"):
            samples.append(Sample(f"m{m}", precision, 1, 1e-3 * (m + 1), nodes if precision == "int8" else
                                  (_conv("float", 10**7 * (m + 1)),)))
    held = graph_cost.leave_one_model_out(samples, lambda _t: 0.0)
    assert {(h.sample.model, h.sample.precision) for h in held} == \
        {(f"m{m}", p) for m in range(4) for p in ("fp32", "int8")} - {("m3", "int8")}  # no other had int8 matmul

"""One node of the graph a runtime runs, as the graph cost model (archsel.estimation.graph_cost) costs it: read
from ONNX Runtime's optimised graph (deploy.ort_graph) or OpenVINO's executed graph (benchmarks/runtime_graph_cost.py).
"""

from __future__ import annotations

from dataclasses import dataclass

# A node's role in the graph: an integer or a float compute kernel, a (de)quantization, an integer elementwise
# op without MACs, any other op.
ROLES: tuple[str, ...] = ("int8", "float", "qdq", "int8 elementwise", "other")


@dataclass(frozen=True)
class GraphNode:
    """One node of the graph a runtime runs."""

    op: str  # the runtime's op or layer type
    role: str  # one of ROLES
    kind: str  # conv, depthwise_conv, matmul, recurrent, or another of onnx_count's kinds
    macs: int
    rank: int  # spatial rank of a convolution's kernel (0: not a convolution)
    in_bytes: int
    out_bytes: int
    out_elements: int
    steps: int  # recurrent: time steps x directions
    state_bytes: int  # recurrent: one direction's recurrence weights, at their element size

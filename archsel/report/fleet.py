"""The document of `archsel fleet status`: the nodes of the cluster, the target each serves, their facts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsel.report.document import SCHEMA_VERSION, Column, Document, TableView
from archsel.units import format_bytes

if TYPE_CHECKING:
    from archsel.profiling.fleet.cluster import FleetNode


def status_document(address: str, nodes: list[tuple[FleetNode, dict[str, Any] | None, str | None]]) -> Document:
    """One row per node; JSON carries every fact each node reported."""
    records = []
    rows = []
    for n, facts, problem in nodes:
        f = facts or {}
        records.append({"node_id": n.node_id, "address": n.address, "alive": n.alive, "targets": list(n.targets),
                        "ray_cpus": n.cpus, "facts": {k: v for k, v in f.items() if k != "node_id"} or None,
                        "problem": problem})
        rows.append({
            "node": n.node_id[:12], "address": n.address, "state": "alive" if n.alive else "dead",
            "targets": ", ".join(n.targets) or "none",
            "cpu": f"{f['cpu_model']} ({f['cpu_cores']} cores)" if facts else (problem or ""),
            "gpu": f.get("gpu_name") or "—",
            "memory": format_bytes(f["memory_bytes"]) if f.get("memory_bytes") else "—",
            "versions": f"archsel {f['archsel_version']}, torch {f['torch_version']}" if facts else "—",
        })
    served = sorted({t for n, _f, _p in nodes if n.alive for t in n.targets})
    payload = {"schema_version": SCHEMA_VERSION, "command": "fleet status", "address": address,
               "targets": served, "nodes": records}
    view = TableView(
        # one line per node at any width: narrower terminals drop versions, address, memory, GPU, then CPU
        columns=[Column("node", "node", no_wrap=True), Column("address", "address", drop=4),
                 Column("state", "state"), Column("targets", "archsel target", shrink=True),
                 Column("cpu", "CPU", drop=1, shrink=True), Column("gpu", "GPU", drop=2),
                 Column("memory", "memory", justify="right", drop=3), Column("versions", "versions", drop=5)],
        rows=rows, one_line=True,
        title=f"Ray cluster at {address}: {len(nodes)} node(s), targets served: {', '.join(served) or 'none'}",
    )
    return Document(payload, "nodes", [view])

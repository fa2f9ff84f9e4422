"""The Ray cluster of devices: its address, connecting to it, and which archsel target each node serves.

A device node advertises the target it is with one Ray custom resource, `archsel:<target>` (quantity 1):
`ray start --address=HEAD:6379 --resources='{"archsel:jetson-orin-nano": 1}'`. Every measurement asks for
one unit of it, so Ray itself runs one measurement at a time per device and spreads the work over every
node serving the target.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from archsel.errors import UsageError

RESOURCE_PREFIX = "archsel:"
ADDRESS_ENV = ("ARCHSEL_RAY_ADDRESS", "RAY_ADDRESS")
INSTALL_HINT = "pip install 'archsel[fleet]' (Ray)"
CONNECT_TIMEOUT_S = 5.0  # a TCP answer from the head's GCS port before Ray (which would retry for minutes)


def target_resource(target: str) -> str:
    """The custom resource a node serving `target` advertises."""
    return RESOURCE_PREFIX + target


def import_ray() -> ModuleType:
    """Ray, or a usage error naming the extra that brings it."""
    try:
        import ray
    except ImportError:
        raise UsageError("the fleet needs Ray, which is not installed", hint=INSTALL_HINT) from None
    return ray


def resolve_address(address: str | None) -> str:
    """The cluster's address: the option, else $ARCHSEL_RAY_ADDRESS, else Ray's own $RAY_ADDRESS."""
    for value in (address, *(os.environ.get(name) for name in ADDRESS_ENV)):
        if value and value.strip():
            return value.strip()
    raise UsageError("no Ray cluster address",
                     hint="give --address HOST:PORT (the head's `ray start --head --port`) or set ARCHSEL_RAY_ADDRESS")


def _host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"bad Ray cluster address {address!r}", hint="give HOST:PORT, e.g. 10.0.0.5:6379")
    return host.strip("[]"), int(port)


def connect(address: str | None, runtime_env: dict[str, Any] | None = None) -> ModuleType:
    """Ray, connected to the cluster at `address` (see resolve_address); one line and exit 2 when nothing
    answers there. A process stays connected to one cluster (the first connection's `runtime_env`, e.g. the
    working folder shipped to the nodes, holds for all its tasks: Ray uploads folders per job only)."""
    ray = import_ray()
    where = resolve_address(address)
    host, port = _host_port(where)
    if ray.is_initialized():
        return ray
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise UsageError(f"no Ray cluster answers at {where} ({exc.strerror or exc})",
                         hint="start the head with `ray start --head --port PORT`, or check the address") from None
    import logging

    try:
        ray.init(address=f"{host}:{port}", log_to_driver=False, logging_level=logging.ERROR, runtime_env=runtime_env)
    except Exception as exc:  # Ray's connection errors have no common base class
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise UsageError(f"could not join the Ray cluster at {where}: {why}",
                         hint="is it a Ray head (GCS) port, with the same Ray version and auth token here?") from None
    return ray


@dataclass(frozen=True)
class FleetNode:
    """One node of the cluster as Ray reports it."""

    node_id: str
    address: str
    alive: bool
    targets: tuple[str, ...]  # archsel targets it advertises
    cpus: float
    memory_bytes: int

    def serves(self, target: str) -> bool:
        return self.alive and target in self.targets


def fleet_nodes(ray: Any) -> list[FleetNode]:
    """Every node Ray knows (dead ones too, marked), in node-id order."""
    nodes = []
    for n in ray.nodes():
        res = n.get("Resources") or {}
        targets = tuple(sorted(k[len(RESOURCE_PREFIX):] for k in res if k.startswith(RESOURCE_PREFIX)))
        nodes.append(FleetNode(str(n["NodeID"]), str(n.get("NodeManagerAddress", "")), bool(n.get("Alive")), targets,
                               float(res.get("CPU", 0.0)), int(res.get("memory", 0))))
    return sorted(nodes, key=lambda node: node.node_id)


def serving(nodes: list[FleetNode], target: str) -> list[FleetNode]:
    """The live nodes that serve `target`."""
    return [n for n in nodes if n.serves(target)]


def require_serving(ray: Any, address: str, target: str) -> list[FleetNode]:
    """The live nodes serving `target`; a usage error saying how to start one when there is none."""
    found = serving(fleet_nodes(ray), target)
    if not found:
        raise UsageError(f"no live node of the cluster at {address} serves {target}",
                         hint=f"start one with ray start --address {address} "
                              f"--resources '{{\"{target_resource(target)}\": 1}}'")
    return found


FACTS_TIMEOUT_S = 60.0  # a node that has not reported its facts by then is listed without them


def nodes_with_facts(ray: Any) -> list[tuple[FleetNode, dict[str, Any] | None, str | None]]:
    """Every node with the facts it reports about itself (archsel.profiling.fleet.node.node_facts, run on
    that node), or None and why (dead, no answer in FACTS_TIMEOUT_S, archsel or torch missing there)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from archsel.profiling.fleet import node

    nodes = fleet_nodes(ray)
    refs = {}
    for n in nodes:
        if n.alive:
            strategy = NodeAffinitySchedulingStrategy(node_id=n.node_id, soft=False)
            refs[n.node_id] = ray.remote(node.node_facts).options(num_cpus=0, scheduling_strategy=strategy,
                                                                  max_retries=0).remote()
    ready, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=FACTS_TIMEOUT_S)
    out: list[tuple[FleetNode, dict[str, Any] | None, str | None]] = []
    for n in nodes:
        ref = refs.get(n.node_id)
        if ref is None:
            out.append((n, None, "dead"))
        elif ref not in ready:
            ray.cancel(ref, force=True)
            out.append((n, None, f"no answer within {FACTS_TIMEOUT_S:g} s"))
        else:
            try:
                out.append((n, ray.get(ref), None))
            except Exception as exc:  # archsel or torch missing on that node, or it died meanwhile
                lines = str(exc).strip().splitlines()
                out.append((n, None, f"{type(exc).__name__}: {lines[-1].strip() if lines else ''}"))
    return out

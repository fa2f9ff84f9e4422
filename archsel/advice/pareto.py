"""The Pareto front of (quality ↑, cost ↓) points."""

from __future__ import annotations

from collections.abc import Mapping


def pareto_front(points: Mapping[str, tuple[float, float]]) -> set[str]:
    """Ids of the points no other point dominates (quality ≥ and cost ≤, one of them strictly).

    `points` maps an id to (quality, cost); equal points are all on the front.
    """
    front: set[str] = set()
    items = list(points.items())
    for name, (q, c) in items:
        dominated = any(
            (q2 >= q and c2 <= c) and (q2 > q or c2 < c)
            for other, (q2, c2) in items if other != name
        )
        if not dominated:
            front.add(name)
    return front

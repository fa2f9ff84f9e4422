"""The Pareto chart of an advice result: published quality against latency (MACs without a target), with
the budget line and the front; candidates without a published figure (quality unknown) are listed, not placed.

`--plot FILE.png|.svg|.pdf` draws it with the optional `plot` extra (matplotlib); without it `--plot` is a
usage error (exit 2) that names the extra, and `--details` shows a small text chart instead (ascii_front).
`--plot term` (or `-`) draws it in the terminal under the table with plotext (the same extra): published
quality only, the budget line, the front, and which candidates it could not place.
"""

from __future__ import annotations

import importlib.util
import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from archsel.errors import UsageError
from archsel.files import write_atomic
from archsel.units import format_ms, format_si

if TYPE_CHECKING:
    from archsel.advice.pipeline import AdviceResult, Outcome

SUFFIXES = (".png", ".svg", ".pdf")
FRONT, OTHER = "#d62728", "#1f77b4"
EXTRA_HINT = "install the plot extra: pip install 'archsel[plot]' (matplotlib)"


def matplotlib_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def placed_outcomes(outcomes: list[Outcome]) -> list[Outcome]:
    """Those of `outcomes` the chart can place: costed, with a published quality."""
    return [o for o in outcomes if o.cost is not None and o.quality is not None and o.quality.value is not None]


def quality_of(o: Outcome) -> float:
    """A placed outcome's normalised quality."""
    assert o.quality is not None and o.quality.value is not None
    return o.quality.value


def x_value(o: Outcome, result: AdviceResult) -> float:
    """Where a candidate sits on the cost axis: latency (ms, at the query's statistic), or MACs."""
    assert o.cost is not None
    if result.cost_axis == "latency" and o.cost.latency is not None:
        return float(o.cost.latency.at(result.request.latency_stat))
    return float(o.cost.macs)


TERMINAL = ("term", "-")  # --plot values that draw in the terminal
TERM_HINT = "install the plot extra: pip install 'archsel[plot]' (plotext)"


def check_plot_path(path: str) -> Path | None:
    """The output path (None: the terminal, TERMINAL), after checking its suffix and that the library that
    draws it is importable (UsageError if not)."""
    if path in TERMINAL:
        if importlib.util.find_spec("plotext") is None:
            raise UsageError(f"--plot {path}: the terminal chart needs plotext, which is not installed",
                             hint=TERM_HINT)
        return None
    out = Path(path)
    if out.suffix.lower() not in SUFFIXES:
        raise UsageError(f"--plot {path!r}: unknown image type {out.suffix or '(none)'}",
                         hint="use a .png, .svg or .pdf file name")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("--plot needs matplotlib, which is not installed", hint=EXTRA_HINT) from None
    if not out.parent.exists():
        raise UsageError(f"--plot {path!r}: folder {str(out.parent)!r} does not exist")
    return out


def write_plot(result: AdviceResult, path: Path) -> None:
    """Draw the chart for `result` into `path` (format from the suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    req = result.request
    use_latency = result.cost_axis == "latency"
    pts = placed_outcomes(result.ranked)
    misses = placed_outcomes(result.excluded)
    unknown = [o.candidate.id for o in result.ranked if o not in pts]

    def x_of(o: Outcome) -> float:
        return x_value(o, result) / (1.0 if use_latency else 1e9)  # latency ms, or GMACs

    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=120)
    if misses:
        ax.scatter([x_of(o) for o in misses], [quality_of(o) for o in misses], s=30, marker="x",
                   color="#bbbbbb", zorder=2)
    if pts:
        colours = [FRONT if o.pareto else OTHER for o in pts]
        ax.scatter([x_of(o) for o in pts], [quality_of(o) for o in pts], s=55, marker="o", facecolors=colours,
                   edgecolors=colours, linewidths=1.5, zorder=3)
    front = sorted((o for o in pts if o.pareto), key=x_of)
    if front:
        ax.step([x_of(o) for o in front], [quality_of(o) for o in front], where="post",
                color=FRONT, linewidth=1.2, zorder=2)
    if use_latency and req.latency_ms is not None:
        ax.axvline(req.latency_ms, color="#2ca02c", linestyle="--", linewidth=1.2)
    ax.set_xlim(left=0)
    fig.canvas.draw()
    placed: list[tuple[float, float]] = []
    for o in sorted(pts, key=lambda o: (x_of(o), -quality_of(o))):
        px, py = ax.transData.transform((x_of(o), quality_of(o)))
        dy = 4.0
        while any(abs(px - qx) < 110 and abs(py + dy - qy) < 10 for qx, qy in placed):
            dy -= 10.0  # stagger labels of nearby points downwards
        placed.append((px, py + dy))
        text = f"{o.rank} {o.candidate.id}" + (f" ({o.cost.precision})" if o.variant_of and o.cost else "")
        ax.annotate(text, (x_of(o), quality_of(o)), textcoords="offset points", xytext=(6, dy * 72 / fig.dpi),
                    fontsize=7.5, color=FRONT if o.pareto else "#333333")
    handles = [
        Line2D([], [], marker="o", linestyle="", color=OTHER, label="published quality"),
        Line2D([], [], marker="o", linestyle="-", color=FRONT, label="Pareto front (label = rank)"),
    ]
    if misses:
        handles.append(Line2D([], [], marker="x", linestyle="", color="#bbbbbb", label="excluded by a constraint"))
    if use_latency and req.latency_ms is not None:
        handles.append(Line2D([], [], color="#2ca02c", linestyle="--",
                              label=f"budget {req.latency_ms:g} ms ({req.latency_stat})"))
    kind = result.ranked[0].cost.latency.kind if (
        result.ranked and result.ranked[0].cost and result.ranked[0].cost.latency) else "estimated"
    where = result.target.name if result.target else "this machine"
    ax.set_xlabel(f"latency ms ({req.latency_stat}, {kind}, {where}, batch {req.batch})" if use_latency
                  else "GMACs per forward pass")
    ax.set_ylabel("quality: published / best of the task")
    if unknown:
        fig.text(0.01, 0.005, textwrap.shorten("not placed (quality unknown): " + ", ".join(unknown), 160),
                 fontsize=7, color="#555555")
    ax.set_title(f"archsel: {result.query.task} on {where}" + (f", budget {req.latency_ms:g} ms"
                                                               if req.latency_ms else ""), fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(handles=handles, fontsize=8, loc="lower left", framealpha=0.9)
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, format=path.suffix.lower().lstrip("."))
    plt.close(fig)
    write_atomic(path, image.getvalue(), what="--plot")


# ------------------------------------------------------------------------------------------ terminal chart


def ascii_front(result: AdviceResult, width: int = 60, height: int = 12) -> list[str]:
    """A small text scatter of quality (↑) against the cost axis (→): Pareto points by rank, others '·',
    the latency budget as a column of '|'."""
    pts = placed_outcomes(result.ranked)
    if not pts:
        return []
    use_latency = result.cost_axis == "latency"
    xs = [x_value(o, result) for o in pts]
    qs = [quality_of(o) for o in pts]
    budget = result.request.latency_ms if use_latency else None
    x_max = max([*xs, budget or 0.0]) * 1.05 or 1.0
    q_lo, q_hi = min(qs), max(qs)
    if q_hi - q_lo < 1e-9:
        q_lo, q_hi = q_lo - 0.5, q_hi + 0.5
    grid = [[" "] * width for _ in range(height)]
    if budget is not None:
        col = min(width - 1, int(budget / x_max * (width - 1)))
        for cells in grid:
            cells[col] = "|"
    for o, x in sorted(zip(pts, xs, strict=True), key=lambda p: p[0].pareto):  # front drawn last (on top)
        col = min(width - 1, int(x / x_max * (width - 1)))
        line = grid[round((q_hi - quality_of(o)) / (q_hi - q_lo) * (height - 1))]
        label = str(o.rank) if o.pareto else "·"
        for i, ch in enumerate(label):
            if col + i < width:
                line[col + i] = ch
    axis = "latency ms" if use_latency else "MACs"
    lines = [f"Pareto front, terminal view: published quality ↑ vs {axis} →"
             + (f"; | = budget {budget:g} ms" if budget is not None else "")]
    lines += [f"{q_hi:5.2f} ┤" + "".join(grid[0])]
    lines += ["      │" + "".join(r) for r in grid[1:-1]]
    lines += [f"{q_lo:5.2f} ┤" + "".join(grid[-1])]
    scale = format_ms(x_max) if use_latency else format_si(x_max)
    lines.append("      └" + "─" * (width - len(scale) - 1) + " " + scale)
    lines.append("      front: " + ", ".join(f"{o.rank} {o.candidate.id}" for o in pts if o.pareto))
    return lines


def terminal_plot(result: AdviceResult, width: int, colour: bool, height: int = 20) -> str:
    """The chart for the terminal (plotext): published quality (↑) against the cost axis (→), the front
    joined and labelled by rank, the budget as a vertical line; then which candidates have no published
    figure to place them by. Raw values where every placed candidate reports the same metric on the same
    data set, else quality / best of the task."""
    import re

    import plotext as plt

    placed = [o for o in placed_outcomes(result.ranked) if o.candidate.quality]
    unplaced = [o.candidate.id for o in result.ranked if o not in placed]
    use_latency = result.cost_axis == "latency"
    axis = f"latency ms {result.request.latency_stat}" if use_latency else "MACs"
    kinds = {(str(o.candidate.quality["metric"]), str(o.candidate.quality["dataset"]))  # type: ignore[index]
             for o in placed}
    raw = len(kinds) == 1

    def y(o: Outcome) -> float:
        assert o.candidate.quality is not None
        return float(o.candidate.quality["value"]) if raw else quality_of(o)

    lines: list[str] = []
    if placed:
        plt.clf()
        plt.plotsize(max(min(width, 120), 40), height)
        plt.theme("clear" if not colour else "pro")
        front = sorted((o for o in placed if o.pareto), key=lambda o: x_value(o, result))  # pipeline.rank's
        rest = [o for o in placed if not o.pareto]
        if rest:
            plt.scatter([x_value(o, result) for o in rest], [y(o) for o in rest], marker="dot", label="others")
        if front:
            plt.plot([x_value(o, result) for o in front], [y(o) for o in front], marker="dot",
                     label="Pareto front")
        for o in placed:
            plt.text(str(o.rank), x_value(o, result), y(o))
        budget = result.request.latency_ms if use_latency else None
        xs = [x_value(o, result) for o in placed]
        if budget is not None:
            plt.vline(budget)
        plt.xlim(0, max([*xs, budget or 0.0]) * 1.08)
        metric, dataset = next(iter(kinds)) if raw else ("quality / best of the task", "")
        lines += textwrap.wrap(f"Pareto front: {metric}{f' ({dataset})' if dataset else ''} vs {axis}"
                               + (f"; the line at {budget:g} ms is the budget" if budget is not None else ""), width)
        plt.xlabel(axis)
        text = plt.build()
        if not colour:
            text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        lines += [line.rstrip() for line in text.splitlines()]
        lines += textwrap.wrap("points: their rank in the table; front on published quality: "
                               + ", ".join(f"{o.rank} {o.candidate.id}" for o in front), width)
    lines += textwrap.wrap(f"not placed (no published quality): {', '.join(unplaced)}" if unplaced
                           else "every ranked candidate placed", width)
    return "\n".join(lines) + "\n"


"""The answer first: `recommend`'s terminal table is one line per candidate at any width, with at most five
lines under it; every detail stays in --details and the machine formats."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable

import pytest
from rich.cells import cell_len

from archsel.units import format_ms

Run = Callable[..., subprocess.CompletedProcess[str]]
VIDEO_EDGE = ("recommend", "--task", "video", "--target", "edge", "--latency-ms", "50")
ROW = re.compile(r"^\s*(★ )?\d+  \S")  # a candidate's line: (the Pareto mark and) its rank, then its model


def table_parts(stdout: str) -> tuple[list[str], list[str], list[str]]:
    """(the header and candidate lines, the candidate lines, the lines after the table's caption)."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("#  model"))
    caption = next(i for i, line in enumerate(lines) if line.startswith("★ Pareto front"))
    return lines[header:caption], lines[header + 1:caption], lines[caption + 1:]


@pytest.mark.parametrize("width", [80, 100, 160])
def test_one_line_per_candidate_and_a_short_footer_at_any_width(archsel: Run, width: int) -> None:
    out = archsel(*VIDEO_EDGE, env={"COLUMNS": str(width), "NO_COLOR": "1"})
    assert out.returncode == 0, out.stderr
    table, rows, footer = table_parts(out.stdout)
    assert "\x1b[" not in out.stdout  # NO_COLOR, and not a terminal: plain text
    doc = json.loads(archsel(*VIDEO_EDGE, "-f", "json").stdout)
    shown = [c["id"] for c in doc["candidates"]]
    assert len(rows) == len(shown) == 10 and all(ROW.match(r) for r in rows)  # one line each, nothing wrapped
    assert all(cell_len(line) <= width for line in table)
    for row, cid in zip(rows, shown, strict=True):  # in rank order, each model's whole id on its own line
        assert cid in row
    # the ranks read down one column, Pareto-marked or not ("  1", "★ 3", " 10")
    ranks = [re.search(r"\d+", r) for r in rows]
    assert [int(m.group(0)) for m in ranks if m] == list(range(1, 11))
    assert len({cell_len(r[:m.end()]) for r, m in zip(rows, ranks, strict=True) if m}) == 1
    assert 1 <= len(footer) <= 5 and all(cell_len(line) <= width for line in footer)
    assert footer[0] == "Target: jetson-orin-nano (edge), runtime tensorrt on the gpu (its default)."
    assert footer[1].startswith("Latency: estimated, batch 1, p50; held-out median error ")
    assert footer[-1].startswith("More: --details")
    header = table[0].split()
    assert {"#", "model", "latency", "score"} <= set(header)  # what never goes
    if width >= 100:
        assert {"family", "MACs", "params", "quality"} <= set(header)


def test_numbers_are_never_cut(archsel: Run) -> None:
    """At 60 columns the columns go in their fixed order (family, params, MACs, score, quality); the model
    names may be cut, a figure never."""
    out = archsel(*VIDEO_EDGE, env={"COLUMNS": "60", "NO_COLOR": "1"})
    assert out.returncode == 0, out.stderr
    table, rows, _ = table_parts(out.stdout)
    assert all(cell_len(line) <= 60 for line in table)
    assert table[0].split()[:4] == ["#", "model", "latency", "ms"] and "family" not in table[0]
    doc = json.loads(archsel(*VIDEO_EDGE, "-f", "json").stdout)
    for row, c in zip(rows, doc["candidates"], strict=True):
        assert f" {format_ms(c['latency']['value_ms'])} est ✓" in row, row


def test_details_and_json_keep_every_reason_and_source(archsel: Run) -> None:
    details = archsel(*VIDEO_EDGE, "--details", env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert details.returncode == 0, details.stderr
    doc = json.loads(archsel(*VIDEO_EDGE, "-f", "json").stdout)
    assert "Sources of the rules that fired:" in details.stdout and "Advice:" in details.stdout
    for rule in doc["trace"]:  # every fired rule's source is cited in --details
        assert f"  {rule['rule']}: " in details.stdout
    for advice in doc["advice"]:
        assert advice["text"][:40] in details.stdout
    assert all(c["reasons"] for c in doc["candidates"])  # JSON keeps the reasons the one-line table leaves out
    concise = archsel(*VIDEO_EDGE, env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert "Sources of the rules" not in concise.stdout
    assert f"Advice [{doc['advice'][0]['rule']}]: {doc['advice'][0]['text']}" in concise.stdout


def test_wide_adds_band_headroom_and_memory_on_one_line(archsel: Run) -> None:
    out = archsel(*VIDEO_EDGE, "--wide", env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert out.returncode == 0, out.stderr
    table, rows, _ = table_parts(out.stdout)
    assert {"band", "headroom", "memory", "precision", "family"} <= set(table[0].split())
    assert len(rows) == 10 and all(ROW.match(r) for r in rows)
    assert re.search(r"\+\d[\d.]* ms \+\d+%", rows[0])  # headroom: ms and share of the budget


def test_details_and_wide_together_are_a_usage_error(archsel: Run) -> None:
    out = archsel(*VIDEO_EDGE, "--details", "--wide")
    assert out.returncode == 2 and "--details and --wide" in out.stderr and "Traceback" not in out.stderr


def test_plot_term_draws_published_quality_under_the_table(archsel: Run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("plotext")
    out = archsel(*VIDEO_EDGE, "--plot", "term", env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert out.returncode == 0, out.stderr
    assert "\x1b[" not in out.stdout
    lines = out.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Pareto front: top-1 accuracy % (Kinetics-400)"))
    assert lines[start - 1].startswith("More: ")  # after the table and its notes
    assert "the line at 50 ms is the budget" in lines[start]
    chart = "\n".join(lines[start:])
    doc = json.loads(archsel(*VIDEO_EDGE, "-f", "json").stdout)
    published = {c["id"] for c in doc["candidates"] if c["published_quality"]}
    unpublished = [c["id"] for c in doc["candidates"] if not c["published_quality"]]
    assert published and unpublished
    placed_line = chart.split("not placed (no published quality): ")[1].replace("\n", " ")
    assert all(cid in placed_line for cid in unpublished)  # says which it could not place
    assert not any(cid in placed_line.split(", ") for cid in published)
    front = chart.split("front on published quality: ")[1].split("not placed")[0].replace("\n", " ")
    assert "r2plus1d_18" in front  # published quality only: the fastest published candidate is on the front


def test_plot_term_is_for_the_table_and_needs_plotext(archsel: Run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import sys

    out = archsel(*VIDEO_EDGE, "--plot", "term", "-f", "json")
    assert out.returncode == 2 and "--format json is data" in out.stderr and out.stdout == ""
    shadow = tmp_path / "no_plotext"
    (shadow / "plotext").mkdir(parents=True)
    (shadow / "plotext" / "__init__.py").write_text("raise ImportError('plotext hidden by the test')\n")
    code = ("import sys, importlib.util; real = importlib.util.find_spec; "
            "importlib.util.find_spec = lambda n, *a: None if n == 'plotext' else real(n, *a); "
            "sys.argv = ['archsel', *sys.argv[1:]]; from archsel.cli import main; main()")
    hidden = subprocess.run([sys.executable, "-c", code, *VIDEO_EDGE, "--plot", "-"], capture_output=True,
                            text=True, env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(shadow)})
    assert hidden.returncode == 2 and "pip install 'archsel[plot]'" in hidden.stderr and "plotext" in hidden.stderr
    assert "Traceback" not in hidden.stderr


@pytest.mark.parametrize("task", ["image", "video", "asr", "forecasting"])
def test_a_quality_is_shown_only_with_its_source_and_unknown_is_not_scored(archsel: Run, task: str) -> None:
    out = archsel("recommend", "--task", task, "--target", "edge", "-f", "json")
    assert out.returncode in (0, 1), out.stderr
    doc = json.loads(out.stdout)
    for c in doc["candidates"]:
        q = c["quality"]
        if q["source"] == "published":  # a figure shown has its metric, data set and source
            pub = c["published_quality"]
            assert pub and pub["metric"] and pub["dataset"] and str(pub.get("source") or "").strip(), c["id"]
            assert 0 < q["normalised"] <= 1 and "quality" in c["score_terms"]["weights"]
        else:  # unknown: no figure, no quality credit beside published ones (Q counts 0), never on the front
            assert q == {"normalised": None, "source": "unknown", "metric": None, "dataset": None, "value": None}
            assert c["published_quality"] is None and c["score_terms"]["quality"] is None
            w, t = c["score_terms"]["weights"], c["score_terms"]
            assert c["score"] == pytest.approx(w["rule"] * t["rule"] + w["latency"] * t["latency"], abs=2e-6)
            assert ("quality" in w) is any(o["quality"]["source"] == "published" for o in doc["candidates"])
            assert not c["pareto"]
        assert sum(c["score_terms"]["weights"].values()) == pytest.approx(1.0, abs=1e-5)


def test_an_unproven_toy_never_outranks_published_models_on_speed_alone(archsel: Run) -> None:
    """Knowledge audit (issue 18): LeNet-5 and a two-conv CIFAR net (no published figure, 20-60x faster) used to
    rank 3rd and 4th for image classification on an A100 when Q's weight went to latency; now they earn no
    quality credit, and a task where nobody has a published figure still ranks on rule and latency alone."""
    doc = json.loads(archsel("recommend", "--task", "image-classification", "--target", "a100-sxm", "--top", "20", "-f",
                             "json").stdout)
    ranked = [c["id"] for c in doc["candidates"]]
    published = [c["id"] for c in doc["candidates"] if c["quality"]["source"] == "published"]
    assert ranked[:3] == [i for i in ranked if i in published][:3]
    assert ranked.index("lenet5") > 5 and ranked.index("small_cnn_cifar") > 5
    doc = json.loads(archsel("recommend", "--task", "time-series-forecasting", "--target", "a100-sxm", "-f",
                             "json").stdout)
    assert doc["candidates"] and all(c["quality"]["source"] == "unknown" for c in doc["candidates"])
    assert all(set(c["score_terms"]["weights"]) == {"rule", "latency"} for c in doc["candidates"])


def test_lower_is_better_metrics_are_never_divided_like_accuracy() -> None:
    from archsel.advice.scoring import combine, quality_terms

    q = quality_terms({"a": {"metric": "WER %", "value": 5.0, "dataset": "LibriSpeech"},
                       "b": {"metric": "WER %", "value": 10.0, "dataset": "LibriSpeech"},
                       "c": {"metric": "top-1 accuracy %", "value": 80.0, "dataset": "ImageNet"}, "d": None})
    assert q["a"].value == 1.0 and q["b"].value == 0.5 and q["c"].value == 1.0  # the lower WER is the better
    assert q["d"].value is None and q["d"].source == "unknown"
    score, weights = combine("balanced", 1.0, None, 0.5)  # nobody has a published figure: Q left out
    assert weights == {"rule": pytest.approx(4 / 7, abs=1e-6), "latency": pytest.approx(3 / 7, abs=1e-6)}
    assert score == pytest.approx(4 / 7 + 1.5 / 7, abs=1e-6)
    score, weights = combine("balanced", 1.0, None, 0.5, quality_compared=True)  # beside published: Q = 0
    assert weights == {"rule": 0.4, "quality": 0.3, "latency": 0.3}
    assert score == pytest.approx(0.4 + 0.15, abs=1e-6)

"""`archsel recommend` / `compare` contracts a user relies on: JSON schema, exit codes, query files, plots,
determinism, cache speed, time budget, failing candidates, precision variants."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_archsel
from typer.testing import CliRunner

from archsel.cli import app
from archsel.report.schema import RESULT_SCHEMA, SCHEMA_VERSION, validate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("advice-cli-cache")


@pytest.fixture
def run(cache: Path) -> Run:
    def _run(*args: str, env: dict[str, str] | None = None, input: str | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run_archsel(*args, env={"COLUMNS": "120", "ARCHSEL_CACHE_DIR": str(cache), **(env or {})},
                           input=input, cwd=cwd)

    return _run


VIDEO_EDGE = ("recommend", "--task", "video", "--target", "edge", "--latency-ms", "50")


def test_json_matches_schema_and_is_deterministic(run: Run) -> None:
    first = run(*VIDEO_EDGE, "--format", "json")  # cold or warm: the bytes must not depend on the cache
    second = run(*VIDEO_EDGE, "--format", "json", env={"PYTHONHASHSEED": "4242"})  # a new interpreter, own hashing
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert validate(data) == [] and data["schema_version"] == SCHEMA_VERSION
    top = data["candidates"][0]
    # the documents: lightweight CNN+RNN fusion on the edge
    assert top["family"] == "hybrid" and top["lightweight"]
    # nobody published its accuracy: quality unknown, no quality credit (others have published figures: the
    # weights stay 0.4/0.3/0.3 and its score is rule and latency alone), not on the front
    assert top["quality"] == {"normalised": None, "source": "unknown", "metric": None, "dataset": None,
                              "value": None}
    terms = top["score_terms"]
    assert terms["weights"] == {"rule": 0.4, "quality": 0.3, "latency": 0.3}
    assert top["score"] == pytest.approx(0.4 * terms["rule"] + 0.3 * terms["latency"], abs=2e-6)
    assert top["pareto"] is False and top["id"] not in data["pareto_front"]
    front = [c for c in data["candidates"] if c["pareto"]]
    assert front and all(c["quality"]["source"] == "published" for c in front)
    assert [c["id"] for c in front] == [i for i in data["pareto_front"] if i in {c["id"] for c in front}]
    ranks = [c["rank"] for c in data["candidates"]]
    assert ranks == sorted(ranks) and [c["score"] for c in data["candidates"]] == sorted(
        (c["score"] for c in data["candidates"]), reverse=True)
    # fp32 misses 50 ms on the Orin Nano for the 3D CNNs: the fp16/int8 variant that fits is shown
    variants = [c for c in data["candidates"] if c["variant"]]
    assert variants and all(c["precision"] in ("fp16", "int8") and c["variant"]["from"] == "fp32" for c in variants)
    for c in variants:
        fp32 = next(a for a in c["attempts"] if a["precision"] == "fp32")
        assert fp32["latency_ms"] > 50 >= c["latency"]["value_ms"]
    printed = json.loads(run("recommend", "--print-schema").stdout)
    assert printed == json.loads(json.dumps(RESULT_SCHEMA))


def test_warm_query_is_fast_and_torch_free(run: Run, cache: Path) -> None:
    run(*VIDEO_EDGE, "--format", "json")  # warm the cache
    code = ("import sys; from typer.testing import CliRunner; from archsel.cli import app; "
            f"r = CliRunner().invoke(app, {list(VIDEO_EDGE)!r}); assert r.exit_code == 0, r.output; "
            "assert 'torch' not in sys.modules, 'torch imported on a warm cache'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "ARCHSEL_CACHE_DIR": str(cache)})
    assert proc.returncode == 0, proc.stderr


def test_exit_codes(run: Run) -> None:
    miss = run(*VIDEO_EDGE[:-1], "0.001", "--format", "json", "--top", "3")
    assert miss.returncode == 1 and "no candidate satisfies" in miss.stderr
    data = json.loads(miss.stdout)
    assert data["candidates"] == [] and len(data["closest_misses"]) == 3 and validate(data) == []
    over = [m["violations"][0]["over_fraction"] for m in data["closest_misses"]]
    assert over == sorted(over) and over[0] > 0  # closest first, by how far over budget
    # every candidate is accounted for
    assert data["total_candidates"] == len(data["excluded"]) + len(data["failed"]) + len(data["skipped"])
    for args, text in [(("--max-params", "5x"), "bad --max-params"), (("--objective", "fastest"), "objective"),
                       (("--latency-stat", "p95"), "did you mean"), (("--task", "vidoe"), "did you mean 'video'")]:
        bad = run("recommend", "--task", "video", "--target", "edge", *args)
        assert bad.returncode == 2 and text in bad.stderr and "Traceback" not in bad.stderr, (args, bad.stderr)


def test_hard_constraints(run: Run) -> None:
    out = run("recommend", "--task", "image", "--target", "mobile", "--max-params", "5M", "--max-macs", "1G",
              "--show-excluded", "--format", "json", "--top", "20")
    data = json.loads(out.stdout)
    assert out.returncode == 0 and data["candidates"]
    assert all(c["metrics"]["params"] <= 5e6 and c["metrics"]["macs"] <= 1e9 for c in data["candidates"])
    why = {e["id"]: e["why"] for e in data["excluded"]}
    assert "params > --max-params 5M" in why["resnet50"]
    table = run("recommend", "--task", "image", "--target", "mobile", "--max-params", "5M", "--show-excluded")
    assert "excluded candidates" in table.stdout and "resnet50" in table.stdout


def test_query_file_several_queries_give_jsonl(run: Run, tmp_path: Path) -> None:
    qfile = tmp_path / "queries.yaml"
    qfile.write_text("task: video\ntarget: edge\nlatency-ms: 50\ntop: 2\n---\n"
                     "- {task: asr, target: cloud, latency_ms: 200, top: 1}\n- {task: ocr, target: mobile}\n")
    out = run("recommend", "--query", str(qfile))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["query"]["task"] for d in lines] == ["video-understanding", "speech-recognition", "ocr"]
    assert all(validate(d) == [] for d in lines)
    assert [len(d["candidates"]) for d in lines][:2] == [2, 1] and lines[0]["query_source"].endswith(":1:1")
    single = run("recommend", "--query", "-", "--format", "json", input='{"task": "video", "target": "edge"}')
    assert single.returncode == 0 and json.loads(single.stdout)["query"]["target"] == "jetson-orin-nano"
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: video\ntarget: edge\nlatency_msec: 50\n")
    err = run("recommend", "--query", str(bad))
    assert err.returncode == 2 and f"{bad}:3:1: unknown key 'latency-msec'" in err.stderr
    assert "did you mean 'latency-ms'" in err.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text("- {task: video}\n- {task: vidoe, target: edge}\n")
    err2 = run("recommend", "--query", str(typo))
    assert err2.returncode == 2 and "did you mean 'video'" in err2.stderr
    assert f"{typo}:2:10:" in err2.stderr  # at the word itself


def test_plot_png_and_terminal_view(run: Run, tmp_path: Path) -> None:
    png = tmp_path / "pareto.png"
    out = run(*VIDEO_EDGE, "--plot", str(png))
    assert out.returncode == 0, out.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    # without matplotlib: --plot is exit 2 naming the extra, and the table shows the front in text
    shadow = tmp_path / "no_mpl"
    (shadow / "matplotlib").mkdir(parents=True)
    (shadow / "matplotlib" / "__init__.py").write_text("raise ImportError('matplotlib hidden by the test')\n")
    env = {"PYTHONPATH": str(shadow)}
    code = ("import importlib.util, sys; import archsel.report.plot as r; "
            "r.matplotlib_available = lambda: False; sys.argv = ['archsel', *sys.argv[1:]]; "
            "from archsel.cli import main; main()")
    no_plot = subprocess.run([sys.executable, "-c", code, *VIDEO_EDGE[:], "--plot", str(tmp_path / "x.png")],
                             capture_output=True, text=True, env={**os.environ, **env, "NO_COLOR": "1"})
    assert no_plot.returncode == 2 and "archsel[plot]" in no_plot.stderr
    text = subprocess.run([sys.executable, "-c", code, *VIDEO_EDGE, "--details"], capture_output=True, text=True,
                          env={**os.environ, **env, "NO_COLOR": "1", "COLUMNS": "120"})
    assert text.returncode == 0 and "Pareto front, terminal view: published quality" in text.stdout
    assert "| = budget 50 ms" in text.stdout


def test_time_budget_reports_skipped(run: Run) -> None:
    out = run("recommend", "--task", "image", "--target", "local", "--time-budget", "0.5", "--format", "json")
    data = json.loads(out.stdout)
    assert out.returncode in (0, 1) and data["skipped"], data["skipped"]
    assert all("--time-budget 0.5 s" in s["why"] for s in data["skipped"])
    accounted = len(data["skipped"]) + len(data["failed"]) + data["feasible"] + len(data["excluded"])
    assert accounted == data["total_candidates"]


def test_failing_candidate_is_reported_and_the_rest_go_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import archsel.profiling.counting as counting

    real = counting.count_model

    def flaky(model_id: str, **kwargs: object) -> object:
        if model_id == "s3d":
            raise RuntimeError("simulated failure while building s3d")
        return real(model_id, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(counting, "count_model", flaky)
    monkeypatch.setenv("ARCHSEL_CACHE_DIR", str(tmp_path))
    result = CliRunner().invoke(app, [*VIDEO_EDGE, "--format", "json", "--family", "cnn"])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and validate(data) == []
    assert data["failed"] == [{"id": "s3d", "stage": "count",
                               "error": "RuntimeError: simulated failure while building s3d"}]
    assert data["candidates"] and "s3d" not in [c["id"] for c in data["candidates"]]


def test_compare_ranks_the_users_model(run: Run) -> None:
    cwd = FIXTURES
    out = run("compare", "--model", "user_models.models:build_small", "--input", "1x3x224x224", "--task", "image",
              "--target", "edge", "--latency-ms", "10", "--top", "3", "--format", "json", cwd=cwd)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert validate(data) == [] and data["command"] == "compare"
    mine = next(c for c in data["candidates"] if c["user_model"])
    assert mine["id"] == "user_models.models:build_small" and mine["latency"]["kind"] == "estimated"
    assert mine["metrics"]["params"] == 3 * 8 * 9 + 8 + 8 * 10 + 10  # TinyNet: conv 3→8 3×3, fc 8→10
    assert data["user_model"]["rank"] == mine["rank"] and data["user_model"]["status"] == "ok"
    raises = run("compare", "--model", "user_models.models:build_raises", "--input", "1x3x32x32", "--task", "image",
                 "--target", "edge", cwd=cwd)
    assert raises.returncode == 1 and "raised" in raises.stderr and "Traceback" not in raises.stderr
    typo = run("compare", "--model", "user_models.models:build_small", "--input", "1x3x32x32", "--task", "imagee",
               "--target", "edge", cwd=cwd)  # a bad query is said before the user's code runs
    assert typo.returncode == 2 and "did you mean 'image'" in typo.stderr
    assert "building TinyNet" not in typo.stdout + typo.stderr

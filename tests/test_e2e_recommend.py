"""Every task alias users type × every target class gives a ranking (exit 0) or a documented exit 1.

In-process (typer's CliRunner) with one shared count cache in a temporary ARCHSEL_CACHE_DIR, so each zoo
model is counted once for the whole matrix. cloud/edge/mobile are estimated (fast); `local` is measured on
this machine, which is slow, so it runs on three tasks with small models under --time-budget.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archsel.cli import app
from archsel.report.schema import validate

# the names the issue says users type (canonical terms, their common aliases, short forms)
ALIASES = [
    "image-classification", "image", "object-detection", "detection", "semantic-segmentation", "segmentation",
    "speech-recognition", "asr", "speech", "machine-translation", "translation", "text-classification",
    "text-generation", "video", "video-understanding", "action-recognition", "time-series-forecasting",
    "timeseries", "multimodal", "recommendation", "ocr", "audio-classification",
]
ESTIMATED_CLASSES = ["cloud", "edge", "mobile"]
LOCAL_TASKS = ["text-classification", "timeseries", "recommendation"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("advice-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("ARCHSEL_CACHE_DIR", str(path))
    mp.setenv("NO_COLOR", "1")
    yield path
    mp.undo()


def _recommend(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["recommend", *args, "--format", "json", "--top", "3"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("target", ESTIMATED_CLASSES)
def test_every_alias_on_estimated_targets(cache_dir: Path, target: str) -> None:
    canonical: dict[str, str] = {}
    for alias in ALIASES:
        code, data = _recommend("--task", alias, "--target", target, "--latency-ms", "100")
        assert validate(data) == [], (alias, validate(data)[:3])
        assert data["target"]["class"] == target and data["latency_kind"] == "estimated"
        if code == 0:
            assert data["candidates"] and data["feasible"] >= len(data["candidates"])
            top = data["candidates"][0]
            assert top["rank"] == 1 and top["latency"]["kind"] == "estimated" and top["metrics"]["macs"] > 0
            lat = top["latency"]["value_ms"]
            assert lat <= 100 and top["budget"]["headroom_ms"] == pytest.approx(100 - lat, abs=1e-5)
        else:  # the documented exit 1: nothing fits, closest misses shown with why
            assert code == 1 and data["candidates"] == [] and data["closest_misses"], alias
            assert all(m["excluded_because"] for m in data["closest_misses"])
        canonical.setdefault(data["query"]["task"], json.dumps(data["candidates"]))
        # an alias means exactly its canonical task
        assert canonical[data["query"]["task"]] == json.dumps(data["candidates"]), alias


@pytest.mark.parametrize("task", LOCAL_TASKS)
def test_local_target_is_measured(cache_dir: Path, task: str) -> None:
    code, data = _recommend("--task", task, "--target", "local", "--time-budget", "20")
    assert validate(data) == []
    assert data["latency_kind"] == "measured" and data["target"]["latency"] == "measured"
    assert code in (0, 1)
    costed = data["candidates"] + data["closest_misses"]
    assert costed or data["skipped"], data
    for cand in data["candidates"]:
        lat = cand["latency"]
        assert lat["kind"] == "measured" and lat["device"].startswith("this machine")
        assert lat["band_low_ms"] <= lat["p50_ms"] <= lat["p99_ms"] <= lat["band_high_ms"]

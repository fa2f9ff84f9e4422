"""`archsel recommend|explain|rules ...` as a user runs them: formats, exit codes, suggestions, user rules."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

USER_RULE = """\
schema_version: 1
rules:
  - id: m000-video-understanding
    title: Our team only ships 3D CNNs for video
    source: {file: team-notes.md, section: Video}
    when: {task: [video-understanding]}
    rationale: House rule.
    effects:
      candidates:
        - {id: r3d_18, role: recommended, weight: 9}
"""


def test_recommend_json(archsel) -> None:  # type: ignore[no-untyped-def]
    out = archsel(
        "recommend",
        "--task",
        "video",
        "--target",
        "edge",
        "--latency-ms",
        "50",
        "--format",
        "json",
        "--top",
        "3",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["schema_version"]
    q = data["query"]
    assert (q["task"], q["target_class"], q["latency_tier"], q["data_type"]) == (
        "video-understanding",
        "edge",
        "real-time",
        "video-sequence",
    )
    assert len(data["candidates"]) == 3 and data["total_candidates"] > 3
    top = data["candidates"][0]
    assert top["rank"] == 1 and top["family"] == "hybrid" and top["lightweight"] is True
    # issue 6: "score" is now the advice score (rules + quality + cost); the rule sum is "rule_score"
    assert top["rule_score"] == round(sum(r["amount"] for r in top["reasons"]), 6)
    assert {r["rule"] for r in top["reasons"]} >= {"d000-edge", "m000-video-understanding"}
    assert all(r["source"].startswith("0") for r in top["reasons"])
    assert data["trace"] and all(t["fired"] for t in data["trace"])
    assert top["metrics"]["macs"] > 0 and top["latency"]["kind"] == "estimated"  # costs (issue 6)


def test_recommend_is_byte_for_byte_deterministic(archsel) -> None:  # type: ignore[no-untyped-def]
    args = ("recommend", "--task", "asr", "--target", "cloud", "--streaming", "--format", "json")
    # the second in a new interpreter with its own string hashing (forked calls share the zygote's): set order
    first, second = archsel(*args), archsel(*args, env={"PYTHONHASHSEED": "4242"})
    assert first.returncode == 0 and first.stdout == second.stdout


def test_published_quality_and_formats(archsel) -> None:  # type: ignore[no-untyped-def]
    out = archsel("recommend", "--task", "image", "--format", "csv", "--top", "3")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["#"] for r in rows] == ["1", "2", "3"]
    resnet = next(r for r in rows if r["id"] == "resnet50")
    assert "80.858" in resnet["published quality"] and "ImageNet" in resnet["published quality"]
    lines = archsel("recommend", "--task", "image", "--format", "jsonl", "--top", "2").stdout.splitlines()
    assert [json.loads(line)["rank"] for line in lines] == [1, 2]
    doc = yaml.safe_load(archsel("recommend", "--task", "image", "--format", "yaml").stdout)
    assert doc["query"]["task"] == "image-classification"
    md = archsel("recommend", "--task", "image", "--format", "markdown").stdout
    assert md.startswith("### ") and "| resnet50 |" in md
    table = archsel("recommend", "--task", "video", "--target", "edge", "--details")
    assert table.returncode == 0 and "cnn_gru_mobilenet_v3" in table.stdout and "Sources" in table.stdout


def test_explain_shows_every_rule_and_why(archsel) -> None:  # type: ignore[no-untyped-def]
    out = archsel("explain", "--task", "video", "--target", "cloud", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    trace = {t["rule"]: t for t in data["trace"]}
    assert data["rules_considered"] == len(trace) > data["rules_fired"] > 0
    assert trace["d000-cloud"]["fired"] is True
    assert (
        trace["d000-edge"]["fired"] is False
        and "target class cloud is not in edge" in trace["d000-edge"]["why"]
    )
    assert "the query does not say (--priority)" in trace["d004-explainability"]["why"]
    assert "task video-understanding is not in" in trace["m000-image-classification"]["why"]
    assert "score =" in data["scoring"]
    text = archsel("explain", "--task", "video", "--target", "cloud", "--format", "markdown").stdout
    assert "Scoring: score = " in text and "| d000-edge | no |" in text


def test_exit_1_with_closest_misses(archsel) -> None:  # type: ignore[no-untyped-def]
    out = archsel("recommend", "--task", "video", "--family", "ssm", "--format", "json")
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert data["candidates"] == [] and data["closest_misses"]
    assert "not one of --family ssm" in data["closest_misses"][0]["excluded_because"]
    assert "no candidate satisfies" in out.stderr
    excl = archsel("recommend", "--task", "ocr", "--exclude", "crnn")
    assert excl.returncode == 1 and "crnn" in excl.stdout


def test_typos_get_suggestions(archsel) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (("recommend", "--task", "vidoe"), "did you mean 'video'"),
        (("recommend", "--task", "video", "--target", "egde"), "did you mean 'edge'"),
        (("recommend", "--task", "video", "--format", "jsn"), "did you mean 'json'"),
        (("recommend", "--task", "video", "--priority", "acuracy"), "did you mean 'accuracy'"),
        (("recommend", "--task", "video", "--data-type", "vidoe"), "did you mean 'video'"),
        (("recommend", "--task", "video", "--family", "hybird"), "did you mean 'hybrid'"),
        (("rules", "show", "m000-vide"), "did you mean 'm000-video-understanding'"),
    ]
    for args, hint in cases:
        out = archsel(*args)
        assert out.returncode == 2, args
        assert hint in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)


def test_rules_list_show_vocab(archsel) -> None:  # type: ignore[no-untyped-def]
    listed = json.loads(archsel("rules", "list", "--task", "asr", "--format", "json").stdout)
    ids = {r["id"] for r in listed["rules"]}
    assert "m000-speech-recognition" in ids and "m000-image-classification" not in ids
    assert "d000-edge" in ids  # task-independent rules can fire for any task
    shown = json.loads(archsel("rules", "show", "m004-video-action-recognition", "--format", "json").stdout)
    assert shown["rule"]["source"]["file"] == "004_2b445ed29071d386.txt"
    assert "rules/video.yaml:" in shown["rule"]["origin"]
    vocab = json.loads(archsel("rules", "vocab", "--format", "json").stdout)
    video = next(t for t in vocab["terms"] if t["term"] == "video-understanding")
    assert "video" in video["aliases"] and "action-recognition" in video["aliases"]


def test_user_rules_override_builtin_by_id(archsel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "team.yaml").write_text(USER_RULE, encoding="utf-8")
    base = archsel("recommend", "--task", "video", "--format", "json")
    over = archsel("recommend", "--task", "video", "--format", "json", "--rules", str(tmp_path))
    assert json.loads(base.stdout)["candidates"][0]["id"] != "r3d_18"
    data = json.loads(over.stdout)
    assert data["candidates"][0]["id"] == "r3d_18"
    assert "cnn_lstm_resnet18" not in [c["id"] for c in data["candidates"][:3]]
    env = archsel(
        "recommend",
        "--task",
        "video",
        "--format",
        "json",
        env={"ARCHSEL_RULES_PATH": os.pathsep.join(["/nonexistent-but-empty-part", str(tmp_path)])},
    )
    assert env.returncode == 2 and "/nonexistent-but-empty-part:1:1: no such rules folder" in env.stderr
    env_ok = archsel(
        "rules",
        "show",
        "m000-video-understanding",
        "--format",
        "json",
        env={"ARCHSEL_RULES_PATH": str(tmp_path)},
    )
    rule = json.loads(env_ok.stdout)["rule"]
    assert rule["title"].startswith("Our team") and "rules/video.yaml:" in rule["overrides"]
    assert rule["origin"] == f"{tmp_path / 'team.yaml'}:3:5"


def test_no_torch_import() -> None:
    code = (
        "import sys; from archsel.cli import app; from typer.testing import CliRunner; "
        "r = CliRunner().invoke(app, {args}); assert r.exit_code == 0, r.output; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    # `recommend` now builds and counts models (issue 6); its warm-cache path is torch-free, tested in
    # tests/test_advice_cli.py::test_warm_query_is_fast_and_torch_free
    for args in (
        ["explain", "--task", "asr", "--streaming"],
        ["rules", "list"],
        ["rules", "show", "d000-edge"],
        ["rules", "validate"],
        ["rules", "vocab"],
    ):
        proc = subprocess.run([sys.executable, "-c", code.format(args=args)], capture_output=True, text=True)
        assert proc.returncode == 0, (args, proc.stderr)


def test_a_rules_path_the_system_cannot_look_up_is_a_user_error() -> None:
    """A rules path longer than the system allows (Path.exists raises OSError there, found by
    tests/test_hostile_properties.py): a ConfigError naming the path and the reason (exit 2), not a crash."""
    from archsel.errors import ConfigError
    from archsel.knowledge.loader import load_rules

    too_long = Path("x" * 5000)
    with pytest.raises(ConfigError) as caught:
        load_rules([too_long])
    assert f"{too_long}:1:1: cannot open this rules path: File name too long" in str(caught.value)

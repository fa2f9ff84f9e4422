"""One output registry and one cost path, as users reach them: every command in every format, problems with
their place, and the same model costed the same way by check, compare, recommend and profile --target."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from archsel.errors import ConfigError, Problem
from archsel.report.formats import FORMATS

FIXTURES = Path(__file__).parent / "fixtures"
BAD_RULES = FIXTURES / "bad_rules"
SMALL = "user_models.models:build_small"
BIG = "user_models.models:build_big"
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cached(archsel: Run, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`archsel ARGS` with one count cache for the module (zoo models are counted once)."""
    cache = tmp_path_factory.getbasetemp() / "registry-cache"

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return archsel(*args, env={"ARCHSEL_CACHE_DIR": str(cache)}, cwd=cwd)

    return run


def junit(text: str) -> tuple[ET.Element, dict[str, ET.Element]]:
    """(the testsuite, testcases by name) of a JUnit report whose counts match its testcases."""
    root = ET.fromstring(text)
    (suite,) = root.findall("testsuite")
    cases = list(suite.iter("testcase"))
    for el in (root, suite):
        assert int(el.get("tests", "-1")) == len(cases)
        assert int(el.get("failures", "-1")) == sum(c.find("failure") is not None for c in cases)
        assert int(el.get("errors", "-1")) == sum(c.find("error") is not None for c in cases)
        assert int(el.get("skipped", "-1")) == sum(c.find("skipped") is not None for c in cases)
    return suite, {c.get("name", ""): c for c in cases}


def test_check_csv_has_one_raw_row_per_gate(archsel: Run) -> None:
    r = archsel("check", "--model", BIG, "--input", "1x3x224x224", "--target", "edge", "--max-params", "5M",
                "--latency-ms", "30", "--format", "csv", cwd=FIXTURES)
    assert r.returncode == 1, r.stderr  # the same gate result as in every other format
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["gate", "status", "value", "budget", "unit", "message", "file", "line"]
    gates = {row["gate"]: row for row in rows}
    assert list(gates) == ["model", "precision", "params", "memory", "latency"]
    assert gates["params"]["status"] == "failed" and int(gates["params"]["value"]) == 10_895_592
    assert int(gates["params"]["budget"]) == 5_000_000 and gates["params"]["unit"] == "params"
    assert gates["latency"]["unit"] == "ms" and float(gates["latency"]["budget"]) == 30
    assert gates["memory"]["status"] == "passed" and gates["model"]["file"] == "user_models/models.py"
    assert "FAILED" in r.stderr  # the CI summary line still goes to stderr


@pytest.mark.parametrize("fmt", ["yaml", "markdown", "jsonl"])
def test_check_serves_the_other_formats(archsel: Run, fmt: str) -> None:
    r = archsel("check", "--model", SMALL, "--input", "1x3x32x32", "--target", "mobile", "--max-params", "1k",
                "--format", fmt, cwd=FIXTURES)
    assert r.returncode == 0, r.stderr
    if fmt == "jsonl":  # one gate a line
        assert [json.loads(line)["name"] for line in r.stdout.splitlines()][:2] == ["model", "precision"]
    else:
        assert "params" in r.stdout and "Traceback" not in r.stderr


def test_recommend_junit_one_case_per_candidate(cached: Run) -> None:
    args = ("recommend", "--task", "image", "--target", "mobile", "--max-params", "5M", "--top", "3")
    data = json.loads(cached(*args, "--format", "json").stdout)
    r = cached(*args, "--format", "junit")
    assert r.returncode == 0, r.stderr
    suite, cases = junit(r.stdout)
    ranked = [c["id"] for c in data["candidates"]]
    assert [name for name, c in cases.items() if c.find("system-out") is not None] == ranked
    excluded = {e["id"]: e["why"] for e in data["excluded"]}
    assert excluded and set(excluded) <= set(cases)
    for model_id, why in excluded.items():
        failure = cases[model_id].find("failure")
        assert failure is not None and why in failure.get("message", "")
    assert "params > --max-params 5M" in (cases["resnet50"].find("failure").get("message", ""))  # type: ignore[union-attr]
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}  # type: ignore[union-attr]
    assert props["task"] == "image-classification" and props["max_params"] == "5e+06"


def test_recommend_github_and_nothing_fits(cached: Run) -> None:
    r = cached("recommend", "--task", "video", "--target", "edge", "--latency-ms", "0.001", "--format", "github")
    assert r.returncode == 1 and "no candidate satisfies" in r.stderr
    lines = r.stdout.splitlines()
    assert lines and all(ln.startswith(("::error ", "::warning ", "::notice ")) for ln in lines)
    assert not any(ln.startswith("::notice title=archsel recommend passed") for ln in lines)
    assert lines[-1].startswith("::error title=archsel recommend failed::")
    assert any("excluded" in ln and "budget" in ln for ln in lines[:-1])


def test_recommend_csv_and_markdown_still_tables(cached: Run) -> None:
    out = cached("recommend", "--task", "video", "--target", "edge", "--latency-ms", "50", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert out.returncode == 0 and rows and {"id", "latency_ms", "memory_bytes"} <= set(rows[0])


def test_rules_validate_formats_carry_the_place(archsel: Run) -> None:
    folder = BAD_RULES / "11_unknown_zoo_id"
    data = archsel("rules", "validate", str(folder), "--format", "json")
    assert data.returncode == 2
    doc = json.loads(data.stdout)
    assert doc["valid"] is False and doc["problem_count"] == 1
    (problem,) = doc["problems"]
    assert (problem["file"], problem["line"], problem["col"]) == (str(folder / "a.yaml"), 10, 16)
    assert problem["message"] == "unknown zoo model id 'resnet5'" and problem["hint"].startswith("did you mean")
    assert problem["text"] == f"{folder / 'a.yaml'}:10:16: unknown zoo model id 'resnet5' ({problem['hint']})"
    gh = archsel("rules", "validate", str(folder), "--format", "github")
    assert gh.returncode == 2
    first = gh.stdout.splitlines()[0]
    assert first.startswith(f"::error title=archsel rules validate FAILED%3A unknown zoo model id 'resnet5',"
                            f"file={folder / 'a.yaml'},line=10,col=16::")
    ok = archsel("rules", "validate", "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["valid"] is True
    # without --format the classic lines stay: on stderr, nothing on stdout
    plain = archsel("rules", "validate", str(folder))
    assert plain.returncode == 2 and plain.stdout == "" and f"{folder / 'a.yaml'}:10:16: unknown zoo" in plain.stderr


def test_targets_validate_junit_places_each_problem(archsel: Run, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("name: my-board\ndisplay_name: x\nclas: edge\n", encoding="utf-8")
    r = archsel("targets", "validate", "--alone", str(tmp_path), "--format", "junit")
    assert r.returncode == 2
    _, cases = junit(r.stdout)
    assert cases and all(c.get("file") == str(tmp_path / "p.yaml") for c in cases.values())
    assert "unknown key 'clas'" in cases and cases["unknown key 'clas'"].get("line") == "3"


def test_explain_github_points_at_each_rule(archsel: Run) -> None:
    r = archsel("explain", "--task", "video", "--target", "edge", "--format", "github")
    assert r.returncode == 0, r.stderr
    *rules, summary = r.stdout.splitlines()
    fired = [ln for ln in rules if ln.startswith("::notice title=archsel explain passed%3A ")]
    assert fired and all(",file=" in ln and ".yaml,line=" in ln for ln in fired)
    assert summary.startswith("::notice title=archsel explain passed::") and f"{len(fired)} passed" in summary


def test_profile_target_junit(archsel: Run, tmp_path: Path) -> None:
    r = archsel("profile", "resnet18", "--target", "edge", "--batch", "1,8", "--format", "junit",
                env={"ARCHSEL_CACHE_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    suite, cases = junit(r.stdout)
    assert list(cases) == ["resnet18 batch 1 fp32", "resnet18 batch 8 fp32"]
    assert suite.get("name") == "archsel profile on jetson-orin-nano"


def test_every_listing_command_serves_every_format(archsel: Run) -> None:
    for args in (("models", "list", "--task", "ocr"), ("targets", "show", "edge"), ("rules", "vocab")):
        for fmt in FORMATS:
            r = archsel(*args, "--format", fmt)
            assert r.returncode == 0 and r.stdout.strip(), (args, fmt, r.stderr)
            if fmt == "junit":
                junit(r.stdout)


def test_one_cost_path_check_and_compare_agree(cached: Run) -> None:
    """The user's model costed by check and by compare: the same count and the same estimate."""
    checked = json.loads(cached("check", "--model", SMALL, "--input", "1x3x224x224", "--target", "edge",
                                "--latency-ms", "10", "--format", "json", cwd=FIXTURES).stdout)
    compared = json.loads(cached("compare", "--model", SMALL, "--input", "1x3x224x224", "--task", "image",
                                 "--target", "edge", "--latency-ms", "10", "--precision", "fp32", "--format", "json",
                                 cwd=FIXTURES).stdout)
    mine = next(c for c in compared["candidates"] + compared["closest_misses"] if c["user_model"])
    assert mine["metrics"]["macs"] == checked["model"]["macs"]
    assert mine["metrics"]["params"] == checked["model"]["params"]
    # (recommend/compare JSON rounds to 6 decimals)
    assert mine["latency"]["p50_ms"] == pytest.approx(checked["latency"]["latency_ms"], abs=1e-6)
    assert mine["latency"]["band_high_ms"] == pytest.approx(checked["latency"]["band_high_ms"], abs=1e-6)
    assert checked["target"] == {k: v for k, v in compared["target"].items() if k != "latency"}  # one target shape


def test_one_cost_path_recommend_and_profile_target_agree(cached: Run) -> None:
    data = json.loads(cached("recommend", "--task", "image", "--target", "edge", "--precision", "fp32",
                             "--format", "json", "--top", "1").stdout)
    top = data["candidates"][0]
    est = json.loads(cached("profile", top["id"], "--target", "edge", "--format", "json").stdout)["results"][0]
    assert est["macs"] == top["metrics"]["macs"] and est["memory_required_bytes"] == top["metrics"]["memory_bytes"]
    assert est["latency_ms"] == pytest.approx(top["latency"]["p50_ms"], rel=1e-6)


def test_problem_text_and_fields() -> None:
    p = Problem("rules/a.yaml", 12, 5, "unknown family 'cnnn'", "did you mean 'cnn'?")
    assert str(p) == "rules/a.yaml:12:5: unknown family 'cnnn' (did you mean 'cnn'?)"
    assert p.to_dict() == {"file": "rules/a.yaml", "line": 12, "col": 5, "message": "unknown family 'cnnn'",
                           "hint": "did you mean 'cnn'?", "text": str(p)}
    err = ConfigError([p, Problem("rules/a.yaml", 3, 1, "empty")])
    assert str(err) == f"{p}\nrules/a.yaml:3:1: empty" and err.status == 2


def test_units_never_print_scientific_notation() -> None:
    from archsel.units import format_bytes, format_si

    assert format_bytes(1000) == "1000 B" and format_bytes(1_050_000_000) == "1001 MiB"
    assert format_bytes(50_794_496) == "48.4 MiB" and format_bytes(3 * 2**30) == "3 GiB"
    assert format_si(10_895_592, sep=" ") == "10.9 M" and format_si(999.7) == "1000" and format_si(889e6) == "889M"


def test_problems_at_one_place_sort_whatever_their_hints() -> None:
    from archsel.errors import sorted_problems

    a, b = Problem("f.yaml", 2, 1, "bad", None), Problem("f.yaml", 2, 1, "bad", "did you mean 'x'?")
    assert sorted_problems([b, a, Problem("f.yaml", 1, 9, "first")])[0].line == 1


def test_targets_show_names_the_classes_it_is_default_for(archsel: Run) -> None:
    record = json.loads(archsel("targets", "show", "jetson-orin-nano", "--format", "json").stdout)["target"]
    assert record["default_for"] == ["edge"] and record["sources"]["memory_gb"]


def test_query_file_problem_in_a_named_folder_is_said_at_the_query(archsel: Run, tmp_path: Path) -> None:
    qfile = tmp_path / "q.yaml"
    qfile.write_text("- {task: video}\n- {task: video, rules: nodir}\n", encoding="utf-8")
    r = archsel("recommend", "--query", str(qfile))
    assert r.returncode == 2 and r.stdout == ""
    assert f"{qfile}:2:3: {tmp_path / 'nodir'}:1:1: no such rules folder or file" in r.stderr

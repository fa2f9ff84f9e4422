"""`archsel check` over the CLI, as CI runs it: exit codes, JUnit/JSON/GitHub reports, user errors.

Runs `python -m archsel check` with tests/fixtures as the working directory, so the example user package
`user_models` is importable the way a user's own package is (cwd on sys.path, like `python -m`).
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = "user_models.models:build_small"
BIG = "user_models.models:build_big"
Check = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def check(archsel: Callable[..., subprocess.CompletedProcess[str]]) -> Check:
    """`archsel check ARGS` in a subprocess whose working directory holds the `user_models` package."""
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return archsel("check", *args, cwd=FIXTURES)
    return run


def props(el: ET.Element) -> dict[str, str | None]:
    """The <properties> directly under `el`, as name → value."""
    found = el.find("properties")
    return {} if found is None else {p.get("name", ""): p.get("value") for p in found.findall("property")}


def junit(text: str) -> tuple[ET.Element, ET.Element, dict[str, ET.Element]]:
    """Parse a JUnit report: (testsuites, the testsuite, testcases by name)."""
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    cases = {c.get("name", ""): c for c in suites[0].findall("testcase")}
    return root, suites[0], cases


def assert_counts_consistent(el: ET.Element) -> None:
    """tests/failures/errors/skipped attributes equal what the testcases hold."""
    cases = list(el.iter("testcase"))
    assert int(el.get("tests", "-1")) == len(cases)
    assert int(el.get("failures", "-1")) == sum(1 for c in cases if c.find("failure") is not None)
    assert int(el.get("errors", "-1")) == sum(1 for c in cases if c.find("error") is not None)
    assert int(el.get("skipped", "-1")) == sum(1 for c in cases if c.find("skipped") is not None)


def test_passing_model_exits_0_with_a_clean_junit_report(check: Check) -> None:
    r = check("--model", SMALL, "--input", "1x3x64x64", "--target", "edge", "--latency-ms", "30",
              "--max-params", "5M", "--max-macs", "2G", "--max-memory", "512MiB", "--format", "junit")
    assert r.returncode == 0, r.stderr
    assert "building TinyNet" not in r.stdout  # the factory's print went to stderr
    root, suite, cases = junit(r.stdout)
    for el in (root, suite):
        assert_counts_consistent(el)
        assert el.get("failures") == "0" and el.get("errors") == "0"
    assert set(cases) == {"model", "precision", "params", "macs", "memory", "latency"}
    conditions = props(suite)
    assert conditions["target"] == "jetson-orin-nano" and conditions["latency_kind"] == "estimated"
    assert conditions["latency_budget_ms"] == "30" and conditions["max_params"] == "5000000"
    params = props(cases["params"])
    assert params["params"] == str(8 * 3 * 9 + 8 + 8 * 10 + 10)  # TinyNet: conv 3→8 3×3 + bias, fc 8→10
    assert cases["latency"].get("file") == "user_models/models.py"


def test_too_big_too_slow_model_fails_naming_gate_figure_and_budget(check: Check) -> None:
    r = check("--model", BIG, "--input", "1x3x224x224", "--target", "edge", "--latency-ms", "30",
              "--max-params", "5M", "--max-macs", "2G", "--format", "junit")
    assert r.returncode == 1, r.stderr
    root, _, cases = junit(r.stdout)
    assert_counts_consistent(root)
    assert root.get("failures") == "3" and root.get("errors") == "0"
    failure = cases["params"].find("failure")
    assert failure is not None
    assert "10.9 M" in failure.get("message", "") and "budget 5 M" in failure.get("message", "")
    lat = cases["latency"].find("failure")
    assert lat is not None and "estimated" in lat.get("message", "") and "30 ms" in lat.get("message", "")
    assert "2 G MACs" in (cases["macs"].find("failure").get("message", ""))  # type: ignore[union-attr]
    assert cases["memory"].find("failure") is None  # 140 MiB fits the Orin Nano's 8 GB
    assert "FAILED" in r.stderr and "params" in r.stderr  # one summary line for the CI log


def test_raising_factory_is_a_junit_error_without_traceback(check: Check) -> None:
    r = check("--model", "user_models.models:build_raises", "--input", "1x3x64x64", "--target", "edge",
              "--latency-ms", "30", "--format", "junit")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    root, _, cases = junit(r.stdout)
    assert_counts_consistent(root)
    assert root.get("errors") == "1"
    error = cases["model"].find("error")
    assert error is not None and error.get("type") == "ValueError"
    assert "unsupported width multiplier 3" in error.get("message", "")
    assert cases["model"].get("file") == "user_models/models.py"
    assert cases["latency"].find("skipped") is not None
    lines = [ln for ln in r.stderr.splitlines() if "ValueError" in ln]
    assert len(lines) == 1


def test_forward_that_raises_is_reported_as_json_error(check: Check) -> None:
    r = check("--model", "user_models.models:build_bad_forward", "--input", "1x3x32x32", "--target", "edge",
              "--format", "json")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    data = json.loads(r.stdout)
    assert data["status"] == "error" and data["exit_code"] == 1
    assert data["model"]["error"]["stage"] == "forward"
    assert data["model"]["error"]["type"] == "RuntimeError"
    assert data["model"]["error"]["file"] == "user_models/models.py"


@pytest.mark.parametrize(("spec", "expected"), [
    ("user_models.models:build_smal", "did you mean 'build_small'"),
    ("user_models.modls:build_small", "did you mean 'models'"),
    ("user_models.models", "bad model spec"),
    ("user_models.models:build_needs_arg", "--model-arg num_classes=VALUE"),
])
def test_usage_errors_exit_2_with_a_hint(check: Check, spec: str, expected: str) -> None:
    r = check("--model", spec, "--input", "1x3x32x32", "--target", "edge", "--format", "junit")
    assert r.returncode == 2
    assert expected in r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr


def test_unknown_target_and_bad_shape_exit_2_before_running_user_code(check: Check) -> None:
    r = check("--model", "user_models.models:build_raises", "--input", "1x3x32x32", "--target", "edgy")
    assert r.returncode == 2 and "did you mean 'edge'" in r.stderr
    r = check("--model", "user_models.models:build_raises", "--input", "1xAx3", "--target", "edge")
    assert r.returncode == 2 and "bad input shape" in r.stderr


def test_json_fields_and_github_annotations(check: Check) -> None:
    args = ("--model", BIG, "--input", "1x3x224x224", "--target", "edge", "--max-params", "5M", "--latency-ms",
            "30", "--strict")
    data = json.loads(check(*args, "--format", "json").stdout)
    assert data["schema_version"] and data["command"] == "check" and data["status"] == "failed"
    assert data["model"]["params"] == 10_895_592 and data["model"]["count_path"] == "meta"
    assert data["model"]["macs"] > 29e9
    assert data["latency"]["kind"] == "estimated" and data["latency"]["gated_statistic"] == "band_high"
    assert data["latency"]["gated_ms"] == data["latency"]["band_high_ms"]
    gates = {g["name"]: g for g in data["gates"]}
    assert gates["params"]["budget_params"] == 5_000_000 and gates["params"]["status"] == "failed"
    assert gates["latency"]["budget_ms"] == 30 and gates["latency"]["latency_ms"] > 30
    assert data["summary"] == {"gates": 5, "passed": 3, "failed": 2, "errors": 0, "skipped": 0}

    gh = check(*args, "--format", "github")
    assert gh.returncode == 1
    lines = gh.stdout.splitlines()
    assert all(ln.startswith(("::error ", "::notice ", "::warning ")) for ln in lines)
    params = next(ln for ln in lines if "params" in ln.split("::")[1])
    assert params.startswith("::error title=archsel check FAILED%3A params,file=user_models/models.py,line=")
    assert "10,895,592" in params.split("::", 2)[2]  # commas stay as they are in the message


def test_output_writes_a_complete_file_atomically(check: Check, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "check.xml"
    r = check("--model", SMALL, "--input", "1x3x32x32", "--target", "mobile", "--max-params", "1k",
              "--format", "junit", "--output", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "PASSED" in r.stderr
    root, _, cases = junit(out.read_text(encoding="utf-8"))
    assert_counts_consistent(root)
    assert "params" in cases
    assert [p.name for p in out.parent.iterdir()] == ["check.xml"]  # no temporary file left behind


def test_measured_on_local_target(check: Check) -> None:
    r = check("--model", SMALL, "--input", "1x3x32x32", "--target", "local", "--latency-ms", "60000",
              "--latency-stat", "p90", "--time-budget", "0.5", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    lat = data["latency"]
    assert lat["kind"] == "measured" and lat["gated_statistic"] == "p90"
    assert lat["gated_ms"] == lat["p90_ms"] > 0 and lat["samples"] >= 5
    assert {g["name"]: g["status"] for g in data["gates"]}["latency"] == "passed"

"""Report writers (through the one format registry) and option parsing of `archsel check` (no model built)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from archsel.errors import UsageError
from archsel.files import write_atomic
from archsel.report import check as check_report
from archsel.report.formats import render
from archsel.report.github import command, escape_data, escape_property
from archsel.units import parse_bytes, parse_count


def render_github(data: dict[str, Any]) -> str:
    return render(check_report.document(data), "github")


def render_junit(data: dict[str, Any]) -> str:
    return render(check_report.document(data), "junit")


def props(el: ET.Element) -> dict[str, str | None]:
    """The <properties> directly under `el`, as name → value."""
    found = el.find("properties")
    return {} if found is None else {p.get("name", ""): p.get("value") for p in found.findall("property")}


def payload(gates: list[dict[str, Any]]) -> dict[str, Any]:
    status = [g["status"] for g in gates]
    return {
        "model": {"spec": "pkg.m:build"}, "target": {"name": "jetson-orin-nano"}, "status": "failed",
        "duration_s": 1.5, "timestamp": "2025-01-01T00:00:00", "hostname": "ci",
        "conditions": {"target": "jetson-orin-nano", "strict": False, "latency_budget_ms": 30.0, "max_params": None},
        "summary": {"gates": len(gates), "passed": status.count("passed"), "failed": status.count("failed"),
                    "errors": status.count("error"), "skipped": status.count("skipped")},
        "gates": gates,
    }


def test_github_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("50% of\r\nit: a,b") == "50%25 of%0D%0Ait: a,b"
    assert escape_property("50% of\r\nit: a,b") == "50%25 of%0D%0Ait%3A a%2Cb"
    line = command("error", "a: 1%\nb", title="x: y, z", file="src/m.py", line=3)
    assert line == "::error title=x%3A y%2C z,file=src/m.py,line=3::a: 1%25%0Ab"
    assert command("notice", "ok") == "::notice::ok"


def test_github_render_one_line_per_gate_plus_summary() -> None:
    text = render_github(payload([
        {"name": "latency", "status": "failed", "message": "latency: 41 ms > 30 ms", "detail": "line1\nline2"},
        {"name": "params", "status": "passed", "message": "params: 1 M ≤ 5 M", "file": "a.py", "line": 2},
    ]))
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0] == "::error title=archsel check FAILED%3A latency::latency: 41 ms > 30 ms%0Aline1%0Aline2"
    assert lines[1].startswith("::notice title=archsel check passed%3A params,file=a.py,line=2::")
    assert lines[2].startswith("::error title=archsel check failed::")


def test_junit_structure_counts_and_escaping() -> None:
    nasty = 'budget <30 ms> & "quoted" \x1b[31m'
    xml = render_junit(payload([
        {"name": "model", "status": "error", "message": nasty, "error_type": "ValueError", "file": "a.py",
         "line": 4},
        {"name": "latency", "status": "failed", "message": "latency: 41 ms exceeds 30 ms", "latency_ms": 41.0,
         "budget_ms": 30.0},
        {"name": "params", "status": "skipped", "message": "not evaluated"},
        {"name": "precision", "status": "passed", "message": "fp32 ok"},
    ]))
    root = ET.fromstring(xml)  # parses: special characters escaped, the ESC control character replaced
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    for el in (root, suite):
        assert (el.get("tests"), el.get("failures"), el.get("errors"), el.get("skipped")) == ("4", "1", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    err = cases["model"].find("error")
    assert err is not None and err.get("type") == "ValueError"
    assert err.get("message") == 'budget <30 ms> & "quoted" \ufffd[31m'
    assert cases["model"].get("file") == "a.py" and cases["model"].get("line") == "4"
    props_ = props(cases["latency"])
    assert props_ == {"latency_ms": "41", "budget_ms": "30"}
    suite_props = props(suite)
    assert suite_props == {"target": "jetson-orin-nano", "strict": "false", "latency_budget_ms": "30"}
    assert cases["params"].find("skipped") is not None
    assert cases["precision"].find("failure") is None and cases["precision"].find("error") is None


@pytest.mark.parametrize(("text", "expected"), [("5M", 5_000_000), ("2.5G", 2_500_000_000), ("300k", 300_000),
                                                ("1e6", 1_000_000), ("42", 42), ("1B", 1_000_000_000)])
def test_parse_count(text: str, expected: int) -> None:
    assert parse_count(text, "--max-params") == expected


@pytest.mark.parametrize(("text", "expected"), [("512MiB", 512 * 2**20), ("2GiB", 2 * 2**30), ("1.5GB", 1_500_000_000),
                                                ("512Mi", 512 * 2**20), ("100", 100), ("64kb", 64_000)])
def test_parse_bytes(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["5Q", "", "M5", "-3M", "5 parsecs"])
def test_bad_sizes_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_count(text, "--max-params")
    with pytest.raises(UsageError):
        parse_bytes(text)


def test_write_atomic_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out" / "r.xml"
    write_atomic(target, "first\n")
    write_atomic(target, "second, complete\n")
    assert target.read_text() == "second, complete\n"
    assert [p.name for p in target.parent.iterdir()] == ["r.xml"]


def test_write_atomic_into_a_file_path_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError):
        write_atomic(blocker / "r.xml", "data")


def test_table_shows_user_strings_literally() -> None:
    data = payload([{"name": "memory", "status": "failed", "message": "memory: 9 GiB exceeds the budget 4 GiB "
                     "[raspberry-pi-4 memory (4 GB)] by 5 GiB"}])
    data["model"]["spec"] = "pkg.m:[bold]build"
    text = render(check_report.document(data), "table")
    assert "[raspberry-pi-4 memory (4 GB)]" in text and "pkg.m:[bold]build" in text
    assert "FAILED" in text

"""The user's code runs in a child process (archsel.isolation): whatever it does — hang, exit, crash, write to
file descriptor 1, raise a BaseException, run out of memory — `archsel check` reports it as a failed gate with
one clear line, writes its report, and never hangs, passes or prints a traceback (issue 19)."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_archsel

MODELS = '''
import ctypes, os, sys, time
from torch import nn


class Boom(BaseException):
    """Not an Exception: what `except Exception` lets through."""


def good():
    return nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 4))


def sleeps():
    time.sleep(3600)


def exits():
    os._exit(0)


def writes():
    os.write(1, b"GARBAGE ON FD 1\\n")
    sys.__stdout__.write("GARBAGE ON SYS STDOUT\\n")
    sys.__stdout__.flush()
    print("GARBAGE FROM PRINT")
    return good()


def out_of_memory():
    raise MemoryError("cannot allocate the weights")


def base_exception():
    raise Boom("not an Exception")


def segfault():
    ctypes.string_at(0)


def hog():
    bytearray(3 * 2**30)  # 3 GiB, over --memory-limit 1GiB
    return good()
'''


@pytest.fixture
def models(tmp_path: Path) -> Path:
    (tmp_path / "usermodels.py").write_text(MODELS, encoding="utf-8")
    return tmp_path


def _check(folder: Path, factory: str, *extra: str, fmt: str = "json") -> tuple[int, dict[str, Any], str, float]:
    started = time.monotonic()
    out = run_archsel("check", "--model", f"usermodels:{factory}", "--input", "1x16", "--target", "edge",
                      "--max-params", "1M", "-f", fmt, *extra,
                      cwd=folder, env={"ARCHSEL_CACHE_DIR": str(folder / "cache")})
    seconds = time.monotonic() - started
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr, out.stderr
    data = json.loads(out.stdout) if fmt == "json" else {}
    return out.returncode, data, out.stderr, seconds


def _model_error(data: dict[str, Any]) -> dict[str, Any]:
    assert data["status"] == "error", data["status"]
    gates = {g["name"]: g["status"] for g in data["gates"]}
    assert gates["model"] == "error" and gates["params"] == "skipped", gates
    error: dict[str, Any] = data["model"]["error"]
    return error


def test_a_factory_that_sleeps_is_stopped_by_timeout_and_fails_the_gate_in_json(models: Path) -> None:
    code, data, stderr, seconds = _check(models, "sleeps", "--timeout", "4")
    assert code == 1
    error = _model_error(data)
    assert error["type"] == "Timeout" and "did not finish within 4 s" in error["message"]
    assert seconds < 60
    assert "did not finish within 4 s" in stderr.splitlines()[-1]


def test_a_factory_that_sleeps_is_a_junit_error_and_the_report_is_written(models: Path) -> None:
    report = models / "report.xml"
    code, _, _, _ = _check(models, "sleeps", "--timeout", "4", "-o", str(report), fmt="junit")
    assert code == 1
    cases = {c.get("name"): c for c in ET.parse(report).getroot().iter("testcase")}
    model_case = next(c for name, c in cases.items() if name and name.startswith("model"))
    error = model_case.find("error")
    assert error is not None and "did not finish within 4 s" in (error.get("message") or "")


def test_os_exit_zero_in_a_factory_fails_the_gate(models: Path) -> None:
    code, data, _, _ = _check(models, "exits")
    assert code == 1
    error = _model_error(data)
    assert error["type"] == "Exit" and "exit code 0" in error["message"]


def test_writes_to_file_descriptor_1_never_reach_stdout(models: Path) -> None:
    code, data, stderr, _ = _check(models, "writes")  # json.loads of the whole stdout succeeded
    assert code == 0 and data["status"] == "passed"
    for text in ("GARBAGE ON FD 1", "GARBAGE ON SYS STDOUT", "GARBAGE FROM PRINT"):
        assert text in stderr


@pytest.mark.parametrize(("factory", "exc_type"), [("out_of_memory", "MemoryError"), ("base_exception", "Boom")])
def test_memory_error_and_a_base_exception_are_the_users_errors(models: Path, factory: str, exc_type: str) -> None:
    code, data, _, _ = _check(models, factory)
    assert code == 1
    error = _model_error(data)
    assert error["type"] == exc_type and error["stage"] == "factory"
    assert error["file"] == "usermodels.py" and isinstance(error["line"], int)


def test_a_segfault_in_the_users_code_fails_the_gate(models: Path) -> None:
    code, data, _, _ = _check(models, "segfault")
    assert code == 1
    error = _model_error(data)
    assert error["type"] == "Signal" and "SIGSEGV" in error["message"]


def test_memory_limit_bounds_what_the_users_code_allocates(models: Path) -> None:
    code, data, _, _ = _check(models, "hog", "--memory-limit", "1GiB")
    assert code == 1
    assert _model_error(data)["type"] == "MemoryError"


def test_compare_reports_a_hanging_factory_in_one_line(models: Path) -> None:
    started = time.monotonic()
    out = run_archsel("compare", "--model", "usermodels:sleeps", "--input", "1x16", "--task", "timeseries",
                      "--target", "edge", "--timeout", "4", "-f", "json", cwd=models,
                      env={"ARCHSEL_CACHE_DIR": str(models / "cache")})
    assert out.returncode == 1 and time.monotonic() - started < 120
    assert out.stdout == "" and "Traceback" not in out.stderr
    assert "did not finish within 4 s" in out.stderr.strip().splitlines()[-1]


def test_timeout_must_be_positive(models: Path) -> None:
    out = run_archsel("check", "--model", "usermodels:good", "--input", "1x16", "--target", "edge",
                      "--timeout", "0", cwd=models)
    assert out.returncode == 2 and "--timeout" in out.stderr

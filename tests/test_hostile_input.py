"""Hostile input gets a one-line error and exit 2, never an internal error (issue 19's first cases)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
Run = Callable[..., subprocess.CompletedProcess[str]]


def _usage_error(out: subprocess.CompletedProcess[str], *words: str) -> None:
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "internal error" not in out.stderr and "Traceback" not in out.stderr
    for word in words:
        assert word in out.stderr, out.stderr


@pytest.mark.parametrize("value", ["inf", "1e309", "-inf"])
def test_an_infinite_budget_is_a_usage_error(archsel: Run, value: str) -> None:
    out = archsel("recommend", "--task", "image", "--latency-ms", value, "-f", "json")
    _usage_error(out, "--latency-ms must be a finite positive number")
    assert out.stdout == ""


def test_an_infinite_size_limit_is_a_usage_error(archsel: Run) -> None:
    _usage_error(archsel("recommend", "--task", "image", "--max-params", "1e400", "-f", "json"),
                 "--max-params must be a finite positive number, got '1e400'")


def test_a_nul_byte_in_a_query_stream_names_its_place(archsel: Run) -> None:
    out = archsel("recommend", "--query", "-", "-f", "json", input="task: image\x00\n")
    _usage_error(out, "<stdin>:1:12: unacceptable character U+0000")


def test_a_nul_byte_in_a_rule_file_names_its_place(archsel: Run, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    target = sorted(rules.glob("*.yaml"))[0]
    lines = target.read_text(encoding="utf-8").count("\n")
    with target.open("a", encoding="utf-8") as fh:
        fh.write("\x00")
    out = archsel("rules", "validate", str(rules))
    _usage_error(out, f"{target}:{lines + 1}:1: unacceptable character U+0000")


def test_nan_and_infinity_in_a_rule_file_are_problems_at_their_place(archsel: Run, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    target = rules / "architecture.yaml"
    text = target.read_text(encoding="utf-8")
    assert "        - {family: rnn, by: 0.2}\n" in text
    target.write_text(text.replace("        - {family: rnn, by: 0.2}\n", "        - {family: rnn, by: .nan}\n", 1),
                      encoding="utf-8")
    line = text[: text.index("        - {family: rnn, by: 0.2}")].count("\n") + 1
    out = archsel("rules", "validate", str(rules))
    _usage_error(out, f"{target}:{line}:", "not a finite number")


def test_infinity_in_a_query_file_is_a_problem_at_its_place(archsel: Run) -> None:
    out = archsel("recommend", "--query", "-", "-f", "json", input="task: image\ntarget: edge\nlatency_ms: .inf\n")
    _usage_error(out, "<stdin>:3:", "not a finite number")
    assert out.stdout == ""


def test_nan_bandwidth_in_a_profile_fails_validation(archsel: Run, tmp_path: Path) -> None:
    profile = (ROOT / "profiles" / "jetson-orin-nano.yaml").read_text(encoding="utf-8")
    lines = profile.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("memory_bandwidth_gbs:"))
    lines[at] = lines[at].replace("value: 68,", "value: .nan,")
    assert ".nan" in lines[at]
    bad = tmp_path / "nan-box.yaml"
    bad.write_text("".join(lines).replace("name: jetson-orin-nano", "name: nan-box", 1), encoding="utf-8")
    out = archsel("targets", "validate", str(bad))
    assert out.returncode == 2 and f"{bad}:{at + 1}:" in out.stderr + out.stdout
    assert "not a finite number" in out.stderr + out.stdout


def test_a_target_name_no_file_system_takes_is_an_unknown_target(archsel: Run) -> None:
    _usage_error(archsel("recommend", "--task", "image", "--target", "x" * 5000), "unknown target")


def test_an_endless_query_stream_is_bounded(archsel: Run) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    out = archsel("recommend", "--query", "/dev/zero")
    _usage_error(out, "/dev/zero:1:1: query input larger than 64 MiB")


def test_yaml_nested_thousands_deep_is_a_problem_not_a_recursion_error(archsel: Run) -> None:
    out = archsel("recommend", "--query", "-", input="task: image\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    _usage_error(out, "<stdin>:2:", "nested too deeply to read")


def _alias_bomb(levels: int = 9, fanout: int = 9) -> str:
    """YAML whose anchors refer to anchors: `fanout ** levels` leaves once expanded (9**9: 387 million)."""
    lines = ["a0: &a0 [" + ", ".join(["x"] * fanout) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fanout) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["rules", "profile", "query"])
def test_an_alias_bomb_is_rejected_at_once_at_its_place(archsel: Run, tmp_path: Path, where: str) -> None:
    import time

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb(), encoding="utf-8")
    args = {"rules": ("rules", "validate", str(bomb)),
            "profile": ("recommend", "--task", "image", "--target", str(bomb)),
            "query": ("recommend", "--query", str(bomb))}[where]
    started = time.monotonic()
    out = archsel(*args)
    _usage_error(out, f"{bomb}:", "aliases expand the document beyond 100,000 repeated nodes")
    assert time.monotonic() - started < 10  # the process; the rejection itself takes well under a second


def test_a_few_aliases_are_fine(archsel: Run, tmp_path: Path) -> None:
    query = tmp_path / "q.yaml"
    query.write_text("- &base {task: image, target: edge, latency-ms: 50}\n- *base\n", encoding="utf-8")
    out = archsel("recommend", "--query", str(query), "-f", "jsonl")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 2


def test_one_option_given_twice_in_a_query_is_a_problem_at_the_second(archsel: Run) -> None:
    out = archsel("recommend", "--query", "-", input="task: image\nlatency-ms: 5\nlatency_ms: 50\n")
    _usage_error(out, "<stdin>:3:1: 'latency_ms' and 'latency-ms' are the same option, given twice")


@pytest.mark.parametrize(("budget", "tier", "says"), [("5", "batch", "real-time budget (≤ 50 ms)"),
                                                       ("900", "rt", "batch budget (no tight bound)")])
def test_a_budget_and_a_tier_that_contradict_each_other(archsel: Run, budget: str, tier: str, says: str) -> None:
    out = archsel("recommend", "--task", "image", "--target", "edge", "--latency-ms", budget, "--latency-tier", tier)
    _usage_error(out, f"--latency-ms {budget} is a {says}, but --latency-tier says")


def test_a_budget_inside_its_tier_is_accepted(archsel: Run) -> None:
    out = archsel("recommend", "--task", "image", "--target", "edge", "--latency-ms", "40", "--latency-tier",
                  "real-time", "-f", "json")
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(("args", "says"), [
    (("recommend", "--task", "image", "--latency-ms", "abc"), "Invalid value for '--latency-ms': 'abc'"),
    (("recommend", "--task", "image", "--lantency-ms", "5"), "No such option: --lantency-ms"),
    (("bogus",), "No such command 'bogus'"),
])
def test_a_bad_command_line_is_one_line(archsel: Run, args: tuple[str, ...], says: str) -> None:
    out = archsel(*args)
    _usage_error(out, says, "-h')")
    assert len(out.stderr.strip().splitlines()) == 1 and out.stdout == ""

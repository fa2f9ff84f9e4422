"""The hostile-input corpus (issue 19): tests/fixtures/hostile/cases.yaml, one table-driven case per input.

Every case runs `python -m archsel ARGS` as a user would, in a process of its own (forked_cli: forked from a
zygote started with the corpus's environment; stdin, stdout and stderr as bytes), in a fresh working folder, with
the result cache in a temporary folder shared by the whole corpus (so the zoo is counted once), and must:

- never print a traceback or an internal error, never exit 3, never hang (a timeout is a failure);
- exit with the code a user should get (`exit`: 2 bad input, 1 a gate or constraint that legitimately fails,
  0 where the input is actually fine; a list where more than one answer is acceptable);
- name what was wrong and where: every `stderr_contains` substring is on stderr (case-insensitive);
- on exit 2, print nothing on stdout; with `-f json`/`jsonl`, print JSON that parses (each line for jsonl)
  with no bare NaN/Infinity token.

The cases are run concurrently (one per CPU) the first time one of them is needed; each test then checks its
own result. A case's keys (all optional but id, kind, args, exit):

  id, kind, why            name, the kind of hostile input, and the reasoning where the expectation is a choice
  args                     the command line after `archsel` ({{W}}: the working folder, {{ROOT}}: the checkout,
                           {{rep:TEXT:N}}: TEXT repeated N times; also in env values, files and stdin)
  stdin / stdin_raw        text on stdin (UTF-8) / text whose characters U+0000-U+00FF are written as bytes
  stdin_gen                the name of a generator below (GENERATORS) that returns stdin as text
  copy                     {dest: source under the checkout}: files or folders copied into the working folder
  files / files_raw        {path: text}: files written as UTF-8 / as bytes (latin-1), after `copy`
  files_gen                {path: generator name}: files written from a generator
  edit                     [{file, old, new, count}]: text replaced in a copied file (`old` must be there)
  mkdir, symlinks          folders to make; {link: target} symbolic links
  chmod                    {path: mode}; `denies` (`denies_write`) names a path that must then be unreadable
                           (unwritable), else the case is skipped (root reads and writes everything)
  cache                    a copy of the corpus's warm cache in {{W}}/cache (ARCHSEL_CACHE_DIR), every entry
                           spoilt one way (CACHE_SPOILERS): it must be recomputed, never crash or change the answer
  env                      variables for the run (null: removed)
  stderr_contains, stderr_not_contains, stdout_contains, stdout_lines, exists_after, max_seconds, slow
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import forked_cli
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = ROOT / "tests" / "fixtures" / "hostile" / "cases.yaml"
DEFAULT_TIMEOUT_S = 60.0
HARD_KILL_S = 90.0  # a case still running then is killed and reported as a hang
KNOWN_KEYS = {
    "id", "kind", "why", "args", "stdin", "stdin_raw", "stdin_gen", "copy", "files", "files_raw", "files_gen",
    "edit", "mkdir", "symlinks", "chmod", "denies", "denies_write", "cache", "env", "exit", "stderr_contains",
    "stderr_not_contains", "stdout_contains", "stdout_lines", "exists_after", "max_seconds", "slow",
}


# ------------------------------------------------------------------------------------------ generators


def _alias_bomb(levels: int = 9, fanout: int = 9, prefix: str = "") -> str:
    """Anchors referring to anchors: fanout ** levels leaves once expanded (9 ** 9: 387 million)."""
    lines = [f"a0: &a0 [{', '.join(['x'] * fanout)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]" for i in range(1, levels)]
    return prefix + "\n".join(lines) + "\n"


def _nested_block(depth: int) -> str:
    """A block mapping `depth` levels deep by indentation (what a YAML writer produces)."""
    return "task: image\nx:\n" + "".join(" " * (i + 1) + "a:\n" for i in range(depth)) + " " * (depth + 1) + "1\n"


def _ten_thousand_queries() -> str:
    """10,000 queries on stdin, as a pipeline sends them: a handful of distinct ones over and over."""
    targets, budgets = ("edge", "cloud", "mobile"), (20, 35, 50, 80, 120)
    docs = [f"task: image\ntarget: {targets[i % 3]}\nlatency-ms: {budgets[i % 5]}\n" for i in range(10_000)]
    return "---\n".join(docs)


def _hundred_queries_one_bad() -> str:
    """A list of 100 queries; the 58th (line 58) has a typo in a key."""
    lines = ["- {task: image, target: edge, latency-ms: 50}"] * 100
    lines[57] = "- {task: image, target: edge, latncy-ms: 50}"
    return "\n".join(lines) + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "alias_bomb_query": lambda: _alias_bomb(prefix="task: image\n"),
    "alias_bomb_rules": lambda: "schema_version: 1\n" + _alias_bomb() + "rules: []\n",
    "alias_bomb_profile": lambda: "name: bomb\n" + _alias_bomb(),
    "alias_bomb_small_fanout_deep": lambda: _alias_bomb(levels=40, fanout=2, prefix="task: image\n"),
    "deep_json_5000": lambda: '{"task": "image", "x": ' + "[" * 5000 + "]" * 5000 + "}\n",
    "deep_flow_mapping_3000": lambda: "task: image\nx: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
    "deep_block_mapping_1500": lambda: _nested_block(1500),
    "deep_rules_file": lambda: "schema_version: 1\nrules:\n  - x: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep_profile_file": lambda: "name: deep\nx: " + "[" * 5000 + "]" * 5000 + "\n",
    "ten_thousand_queries": _ten_thousand_queries,
    "hundred_queries_one_bad": _hundred_queries_one_bad,
    "long_task_1mb": lambda: "task: " + "a" * 1_000_000 + "\ntarget: edge\n",
    "long_key_100k": lambda: "task: image\n" + "k" * 100_000 + ": 1\n",
    "int_5000_digits_batch": lambda: "task: image\ntarget: edge\nbatch: " + "1" * 5000 + "\n",
    "int_5000_digits_seq_len": lambda: "task: text-classification\ntarget: edge\nseq-len: '" + "1" * 5000 + "'\n",
    "huge_int_latency": lambda: "task: image\ntarget: edge\nlatency-ms: 1" + "0" * 400 + "\n",
    "huge_int_max_params": lambda: "task: image\ntarget: edge\nmax-params: 1" + "0" * 400 + "\n",
    "huge_int_boost_rules": lambda: (
        "schema_version: 1\nrules:\n  - id: x001-huge\n    title: huge boost\n"
        "    source: {file: a.txt, section: s}\n    rationale: r\n    when: {task: [image-classification]}\n"
        "    effects:\n      boosts:\n        - {family: cnn, by: 1" + "0" * 400 + "}\n"),
}


# ------------------------------------------------------------------------------------- spoilt caches


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "profiles").glob("*.json"))


def _rewrite_results(cache: Path, change: Callable[[dict[str, Any]], None]) -> None:
    for path in _entries(cache):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("result"), dict):
            change(data["result"])
            path.write_text(json.dumps(data), encoding="utf-8")  # allow_nan: NaN is written as it is


def _ints_to_strings(result: dict[str, Any]) -> None:
    for key, value in list(result.items()):
        if isinstance(value, int) and not isinstance(value, bool):
            result[key] = str(value)


def _spoil_knowledge(cache: Path, data: bytes) -> None:
    for path in sorted((cache / "knowledge").glob("*.pickle")):
        path.write_bytes(data)


def _truncate(cache: Path) -> None:
    for path in _entries(cache):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])


def _binary(cache: Path) -> None:
    for path in _entries(cache):
        path.write_bytes(b"\x00\xff garbage \x1b[31m")


def _drop_counts(result: dict[str, Any]) -> None:
    for key in ("macs", "params"):
        result.pop(key, None)


CACHE_SPOILERS: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate,
    "binary": _binary,
    "wrong-types": lambda c: _rewrite_results(c, _ints_to_strings),
    "nan": lambda c: _rewrite_results(c, lambda r: r.update(macs=float("nan"), seconds=float("inf"))),
    "negative": lambda c: _rewrite_results(c, lambda r: r.update(macs=-1, params=-5)),
    "huge": lambda c: _rewrite_results(c, lambda r: r.update(macs=10**400, params=10**400)),
    "missing-fields": lambda c: _rewrite_results(c, _drop_counts),
    "knowledge-garbage": lambda c: _spoil_knowledge(c, b"\x80\x04 not a pickle"),
    "knowledge-wrong-type": lambda c: _spoil_knowledge(c, pickle.dumps({"rules": "not a RuleSet"})),
}


# ------------------------------------------------------------------------------------------ the table


def load_cases() -> list[dict[str, Any]]:
    cases = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]
    return list(cases)


CASES = load_cases()
BY_ID = {c["id"]: c for c in CASES}


def test_the_corpus_is_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert len(CASES) >= 100
    for case in CASES:
        assert set(case) <= KNOWN_KEYS, (case["id"], set(case) - KNOWN_KEYS)
        assert {"id", "kind", "args", "exit"} <= set(case), case["id"]
        assert isinstance(case["args"], list) and all(isinstance(a, str) for a in case["args"]), case["id"]
        for name in [case.get("stdin_gen"), *(case.get("files_gen") or {}).values()]:
            assert name is None or name in GENERATORS, (case["id"], name)
        assert case.get("cache") in (None, *CACHE_SPOILERS), case["id"]


_REP = re.compile(r"\{\{rep:([^:}]*):(\d+)\}\}")


def expand(text: str, work: Path) -> str:
    text = _REP.sub(lambda m: m.group(1) * int(m.group(2)), text)
    return text.replace("{{W}}", str(work)).replace("{{ROOT}}", str(ROOT))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def set_up(case: dict[str, Any], work: Path) -> None:
    """Make the case's working folder: copies, files, edits, folders, links, modes."""
    for dest, source in (case.get("copy") or {}).items():
        src, dst = ROOT / source, work / dest
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)
    for folder in case.get("mkdir") or []:
        (work / folder).mkdir(parents=True, exist_ok=True)
    for rel, text in (case.get("files") or {}).items():
        _write(work / rel, expand(text, work).encode("utf-8", errors="surrogateescape"))
    for rel, text in (case.get("files_raw") or {}).items():
        _write(work / rel, text.encode("latin-1"))
    for rel, name in (case.get("files_gen") or {}).items():
        _write(work / rel, GENERATORS[name]().encode("utf-8"))
    for edit in case.get("edit") or []:
        path = work / edit["file"]
        text = path.read_text(encoding="utf-8")
        old, new = edit["old"], expand(edit["new"], work)
        assert old in text, f"{case['id']}: {old!r} is not in {edit['file']} (the fixture rotted)"
        text = text.replace(old, new, edit.get("count", 1))
        path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    for link, target in (case.get("symlinks") or {}).items():
        path = work / link
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(expand(target, work), path)
    for rel, mode in (case.get("chmod") or {}).items():
        os.chmod(work / rel, mode)


def restore_modes(case: dict[str, Any], work: Path) -> None:
    for rel in case.get("chmod") or {}:
        path = work / rel
        if path.exists() and not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() else 0o644)


def stdin_bytes(case: dict[str, Any], work: Path) -> bytes | None:
    if "stdin_gen" in case:
        return GENERATORS[case["stdin_gen"]]().encode("utf-8")
    if "stdin_raw" in case:
        return str(case["stdin_raw"]).encode("latin-1")
    if "stdin" in case:
        return expand(str(case["stdin"]), work).encode("utf-8", errors="surrogateescape")
    return None


def base_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ARCHSEL_RULES_PATH", "ARCHSEL_PROFILES_PATH", "ARCHSEL_DEBUG", "ARCHSEL_CACHE_DIR")}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "ARCHSEL_CACHE_DIR": str(cache), "PYTHONIOENCODING": "utf-8"})
    return env


@dataclass
class Outcome:
    """What one case did."""

    returncode: int | None  # None: killed after HARD_KILL_S
    stdout: str
    stderr: str
    seconds: float
    work: Path
    skip: str | None = None
    setup_error: str | None = None


def run_case(case: dict[str, Any], work: Path, cache: Path) -> Outcome:
    work.mkdir(parents=True, exist_ok=True)
    try:
        set_up(case, work)
        if "cache" in case:
            shutil.copytree(cache, work / "cache", ignore=shutil.ignore_patterns("*.tmp"))
            CACHE_SPOILERS[case["cache"]](work / "cache")
            cache = work / "cache"
    except Exception as exc:  # a fixture problem, reported by the test
        return Outcome(None, "", "", 0.0, work, setup_error=f"{type(exc).__name__}: {exc}")
    for key, access in (("denies", os.R_OK), ("denies_write", os.W_OK)):
        if key in case and os.access(work / case[key], access):
            restore_modes(case, work)
            return Outcome(None, "", "", 0.0, work, skip="running as root (or with CAP_DAC_OVERRIDE): chmod does "
                                                          f"not take {case[key]} away")
    env = base_env(cache)
    for key, value in (case.get("env") or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = expand(str(value), work)
    args = [expand(a, work) for a in case["args"]]
    data = stdin_bytes(case, work)
    started = time.monotonic()
    try:
        proc = forked_cli.run(args, env, data, work, timeout=HARD_KILL_S, text=False, startup_shared=True)
        code: int | None = proc.returncode
        out, err = proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        out, err = exc.stdout or b"", exc.stderr or b""
    seconds = time.monotonic() - started
    restore_modes(case, work)
    return Outcome(code, out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace"), seconds,
                   work)


# ------------------------------------------------------------------------------- running, concurrently


def _selected_ids(session: pytest.Session) -> list[str]:
    ids = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "originalname", None) == "test_hostile_case" and callspec is not None:
            ids.append(callspec.params["case_id"])
    return ids


@pytest.fixture(scope="session")
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every selected case's outcome, run concurrently (one per CPU) after one run that warms the cache."""
    cache = tmp_path_factory.mktemp("hostile-cache")
    root = tmp_path_factory.mktemp("hostile")
    warm = forked_cli.run(["recommend", "--task", "image", "--target", "edge", "-f", "json"], base_env(cache), None,
                          root, startup_shared=True)
    assert warm.returncode == 0, warm.stderr[-2000:]
    wanted = [BY_ID[i] for i in _selected_ids(request.session) if i in BY_ID]
    slow_first = sorted(wanted, key=lambda c: not c.get("slow"))  # the long ones start at once
    workers = max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {c["id"]: pool.submit(run_case, c, root / re.sub(r"[^A-Za-z0-9_.-]", "_", c["id"]), cache)
                   for c in slow_first}
        return {cid: f.result() for cid, f in futures.items()}


def _marks(case: dict[str, Any]) -> list[Any]:
    return [pytest.mark.slow] if case.get("slow") else []


class _NoBareConstant(ValueError):
    pass


def _strict_json(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise _NoBareConstant(f"bare {token} in JSON output")

    return json.loads(text, parse_constant=refuse)


def _wants(args: list[str], fmt: str) -> bool:
    for i, arg in enumerate(args):
        if arg in ("-f", "--format") and i + 1 < len(args) and args[i + 1] == fmt:
            return True
        if arg in (f"--format={fmt}", f"-f{fmt}"):
            return True
    return False


def _clip(text: str, lines: int, width: int = 300) -> str:
    kept = text.splitlines()[-lines:]
    return "\n".join(line if len(line) <= width else line[:width] + f"... ({len(line)} characters)" for line in kept)


def _describe(case: dict[str, Any], out: Outcome) -> str:
    return (f"\ncase {case['id']} ({case['kind']}): archsel {_clip(' '.join(case['args']), 1)}\n"
            f"exit {out.returncode} after {out.seconds:.1f} s\n--- stderr ---\n{_clip(out.stderr, 30)}\n"
            f"--- stdout ---\n{_clip(out.stdout[:3000], 20)}")


@pytest.mark.parametrize("case_id", [pytest.param(c["id"], id=c["id"], marks=_marks(c)) for c in CASES])
def test_hostile_case(case_id: str, corpus: dict[str, Outcome]) -> None:
    case = BY_ID[case_id]
    out = corpus[case_id]
    if out.setup_error:
        pytest.fail(f"{case_id}: could not set up the case: {out.setup_error}")
    if out.skip:
        pytest.skip(out.skip)
    info = _describe(case, out)
    assert out.returncode is not None, f"hang: still running after {HARD_KILL_S:.0f} s" + info
    assert "Traceback" not in out.stderr, "a traceback" + info
    assert "internal error" not in out.stderr.lower(), "an internal error" + info
    assert out.returncode != 3, "exit 3 (internal error)" + info
    assert out.returncode >= 0, f"killed by signal {-out.returncode}" + info
    limit = float(case.get("max_seconds", DEFAULT_TIMEOUT_S))
    assert out.seconds <= limit, f"took {out.seconds:.1f} s (limit {limit:.0f} s)" + info
    expected = case["exit"] if isinstance(case["exit"], list) else [case["exit"]]
    assert out.returncode in expected, f"exit {out.returncode}, expected {expected}" + info
    err = out.stderr.lower()
    missing = [s for s in case.get("stderr_contains") or [] if expand(s, out.work).lower() not in err]
    assert not missing, f"stderr lacks {missing}" + info
    present = [s for s in case.get("stderr_not_contains") or [] if expand(s, out.work).lower() in err]
    assert not present, f"stderr has {present}" + info
    if out.returncode == 2:
        assert out.stdout == "", "exit 2 with output on stdout" + info
        assert out.stderr.strip(), "exit 2 without a word on stderr" + info
    args = [expand(a, out.work) for a in case["args"]]
    if out.returncode in (0, 1) and _wants(args, "json") and out.stdout.strip():
        try:
            _strict_json(out.stdout)
        except ValueError as exc:
            pytest.fail(f"stdout is not strict JSON: {exc}" + info)
    if out.returncode in (0, 1) and _wants(args, "jsonl"):
        for n, line in enumerate(out.stdout.split("\n")[:-1], 1):  # records end in \n (U+2028 is no separator)
            try:
                _strict_json(line)
            except ValueError as exc:
                pytest.fail(f"stdout line {n} is not strict JSON: {exc}" + info)
    if out.returncode == 0 and (_wants(args, "json") or _wants(args, "jsonl")):
        assert out.stdout.strip(), "exit 0 with no JSON on stdout" + info
    for text in case.get("stdout_contains") or []:
        assert expand(text, out.work) in out.stdout, f"stdout lacks {text!r}" + info
    if "stdout_lines" in case:
        got = out.stdout.count("\n")
        assert got == case["stdout_lines"], f"{got} lines on stdout, expected {case['stdout_lines']}" + info
    for rel in case.get("exists_after") or []:
        assert (out.work / rel).exists(), f"{rel} was deleted" + info

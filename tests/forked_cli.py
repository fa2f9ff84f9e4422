"""Run `python -m archsel ARGS` for the tests in a process forked from one that imported archsel, torch and
torchvision once (a zygote), not in a new interpreter each time.

Each call keeps what a new process gives: its own exit code, environment, working directory, stdin, stdout
and stderr (files, as pipes are: not a TTY), the module state of a fresh import, and a normal interpreter
exit (non-daemon threads joined, atexit handlers run, streams flushed). It saves the ~2.5 s every CLI call
spent importing torch and torch._dynamo: most of the suite's time. A call whose environment changes how the
interpreter or its libraries start (PYTHON*, OpenMP, MKL, torch, CUDA variables) runs in a new interpreter,
unless the caller says its calls may share a zygote started with that environment (`startup_shared`: the
hostile corpus, which sets PYTHONIOENCODING), as does every call when ARCHSEL_TEST_SUBPROCESS=1 (what the tests
would see without the zygote). Each thread has zygotes of its own, so concurrent calls fork concurrently.
Forked calls share the zygote's string hashing (PYTHONHASHSEED): a determinism test gives its second call its
own. Input and output are text in the locale's encoding, as subprocess.run(text=True) gives them, or bytes.

The zygote is this file run as a script: one JSON request a line on stdin, answered by the child's pid and
then its exit code (negative: killed by that signal, as subprocess reports it).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STARTUP_ENV = ("PYTHON", "OMP_", "MKL_", "KMP_", "GOMP_", "OPENBLAS_", "TORCH", "PYTORCH_", "CUDA_", "LD_",
               "MALLOC_")
FORCE_SUBPROCESS = "ARCHSEL_TEST_SUBPROCESS"


class Zygote:
    """The forking server of this test process, started on first use."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = dict(env)
        self.process = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        cwd=ROOT, env=self.env)
        self.files = tempfile.TemporaryDirectory(prefix="archsel-forked-cli-")
        atexit.register(self.close)

    def starts_like(self, env: dict[str, str]) -> bool:
        """Whether a process with `env` would start as the zygote did."""
        keys = {k for k in (*env, *self.env) if k.startswith(STARTUP_ENV)}
        return all(env.get(k) == self.env.get(k) for k in keys)

    def run(self, args: list[str], env: dict[str, str], input: str | bytes | None, cwd: Path, timeout: float,
            text: bool) -> subprocess.CompletedProcess[Any] | None:
        """The call's result; None where the zygote is gone (the caller runs a new interpreter)."""
        command = [sys.executable, "-m", "archsel", *args]  # what a new interpreter would run
        folder = Path(self.files.name)
        paths = {name: folder / name for name in ("stdin", "stdout", "stderr")}
        encoding = locale.getpreferredencoding(False)
        if input is not None:
            paths["stdin"].write_bytes(input.encode(encoding) if isinstance(input, str) else input)
        request = {"args": args, "env": env, "cwd": str(cwd), "stdin": str(paths["stdin"]) if input is not None
                   else os.devnull, "stdout": str(paths["stdout"]), "stderr": str(paths["stderr"])}
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
            pid = int(self._line(timeout=120))
        except (OSError, ValueError, TimeoutError):
            return None
        try:
            code = int(self._line(timeout=timeout))
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            self._line(timeout=60)
            raise subprocess.TimeoutExpired(command, timeout) from None

        def output(name: str) -> str | bytes:
            data = paths[name].read_bytes()
            return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n") if text else data

        return subprocess.CompletedProcess(command, code, output("stdout"), output("stderr"))

    def _line(self, timeout: float) -> bytes:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
        line = self.process.stdout.readline()
        if not line:
            raise OSError("the zygote ended")
        return line

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.files.cleanup()


_zygotes: dict[tuple[int, bool], Zygote] = {}  # (thread, started with the call's environment): its zygote


def zygote(env: dict[str, str], startup_shared: bool = False) -> Zygote | None:
    """The running zygote that this thread's call with `env` forks from, started on first use; None where the
    call needs a new interpreter."""
    if os.environ.get(FORCE_SUBPROCESS) or env.get(FORCE_SUBPROCESS):
        return None
    key = (threading.get_ident(), startup_shared)
    found = _zygotes.get(key)
    if found is not None and (found.process.poll() is not None or (startup_shared and not found.starts_like(env))):
        found.close()  # ended, or this thread's shared calls moved to another startup environment
        found = None
    if found is None:
        found = _zygotes[key] = Zygote(env if startup_shared else dict(os.environ))
    return found if found.starts_like(env) else None


def run(args: list[str], env: dict[str, str], input: str | bytes | None, cwd: Path, timeout: float = 600,
        text: bool = True, startup_shared: bool = False) -> subprocess.CompletedProcess[Any]:
    """`python -m archsel ARGS` with `env` (the whole environment), `input` on stdin, in `cwd`; stdout and
    stderr as text, or bytes where not `text`. `startup_shared`: forked from a zygote started with `env`'s
    startup variables where they are not this process's."""
    server = zygote(env, startup_shared)
    if server is not None:
        done = server.run(args, env, input, cwd, timeout, text)
        if done is not None:
            return done
    return subprocess.run([sys.executable, "-m", "archsel", *args], capture_output=True, text=text, env=env,
                          input=input, cwd=cwd, timeout=timeout)


# ------------------------------------------------------------------------------------------------ the zygote


def _serve() -> None:
    """Import what every call imports, then fork one child per request."""
    sys.path[0] = str(ROOT)  # as `python -m` run in the repository has it (not this file's folder)
    # what every call imports, and what most import on first use (~0.4 s a call): the rules' schema check, the
    # zoo, the pipeline, the report
    import jsonschema  # noqa: F401
    import torch
    import torch._dynamo  # noqa: F401  (imported on the first meta-device op of every call)
    import torchvision  # noqa: F401

    import archsel.advice.pipeline
    import archsel.cli
    import archsel.knowledge.loader
    import archsel.profiling.counting
    import archsel.report.recommend
    import archsel.zoo.catalog  # noqa: F401

    assert threading.active_count() == 1, "a thread in the zygote: fork would copy a half-held lock"
    requests = sys.stdin.buffer
    answers = sys.stdout.buffer
    for line in requests:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        answers.write(f"{pid}\n".encode())
        answers.flush()
        _, status = os.waitpid(pid, 0)
        answers.write(f"{os.waitstatus_to_exitcode(status)}\n".encode())
        answers.flush()


def _child(request: dict[str, Any]) -> None:
    """Become `python -m archsel ARGS` as a new interpreter would start it; never returns."""
    code = 1
    try:
        fds = [os.open(request["stdin"], os.O_RDONLY)]
        fds += [os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600) for name in ("stdout", "stderr")]
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        encoding, errors = sys.stdout.encoding, sys.stdout.errors
        sys.stdin = sys.__stdin__ = open(0, encoding=encoding, errors=errors, closefd=False)  # noqa: SIM115
        sys.stdout = sys.__stdout__ = open(1, "w", encoding=encoding, errors=errors, closefd=False)  # noqa: SIM115
        sys.stderr = sys.__stderr__ = open(2, "w", buffering=1, encoding=encoding,  # noqa: SIM115
                                           errors="backslashreplace", closefd=False)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.path[0] = os.getcwd()  # `python -m` puts its working directory first
        import archsel

        sys.argv = [str(Path(archsel.__file__).parent / "__main__.py"), *request["args"]]
        sys.modules["__main__"].__package__ = "archsel"  # click names the program `python -m archsel`
        from archsel.cli import main

        try:
            main()
            code = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
        threading._shutdown()  # type: ignore[attr-defined]  # what the interpreter does at exit
        atexit._run_exitfuncs()
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code & 0xFF)


if __name__ == "__main__":
    _serve()

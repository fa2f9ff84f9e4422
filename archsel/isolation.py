"""Run a function in a child Python process, bounded in time and memory: how archsel runs a user's code.

`run_isolated("package.module:function", args, limits=...)` starts `python -m archsel.isolation`, hands it
the call (pickled, on its stdin) and reads the value back on a pipe of its own. In the child, file
descriptor 1 is our stderr, so nothing the user's code writes (print, os.write(1, ...), a thread, a C
library) can reach our stdout; its data segment is limited (RLIMIT_DATA: torch's allocations fail with an
error the user's code raises); it runs in its own session, so a timeout kills it with everything it started.

What can end the child without a value becomes ChildEnded (kind "timeout", "exit" or "signal", with how
long it ran): a call that never returns, `os._exit(0)`, `sys.exit` from a thread, a segmentation fault, the
kernel's out-of-memory killer. An exception the function raises comes back as what it was: an ArchselError
(UsageError, UserCodeError, ...) is rebuilt as itself; anything else as ChildRaised with its type and
message. Nothing of this imports torch.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT_S = 300.0  # building, counting and measuring one model; --timeout changes it
DEFAULT_MEMORY_SHARE = 0.8  # of this machine's memory, when --memory-limit is not given


@dataclass(frozen=True)
class ChildLimits:
    """What one call may take: wall seconds, and bytes of data segment (None: no limit)."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_bytes: int | None = None

    @classmethod
    def default_memory(cls) -> int | None:
        """DEFAULT_MEMORY_SHARE of this machine's memory (None where it cannot be read)."""
        from archsel.machine import memory_bytes

        total = memory_bytes()
        return int(total * DEFAULT_MEMORY_SHARE) if total else None


class ChildEnded(Exception):
    """The child ended without giving a value: kind "timeout" | "exit" | "signal"."""

    def __init__(self, kind: str, detail: str, seconds: float) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.seconds = seconds


class ChildRaised(Exception):
    """The function raised something that is not an ArchselError (a bug, or an error of a library)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    meaning = {"SIGSEGV": "segmentation fault", "SIGKILL": "killed: out of memory, or by hand",
               "SIGABRT": "aborted", "SIGBUS": "bus error", "SIGFPE": "arithmetic fault"}.get(name)
    return f"{name} ({meaning})" if meaning else name


def run_isolated(target: str, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None, *,
                 limits: ChildLimits = ChildLimits()) -> Any:
    """`target(*args, **kwargs)` in a child process (see the module docstring); its return value."""
    request = pickle.dumps((target, args, kwargs or {}, limits.memory_bytes, list(sys.path), os.getcwd()))
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "archsel.isolation", str(write_fd)], stdin=subprocess.PIPE,
            stdout=2, pass_fds=(write_fd,), start_new_session=True,  # its fd 1 is our stderr
        )
    finally:
        os.close(write_fd)
    data: bytes | None = None
    with os.fdopen(read_fd, "rb") as reader:
        try:
            assert child.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                child.stdin.write(request)
                child.stdin.close()
            data = _read_until(reader, started + limits.timeout_s)
        finally:
            _stop(child, wait=data is not None)
    seconds = time.monotonic() - started
    if data is None:
        raise ChildEnded("timeout", f"did not finish within {limits.timeout_s:g} s (--timeout); stopped", seconds)
    try:
        status, payload = pickle.loads(data)  # written by our own child process
    except Exception:  # nothing, or a part: the child ended before it wrote its answer
        code = child.returncode
        if code is not None and code < 0:
            raise ChildEnded("signal", f"killed by {_signal_name(-code)} after {seconds:.1f} s", seconds) from None
        raise ChildEnded("exit", f"ended the process with exit code {code} after {seconds:.1f} s, before giving "
                                 "a result", seconds) from None
    if status == "ok":
        return payload
    raise _rebuilt(payload)


def _read_until(reader: Any, deadline: float) -> bytes | None:
    """Everything the child writes to the result pipe, up to its end; None past `deadline`."""
    chunks: list[bytes] = []
    with selectors.DefaultSelector() as sel:
        sel.register(reader, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                return None
            chunk = os.read(reader.fileno(), 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _stop(child: subprocess.Popen[bytes], wait: bool) -> None:
    """Wait for a child that finished (a moment), else kill its whole session."""
    if wait:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
            return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def _rebuilt(payload: dict[str, Any]) -> Exception:
    """The exception the child raised, as itself where it is one of archsel's."""
    if payload["kind"] == "user":
        from archsel.usermodel import UserCodeError

        return UserCodeError.rebuilt(**payload["fields"])
    if payload["kind"] == "archsel":
        from archsel import errors

        cls = getattr(errors, payload["class"], errors.UsageError)
        if not (isinstance(cls, type) and issubclass(cls, errors.ArchselError)) or cls is errors.ConfigError:
            cls = errors.UsageError
        return cls(payload["message"], hint=payload["hint"])
    return ChildRaised(payload["type"], payload["message"])


def _encoded(exc: BaseException) -> dict[str, Any]:
    from archsel.errors import ArchselError
    from archsel.usermodel import UserCodeError

    if isinstance(exc, UserCodeError):
        return {"kind": "user", "fields": exc.fields()}
    if isinstance(exc, ArchselError):
        return {"kind": "archsel", "class": type(exc).__name__, "message": exc.message, "hint": exc.hint}
    text = str(exc).strip()
    return {"kind": "other", "type": type(exc).__name__, "message": text.splitlines()[0][:500] if text else ""}


def _child(result_fd: int) -> None:
    """The child's side: read the call, run it, write ("ok", value) or ("raised", error) and end at once."""
    os.set_inheritable(result_fd, False)  # a process the user's code starts must not hold the answer open
    target, args, kwargs, memory_bytes, path, cwd = pickle.loads(sys.stdin.buffer.read())
    os.dup2(2, 1)  # fd 1 is the parent's stderr: the user's writes never reach the parent's stdout
    sys.stdout = sys.stderr
    with open(os.devnull, "rb") as null:
        os.dup2(null.fileno(), 0)
    sys.path[:] = path
    os.chdir(cwd)
    if memory_bytes:
        import resource

        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    try:
        module_name, _, function = target.partition(":")
        value = getattr(importlib.import_module(module_name), function)(*args, **kwargs)
        answer = pickle.dumps(("ok", value))
    except BaseException as exc:  # everything the user's code can raise goes back as a value
        answer = pickle.dumps(("raised", _encoded(exc)))
    with os.fdopen(result_fd, "wb") as out:
        out.write(answer)
    sys.stderr.flush()
    os._exit(0)  # not waiting for threads the user's code left running


if __name__ == "__main__":
    _child(int(sys.argv[1]))

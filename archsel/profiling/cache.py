"""The profile result cache: one JSON file per (model, input, batch, dtype, conditions, device fingerprint,
torch and archsel versions), under platformdirs.user_cache_dir("archsel") or $ARCHSEL_CACHE_DIR.

- Writes are atomic (archsel.files.write_atomic: a temporary `.<name>.*.tmp` file in the same folder, then
  os.replace), so concurrent runs never leave a half-written entry; the last writer wins.
- Reading checks the entry's format and key, and (`get(..., decode=...)`) the types and ranges of its values:
  an entry that fails (corrupt, wrong format, key mismatch, a wrong-typed, negative or non-finite value) is
  deleted with a logged warning and treated as a miss, so the caller recomputes and replaces it. NaN and
  infinity are never read back (the writer refuses them too).
- A cache that cannot be used is never an error of the run: a location that is not a folder (a file named
  by $ARCHSEL_CACHE_DIR, a file where `profiles/` should be) or cannot be read, or a write that fails (a
  read-only folder, a full disk), logs ONE warning per process and the run goes on without the cache (or,
  for a failed write, without storing); an answer never depends on whether a write succeeded.
  `ResultCache(strict=True)` (`archsel cache info|clear`, which are about the cache itself) raises a
  UsageError for an unusable location instead.
- `clear()` and `info()` consider only files this module wrote: `<64 hex digits>.json` files holding
  exactly {"cache_format", "key", "result"}, and its own temporary files; anything else under `profiles/`
  is left alone.

Importing this module does not import torch (`archsel cache info|clear` stays fast).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import platform
import re
import stat
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from archsel import __version__
from archsel.errors import UsageError
from archsel.files import write_atomic
from archsel.machine import cpu_model

LOG = logging.getLogger(__name__)  # warnings reach stderr through archsel.log
CACHE_FORMAT = 1
ENV_VAR = "ARCHSEL_CACHE_DIR"
_SUBDIR = "profiles"
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.json")
_TEMP_NAME = re.compile(r"\.[0-9a-f]{64}\.json\.[A-Za-z0-9_]+\.tmp")
_ENTRY_KEYS = frozenset({"cache_format", "key", "result"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
T = TypeVar("T")

# Per process: whether the "running without the cache" warning was given, and the roots a write failed under
# (not tried again in this process).
_warned = False
_unwritable: set[str] = set()


def _shown(path: Path | str) -> str:
    """A path for a one-line message (control characters escaped)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(path))


def _warn_uncached(message: str) -> None:
    """Log `message` as the process's one warning that the cache is not used (later ones are dropped)."""
    global _warned
    if not _warned:
        _warned = True
        LOG.warning("%s", message)


def cache_root() -> Path:
    """$ARCHSEL_CACHE_DIR if set, else the platform's user cache folder for archsel; a UsageError when
    $ARCHSEL_CACHE_DIR names something that is not a folder."""
    override = os.environ.get(ENV_VAR)
    if override:
        root = Path(override).expanduser()
        try:
            not_a_folder = root.exists() and not root.is_dir()
        except OSError as exc:  # a name too long, a loop of links
            raise UsageError(f"{ENV_VAR}={_shown(override)}: cannot be used ({exc.strerror or exc})",
                             hint=f"point {ENV_VAR} at a folder, or unset it for the default cache location") \
                from None
        if not_a_folder:
            raise UsageError(f"{ENV_VAR}={_shown(override)}: not a folder (it is a file)",
                             hint=f"point {ENV_VAR} at a folder, or unset it for the default cache location")
        return root
    import platformdirs

    return Path(platformdirs.user_cache_dir("archsel"))


def device_fingerprint(device: str) -> dict[str, Any]:
    """What identifies the hardware and software a measurement came from."""
    import torch

    fp: dict[str, Any] = {
        "device": device,
        "machine": platform.machine(),
        "system": platform.system(),
        "torch_version": torch.__version__,
        "archsel_version": __version__,
    }
    if device.startswith("cuda"):
        dev = torch.device(device)
        props = torch.cuda.get_device_properties(dev)
        fp.update(
            gpu_name=props.name,
            gpu_capability=f"{props.major}.{props.minor}",
            gpu_memory_bytes=int(props.total_memory),
            cuda_version=torch.version.cuda,
            cudnn_version=torch.backends.cudnn.version(),
        )
    else:
        fp.update(cpu_model=cpu_model(), cpu_count=os.cpu_count(),
                  cpu_capability=torch.backends.cpu.get_cpu_capability())
    return fp


def make_key(fields: dict[str, Any]) -> str:
    """A stable hash of the key fields (canonical JSON: sorted keys, no whitespace)."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------------------------------ value checks


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a cacheable number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _loads(text: str) -> Any:
    """JSON without NaN or infinity (`NaN`, `Infinity` and overflowing literals such as 1e400 are errors)."""
    return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)


MAX_COUNT = 2**63  # no count, size or duration archsel writes comes near it; 10**400 would overflow a float


def _is_count(v: Any) -> bool:
    return type(v) is int and 0 <= v < MAX_COUNT


def _is_amount(v: Any) -> bool:
    return _is_count(v) or (type(v) is float and math.isfinite(v) and v >= 0)


@cache
def conforms_to(hint: Any) -> Callable[[Any], bool]:
    """A test that a JSON value matches the type annotation `hint` as cached values use them: int = an int
    >= 0 (not a bool), float = a finite number >= 0, str, bool, None, `X | Y`, list[X], dict[K, V],
    tuple[X, ...], Any. Every number a cache entry holds is a count, a size or a duration, never negative."""
    if hint is Any:
        return lambda v: True
    if hint is None or hint is type(None):
        return lambda v: v is None
    if hint is bool:
        return lambda v: v is True or v is False
    if hint is int:
        return _is_count
    if hint is float:
        return _is_amount
    if hint is str:
        return lambda v: type(v) is str
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        tests = tuple(conforms_to(a) for a in args)
        return lambda v: any(t(v) for t in tests)
    if origin in (list, tuple) and args and (origin is list or (len(args) == 2 and args[1] is Ellipsis)):
        item = conforms_to(args[0])
        return lambda v: type(v) is list and all(map(item, v))
    if origin is dict and args:
        key, value = conforms_to(args[0]), conforms_to(args[1])
        return lambda v: type(v) is dict and all(key(k) and value(x) for k, x in v.items())
    if hint in (list, dict):
        return lambda v: type(v) is hint
    raise TypeError(f"no cache value check for {hint!r}")


@cache
def field_hints(cls: type) -> dict[str, Any]:
    """A dataclass's field names and resolved annotations, in field order."""
    return typing.get_type_hints(cls)


def _hint_words(hint: Any) -> str:
    """'int >= 0', 'str | None', 'list[list[int]]' ..."""
    if hint is int:
        return "an int >= 0"
    if hint is float:
        return "a finite number >= 0"
    if hint is None or hint is type(None):
        return "null"
    return f"a {hint.__name__}" if isinstance(hint, type) and not typing.get_args(hint) else f"a {hint}"


def check_fields(data: Any, hints: dict[str, Any], *, what: str = "entry") -> None:
    """Raise ValueError unless `data` is a dict whose value at each name in `hints` conforms to its hint
    (conforms_to); other keys are not looked at."""
    if type(data) is not dict:
        raise ValueError(f"{what} is not an object")
    for name, hint in hints.items():
        if name not in data:
            raise ValueError(f"{what} has no {name!r}")
        if not conforms_to(hint)(data[name]):
            raise ValueError(f"{what}: {name!r} is not {_hint_words(hint)}")


def check_rows(rows: Any, hints: list[Any], *, what: str = "rows") -> None:
    """Raise ValueError unless `rows` is a list of lists, each of len(hints) values conforming to `hints`
    column by column (a dataclass stored as rows of its fields)."""
    tests = [conforms_to(h) for h in hints]
    width = len(tests)
    if type(rows) is not list:
        raise ValueError(f"{what} is not a list")
    for i, row in enumerate(rows):
        if type(row) is not list or len(row) != width or not all(t(v) for t, v in zip(tests, row, strict=True)):
            raise ValueError(f"{what}[{i}] is not a row of {width} values of the right types")


# ------------------------------------------------------------------------------------------ the cache


def _is_file(path: Path) -> bool:
    """A regular file, not a link (a link is never an entry of ours)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_entry(path: Path) -> bool:
    """Whether `path` is an entry this module wrote: `<64 hex>.json` holding {"cache_format", "key", "result"}."""
    if not _ENTRY_NAME.fullmatch(path.name) or not _is_file(path):
        return False
    try:
        data = _loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return type(data) is dict and set(data) == _ENTRY_KEYS and type(data["cache_format"]) is int


class ResultCache:
    """A folder of JSON entries, each {"cache_format", "key", "result"}, named by the key's hash.

    `usable` is False when the location cannot hold a cache (then every get is a miss and every put a no-op,
    after one warning per process); `strict=True` raises a UsageError for such a location instead.
    """

    def __init__(self, root: Path | None = None, *, strict: bool = False) -> None:
        problem: str | None = None
        if root is None:
            try:
                root = cache_root()
            except UsageError as exc:
                if strict:
                    raise
                root, problem = Path(os.environ.get(ENV_VAR, "")).expanduser(), str(exc.message)
        self.root = root
        self.folder = self.root / _SUBDIR
        if problem is None:
            problem = self._location_problem()
        self.usable = problem is None
        if problem is not None:
            if strict:
                raise UsageError(f"the cache location {problem}",
                                 hint=f"point {ENV_VAR} at a usable folder, or remove what is in the way")
            _warn_uncached(f"cache location {problem}; running without the cache (the same answers, recomputed)")

    def _location_problem(self) -> str | None:
        """Why the location cannot hold a cache (None: it can, as far as reading goes)."""
        for path in (self.root, self.folder):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                return None  # created on the first write
            except OSError as exc:
                return f"{_shown(path)} cannot be used: {exc.strerror or exc}"
            if not stat.S_ISDIR(st.st_mode):
                return f"{_shown(path)} is not a folder"
        if not os.access(self.folder, os.R_OK | os.X_OK):
            return f"{_shown(self.folder)} cannot be read"
        return None

    @property
    def writable(self) -> bool:
        """Whether puts are still tried (False once a write failed under this root in this process)."""
        return self.usable and str(self.root) not in _unwritable

    def path_for(self, fields: dict[str, Any]) -> Path:
        return self.folder / f"{make_key(fields)}.json"

    def _discard(self, path: Path, why: str) -> None:
        LOG.warning("discarding corrupt cache entry %s (%s); recomputing", _shown(path), why)
        with contextlib.suppress(OSError):
            path.unlink()

    def get(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        """The cached result for `fields`, or None; a corrupt entry is removed with a warning."""
        if not self.usable:
            return None
        path = self.path_for(fields)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None  # a miss (a file in the way of the folder: the first put says so, once)
        except OSError as exc:
            LOG.warning("cannot read cache entry %s: %s; recomputing", _shown(path), exc.strerror or exc)
            return None
        try:
            entry = _loads(data.decode("utf-8"))
            ok = (type(entry) is dict and entry.get("cache_format") == CACHE_FORMAT
                  and entry.get("key") == json.loads(json.dumps(fields, default=str))
                  and type(entry.get("result")) is dict)
        except (ValueError, RecursionError):
            ok = False
        if not ok:
            self._discard(path, "not an entry of this format for this key")
            return None
        result: dict[str, Any] = entry["result"]
        return result

    def get_valid(self, fields: dict[str, Any], decode: Callable[[dict[str, Any]], T]) -> T | None:
        """`decode(result)` of the cached result for `fields`, or None. `decode` checks the values (types,
        ranges, agreement with the key) and raises ValueError, TypeError or KeyError for an entry it cannot
        use: such an entry is removed with a warning and is a miss, so the caller recomputes and replaces it."""
        result = self.get(fields)
        if result is None:
            return None
        try:
            return decode(result)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            self._discard(self.path_for(fields), _shown(str(exc))[:200] or type(exc).__name__)
            return None

    def put(self, fields: dict[str, Any], result: dict[str, Any]) -> Path | None:
        """Store `result` atomically; returns the entry's path, or None when it was not stored (the cache is
        not usable, or the write failed: one warning per process, and no further writes under this root)."""
        if not self.writable:
            return None
        try:
            text = json.dumps({"cache_format": CACHE_FORMAT, "key": fields, "result": result},
                              indent=1, sort_keys=True, default=str, allow_nan=False)
        except (ValueError, TypeError, RecursionError) as exc:
            LOG.warning("not caching a result that is not plain JSON (%s)", exc)
            return None
        try:
            return write_atomic(self.path_for(fields), text, what="cache entry")
        except (UsageError, OSError) as exc:
            _unwritable.add(str(self.root))
            _warn_uncached(f"cannot write to the cache ({exc}); running without storing results "
                           "(the same answers, recomputed next time)")
            return None

    def entries(self) -> list[Path]:
        """The entries this module wrote (see _is_entry); other files are not the cache's."""
        if not self.usable or not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("*.json") if _is_entry(p))

    def _temporaries(self) -> list[Path]:
        if not self.usable or not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob(".*.tmp") if _TEMP_NAME.fullmatch(p.name) and _is_file(p))

    def info(self) -> dict[str, Any]:
        """Where the cache is, how many entries and bytes it holds."""
        files = self.entries()
        size = 0
        for f in files:
            with contextlib.suppress(OSError):
                size += f.stat().st_size
        return {
            "cache_dir": str(self.root),
            "entries_dir": str(self.folder),
            "entries": len(files),
            "size_bytes": size,
            "overridden_by_env": ENV_VAR in os.environ and bool(os.environ[ENV_VAR]),
        }

    def clear(self) -> int:
        """Delete this module's entries and stray temporary files (nothing else); returns how many entries were
        removed. A UsageError when one cannot be removed (e.g. a read-only folder)."""
        removed = 0
        for f in self.entries():
            try:
                f.unlink()
                removed += 1
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise UsageError(f"cannot remove cache entry {_shown(f)}: {exc.strerror or exc}"
                                 + (f" ({removed} removed before)" if removed else "")) from None
        for tmp in self._temporaries():
            with contextlib.suppress(OSError):
                tmp.unlink()
        return removed

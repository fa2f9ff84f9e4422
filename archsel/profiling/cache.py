"""The profile result cache: one JSON file per (model, input, batch, dtype, conditions, device fingerprint,
torch and archsel versions), under platformdirs.user_cache_dir("archsel") or $ARCHSEL_CACHE_DIR.

Writes are atomic (a temporary file in the same folder, then os.replace), so concurrent runs never
leave a half-written entry; the last writer wins. An entry that cannot be read back (corrupt, wrong
format, key mismatch) is deleted with a warning on stderr and treated as a miss. Importing this module
does not import torch (`archsel cache info|clear` stays fast).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from archsel import __version__

CACHE_FORMAT = 1
ENV_VAR = "ARCHSEL_CACHE_DIR"
_SUBDIR = "profiles"


def cache_root() -> Path:
    """$ARCHSEL_CACHE_DIR if set, else the platform's user cache folder for archsel."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("archsel"))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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
        fp.update(cpu_model=_cpu_model(), cpu_count=os.cpu_count(),
                  cpu_capability=torch.backends.cpu.get_cpu_capability())
    return fp


def make_key(fields: dict[str, Any]) -> str:
    """A stable hash of the key fields (canonical JSON: sorted keys, no whitespace)."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _warn(message: str) -> None:
    print(f"archsel: warning: {message}", file=sys.stderr)


class ResultCache:
    """A folder of JSON entries, each {"cache_format", "key", "result"}, named by the key's hash."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else cache_root()
        self.folder = self.root / _SUBDIR

    def path_for(self, fields: dict[str, Any]) -> Path:
        return self.folder / f"{make_key(fields)}.json"

    def get(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        """The cached result for `fields`, or None; a corrupt entry is removed with a warning."""
        path = self.path_for(fields)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            _warn(f"cannot read cache entry {path}: {exc}; recomputing")
            return None
        try:
            entry = json.loads(text)
            ok = (isinstance(entry, dict) and entry.get("cache_format") == CACHE_FORMAT
                  and entry.get("key") == json.loads(json.dumps(fields, default=str))
                  and isinstance(entry.get("result"), dict))
        except ValueError:
            ok = False
        if not ok:
            _warn(f"discarding corrupt cache entry {path}; recomputing")
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        result: dict[str, Any] = entry["result"]
        return result

    def put(self, fields: dict[str, Any], result: dict[str, Any]) -> Path:
        """Store `result` atomically; returns the entry's path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(fields)
        text = json.dumps({"cache_format": CACHE_FORMAT, "key": fields, "result": result},
                          indent=1, sort_keys=True, default=str, allow_nan=False)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:16]}.", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return path

    def entries(self) -> list[Path]:
        return sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []

    def info(self) -> dict[str, Any]:
        """Where the cache is, how many entries and bytes it holds."""
        files = self.entries()
        return {
            "cache_dir": str(self.root),
            "entries_dir": str(self.folder),
            "entries": len(files),
            "size_bytes": sum(f.stat().st_size for f in files if f.exists()),
            "overridden_by_env": ENV_VAR in os.environ and bool(os.environ[ENV_VAR]),
        }

    def clear(self) -> int:
        """Delete every entry (and stray temporary files); returns how many entries were removed."""
        removed = 0
        for f in self.entries():
            with contextlib.suppress(FileNotFoundError):
                f.unlink()
                removed += 1
        if self.folder.is_dir():
            for tmp in self.folder.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()
        return removed

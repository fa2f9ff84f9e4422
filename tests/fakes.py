"""Stand-ins the estimator tests share: a traced op, and a built-in profile edited into a user's own file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Op:
    """What the estimators read of a traced op (archsel.estimation.roofline.OpLike, engine's window)."""

    kind: str
    macs: int
    bytes_read: int
    bytes_written: int
    op: str = "aten.x"
    module: str = ""
    steps: int = 0
    state_weights: int = 0
    fused: str = ""
    gemm_min_dim: int = 0
    window: str = ""


def edited_profile(tmp_path: Path, target: str, line: str, replacement: str,
                   drop_prefix: str | None = None) -> list[str]:
    """Write built-in `target`'s profile as `my-device` with `line` replaced by `replacement` (and the lines
    starting with `drop_prefix` left out) to tmp_path/p.yaml; the validation problems, as text."""
    from archsel.targets.profiles import profile_problems, resolve_target

    text = Path(resolve_target(target).path).read_text(encoding="utf-8").replace(f"name: {target}", "name: my-device")
    assert line in text, line
    text = text.replace(line, replacement)
    if drop_prefix is not None:
        text = "\n".join(x for x in text.splitlines() if not x.startswith(drop_prefix)) + "\n"
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    return [str(p) for p in profile_problems([tmp_path / "p.yaml"])]

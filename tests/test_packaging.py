"""The wheel ships rules/ and profiles/: build it, install it into a fresh venv, and use the data from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_carries_rules_and_profiles(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(wheel_dir.glob("archsel-*.whl"))

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    target = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target,
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]

    # Dependencies come from the test environment's site-packages; archsel itself from the fresh venv only
    # (PYTHONPATH entries skip .pth files, so the editable install of the checkout is not seen).
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"], "NO_COLOR": "1"}
    code = ("import json, archsel.paths as p; from archsel.zoo import list_models; "
            "print(json.dumps([str(p.rules_dir()), str(p.profiles_dir()), len(list_models())]))")
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    rules, profiles, n_models = json.loads(out.stdout)
    assert rules.startswith(target) and profiles.startswith(target), (rules, profiles)
    assert n_models > 50
    assert (Path(rules) / "vocabulary.yaml").is_file() and list(Path(profiles).glob("*.yaml"))

    for args in (["rules", "validate"], ["targets", "list", "--format", "json"]):
        run = subprocess.run([str(py), "-m", "archsel", *args], capture_output=True, text=True, env=env,
                             cwd=tmp_path, timeout=120)
        assert run.returncode == 0, (args, run.stderr[-2000:])

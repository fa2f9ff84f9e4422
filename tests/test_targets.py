"""Hardware profiles: shipped data validates and carries sources; broken files give file:line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archsel.errors import ConfigError, UsageError
from archsel.paths import profiles_dir
from archsel.targets import TARGET_CLASSES, class_defaults, load_profiles, profile_problems, resolve_target

REQUIRED_DEVICES = (
    "h100-sxm", "a100-sxm", "t4", "xeon-platinum-8480plus", "jetson-orin-nano", "jetson-nano",
    "raspberry-pi-5", "raspberry-pi-4", "snapdragon-8-gen-3", "apple-a17-pro",
)

# A valid user profile; the broken cases below mutate it. Line numbers matter: keep it as is.
BASE = """\
name: my-board
display_name: My Board
class: edge
kind: cpu
peak_tflops:
  fp32: {value: 0.1, source: brief, derivation: "4 cores x 1 GHz x 25 flops per cycle"}
memory_bandwidth_gbs: {value: 10, source: brief}
memory_gb: {value: 2, source: brief}
precisions: [fp32]
runtimes: [pytorch]
references:
  brief:
    title: My Board brief
    url: https://example.com/brief.pdf
"""


def _mutate(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


CLASSES_BAD = "defaults:\n  edge:\n    device: my-bord\n    why: the board we ship our product on\n"
CLASSES_WRONG = "defaults:\n  cloud:\n    device: my-board\n    why: the board we ship our product on\n"

# case id -> (files to write, file expected in the message, line, substrings of the message)
BROKEN: dict[str, tuple[dict[str, str], str, int, tuple[str, ...]]] = {
    "unknown-key": ({"p.yaml": _mutate("precisions: [fp32]\n", "precisions: [fp32]\npeek_tflops: {}\n")},
                    "p.yaml", 10, ("unknown key 'peek_tflops'", "did you mean 'peak_tflops'")),
    "wrong-type": ({"p.yaml": _mutate("memory_gb: {value: 2,", "memory_gb: {value: eight,")},
                   "p.yaml", 8, ("'eight' is not of type 'number'",)),
    "missing-field": ({"p.yaml": _mutate("kind: cpu\n", "")}, "p.yaml", 1,
                      ("'kind' is a required property",)),
    "missing-figure": ({"p.yaml": _mutate("memory_gb: {value: 2, source: brief}\n", "")},
                       "p.yaml", 1, ("'memory_gb' is a required property",)),
    "duplicate-key": ({"p.yaml": _mutate("kind: cpu\n", "kind: cpu\nkind: gpu\n")},
                      "p.yaml", 5, ("duplicate key 'kind'",)),
    "duplicate-name": ({"a.yaml": BASE, "b.yaml": BASE}, "b.yaml", 1,
                       ("device name 'my-board' is already defined in", "a.yaml:1:7")),
    "python-tag": ({"p.yaml": _mutate("display_name: My Board",
                                      "display_name: !!python/object/apply:os.system ['echo pwned']")},
                   "p.yaml", 2, ("tag:yaml.org,2002:python/object/apply:os.system", "is not allowed")),
    "bad-class-default": ({"p.yaml": BASE, "classes.yaml": CLASSES_BAD}, "classes.yaml", 3,
                          ("unknown device 'my-bord'", "did you mean 'my-board'")),
    "class-default-wrong-class": ({"p.yaml": BASE, "classes.yaml": CLASSES_WRONG}, "classes.yaml", 3,
                                  ("default for class 'cloud' is 'my-board', a device of class 'edge'",)),
    "classes-unknown-class": ({"classes.yaml": CLASSES_BAD.replace("  edge:", "  edgy:")}, "classes.yaml", 2,
                              ("unknown key 'edgy'", "did you mean 'edge'")),
    "unknown-source": ({"p.yaml": _mutate("memory_bandwidth_gbs: {value: 10, source: brief}",
                                          "memory_bandwidth_gbs: {value: 10, source: brieff}")},
                       "p.yaml", 7,
                       ("source 'brieff' is not in this file's references", "did you mean 'brief'")),
    "peak-not-in-precisions": ({"p.yaml": _mutate(
                                    "memory_bandwidth_gbs:",
                                    "  int8: {value: 1, source: brief}\nmemory_bandwidth_gbs:")},
                               "p.yaml", 7, ("peak given for 'int8' but 'int8' is not in `precisions`",)),
    "unknown-precision": ({"p.yaml": _mutate("  fp32: {value", "  fp33: {value")}, "p.yaml", 6,
                          ("unknown key 'fp33'", "did you mean 'fp32'")),
    "bad-class": ({"p.yaml": _mutate("class: edge", "class: edgy")}, "p.yaml", 3, ("'edgy' is not one of",)),
    "non-positive": ({"p.yaml": _mutate("{value: 10, source", "{value: 0, source")}, "p.yaml", 7,
                     ("less than or equal to the minimum of 0",)),
    "unknown-runtime": ({"p.yaml": _mutate("runtimes: [pytorch]", "runtimes: [pytorch, tensorflow]")},
                        "p.yaml", 10, ("'tensorflow' is not one of",)),
    "bad-url": ({"p.yaml": _mutate("url: https://example.com/brief.pdf", "url: example.com")}, "p.yaml", 14,
                ("does not match",)),
    "efficiency-out-of-range": ({"p.yaml": BASE + "efficiency: {conv: 1.5}\nestimator_source: my own runs\n"},
                                "p.yaml", 15, ("1.5 is greater than the maximum of 1",)),
    "efficiency-without-source": ({"p.yaml": BASE + "efficiency: {conv: 0.5}\n"}, "p.yaml", 1,
                                  ("'estimator_source' is a dependency of 'efficiency'",)),
    "recurrent-unknown-cell": ({"p.yaml": BASE + "recurrent: {lsmt: {call_us: 1, step_us: 1}}\n"
                                          "estimator_source: my own runs\n"}, "p.yaml", 15,
                               ("unknown key 'lsmt'", "did you mean 'lstm'")),
    "recurrent-missing-step": ({"p.yaml": BASE + "recurrent: {lstm: {call_us: 1}}\nestimator_source: my own runs\n"},
                               "p.yaml", 15, ("'step_us' is a required property",)),
    "recurrent-large-step-alone": ({"p.yaml": BASE + "recurrent: {gru: {call_us: 1, step_us: 1, large_step_us: 9}}\n"
                                              "estimator_source: my own runs\n"}, "p.yaml", 15,
                                   ("'large_from_kb' is a dependency of 'large_step_us'",)),
    "dispatch-typo": ({"p.yaml": BASE + "dispatch: asynch\nestimator_source: my own runs\n"}, "p.yaml", 15,
                      ("'asynch' is not one of ['sync', 'async']",)),
    "op-overhead-unknown-class": ({"p.yaml": BASE + "op_overhead_us: {depthwise: 70}\n"
                                             "estimator_source: my own runs\n"}, "p.yaml", 15,
                                  ("unknown key 'depthwise'",)),
    "parallel-missing-family": ({"p.yaml": BASE + "parallel:\n  threads: 2\n  conv: [[100000, 1.0], [10000000, 1.8]]\n"
                                           "estimator_source: my own runs\n"}, "p.yaml", 16,
                                ("'depthwise_conv' is a required property",)),
    "gemm-efficiency-above-one": ({"p.yaml": BASE + "gemm_efficiency: [[16, 0.6], [64, 1.2]]\n"
                                             "estimator_source: my own runs\n"}, "p.yaml", 15,
                                  ("1.2 is greater than the maximum of 1",)),
    "parallel-sizes-out-of-order": ({"p.yaml": BASE + "parallel:\n  threads: 2\n" + "".join(
        f"  {f}: [[100, 1.0], [1000, 1.5]]\n" for f in ("conv", "depthwise_conv", "matmul", "memory", "lstm", "gru"))
        + "  rnn: [[1000, 1.0], [100, 1.1]]\nestimator_source: my own runs\n"}, "p.yaml", 23,
                                    ("size 100 must be larger than the previous point's 1000",)),
    "measured-with-figures": ({"p.yaml": BASE + "measured_at_run_time: true\n"}, "p.yaml", 5,
                              ("'peak_tflops' contradicts measured_at_run_time",)),
    "not-a-mapping": ({"p.yaml": "- name: my-board\n"}, "p.yaml", 1, ("must be a mapping",)),
    "syntax-error": ({"p.yaml": _mutate("kind: cpu", "kind: [cpu")}, "p.yaml", 5, ("expected ',' or ']'",)),
}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


Capsys = pytest.CaptureFixture[str]


def _main(capsys: Capsys, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """Run the real entry point (error handling included) in-process: (exit code, stdout, stderr)."""
    from archsel import cli

    monkeypatch.setattr(sys, "argv", ["archsel", *args])
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------ shipped data


def test_shipped_profiles_validate() -> None:
    assert profile_problems([profiles_dir()]) == []
    for file in sorted(profiles_dir().glob("*.yaml")):  # each device file is valid on its own too
        if file.name != "classes.yaml":
            assert profile_problems([file]) == [], file.name


def test_every_class_resolves_to_a_device_of_that_class() -> None:
    defaults = class_defaults()
    assert set(defaults) == set(TARGET_CLASSES)
    assert defaults["cloud"] == "a100-sxm" and defaults["edge"] == "jetson-orin-nano"
    assert defaults["local"] == "local"
    for cls in TARGET_CLASSES:
        profile = resolve_target(cls)
        assert profile.target_class == cls and profile.name == defaults[cls] and profile.resolved_from == cls
    assert resolve_target(" Edge ").name == "jetson-orin-nano"


@pytest.mark.parametrize("name", REQUIRED_DEVICES)
def test_named_devices_have_sourced_positive_figures(name: str) -> None:
    profile = load_profiles()[name]
    assert profile.peak_tflops and all(v > 0 for v in profile.peak_tflops.values())
    assert profile.memory_bandwidth_gbs and profile.memory_bandwidth_gbs > 0
    assert profile.memory_gb and profile.memory_gb > 0
    assert set(profile.peak_tflops) <= set(profile.precisions)
    figures = [f"peak_tflops.{p}" for p in profile.peak_tflops] + ["memory_bandwidth_gbs", "memory_gb"]
    figures += ["power_w"] if profile.power_w is not None else []
    for key in figures:
        assert "https://" in profile.sources.get(key, ""), f"{name}: {key} has no cited URL"
    assert set(profile.sources) == set(figures), "a source without a figure or the reverse"
    assert profile.runtimes and profile.kind in ("gpu", "cpu", "soc", "npu")


def test_published_figures_are_dense() -> None:
    """Vendor tables quote tensor-core rates with 2:4 sparsity; the profiles must hold the dense figures."""
    p = load_profiles()
    assert p["h100-sxm"].peak("fp16") == 1979 / 2 and p["h100-sxm"].peak("int8") == 3958 / 2  # datasheet*/2
    assert p["a100-sxm"].peak("fp16") == 312 and p["a100-sxm"].peak("tf32") == 156  # dense column
    assert p["a100-sxm"].memory_bandwidth_gbs == 2039 and p["t4"].peak("int8") == 130
    assert p["jetson-orin-nano"].peak("int8") == 40 / 2 and p["jetson-nano"].peak("fp16") == 0.472
    assert "sparsity" in p["h100-sxm"].sources["peak_tflops.fp16"]


def test_derived_cpu_peaks_match_their_derivation() -> None:
    p = load_profiles()
    assert p["raspberry-pi-5"].peak("fp32") == pytest.approx(4 * 2.4 * 2 * 4 * 2 / 1000)
    assert p["raspberry-pi-5"].memory_bandwidth_gbs == pytest.approx(4267 * 4 / 1000, abs=0.01)
    assert p["raspberry-pi-4"].peak("fp32") == pytest.approx(4 * 1.8 * 8 / 1000)
    assert p["raspberry-pi-4"].peak("int8") is None  # no dot-product instruction: no invented figure
    assert p["xeon-platinum-8480plus"].peak("fp32") == pytest.approx(56 * 2.0 * 2 * 16 * 2 / 1000)
    assert p["xeon-platinum-8480plus"].peak("bf16") == pytest.approx(56 * 2.0 * 1024 / 1000)
    assert p["jetson-orin-nano"].peak("fp32") == pytest.approx(1024 * 0.625 * 2 / 1000)
    for name in ("raspberry-pi-5", "raspberry-pi-4", "xeon-platinum-8480plus"):
        assert "derived:" in p[name].sources["peak_tflops.fp32"]


def test_local_is_measured_not_assumed() -> None:
    local = resolve_target("local")
    assert local.measured_at_run_time and local.kind == "cpu"
    assert local.peak_tflops == {} and local.memory_bandwidth_gbs is None
    assert local.memory_gb is not None and local.memory_gb > 0  # read from the OS
    assert "measured at run time" in local.sources["memory_gb"]


def test_efficiency_keys_match_the_estimator() -> None:
    roofline = pytest.importorskip("archsel.estimation.roofline")
    from archsel.targets.schema import OP_CLASSES

    assert tuple(roofline.OP_CLASSES) == OP_CLASSES


def test_estimator_fields_reach_the_estimator(tmp_path: Path) -> None:
    from archsel.estimation.roofline import DeviceRates

    extra = ("overhead_us: 3\nmodule_call_us: 12\nop_overhead_us: {depthwise_conv: 70, view: 0.5}\n"
             "recurrent: {gru: {call_us: 50, step_us: 11, weight_bandwidth_gbs: 40}}\n"
             "estimator_source: my own measurements on this board\n")
    _write(tmp_path, {"p.yaml": BASE + extra})
    assert profile_problems([tmp_path / "p.yaml"]) == []
    rates = DeviceRates.from_profile(resolve_target(str(tmp_path / "p.yaml")))
    assert rates.overhead_s == pytest.approx(3e-6) and rates.module_call_s == pytest.approx(12e-6)
    # a fused kernel's per-op cost, not given: the CPU share of overhead_us
    assert rates.op_overhead_s == pytest.approx({"depthwise_conv": 70e-6, "view": 0.5e-6, "fused": 0.77 * 3e-6})
    gru = rates.recurrent["gru"]
    assert (gru.call_s, gru.step_s, gru.weight_bandwidth) == pytest.approx((50e-6, 11e-6, 40e9))
    assert rates.recurrent["lstm"].step_s > 0  # cells the profile leaves out keep the CPU defaults
    assert not rates.async_dispatch and rates.kernel_s == 0.0  # a CPU runs ops one after another


def test_thread_scaling_reaches_the_estimator(tmp_path: Path) -> None:
    from archsel.estimation.roofline import DeviceRates

    families = ("conv", "depthwise_conv", "matmul", "memory", "lstm", "gru", "rnn")
    extra = ("parallel:\n  threads: 4\n" + "".join(f"  {f}: [[10000, 1.0], [1000000, 3.5]]\n" for f in families)
             + "estimator_source: my own measurements on this board\n")
    _write(tmp_path, {"p.yaml": BASE + extra})
    assert profile_problems([tmp_path / "p.yaml"]) == []
    rates = DeviceRates.from_profile(resolve_target(str(tmp_path / "p.yaml")))
    assert set(rates.parallel) == set(families)
    assert rates.parallel["gru"].slowdown(1e3) == pytest.approx(4.0)  # below from_size: one thread
    assert rates.parallel["gru"].slowdown(1e7) == pytest.approx(4 / 3.5)
    assert not DeviceRates.from_profile(resolve_target("raspberry-pi-5")).parallel  # built-ins: none
    _write(tmp_path, {"g.yaml": BASE.replace("my-board", "my-gemm")
                      + "gemm_efficiency: [[16, 0.6], [256, 1.0]]\nestimator_source: my own runs\n"})
    rates = DeviceRates.from_profile(resolve_target(str(tmp_path / "g.yaml")))
    assert rates.gemm_efficiency == ((16.0, 0.6), (256.0, 1.0)) and not rates.parallel


def test_gpu_profiles_dispatch_asynchronously(tmp_path: Path) -> None:
    from archsel.estimation.roofline import DeviceRates

    gpu = BASE.replace("kind: cpu", "kind: gpu")
    extra = ("kernel_us: 1.5\nrecurrent: {lstm: {call_us: 90, step_us: 0.3, large_step_us: 12, large_from_kb: 512}}\n"
             "estimator_source: my own measurements on this board\n")
    _write(tmp_path, {"g.yaml": gpu + extra, "s.yaml": gpu.replace("my-board", "my-sync") + "dispatch: sync\n"
                      "estimator_source: my own measurements on this board\n"})
    assert profile_problems([tmp_path]) == []
    rates = DeviceRates.from_profile(resolve_target(str(tmp_path / "g.yaml")))
    assert rates.async_dispatch and rates.kernel_s == pytest.approx(1.5e-6)
    assert rates.op_overhead_s["fused"] == pytest.approx(0.56 * 10e-6)  # the GPU share of the 10 us default
    lstm = rates.recurrent["lstm"]
    assert (lstm.large_step_s, lstm.large_from_bytes) == pytest.approx((12e-6, 512 * 1024))
    assert not DeviceRates.from_profile(resolve_target(str(tmp_path / "s.yaml"))).async_dispatch
    assert DeviceRates.from_profile(resolve_target("h100-sxm")).async_dispatch  # the built-in GPUs too


# ------------------------------------------------------------------------------ user profiles


def test_user_profile_by_path_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = _write(tmp_path / "mine", {"my-board.yaml": BASE})
    by_path = resolve_target(str(user / "my-board.yaml"))
    assert by_path.name == "my-board" and by_path.peak("fp32") == 0.1
    assert "My Board brief <https://example.com/brief.pdf>" in by_path.sources["memory_gb"]
    assert resolve_target("my-board", [user]).path == str(user / "my-board.yaml")
    monkeypatch.setenv("ARCHSEL_PROFILES_PATH", str(user))
    assert "my-board" in load_profiles() and "h100-sxm" in load_profiles()
    monkeypatch.delenv("ARCHSEL_PROFILES_PATH")
    with pytest.raises(UsageError, match="did you mean 'my-board'"):
        resolve_target("my-bord", [user])
    # a user classes.yaml overrides one class default and leaves the others
    _write(user, {"classes.yaml": CLASSES_BAD.replace("my-bord", "my-board")})
    assert resolve_target("edge", [user]).name == "my-board"
    assert resolve_target("cloud", [user]).name == "a100-sxm"


def test_user_profile_clashing_with_builtin_names_both_files(tmp_path: Path) -> None:
    user = _write(tmp_path / "clash", {"t4.yaml": BASE.replace("name: my-board", "name: t4")})
    with pytest.raises(ConfigError) as info:
        load_profiles([user])
    builtin = str(profiles_dir() / "t4.yaml")
    assert any(p.startswith(str(user / "t4.yaml") + ":1:7:") and f"already defined in {builtin}:" in p
               for p in map(str, info.value.problems)), info.value.problems


def test_unknown_target_and_missing_file() -> None:
    with pytest.raises(UsageError, match="did you mean 'jetson-orin-nano'"):
        resolve_target("jetson-orin-nan")
    with pytest.raises(UsageError, match="no such profile file"):
        resolve_target("nowhere/board.yaml")


def test_an_unknown_target_with_nothing_close_lists_the_known_ones_once(capsys: pytest.CaptureFixture[str],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _main(capsys, monkeypatch, "targets", "show", "phone")
    assert code == 2 and out == "" and "unknown target 'phone'" in err
    known = err.split("known targets: ")[1].rstrip(")\n").split(", ")
    assert {"mobile", "edge", "apple-a17-pro", "snapdragon-8-gen-3", "local"} <= set(known)
    assert len(known) == len(set(known))  # "local" is a class and a profile: named once


# ------------------------------------------------------------------------------- broken profiles


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_profile_reports_file_line(case: str, tmp_path: Path) -> None:
    files, file, line, needles = BROKEN[case]
    folder = _write(tmp_path / case, files)
    problems = [str(p) for p in profile_problems([folder])]
    expected = f"{folder / file}:{line}:"
    hits = [p for p in problems if p.startswith(expected) and all(n in p for n in needles)]
    assert hits, f"{case}: wanted {expected} {needles}, got {problems}"


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    folder = _write(tmp_path / "many", {
        "a.yaml": BROKEN["unknown-key"][0]["p.yaml"],
        "b.yaml": BROKEN["bad-class"][0]["p.yaml"].replace("my-board", "other-board"),
        "c.yaml": BROKEN["python-tag"][0]["p.yaml"],
    })
    problems = [str(p) for p in profile_problems([folder])]
    assert [Path(p.split(":")[0]).name for p in problems] == ["a.yaml", "b.yaml", "c.yaml"]


def test_validate_cli_exit_codes(tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _main(capsys, monkeypatch, "targets", "validate")
    assert code == 0 and "ok:" in err
    for case in ("duplicate-name", "python-tag", "bad-class-default", "unknown-key"):
        files, file, line, needles = BROKEN[case]
        folder = _write(tmp_path / case, files)
        code, out, err = _main(capsys, monkeypatch, "targets", "validate", "--alone", str(folder))
        assert code == 2 and out == "", case
        assert f"{folder / file}:{line}:" in err and needles[0] in err and "Traceback" not in err, (case, err)
    # a broken user folder also stops `list`, with every problem and exit 2
    folder = _write(tmp_path / "user", BROKEN["wrong-type"][0])
    code, _, err = _main(capsys, monkeypatch, "targets", "list", "--profiles", str(folder))
    assert code == 2 and f"{folder / 'p.yaml'}:8:" in err


# ------------------------------------------------------------------------------------------- CLI


def test_targets_cli(tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = _main(capsys, monkeypatch, "targets", "list", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["schema_version"] and data["count"] == len(data["targets"]) >= len(REQUIRED_DEVICES) + 1
    assert data["class_defaults"]["mobile"] == "snapdragon-8-gen-3"
    names = {t["name"] for t in data["targets"]}
    assert set(REQUIRED_DEVICES) <= names and "local" in names
    code, out, _ = _main(capsys, monkeypatch, "targets", "list", "--class", "edge", "--format", "json")
    assert code == 0 and {t["class"] for t in json.loads(out)["targets"]} == {"edge"}
    code, out, _ = _main(capsys, monkeypatch, "targets", "show", "jetson-orin-nano")
    assert code == 0 and "68 GB/s" in out and "developer.nvidia.com" in out
    code, out, _ = _main(capsys, monkeypatch, "targets", "show", "mobile", "--format", "json")
    record = json.loads(out)["target"]
    assert code == 0 and record["name"] == "snapdragon-8-gen-3" and record["resolved_from"] == "mobile"
    assert record["sources"]["peak_tflops.int8"]
    user = _write(tmp_path, {"my-board.yaml": BASE})
    path = str(user / "my-board.yaml")
    code, out, _ = _main(capsys, monkeypatch, "targets", "show", path, "--format", "yaml")
    assert code == 0 and "name: my-board" in out
    code, out, err = _main(capsys, monkeypatch, "targets", "show", "jetson-orin-nan")
    assert code == 2 and out == "" and "did you mean 'jetson-orin-nano'" in err
    code, _, err = _main(capsys, monkeypatch, "targets", "list", "--class", "edg")
    assert code == 2 and "did you mean 'edge'" in err


def test_targets_commands_do_not_import_torch() -> None:
    code = (
        "import sys; from archsel.cli import app; from typer.testing import CliRunner\n"
        "for args in (['targets', 'list'], ['targets', 'show', 'edge'], ['targets', 'show', 'local'],\n"
        "             ['targets', 'list', '--format', 'json'], ['targets', 'validate']):\n"
        "    r = CliRunner().invoke(app, args); assert r.exit_code == 0, (args, r.output)\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr

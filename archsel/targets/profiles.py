"""Hardware profiles: load and validate profiles/*.yaml, resolve a target name, class or file (no torch).

A profile folder holds one YAML file per device plus an optional `classes.yaml` naming each target
class's default device. The built-in folder comes first, then the folders in $ARCHSEL_PROFILES_PATH
(os.pathsep-separated), then those passed by the caller; a later classes.yaml overrides earlier defaults
class by class. A device name defined twice is an error that names both files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from archsel.errors import ConfigError, Problem, UsageError, did_you_mean, unknown
from archsel.files import resolved, stamp
from archsel.machine import MEMORY_SOURCE, cpu_model, memory_bytes
from archsel.paths import profiles_dir
from archsel.targets.runtimes import EAGER, UNIT_OF_KIND, RuntimeSpec, canonical_runtime, parse_runtimes
from archsel.targets.schema import (
    CLASSES_SCHEMA,
    FIGURE_FIELDS,
    PROFILE_SCHEMA,
    RUNTIME_ALIASES,
    RUNTIME_FACTS,
    TARGET_CLASSES,
    max_bandwidth_efficiency,
)
from archsel.yamlio import LoadedYaml, YamlProblem, load_yaml, schema_problems

ENV_VAR = "ARCHSEL_PROFILES_PATH"
CLASSES_FILE = "classes.yaml"
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class TargetProfile:
    """One device: spec figures with their sources, and optional estimator parameters."""

    name: str
    display_name: str
    target_class: str
    kind: str
    peak_tflops: dict[str, float]  # dense peak per precision (int8 in TOPS); empty when measured at run time
    memory_bandwidth_gbs: float | None  # None only for a profile measured at run time
    memory_gb: float | None
    power_w: float | None
    precisions: tuple[str, ...]
    runtimes: dict[str, RuntimeSpec]  # name -> runtime on this device (exactly one is the default)
    sources: dict[str, str]  # "peak_tflops.fp16", "memory_gb", ... -> citation (title <url>; derivation)
    path: str
    efficiency: dict[str, float] = field(default_factory=dict)
    overhead_us: float | None = None
    op_overhead_us: dict[str, float] = field(default_factory=dict)  # op class (or "view") -> us per op
    module_call_us: float | None = None  # us per module call (run of consecutive ops of one module)
    # cell -> {"call_us", "step_us", optional "weight_bandwidth_gbs"}
    recurrent: dict[str, dict[str, float]] = field(default_factory=dict)
    dispatch: str | None = None  # "sync" | "async"; None: the kind's default (async for gpu)
    kernel_us: float | None = None  # minimum device time of a kernel
    # "threads" -> T; thread-scaling family -> [[size, speedup over one thread], ...] (roofline.ParallelCurve)
    parallel: dict[str, Any] = field(default_factory=dict)
    # [[smaller output dimension, GEMM rate relative to a square GEMM's], ...] on one thread
    gemm_efficiency: list[list[float]] = field(default_factory=list)
    measured_at_run_time: bool = False
    notes: str = ""
    estimator_source: str | None = None
    resolved_from: str | None = None  # the class name the user typed, when resolved through a class default

    def peak(self, precision: str) -> float | None:
        """Dense peak in TFLOPS (TOPS for int8) at `precision`, or None if the profile has no figure."""
        return self.peak_tflops.get(precision)

    @property
    def default_runtime(self) -> str:
        """What this device's users deploy with."""
        return next((r.name for r in self.runtimes.values() if r.default), next(iter(self.runtimes)))

    def runtime(self, name: str | None = None) -> RuntimeSpec:
        """The runtime `name` (canonical or alias; None: the default); UsageError when it does not run here."""
        key = canonical_runtime(name) if name is not None else self.default_runtime
        if key not in self.runtimes:
            raise UsageError(f"runtime {key!r} does not run on {self.name}",
                             hint="it runs " + ", ".join(f"{r} (default)" if r == self.default_runtime else r
                                                         for r in self.runtimes))
        return self.runtimes[key]

    @property
    def memory_bytes(self) -> int | None:
        """The published capacity (memory_gb, decimal as datasheets give it) in bytes."""
        return int(self.memory_gb * 1e9) if self.memory_gb else None

    def to_dict(self, detail: bool = False) -> dict[str, Any]:
        """The one JSON shape of a target in every payload; `detail` adds sources and estimator parameters."""
        record: dict[str, Any] = {
            "name": self.name,
            "display_name": self.display_name,
            "class": self.target_class,
            "kind": self.kind,
            "resolved_from": self.resolved_from,
            "measured_at_run_time": self.measured_at_run_time,
            "precisions": list(self.precisions),
            "runtimes": list(self.runtimes),
            "default_runtime": self.default_runtime,
            "peak_tflops": dict(self.peak_tflops),  # dense; int8 in TOPS
            "memory_bandwidth_gbs": self.memory_bandwidth_gbs,
            "memory_gb": self.memory_gb,
            "memory_bytes": self.memory_bytes,
            "power_w": self.power_w,
            "path": self.path,
            "profile": "measured at run time" if self.measured_at_run_time else self.path,
            "estimator_source": self.estimator_source,
        }
        if detail:
            record.update(sources=dict(self.sources), notes=self.notes, efficiency=dict(self.efficiency),
                          overhead_us=self.overhead_us,
                          runtime_details=[r.to_dict() for r in self.runtimes.values()])
        return record


@dataclass(frozen=True)
class ClassDefault:
    """A target class's default device, why it was chosen, and where that was said."""

    target_class: str
    device: str
    why: str
    where: tuple[str, int, int]  # file, line, col of the device name


@dataclass(frozen=True)
class ProfileSet:
    """Every profile loaded from a list of folders, and the class defaults."""

    profiles: dict[str, TargetProfile]
    defaults: dict[str, ClassDefault]
    dirs: tuple[Path, ...]


# ----------------------------------------------------------------------------------------- parsing


def _source_ids(figure: dict[str, Any]) -> list[str]:
    source = figure.get("source")
    return [source] if isinstance(source, str) else [s for s in source or [] if isinstance(s, str)]


def _citation(refs: dict[str, Any], figure: dict[str, Any]) -> str:
    parts = []
    for ref_id in _source_ids(figure):
        ref = refs.get(ref_id, {})
        parts.append(f"{ref.get('title', ref_id)} <{ref.get('url', '?')}>")
    text = " + ".join(parts)
    if figure.get("derivation"):
        text += f"; derived: {figure['derivation']}"
    return text


def _build(doc: LoadedYaml) -> TargetProfile:
    data: dict[str, Any] = doc.data
    refs: dict[str, Any] = data.get("references") or {}
    sources: dict[str, str] = {}
    peaks: dict[str, float] = {}
    for precision, figure in (data.get("peak_tflops") or {}).items():
        peaks[precision] = float(figure["value"])
        sources[f"peak_tflops.{precision}"] = _citation(refs, figure)
    values: dict[str, float | None] = {}
    for key in FIGURE_FIELDS:
        figure = data.get(key)
        values[key] = float(figure["value"]) if figure else None
        if figure:
            sources[key] = _citation(refs, figure)
    return TargetProfile(
        name=data["name"],
        display_name=data["display_name"],
        target_class=data["class"],
        kind=data["kind"],
        peak_tflops=peaks,
        memory_bandwidth_gbs=values["memory_bandwidth_gbs"],
        memory_gb=values["memory_gb"],
        power_w=values["power_w"],
        precisions=tuple(data["precisions"]),
        runtimes=parse_runtimes(data["runtimes"], data["kind"], tuple(data["precisions"]),
                                lambda figure: _citation(refs, figure)),
        sources=sources,
        path=str(doc.path),
        efficiency={k: float(v) for k, v in (data.get("efficiency") or {}).items()},
        overhead_us=float(data["overhead_us"]) if data.get("overhead_us") is not None else None,
        op_overhead_us={k: float(v) for k, v in (data.get("op_overhead_us") or {}).items()},
        module_call_us=float(data["module_call_us"]) if data.get("module_call_us") is not None else None,
        recurrent={c: {k: float(v) for k, v in costs.items()}
                   for c, costs in (data.get("recurrent") or {}).items()},
        dispatch=data.get("dispatch"),
        kernel_us=float(data["kernel_us"]) if data.get("kernel_us") is not None else None,
        parallel={f: int(v) if f == "threads" else [[float(w), float(x)] for w, x in v]
                  for f, v in (data.get("parallel") or {}).items()},
        gemm_efficiency=[[float(d), float(e)] for d, e in data.get("gemm_efficiency") or []],
        measured_at_run_time=bool(data.get("measured_at_run_time", False)),
        notes=str(data.get("notes", "")).strip(),
        estimator_source=data.get("estimator_source"),
    )


def _semantic_problems(doc: LoadedYaml) -> list[Problem]:
    """Checks JSON Schema cannot express: sources name references, peaks match precisions, reserved names,
    thread-scaling points in size order."""
    data: dict[str, Any] = doc.data
    problems: list[Problem] = []
    refs = list((data.get("references") or {}).keys())
    figures: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        (("peak_tflops", p), f) for p, f in (data.get("peak_tflops") or {}).items()
    ]
    figures += [((k,), data[k]) for k in FIGURE_FIELDS if isinstance(data.get(k), dict)]
    found = data.get("runtimes")
    runtimes: dict[str, Any] = found if isinstance(found, dict) else {}
    figures += [(("runtimes", r, "peak_tflops", p), f) for r, entry in runtimes.items()
                for p, f in (entry.get("peak_tflops") or {}).items() if "source" in f]
    figures += [(("runtimes", r, key), entry[key]) for r, entry in runtimes.items()
                for key in RUNTIME_FACTS
                if isinstance(entry, dict) and isinstance(entry.get(key), dict)]
    for pointer, figure in figures:
        for i, source in enumerate(_source_ids(figure)):
            if source in refs:
                continue
            at: tuple[str | int, ...] = (*pointer, "source")
            if not isinstance(figure.get("source"), str):
                at = (*at, i)
            problems.append(doc.problem(at, f"source {source!r} is not in this file's references",
                                        did_you_mean(source, refs) or f"known: {', '.join(refs) or 'none'}"))
    precisions = data.get("precisions") or []
    for precision in data.get("peak_tflops") or {}:
        if precision not in precisions:
            problems.append(doc.problem(("peak_tflops", precision, "<key>"), f"peak given for {precision!r} "
                                        f"but {precision!r} is not in `precisions`"))
    problems += _runtime_problems(doc, runtimes, precisions)
    if data.get("measured_at_run_time"):
        for key in ("peak_tflops", *FIGURE_FIELDS):
            if key in data:
                problems.append(doc.problem((key, "<key>"), f"{key!r} contradicts measured_at_run_time: true "
                                                            "(a run-time profile carries no fixed figures)"))
    tables: list[tuple[tuple[str, ...], Any]] = [
        (("parallel", f), pts) for f, pts in (data.get("parallel") or {}).items() if f != "threads"]
    tables.append((("gemm_efficiency",), data.get("gemm_efficiency") or []))
    for pointer, points in tables:
        sizes = [p[0] for p in points if isinstance(p, list) and p] if isinstance(points, list) else []
        for i in range(1, len(sizes)):
            if sizes[i] <= sizes[i - 1]:
                problems.append(doc.problem((*pointer, i, 0), f"size {sizes[i]} must be larger than the previous "
                                                              f"point's {sizes[i - 1]}"))
                break
    name = data.get("name")
    if name in TARGET_CLASSES and data.get("class") != name:
        problems.append(doc.problem(("name",), f"{name!r} is a target class name; only a device of class "
                                               f"{name!r} may use it"))
    return problems


def _runtime_problems(doc: LoadedYaml, runtimes: dict[str, Any], precisions: list[str]) -> list[Problem]:
    """A runtimes mapping: one default, precisions the device lists, a rate for each precision of a compiled
    runtime (the unit's own peak, the device's when it is the device's main unit, or a rate relative to fp32),
    except on a profile measured at run time (this machine: nothing is estimated there); a bandwidth efficiency
    above 1 only on an npu without on_chip_mb (its traffic kept on chip)."""
    problems: list[Problem] = []
    if not runtimes:
        return problems
    defaults = [r for r, entry in runtimes.items() if entry.get("default")]
    if len(defaults) != 1:
        problems.append(doc.problem(("runtimes", "<key>"), f"exactly one runtime must be `default: true` "
                                                           f"(found {len(defaults)})"))
    device_peaks = set(doc.data.get("peak_tflops") or {})
    main_unit = UNIT_OF_KIND.get(str(doc.data.get("kind")), "cpu")
    seen: set[str] = set()
    for written, entry in runtimes.items():
        name = RUNTIME_ALIASES.get(written, written)
        if name in seen:
            problems.append(doc.problem(("runtimes", written, "<key>"), f"runtime {written!r} repeats {name!r}",
                                        "an alias (tflite, trt, ...) names the same runtime"))
        seen.add(name)
        own = set(entry.get("peak_tflops") or {}) | (device_peaks if entry.get("unit") == main_unit else set())
        for i, p in enumerate(entry.get("precisions") or []):
            at: tuple[str | int, ...] = ("runtimes", written, "precisions", i)
            if p not in precisions:
                problems.append(doc.problem(at, f"runtime {name!r} runs {p!r}, which is not in the device's "
                                                f"`precisions`"))
            refit = (entry.get("by_precision") or {}).get(p) or {}
            rated = p in own or p in (entry.get("precision_rates") or {}) or (p == "tf32" and "fp32" in own) \
                or p in (refit.get("precision_rates") or {})
            if name != EAGER and not rated and not doc.data.get("measured_at_run_time"):
                problems.append(doc.problem(at, f"runtime {name!r} lists {p!r} but has no rate for it",
                                            "give the unit's peak_tflops or a precision_rates entry"))
        for p in entry.get("by_precision") or {}:
            if p not in (entry.get("precisions") or []):
                problems.append(doc.problem(("runtimes", written, "by_precision", p), f"runtime {name!r} has "
                                            f"parameters for {p!r} but does not list it in its `precisions`"))
        if entry.get("fp32_as_tf32") and "tf32" not in own:
            problems.append(doc.problem(("runtimes", written, "fp32_as_tf32"), f"runtime {name!r} runs fp32 ops "
                                        "at the TF32 rate but its unit has no tf32 peak",
                                        "give the unit's peak_tflops.tf32 (a sourced figure)"))
        elif entry.get("fp32_as_tf32") and "fp32" not in (entry.get("precisions") or []):
            problems.append(doc.problem(("runtimes", written, "fp32_as_tf32"), f"runtime {name!r} runs fp32 ops "
                                        "at the TF32 rate but does not list fp32"))
        bound = max_bandwidth_efficiency(str(entry.get("unit")), "on_chip_mb" in entry)
        fits = [((), entry), *((("by_precision", p), e) for p, e in (entry.get("by_precision") or {}).items())]
        for at_fit, fit in fits:
            bandwidth = (fit.get("efficiency") or {}).get("bandwidth", 0)
            if bandwidth > bound:
                problems.append(doc.problem(("runtimes", written, *at_fit, "efficiency", "bandwidth"),
                                            f"bandwidth efficiency {bandwidth:g} is above {bound:g}: only an npu "
                                            "runtime without on_chip_mb keeps its traffic on chip"))
    return problems


def _load_profile(path: Path) -> tuple[TargetProfile | None, LoadedYaml | None, list[Problem]]:
    try:
        doc = load_yaml(path)
    except YamlProblem as exc:
        return None, None, [exc.problem]
    if not isinstance(doc.data, dict):
        got = type(doc.data).__name__
        return None, doc, [Problem(str(path), 1, 1, f"a profile must be a mapping of fields (got {got})")]
    problems = schema_problems(doc, PROFILE_SCHEMA)
    if problems:
        return None, doc, problems
    problems = _semantic_problems(doc)
    if problems:
        return None, doc, problems
    return _build(doc), doc, []


def _load_classes(path: Path) -> tuple[list[ClassDefault], list[Problem]]:
    try:
        doc = load_yaml(path)
    except YamlProblem as exc:
        return [], [exc.problem]
    if not isinstance(doc.data, dict):
        return [], [Problem(str(path), 1, 1, "classes.yaml must be a mapping with a `defaults` key")]
    problems = schema_problems(doc, CLASSES_SCHEMA)
    if problems:
        return [], problems
    return [
        ClassDefault(cls, body["device"], body["why"], (str(doc.path), *doc.position(("defaults", cls, "device"))))
        for cls, body in doc.data["defaults"].items()
    ], []


# --------------------------------------------------------------------------------------- profile sets


def _files(paths: Iterable[Path]) -> list[Path]:
    """Profile files under `paths` (folders are expanded, sorted; duplicates dropped)."""
    out: list[Path] = []
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        children = sorted(c for c in p.iterdir() if c.suffix in _SUFFIXES) if p.is_dir() else [p]
        for child in children:
            key = resolved(child)
            if key not in seen:
                seen.add(key)
                out.append(child)
    return out


def _collect(paths: Sequence[Path]) -> tuple[ProfileSet, list[Problem]]:
    """Load everything under `paths` as one set; return it with every problem found."""
    problems: list[Problem] = []
    profiles: dict[str, TargetProfile] = {}
    name_at: dict[str, str] = {}
    defaults: dict[str, ClassDefault] = {}
    broken: set[str] = set()  # names of devices whose files failed validation
    for path in paths:
        if not Path(path).exists():
            problems.append(Problem(str(path), 1, 1, "no such profile file or folder"))
    for file in _files(p for p in paths if Path(p).exists()):
        if file.name == CLASSES_FILE:
            entries, found = _load_classes(file)
            problems += found
            defaults.update({e.target_class: e for e in entries})
            continue
        profile, doc, found = _load_profile(file)
        problems += found
        if profile is None or doc is None:
            if doc is not None and isinstance(doc.data, dict) and isinstance(doc.data.get("name"), str):
                broken.add(doc.data["name"])
            continue
        if profile.name in profiles:
            problems.append(doc.problem(("name",), f"device name {profile.name!r} is already defined in "
                                                   f"{name_at[profile.name]}",
                                        "each device name must be unique across profile files"))
            continue
        profiles[profile.name] = profile
        name_at[profile.name] = doc.where(("name",))
    for cls, entry in sorted(defaults.items()):
        device = profiles.get(entry.device)
        if device is None:
            if entry.device in broken:
                continue  # the device's own file is broken; that problem is already reported
            problems.append(Problem(*entry.where, f"default for class {cls!r} names unknown device "
                                                  f"{entry.device!r}", did_you_mean(entry.device, profiles)))
        elif device.target_class != cls:
            problems.append(Problem(*entry.where, f"default for class {cls!r} is {entry.device!r}, a device of "
                                                  f"class {device.target_class!r}"))
    dirs = tuple(Path(p) for p in paths)
    return ProfileSet(profiles, defaults, dirs), problems


def profile_problems(paths: Sequence[Path]) -> list[Problem]:
    """Every Problem of the profile files and folders in `paths`, taken as one set."""
    return _collect(list(paths))[1]


def profile_dirs(extra_dirs: Sequence[Path] = ()) -> list[Path]:
    """The folders loaded, in order: built-in, $ARCHSEL_PROFILES_PATH, then `extra_dirs`."""
    env = [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    out: list[Path] = []
    for d in (profiles_dir(), *env, *(Path(p) for p in extra_dirs)):
        if all(resolved(d) != resolved(o) for o in out):
            out.append(d)
    return out


@lru_cache(maxsize=16)
def _load_cached(dirs: tuple[str, ...], stamps: tuple[tuple[tuple[str, int], ...], ...]) -> ProfileSet:
    from archsel.snapshot import snapshotted

    paths = [Path(d) for d in dirs]
    for d in paths[1:]:  # a user folder that is missing or not a folder is a usage error
        if not d.is_dir():
            raise UsageError(f"profile folder {str(d)!r} does not exist or is not a folder")
    files = _files(p for p in paths if p.exists())
    return snapshotted("profiles", paths, files, lambda: _checked_set(paths), ProfileSet)


def _checked_set(paths: list[Path]) -> ProfileSet:
    profile_set, problems = _collect(paths)
    missing = [c for c in TARGET_CLASSES if c not in profile_set.defaults]
    if missing and not problems:
        problems.append(Problem(str(paths[0] / CLASSES_FILE), 1, 1,
                                f"no default device for class(es) {', '.join(missing)}"))
    if problems:
        raise ConfigError(problems)
    return profile_set


def load_profile_set(extra_dirs: Sequence[Path] = ()) -> ProfileSet:
    """Profiles and class defaults from the built-in folder, $ARCHSEL_PROFILES_PATH and `extra_dirs`.

    Raises ConfigError carrying every problem when any file is invalid.
    """
    dirs = profile_dirs(extra_dirs)
    return _load_cached(tuple(str(d) for d in dirs), tuple(stamp(d, _SUFFIXES) for d in dirs))


def load_profiles(extra_dirs: Sequence[Path] = ()) -> dict[str, TargetProfile]:
    """Device name -> profile, built-in plus user folders (see load_profile_set)."""
    return dict(load_profile_set(extra_dirs).profiles)


def class_defaults(extra_dirs: Sequence[Path] = ()) -> dict[str, str]:
    """Target class -> default device name."""
    return {c: d.device for c, d in sorted(load_profile_set(extra_dirs).defaults.items())}


# ------------------------------------------------------------------------------------------ resolving


def _looks_like_path(text: str) -> bool:
    return text.endswith(_SUFFIXES) or os.sep in text or (os.altsep is not None and os.altsep in text)


def _measure_local(profile: TargetProfile) -> TargetProfile:
    """Fill what can be read from this machine without running anything: memory size and CPU model."""
    sources = dict(profile.sources)
    total = memory_bytes()
    memory_gb = round(total / 1e9, 1) if total else None
    if memory_gb is not None:
        sources["memory_gb"] = MEMORY_SOURCE
    model = cpu_model()
    cpus = os.cpu_count() or 0
    display = f"this machine: {model}, {cpus} logical CPUs" if model else f"this machine: {cpus} logical CPUs"
    return replace(profile, memory_gb=memory_gb, sources=sources, display_name=display)


# the profile resolve_target gave for (loaded profile, class it was resolved from): one object per process, so
# that what is derived from a target (archsel.advice.costing's estimates) is made once for a query file
_FINISHED: dict[tuple[int, str | None], tuple[TargetProfile, TargetProfile]] = {}


def _finish(profile: TargetProfile, resolved_from: str | None = None) -> TargetProfile:
    key = (id(profile), resolved_from)
    made = _FINISHED.get(key)
    if made is None:
        finished = _measure_local(profile) if profile.measured_at_run_time else profile
        finished = replace(finished, resolved_from=resolved_from) if resolved_from else finished
        made = _FINISHED[key] = (profile, finished)  # holding the loaded profile keeps its id from being reused
    return made[1]


def _from_file(path: Path) -> TargetProfile:
    if not _is_file(str(path)):
        raise UsageError(f"no such profile file: {str(path)[:200]!r}")
    return _file_cached(str(path), str(resolved(path)), stamp(path))


@lru_cache(maxsize=16)
def _file_cached(path: str, resolved: str, stamped: tuple[tuple[str, int], ...]) -> TargetProfile:
    """A profile file, loaded once per process until it changes (as _load_cached does for folders)."""
    from archsel.snapshot import snapshotted

    return snapshotted("profile", [Path(path)], [Path(path)], lambda: _checked_profile(Path(path)), TargetProfile)


def _checked_profile(path: Path) -> TargetProfile:
    profile, _, problems = _load_profile(path)
    if problems or profile is None:
        raise ConfigError(problems)
    return profile


def _is_file(text: str) -> bool:
    """Whether `text` names a file (False for a name no file system takes: too long, a NUL)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def resolve_target(name_or_path: str, extra_dirs: Sequence[Path] = ()) -> TargetProfile:
    """A class name (its default device), a device name, or a path to a profile .yaml file.

    Unknown names raise UsageError with a did-you-mean; invalid profile files raise ConfigError.
    """
    text = name_or_path.strip()
    if _looks_like_path(text) or _is_file(text):
        return _finish(_from_file(Path(text)))
    key = text.lower().replace("_", "-").replace(" ", "-")
    profile_set = load_profile_set(extra_dirs)
    if key in profile_set.defaults:
        return _finish(profile_set.profiles[profile_set.defaults[key].device], resolved_from=key)
    if key in profile_set.profiles:
        return _finish(profile_set.profiles[key])
    raise unknown("target", text, [*TARGET_CLASSES, *sorted(profile_set.profiles)])

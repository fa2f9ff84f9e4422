"""`archsel targets list|show|validate`: the hardware profiles a query can name (no torch import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from archsel.report.formats import SCHEMA_VERSION, Column, Document, TableView, check_format, emit
from archsel.targets.profiles import TargetProfile

app = typer.Typer(help="Hardware targets: device profiles with sourced spec figures, and class defaults.",
                  no_args_is_help=True)

FORMAT_HELP = "Output format: table, json, jsonl, yaml, csv or markdown."
PROFILES_HELP = "Extra profile folder (repeatable; also $ARCHSEL_PROFILES_PATH)."


def _num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def target_record(profile: TargetProfile, defaults: dict[str, str], detail: bool = False) -> dict[str, Any]:
    """A JSON-ready description of a profile."""
    record: dict[str, Any] = {
        "name": profile.name,
        "display_name": profile.display_name,
        "class": profile.target_class,
        "kind": profile.kind,
        "default_for": sorted(c for c, d in defaults.items() if d == profile.name),
        "measured_at_run_time": profile.measured_at_run_time,
        "peak_tflops": dict(profile.peak_tflops),  # dense, int8 in TOPS
        "memory_bandwidth_gbs": profile.memory_bandwidth_gbs,
        "memory_gb": profile.memory_gb,
        "power_w": profile.power_w,
        "precisions": list(profile.precisions),
        "runtimes": list(profile.runtimes),
    }
    if detail:
        record.update(
            sources=dict(profile.sources),
            notes=profile.notes,
            efficiency=dict(profile.efficiency),
            overhead_us=profile.overhead_us,
            estimator_source=profile.estimator_source,
            resolved_from=profile.resolved_from,
            path=profile.path,
        )
    return record


def _peak_text(profile: TargetProfile, precision: str) -> str:
    value = profile.peak(precision)
    if value is None:
        return "measured" if profile.measured_at_run_time else "—"
    return f"{value:g}"


@app.command("list")
def list_cmd(
    target_class: str | None = typer.Option(None, "--class", "-c", help="Only devices of this class."),
    profiles: list[Path] | None = typer.Option(None, "--profiles", help=PROFILES_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """List the devices archsel knows, with peak compute (dense), memory bandwidth and capacity."""
    from archsel.errors import unknown
    from archsel.targets.profiles import TARGET_CLASSES, load_profile_set

    check_format(fmt)
    wanted = target_class.strip().lower() if target_class else None
    if wanted is not None and wanted not in TARGET_CLASSES:
        raise unknown("target class", target_class or "", TARGET_CLASSES)
    profile_set = load_profile_set(profiles or ())
    defaults = {c: d.device for c, d in profile_set.defaults.items()}
    order = {c: i for i, c in enumerate(TARGET_CLASSES)}
    chosen = sorted((p for p in profile_set.profiles.values() if wanted in (None, p.target_class)),
                    key=lambda p: (order[p.target_class], p.name))
    records = [target_record(p, defaults) for p in chosen]
    rows = [
        {
            "name": p.name + (" *" if r["default_for"] else ""),
            "class": p.target_class,
            "kind": p.kind,
            "fp32": _peak_text(p, "fp32"),
            "fp16": _peak_text(p, "fp16"),
            "int8": _peak_text(p, "int8"),
            "bw": "measured" if p.measured_at_run_time else _num(p.memory_bandwidth_gbs),
            "mem": "from OS" if p.measured_at_run_time else _num(p.memory_gb),
            "power": _num(p.power_w),
            "display_name": p.display_name,
        }
        for p, r in zip(chosen, records, strict=True)
    ]
    view = TableView(
        columns=[
            Column("name", "name"),
            Column("class", "class"),
            Column("kind", "kind"),
            Column("fp32", "fp32 TFLOPS", justify="right"),
            Column("fp16", "fp16 TFLOPS", justify="right"),
            Column("int8", "int8 TOPS", justify="right"),
            Column("bw", "mem GB/s", justify="right"),
            Column("mem", "mem GB", justify="right"),
            Column("power", "W", justify="right"),
            Column("display_name", "device"),
        ],
        rows=rows,
        title=f"{len(rows)} targets",
        caption="* class default. Peaks are dense (no structured sparsity); see `archsel targets show NAME` "
                "for the source of every figure.",
    )
    payload = {
        "schema_version": SCHEMA_VERSION,
        "count": len(records),
        "class_defaults": dict(sorted(defaults.items())),
        "targets": records,
    }
    emit(Document(payload, "targets", [view]), fmt)


@app.command("show")
def show_cmd(
    name: str = typer.Argument(..., metavar="NAME",
                               help="Device name, class (cloud/edge/mobile/local) or a .yaml file."),
    profiles: list[Path] | None = typer.Option(None, "--profiles", help=PROFILES_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Every figure of one target with its source; a class name shows its default device."""
    from archsel.targets.profiles import class_defaults, resolve_target

    check_format(fmt)
    profile = resolve_target(name, profiles or ())
    defaults = class_defaults(profiles or ())
    record = target_record(profile, defaults, detail=True)
    fields: list[tuple[str, str, str]] = [
        ("name", profile.name, ""),
        ("device", profile.display_name, ""),
        ("class", profile.target_class + (f" (default for {profile.resolved_from})" if profile.resolved_from
                                          else ""), ""),
        ("kind", profile.kind, ""),
    ]
    for precision, value in profile.peak_tflops.items():
        unit = "TOPS" if precision.startswith("int") else "TFLOPS"
        source = profile.sources.get(f"peak_tflops.{precision}", "")
        fields.append((f"peak {precision} (dense)", f"{value:g} {unit}", source))
    if profile.measured_at_run_time:
        fields.append(("peak compute", "measured at run time", ""))
        fields.append(("memory bandwidth", "measured at run time", ""))
    else:
        fields.append(("memory bandwidth", _num(profile.memory_bandwidth_gbs, " GB/s"),
                       profile.sources.get("memory_bandwidth_gbs", "")))
    fields.append(("memory", _num(profile.memory_gb, " GB"), profile.sources.get("memory_gb", "")))
    no_power = "—" if profile.measured_at_run_time else "not published"
    fields.append(("power", _num(profile.power_w, " W") if profile.power_w is not None else no_power,
                   profile.sources.get("power_w", "")))
    fields.append(("precisions", ", ".join(profile.precisions), ""))
    fields.append(("runtimes", ", ".join(profile.runtimes), ""))
    if profile.efficiency or profile.overhead_us is not None:
        eff = ", ".join(f"{k} {v:g}" for k, v in profile.efficiency.items())
        fields.append(("estimator", f"efficiency: {eff or '—'}; overhead {_num(profile.overhead_us, ' µs')}",
                       profile.estimator_source or ""))
    if profile.notes:
        fields.append(("notes", profile.notes, ""))
    fields.append(("file", profile.path, ""))
    rows = [{"field": k, "value": v, "source": s} for k, v, s in fields]
    view = TableView([Column("field", "field"), Column("value", "value"), Column("source", "source")],
                     rows, title=profile.display_name)
    emit(Document({"schema_version": SCHEMA_VERSION, "target": record}, None, [view]), fmt)


@app.command("validate")
def validate_cmd(
    dirs: list[Path] | None = typer.Argument(
        None, metavar="[DIR|FILE]...", help="Profile folders or files to check with the built-in ones."),
    alone: bool = typer.Option(False, "--alone", help="Check only the given paths (no built-in profiles)."),
) -> None:
    """Check profiles (schema, sources, duplicate names, class defaults); every problem as file:line:col."""
    from archsel.errors import ConfigError, UsageError
    from archsel.paths import profiles_dir
    from archsel.targets.profiles import profile_problems

    given = list(dirs or [])
    if alone and not given:
        raise UsageError("--alone needs at least one folder or file")
    paths = given if alone else [profiles_dir(), *given]
    problems = profile_problems(paths)
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in hardware profiles", problems)
    from archsel.report.formats import stderr_console

    stderr_console().print(f"ok: {', '.join(str(p) for p in paths)}", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="targets")

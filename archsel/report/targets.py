"""The documents of `archsel targets list|show`: device profiles with their sourced figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archsel.estimation.accuracy import RuntimeAccuracy, graph_cost_accuracy, spec_accuracy
from archsel.report.document import SCHEMA_VERSION, Column, Document, TableView
from archsel.report.listings import field_view

if TYPE_CHECKING:
    from archsel.targets.profiles import TargetProfile


def measurable_here(runtime: str) -> bool:
    """Whether `runtime` can be measured on this machine (installed; found without importing it)."""
    from archsel.profiling.deploy import BACKENDS, missing_modules

    return runtime not in BACKENDS or not missing_modules(runtime)


def install_hint(runtime: str) -> str:
    from archsel.profiling.deploy import install_hint as hint

    return hint(runtime)


def _accuracy_detail(acc: RuntimeAccuracy, method: str) -> dict[str, Any]:
    """A measured error as `targets show -f json` gives it."""
    return {"rows": acc.rows, "models": acc.models, "median_abs_pct": acc.median_abs_pct, "within_25": acc.within_25,
            "spearman": acc.spearman, "method": method}


def _error_text(acc: RuntimeAccuracy, how: str = "") -> str:
    return f"median {acc.median_abs_pct:.0f}%, {acc.within_25:.0%} within ±25% ({acc.rows} rows{how})"


def _num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def _peak_text(profile: TargetProfile, precision: str) -> str:
    value = profile.peak(precision)
    if value is None:
        return "measured" if profile.measured_at_run_time else "—"
    return f"{value:g}"


def _record(profile: TargetProfile, defaults: dict[str, str], detail: bool = False) -> dict[str, Any]:
    """The target's JSON with the classes it is the default device of."""
    return {**profile.to_dict(detail), "default_for": sorted(c for c, d in defaults.items() if d == profile.name)}


def list_document(profiles: list[TargetProfile], defaults: dict[str, str]) -> Document:
    """One row per device (class defaults marked *), with peaks, bandwidth, memory and power."""
    records = [_record(p, defaults) for p in profiles]
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
        for p, r in zip(profiles, records, strict=True)
    ]
    view = TableView(
        columns=[
            Column("name", "name", no_wrap=True), Column("class", "class"), Column("kind", "kind"),
            Column("fp32", "fp32 TFLOPS", justify="right"), Column("fp16", "fp16 TFLOPS", justify="right"),
            Column("int8", "int8 TOPS", justify="right"), Column("bw", "mem GB/s", justify="right"),
            Column("mem", "mem GB", justify="right"), Column("power", "W", justify="right"),
            Column("display_name", "device"),
        ],
        rows=rows,
        title=f"{len(rows)} targets",
        caption="* class default. Peaks are dense (no structured sparsity); see `archsel targets show NAME` "
                "for the source of every figure.",
    )
    payload = {"schema_version": SCHEMA_VERSION, "command": "targets list", "count": len(records),
               "class_defaults": dict(sorted(defaults.items())), "targets": records}
    return Document(payload, "targets", [view])


def show_document(profile: TargetProfile, defaults: dict[str, str]) -> Document:
    """Every figure of one target with its source (`defaults`: class -> default device name)."""
    fields: list[tuple[str, ...]] = [
        ("name", profile.name, ""),
        ("device", profile.display_name, ""),
        ("class", profile.target_class + (f" (default for {profile.resolved_from})" if profile.resolved_from
                                          else ""), ""),
        ("kind", profile.kind, ""),
    ]
    for precision, value in profile.peak_tflops.items():
        unit = "TOPS" if precision.startswith("int") else "TFLOPS"
        fields.append((f"peak {precision} (dense)", f"{value:g} {unit}", profile.sources.get(f"peak_tflops.{precision}",
                                                                                               "")))
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
    record = _record(profile, defaults, detail=True)
    for r, detail in zip(profile.runtimes.values(), record["runtime_details"], strict=True):
        if profile.measured_at_run_time:  # nothing estimated: say whether it can be measured here
            detail["installed"] = measurable_here(r.name)
            where = "measured here" if detail["installed"] else f"not installed: {install_hint(r.name)}"
            fields.append((f"runtime {r.name}", f"{r.unit}, {'/'.join(r.precisions)}"
                           + (" (default)" if r.default else "") + f"; {where}", r.source))
            continue
        judged = not r.eager and not r.fitted
        acc = spec_accuracy(profile.name, r)
        method = (f"judgement defaults against every published {r.unit} measurement" if judged
                  else "leave-one-model-out against latencies measured on the device" if r.accuracy
                  else "leave-one-model-out against published measurements")
        detail["accuracy"] = None if acc is None else _accuracy_detail(acc, method)
        what_error = f"judgement defaults' error on published {r.unit} rows" if judged else "measured error"
        error = f"; {what_error}: {_error_text(acc)}" if acc is not None else ""
        for precision in r.by_precision:  # what each precision fitted on its own was measured to miss by
            own = r.for_precision(precision)
            graph = own.graph_cost is not None and own.graph_cost.get("accuracy") is not None
            own_acc = graph_cost_accuracy(profile.name, own) if graph else spec_accuracy(profile.name, own)
            if own_acc is not None and (graph or own.accuracy):
                error += f"; {precision}: {_error_text(own_acc, ', graph cost model' if graph else '')}"
                detail.setdefault("by_precision_accuracy", {})[precision] = _accuracy_detail(
                    own_acc, "graph cost model, leave-one-model-out" if graph else method)
        what = f"{r.unit}, {'/'.join(r.precisions)}" + (" (default)" if r.default else "") + error
        fields.append((f"runtime {r.name}", what, r.source))
    if profile.efficiency or profile.overhead_us is not None:
        eff = ", ".join(f"{k} {v:g}" for k, v in profile.efficiency.items())
        fields.append(("estimator", f"efficiency: {eff or '—'}; overhead {_num(profile.overhead_us, ' µs')}",
                       profile.estimator_source or ""))
    if profile.notes:
        fields.append(("notes", profile.notes, ""))
    fields.append(("file", profile.path, ""))
    payload: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "command": "targets show", "target": record}
    return Document(payload, None, [field_view(fields, profile.display_name, ("field", "value", "source"))])

"""JUnit XML for `archsel check`: one testsuite, one testcase per gate, in the layout CI viewers read.

Layout (the de-facto JUnit schema used by Jenkins, GitLab, Azure Pipelines and the GitHub JUnit actions):
<testsuites tests failures errors skipped time> / <testsuite ... timestamp hostname> / <properties> with the
run's conditions / <testcase classname name time [file line]> with its own <properties>, and a
<failure message type>text</failure> for a gate that failed, <error> for a model that raised or a gate
that could not be evaluated, <skipped message> for a gate not evaluated because of an earlier error.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

# Characters XML 1.0 cannot carry at all (not even escaped): C0 controls other than tab, LF, CR; surrogates; FFFE/FFFF.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """`value` as a string XML 1.0 can hold (invalid characters replaced by U+FFFD); escaping is ElementTree's."""
    return _INVALID_XML.sub("\ufffd", "" if value is None else str(value))


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ",".join(_fmt(v) for v in value)
    return xml_text(value)


def _properties(parent: ET.Element, items: dict[str, Any]) -> None:
    props = ET.SubElement(parent, "properties")
    for key, value in items.items():
        if value is None:
            continue
        ET.SubElement(props, "property", name=xml_text(key), value=_fmt(value))


def _counts(gates: list[dict[str, Any]]) -> dict[str, str]:
    status = [g["status"] for g in gates]
    return {"tests": str(len(gates)), "failures": str(status.count("failed")),
            "errors": str(status.count("error")), "skipped": str(status.count("skipped"))}


def render_junit(payload: dict[str, Any]) -> str:
    """The JUnit XML document for a check payload (see archsel.commands.check); ends with a newline."""
    gates: list[dict[str, Any]] = payload["gates"]
    counts = _counts(gates)
    total = f"{float(payload.get('duration_s') or 0.0):.3f}"
    model = payload["model"]
    target = payload["target"]
    root = ET.Element("testsuites", {"name": "archsel check", **counts, "time": total})
    suite = ET.SubElement(root, "testsuite", {
        "name": xml_text(f"archsel check {model['spec']} on {target['name']}"), **counts, "time": total,
        "timestamp": xml_text(payload.get("timestamp", "")), "hostname": xml_text(payload.get("hostname", ""))})
    _properties(suite, payload.get("conditions", {}))
    for gate in gates:
        attrs = {"classname": xml_text(f"archsel.check.{model['spec']}"), "name": xml_text(gate["name"]),
                 "time": f"{float(gate.get('duration_s') or 0.0):.3f}"}
        if gate.get("file"):
            attrs["file"] = xml_text(gate["file"])
            if gate.get("line"):
                attrs["line"] = str(gate["line"])
        case = ET.SubElement(suite, "testcase", attrs)
        _properties(case, {k: v for k, v in gate.items()
                           if k not in ("name", "status", "message", "detail", "file", "line", "duration_s")})
        status = gate["status"]
        if status == "failed":
            el = ET.SubElement(case, "failure", message=xml_text(gate["message"]), type="GateFailed")
            el.text = xml_text(gate.get("detail") or gate["message"])
        elif status == "error":
            el = ET.SubElement(case, "error", message=xml_text(gate["message"]),
                               type=xml_text(gate.get("error_type") or "Error"))
            el.text = xml_text(gate.get("detail") or gate["message"])
        elif status == "skipped":
            ET.SubElement(case, "skipped", message=xml_text(gate["message"]))
        else:
            out = ET.SubElement(case, "system-out")
            out.text = xml_text(gate["message"])
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"

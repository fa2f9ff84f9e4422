"""JUnit XML of any document: one testsuite, one testcase per Case, in the layout CI viewers read.

Layout (the de-facto JUnit schema used by Jenkins, GitLab, Azure Pipelines and the GitHub JUnit actions):
<testsuites name tests failures errors skipped time> / <testsuite ... timestamp hostname> / <properties> with
the run's conditions / <testcase classname name time [file line]> with its own <properties>, and a
<failure message type>text</failure> for a failed case, <error> for one that could not be evaluated (a
model that raised), <skipped message> for one not evaluated, <system-out> with the message of a pass.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from archsel.report.document import Case, Suite, case_counts

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
    if isinstance(value, list | tuple):
        return ",".join(_fmt(v) for v in value)
    return xml_text(value)


def _properties(parent: ET.Element, items: dict[str, Any]) -> None:
    props = ET.SubElement(parent, "properties")
    for key, value in items.items():
        if value is None:
            continue
        ET.SubElement(props, "property", name=xml_text(key), value=_fmt(value))


def _given(**attrs: Any) -> dict[str, str]:
    """The attributes that have a value, as XML text."""
    return {k: xml_text(v) for k, v in attrs.items() if v}


def _seconds(value: float | None) -> str:
    return f"{float(value or 0.0):.3f}"


_PROBLEM_TAGS = {"failed": ("failure", "Failure"), "error": ("error", "Error")}


def render_junit(suite: Suite, cases: Sequence[Case]) -> str:
    """The JUnit XML document; ends with a newline."""
    n = case_counts(cases)
    counts = {"tests": str(n["tests"]), "failures": str(n["failed"]), "errors": str(n["error"]),
              "skipped": str(n["skipped"])}
    total = _seconds(suite.duration_s)
    root = ET.Element("testsuites", {"name": xml_text(suite.command), **counts, "time": total})
    element = ET.SubElement(root, "testsuite", {"name": xml_text(suite.name), **counts, "time": total,
                                                **_given(timestamp=suite.timestamp, hostname=suite.hostname)})
    _properties(element, suite.properties)
    for case in cases:
        el = ET.SubElement(element, "testcase", {
            "classname": xml_text(suite.classname), "name": xml_text(case.name), "time": _seconds(case.duration_s),
            **_given(file=case.file, line=case.line if case.file else None)})
        _properties(el, case.properties)
        if case.status in _PROBLEM_TAGS:
            tag, default_type = _PROBLEM_TAGS[case.status]
            sub = ET.SubElement(el, tag, message=xml_text(case.message), type=xml_text(case.error_type or default_type))
            sub.text = xml_text(case.detail or case.message)
        elif case.status == "skipped":
            ET.SubElement(el, "skipped", message=xml_text(case.message))
        else:
            ET.SubElement(el, "system-out").text = xml_text(case.message)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

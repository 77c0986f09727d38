"""The validation report as text, JSON, JUnit XML or HTML.

Every format is rendered from the same `Report` and is deterministic (no timestamps,
findings in a fixed order), so two runs on the same package give the same bytes and a
report can be diffed between builds. The JSON layout is a contract (see
docs/validation-report.md and `REPORT_JSON_SCHEMA`); the HTML page is self-contained
and escapes every value taken from the data.
"""

from __future__ import annotations

import html
import json
import os
import secrets
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

from cdisc_map.validate.engine import Report
from cdisc_map.validate.rules import FAMILIES, RULES, SEVERITIES, Finding, severity_rank

FORMATS = ("text", "json", "junit", "html")
SCHEMA_ID = "cdisc-map/validation-report"
SCHEMA_VERSION = 1

_FINDING_FIELDS = ("rule", "severity", "file", "dataset", "variable", "row", "usubjid",
                   "seq", "value", "message")
_NULLABLE_TEXT = {"type": ["string", "null"]}
REPORT_JSON_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "cdisc-map validation report",
    "type": "object",
    "required": ["schema", "schema_version", "path", "standard", "terminology", "summary",
                 "datasets", "defines", "rules", "findings", "truncated"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "schema_version": {"const": SCHEMA_VERSION},
        "path": {"type": "string"},
        "standard": {"type": "string"},
        "terminology": {"type": "string"},
        "summary": {
            "type": "object",
            "required": ["errors", "warnings", "notices", "findings", "datasets", "records"],
            "additionalProperties": False,
            "properties": {name: {"type": "integer", "minimum": 0} for name in
                           ("errors", "warnings", "notices", "findings", "datasets",
                            "records")},
        },
        "datasets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "name", "standard", "records", "variables", "errors",
                             "warnings", "notices"],
                "additionalProperties": False,
                "properties": {
                    "file": {"type": "string"},
                    "name": {"type": "string"},
                    "standard": {"enum": ["SDTM", "ADaM"]},
                    "records": {"type": ["integer", "null"]},
                    "variables": {"type": ["integer", "null"]},
                    "errors": {"type": "integer"},
                    "warnings": {"type": "integer"},
                    "notices": {"type": "integer"},
                },
            },
        },
        "defines": {"type": "array", "items": {"type": "string"}},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "family", "severity", "message", "mirrors", "count"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^CM[0-9]{4}$"},
                    "family": {"enum": list(FAMILIES)},
                    "severity": {"enum": list(SEVERITIES)},
                    "message": {"type": "string"},
                    "mirrors": {"type": "array", "items": {"type": "string"}},
                    "count": {"type": "integer", "minimum": 0},
                },
            },
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": list(_FINDING_FIELDS),
                "additionalProperties": False,
                "properties": {
                    "rule": {"type": "string", "pattern": "^CM[0-9]{4}$"},
                    "severity": {"enum": list(SEVERITIES)},
                    "file": {"type": "string"},
                    "dataset": {"type": "string"},
                    "variable": {"type": "string"},
                    "row": {"type": ["integer", "null"], "minimum": 1},
                    "usubjid": _NULLABLE_TEXT,
                    "seq": _NULLABLE_TEXT,
                    "value": _NULLABLE_TEXT,
                    "message": {"type": "string"},
                },
            },
        },
        "truncated": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["rule", "file", "shown", "total"],
                "additionalProperties": False,
                "properties": {
                    "rule": {"type": "string"},
                    "file": {"type": "string"},
                    "shown": {"type": "integer"},
                    "total": {"type": "integer"},
                },
            },
        },
    },
}


def render(report: Report, fmt: str = "text", fail_on: str = "error") -> str:
    """The report in one of FORMATS; `fail_on` decides what JUnit counts as a failure."""
    if fmt == "text":
        return render_text(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "junit":
        return render_junit(report, fail_on)
    if fmt == "html":
        return render_html(report)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


def write_reports(report: Report, folder: str | os.PathLike) -> list[Path]:
    """OUT/validation/report.json and report.html, each written atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in (("report.json", render_json(report)),
                          ("report.html", render_html(report))):
        target = folder / name
        temporary = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            temporary.write_text(content, encoding="utf-8")
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        written.append(target)
    return written


# --- counts -------------------------------------------------------------------------


def _file_severity_totals(report: Report) -> dict[str, Counter[str]]:
    per_file: dict[str, Counter[str]] = defaultdict(Counter)
    for (rule_id, file), count in report.totals.items():
        per_file[file][RULES[rule_id].severity] += count
    return per_file


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _summary_line(report: Report) -> str:
    totals = report.severity_totals()
    records = sum(d.records or 0 for d in report.datasets)
    return (f"{_plural(totals['error'], 'error')}, {_plural(totals['warning'], 'warning')}, "
            f"{_plural(totals['notice'], 'notice')} in {_plural(len(report.datasets), 'dataset')} "
            f"({_plural(records, 'record')})")


# --- JSON ---------------------------------------------------------------------------


def to_document(report: Report) -> dict:
    """The report as the JSON document REPORT_JSON_SCHEMA describes."""
    totals = report.severity_totals()
    per_file = _file_severity_totals(report)
    rule_totals = report.rule_totals()
    return {
        "schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "path": report.path,
        "standard": report.standard,
        "terminology": report.terminology,
        "summary": {
            "errors": totals["error"],
            "warnings": totals["warning"],
            "notices": totals["notice"],
            "findings": sum(totals.values()),
            "datasets": len(report.datasets),
            "records": sum(d.records or 0 for d in report.datasets),
        },
        "datasets": [
            {"file": d.file, "name": d.name, "standard": d.standard, "records": d.records,
             "variables": d.variables, "errors": per_file[d.file]["error"],
             "warnings": per_file[d.file]["warning"], "notices": per_file[d.file]["notice"]}
            for d in report.datasets
        ],
        "defines": list(report.defines),
        "rules": [
            {"id": rule.id, "family": rule.family, "severity": rule.severity,
             "message": rule.message, "mirrors": list(rule.mirrors),
             "count": rule_totals[rule.id]}
            for rule in RULES.values()
        ],
        "findings": [{name: getattr(f, name) for name in _FINDING_FIELDS}
                     for f in report.findings],
        "truncated": [{"rule": r, "file": f, "shown": shown, "total": total}
                      for r, f, shown, total in report.truncated],
    }


def render_json(report: Report) -> str:
    return json.dumps(to_document(report), indent=2, ensure_ascii=True) + "\n"


# --- text ---------------------------------------------------------------------------


def _location(finding: Finding) -> str:
    parts = []
    if finding.variable:
        parts.append(finding.variable)
    if finding.row is not None:
        parts.append(f"row {finding.row}")
    if finding.usubjid:
        parts.append(finding.usubjid)
    if finding.seq:
        parts.append(f"seq {finding.seq}")
    return ", ".join(parts)


def _value_note(finding: Finding) -> str:
    """" (value 'x')" unless the message already quotes the value."""
    if finding.value is None or finding.value in finding.message:
        return ""
    return f" (value {finding.value!r})"


def _by_file(report: Report) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        grouped[finding.file].append(finding)
    return grouped


def render_text(report: Report) -> str:
    """Findings grouped by file and rule, then the rules that fired and the totals."""
    lines = [f"cdisc-map validate {report.path} ({report.standard}, {report.terminology})", ""]
    records = {d.file: d for d in report.datasets}
    truncated = {(r, f): (shown, total) for r, f, shown, total in report.truncated}
    for file, findings in sorted(_by_file(report).items()):
        dataset = records.get(file)
        head = file or "(package)"
        if dataset is not None and dataset.records is not None:
            head += f"  {dataset.name}, {_plural(dataset.records, 'record')}"
        lines.append(head)
        for finding in findings:
            where = _location(finding)
            value = _value_note(finding)
            lines.append(f"  {finding.rule} {finding.severity:<7} "
                         f"{where + ': ' if where else ''}{finding.message}{value}")
        for (rule_id, truncated_file), (shown, total) in sorted(truncated.items()):
            if truncated_file == file:
                lines.append(f"  {rule_id}: {total - shown:,} more findings not shown "
                             f"({total:,} in all)")
        lines.append("")
    fired = [(RULES[r], n) for r, n in report.rule_totals().items() if n]
    if fired:
        lines.append("Rules with findings:")
        for rule, count in fired:
            lines.append(f"  {rule.id} {rule.severity:<7} {count:>7,}  {rule.message}")
        lines.append("")
    lines.append(_summary_line(report))
    return "\n".join(lines) + "\n"


# --- JUnit --------------------------------------------------------------------------


def render_junit(report: Report, fail_on: str = "error") -> str:
    """One test case per rule; one failure per finding at or above `fail_on`.

    Findings below the fail level go to the test case's system-out, so a CI page shows
    them without failing the build on them.
    """
    threshold = severity_rank(fail_on)
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_rule[finding.rule].append(finding)
    totals = report.rule_totals()
    suites = ET.Element("testsuites", name="cdisc-map validate")
    suite = ET.SubElement(suites, "testsuite", name=f"cdisc-map validate {report.path}")
    failures = 0
    for rule in RULES.values():
        case = ET.SubElement(suite, "testcase", classname=f"cdisc-map.{rule.family}",
                             name=f"{rule.id} {rule.message}")
        notes = []
        for finding in by_rule.get(rule.id, []):
            where = " ".join(filter(None, [finding.file, _location(finding)]))
            detail = f"{where}: {finding.message}{_value_note(finding)}"
            if severity_rank(finding.severity) >= threshold:
                failure = ET.SubElement(case, "failure", type=finding.severity,
                                        message=f"{finding.dataset or finding.file}: "
                                                f"{finding.message}")
                failure.text = detail
                failures += 1
            else:
                notes.append(f"{finding.severity}: {detail}")
        hidden = totals[rule.id] - len(by_rule.get(rule.id, []))
        if hidden:
            notes.append(f"{hidden:,} more findings not shown")
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
    for element in (suites, suite):
        element.set("tests", str(len(RULES)))
        element.set("failures", str(failures))
        element.set("errors", "0")
    ET.indent(suites)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode") + "\n")


# --- HTML ---------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right}
.error{color:#a40000;font-weight:600}.warning{color:#8a5a00;font-weight:600}
.notice{color:#345;font-weight:600}.meta{color:#555}.ok{color:#146c2e;font-weight:600}
code{font-family:ui-monospace,monospace}
"""


def _cell(value: object, css: str = "") -> str:
    text = "" if value is None else html.escape(str(value))
    return f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>"


def render_html(report: Report) -> str:
    """A self-contained page: summary, rules that fired, datasets, findings by dataset."""
    e = html.escape
    totals = report.severity_totals()
    per_file = _file_severity_totals(report)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Validation report: {e(report.path)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>cdisc-map validation report</h1>",
        f'<p class="meta">{e(report.path)} &middot; {e(report.standard)} &middot; '
        f"{e(report.terminology)}</p>",
        '<h2 id="summary">Summary</h2>',
        "<table><tr><th>Severity</th><th>Findings</th></tr>",
    ]
    for severity in SEVERITIES:
        out.append(f'<tr><td class="{severity}">{severity}</td>'
                   f'<td class="n">{totals[severity]:,}</td></tr>')
    out.append("</table>")
    out.append(f"<p>{e(_summary_line(report))}</p>")
    fired = [(RULES[r], n) for r, n in report.rule_totals().items() if n]
    if fired:
        out.append("<table><tr><th>Rule</th><th>Severity</th><th>Findings</th>"
                   "<th>Message</th><th>Mirrors</th></tr>")
        for rule, count in fired:
            out.append(f"<tr>{_cell(rule.id)}{_cell(rule.severity, rule.severity)}"
                       f'<td class="n">{count:,}</td>{_cell(rule.message)}'
                       f"{_cell(', '.join(rule.mirrors))}</tr>")
        out.append("</table>")
    else:
        out.append('<p class="ok">No findings.</p>')
    out.append('<h2 id="datasets">Datasets</h2><table><tr><th>File</th><th>Dataset</th>'
               "<th>Standard</th><th>Records</th><th>Errors</th><th>Warnings</th>"
               "<th>Notices</th></tr>")
    for d in report.datasets:
        counts = per_file[d.file]
        out.append(f"<tr>{_cell(d.file)}{_cell(d.name)}{_cell(d.standard)}"
                   f'<td class="n">{"" if d.records is None else f"{d.records:,}"}</td>'
                   + "".join(f'<td class="n">{counts[s]:,}</td>' for s in SEVERITIES)
                   + "</tr>")
    out.append("</table>")
    truncated = {(r, f): (shown, total) for r, f, shown, total in report.truncated}
    names = {d.file: d.name for d in report.datasets}
    for index, (file, findings) in enumerate(sorted(_by_file(report).items())):
        title = f"{names[file]} ({file})" if file in names else (file or "package")
        out.append(f'<h2 id="f{index}">{e(title)}</h2>')
        out.append("<table><tr><th>Rule</th><th>Severity</th><th>Variable</th><th>Row</th>"
                   "<th>USUBJID</th><th>SEQ</th><th>Value</th><th>Message</th></tr>")
        for f in findings:
            out.append(f"<tr>{_cell(f.rule)}{_cell(f.severity, f.severity)}"
                       f"{_cell(f.variable)}{_cell(f.row)}{_cell(f.usubjid)}{_cell(f.seq)}"
                       f"{_cell(f.value)}{_cell(f.message)}</tr>")
        out.append("</table>")
        for (rule_id, truncated_file), (shown, total) in sorted(truncated.items()):
            if truncated_file == file:
                out.append(f"<p>{e(rule_id)}: {total - shown:,} more findings not shown "
                           f"({total:,} in all).</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"

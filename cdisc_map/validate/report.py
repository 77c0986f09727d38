"""The validation report as text, JSON, JUnit XML or HTML (and Excel, in `validate.excel`).

Every format is rendered from the same `Report` and is deterministic (no timestamps,
findings in a fixed order), so two runs on the same package give the same bytes and a
report can be diffed between builds. The JSON holds every finding and its layout is a
contract (see docs/validation-report.md and `REPORT_JSON_SCHEMA`); the text and HTML
views may show fewer findings (text) or values (HTML) per rule and file
(`max_per_rule`) and say how many they leave out. The HTML page is self-contained and
escapes every value taken from the data.
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

FORMATS = ("text", "json", "junit", "html", "xlsx")
TEXT_FORMATS = ("text", "json", "junit", "html")
SCHEMA_ID = "cdisc-map/validation-report"
SCHEMA_VERSION = 2
DEFAULT_MAX_PER_RULE = 50  # findings the text and HTML views show per rule and file
JUNIT_LINES = 100  # findings listed in one JUnit failure; the JSON has them all
SAMPLE_RECORDS = 5  # records shown for each group of findings with the same value

_FINDING_FIELDS = ("rule", "severity", "file", "dataset", "variable", "row", "usubjid",
                   "seq", "value", "message")
_NULLABLE_TEXT = {"type": ["string", "null"]}
_COUNT = {"type": "integer", "minimum": 0}
REPORT_JSON_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "cdisc-map validation report",
    "type": "object",
    "required": ["schema", "schema_version", "path", "standard", "terminology", "summary",
                 "packages", "datasets", "defines", "rules", "findings"],
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
            "properties": {name: _COUNT for name in
                           ("errors", "warnings", "notices", "findings", "datasets",
                            "records")},
        },
        "packages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["folder", "define", "define_version", "kind", "declared_standard",
                             "standard", "declared_terminology", "terminology"],
                "additionalProperties": False,
                "properties": {
                    "folder": {"type": "string"},
                    "define": _NULLABLE_TEXT,
                    "define_version": {"enum": ["1.0", "2.0", "2.1", None]},
                    "kind": {"enum": ["SDTM", "ADaM"]},
                    "declared_standard": _NULLABLE_TEXT,
                    "standard": {"type": "string"},
                    "declared_terminology": _NULLABLE_TEXT,
                    "terminology": {"type": "string"},
                },
            },
        },
        "datasets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "name", "label", "standard", "records", "variables",
                             "encoding", "errors", "warnings", "notices"],
                "additionalProperties": False,
                "properties": {
                    "file": {"type": "string"},
                    "name": {"type": "string"},
                    "label": {"type": "string"},
                    "standard": {"enum": ["SDTM", "ADaM"]},
                    "records": {"type": ["integer", "null"]},
                    "variables": {"type": ["integer", "null"]},
                    "encoding": _NULLABLE_TEXT,
                    "errors": _COUNT,
                    "warnings": _COUNT,
                    "notices": _COUNT,
                },
            },
        },
        "defines": {"type": "array", "items": {"type": "string"}},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "family", "severity", "message", "mirrors", "depends_on",
                             "count"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^CM[0-9]{4}$"},
                    "family": {"enum": list(FAMILIES)},
                    "severity": {"enum": list(SEVERITIES)},
                    "message": {"type": "string"},
                    "mirrors": {"type": "array", "items": {"type": "string"}},
                    "depends_on": {"enum": ["", "ig", "ct"]},
                    "count": _COUNT,
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
    },
}


def render(report: Report, fmt: str = "text", fail_on: str = "error",
           max_per_rule: int | None = DEFAULT_MAX_PER_RULE) -> str:
    """The report in one of TEXT_FORMATS; `fail_on` decides what JUnit counts as a failure,
    `max_per_rule` how many findings (text) or distinct values (HTML) per rule and file
    the views show (None or 0: all)."""
    if fmt == "text":
        return render_text(report, max_per_rule)
    if fmt == "json":
        return render_json(report)
    if fmt == "junit":
        return render_junit(report, fail_on)
    if fmt == "html":
        return render_html(report, max_per_rule)
    if fmt == "xlsx":
        raise ValueError("the xlsx report is binary: write it to a file (--output)")
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


def write_atomically(target: Path, content: str | bytes) -> Path:
    """Write a file through a temporary one and a rename: never half-written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        if isinstance(content, bytes):
            temporary.write_bytes(content)
        else:
            temporary.write_text(content, encoding="utf-8")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def write_reports(report: Report, folder: str | os.PathLike,
                  related: tuple[tuple[str, str], ...] = ()) -> list[Path]:
    """OUT/validation/report.json and report.html, each written atomically. `related` are
    (title, relative link) pairs the page links to, e.g. the run's outcomes report."""
    folder = Path(folder)
    return [write_atomically(folder / "report.json", render_json(report)),
            write_atomically(folder / "report.html", render_html(report, related=related))]


# --- counts -------------------------------------------------------------------------


def _file_severity_totals(report: Report) -> dict[str, Counter[str]]:
    per_file: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in report.findings:
        per_file[finding.file][finding.severity] += 1
    return per_file


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _summary_line(report: Report) -> str:
    totals = report.severity_totals()
    records = sum(d.records or 0 for d in report.datasets)
    return (f"{_plural(totals['error'], 'error')}, {_plural(totals['warning'], 'warning')}, "
            f"{_plural(totals['notice'], 'notice')} in {_plural(len(report.datasets), 'dataset')} "
            f"({_plural(records, 'record')})")


def _fired(report: Report) -> list[tuple[object, int, str]]:
    """(rule, count, severity) of each rule with findings; the severity is its findings'
    highest, which is notice where the package's version made the rule report notices."""
    highest: dict[str, str] = {}
    for finding in report.findings:
        current = highest.get(finding.rule)
        if current is None or severity_rank(finding.severity) > severity_rank(current):
            highest[finding.rule] = finding.severity
    return [(RULES[r], n, highest.get(r, RULES[r].severity))
            for r, n in report.rule_totals().items() if n]


def _limited(findings: list[Finding], max_per_rule: int | None) -> tuple[list[Finding], dict]:
    """The findings a shortened view shows, and (rule, file) -> (shown, total) where it cuts."""
    if not max_per_rule:
        return findings, {}
    shown: list[Finding] = []
    counts: Counter[tuple[str, str]] = Counter()
    for finding in findings:
        key = (finding.rule, finding.file)
        counts[key] += 1
        if counts[key] <= max_per_rule:
            shown.append(finding)
    cut = {key: (max_per_rule, total) for key, total in counts.items() if total > max_per_rule}
    return shown, cut


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
        "packages": [
            {"folder": p.folder, "define": p.define, "define_version": p.define_version,
             "kind": p.kind, "declared_standard": p.declared_standard, "standard": p.standard,
             "declared_terminology": p.declared_terminology, "terminology": p.terminology}
            for p in report.packages or []
        ],
        "datasets": [
            {"file": d.file, "name": d.name, "label": d.label, "standard": d.standard,
             "records": d.records, "variables": d.variables, "encoding": d.encoding,
             "errors": per_file[d.file]["error"], "warnings": per_file[d.file]["warning"],
             "notices": per_file[d.file]["notice"]}
            for d in report.datasets
        ],
        "defines": list(report.defines),
        "rules": [
            {"id": rule.id, "family": rule.family, "severity": rule.severity,
             "message": rule.message, "mirrors": list(rule.mirrors),
             "depends_on": rule.depends_on, "count": rule_totals[rule.id]}
            for rule in RULES.values()
        ],
        "findings": [{name: getattr(f, name) for name in _FINDING_FIELDS}
                     for f in report.findings],
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


def _by_file(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.file].append(finding)
    return grouped


def _standards_lines(report: Report) -> list[str]:
    lines = []
    for package in report.packages or []:
        declared = f"declares {package.declared_standard}" if package.declared_standard \
            else "declares no standard"
        define = (f"{package.define} (Define-XML {package.define_version})" if package.define
                  else "no define.xml")
        lines.append(f"  {package.folder}: {package.kind}, {define}, {declared}; checked with "
                     f"{package.standard} and {package.terminology}")
    return lines


def render_text(report: Report, max_per_rule: int | None = DEFAULT_MAX_PER_RULE) -> str:
    """Findings grouped by file and rule, then the rules that fired and the totals."""
    lines = [f"cdisc-map validate {report.path} ({report.standard}, {report.terminology})"]
    lines += _standards_lines(report) + [""]
    records = {d.file: d for d in report.datasets}
    shown, cut = _limited(report.findings, max_per_rule)
    for file, findings in sorted(_by_file(shown).items()):
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
        for (rule_id, cut_file), (count, total) in sorted(cut.items()):
            if cut_file == file:
                lines.append(f"  {rule_id}: {total - count:,} more findings not shown "
                             f"({total:,} in all; --max-per-rule 0 shows every one)")
        lines.append("")
    fired = _fired(report)
    if fired:
        lines.append("Rules with findings:")
        for rule, count, severity in fired:
            lines.append(f"  {rule.id} {severity:<7} {count:>7,}  {rule.message}")
        lines.append("")
    lines.append(_summary_line(report))
    return "\n".join(lines) + "\n"


# --- JUnit --------------------------------------------------------------------------


def render_junit(report: Report, fail_on: str = "error") -> str:
    """One test case per rule and dataset with findings, each with one failure when any of
    its findings is at or above `fail_on`; one passing test case per rule without findings.

    Findings below the fail level go to the test case's system-out, so a CI page shows
    them without failing the build on them.
    """
    threshold = severity_rank(fail_on)
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        groups[(finding.rule, finding.dataset or finding.file)].append(finding)
    suites = ET.Element("testsuites", name="cdisc-map validate")
    suite = ET.SubElement(suites, "testsuite", name=f"cdisc-map validate {report.path}")
    cases = failures = 0
    by_rule: dict[str, list[tuple[str, list[Finding]]]] = defaultdict(list)
    for (rule_id, dataset), findings in sorted(groups.items()):
        by_rule[rule_id].append((dataset, findings))
    for rule in RULES.values():
        if rule.id not in by_rule:
            ET.SubElement(suite, "testcase", classname=f"cdisc-map.{rule.family}",
                          name=f"{rule.id} {rule.message}")
            cases += 1
            continue
        for dataset, findings in by_rule[rule.id]:
            case = ET.SubElement(suite, "testcase", classname=f"cdisc-map.{rule.family}.{dataset}",
                                 name=f"{rule.id} {dataset}: {rule.message}")
            cases += 1
            lines = []
            for finding in findings[:JUNIT_LINES]:
                where = " ".join(filter(None, [finding.file, _location(finding)]))
                lines.append(f"{finding.severity}: {where}: {finding.message}{_value_note(finding)}")
            if len(findings) > JUNIT_LINES:
                lines.append(f"... and {len(findings) - JUNIT_LINES:,} more (the JSON report has "
                             "every finding)")
            failing = [f for f in findings if severity_rank(f.severity) >= threshold]
            if failing:
                failure = ET.SubElement(case, "failure", type=max(
                    (f.severity for f in failing), key=severity_rank),
                    message=f"{_plural(len(findings), 'finding')}: {rule.message}")
                failure.text = "\n".join(lines)
                failures += 1
            else:
                ET.SubElement(case, "system-out").text = "\n".join(lines)
    for element in (suites, suite):
        element.set("tests", str(cases))
        element.set("failures", str(failures))
        element.set("errors", "0")
    ET.indent(suites)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode") + "\n")


# --- HTML ---------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#222;max-width:80rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2.2rem}h3{font-size:1rem;margin:1.4rem 0 .3rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right}
.error{color:#a40000;font-weight:600}.warning{color:#8a5a00;font-weight:600}
.notice{color:#345;font-weight:600}.meta{color:#555}.ok{color:#146c2e;font-weight:600}
nav ul{columns:2;font-size:.9rem}code{font-family:ui-monospace,monospace}
.why{max-width:60rem}.more{color:#555;font-style:italic}
"""


def _cell(value: object, css: str = "") -> str:
    text = "" if value is None else html.escape(str(value))
    return f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>"


def _number_cell(value: int | None) -> str:
    return f'<td class="n">{"" if value is None else f"{value:,}"}</td>'


def _rule_link(rule_id: str) -> str:
    return f'<a href="#rule-{html.escape(rule_id)}">{html.escape(rule_id)}</a>'


def _groups(findings: list[Finding], qualify: bool) -> list[tuple[tuple[str, str], list[Finding]]]:
    """Findings of one rule in one file grouped by (variable, value), largest first; in a
    file that is no dataset (define.xml, the package folder) the variable is DATASET.VAR."""
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        variable = finding.variable
        if qualify and finding.dataset:
            variable = f"{finding.dataset}.{variable}" if variable else finding.dataset
        grouped[(variable, finding.value or "")].append(finding)
    return sorted(grouped.items(), key=lambda item: (-len(item[1]), item[0]))


def _sample(findings: list[Finding]) -> str:
    parts = []
    for finding in findings[:SAMPLE_RECORDS]:
        where = [f"row {finding.row}"] if finding.row is not None else []
        where += [v for v in (finding.usubjid, f"seq {finding.seq}" if finding.seq else None) if v]
        parts.append(", ".join(where))
    more = len(findings) - SAMPLE_RECORDS
    text = "; ".join(p for p in parts if p)
    if more > 0:
        text += f"; and {more:,} more"
    return html.escape(text)


def _dataset_section(out: list[str], anchor: str, title: str, findings: list[Finding],
                     max_per_rule: int | None, qualify: bool) -> None:
    """One file's findings, rule by rule, grouped by value; at most `max_per_rule` values
    (each with its count and sample records) per rule, saying how many are left out."""
    e = html.escape
    out.append(f'<h2 id="{anchor}">{e(title)}</h2>')
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_rule[finding.rule].append(finding)
    for rule_id in sorted(by_rule):
        rule, items = RULES[rule_id], by_rule[rule_id]
        severities = Counter(f.severity for f in items)
        counts = ", ".join(f"{severities[s]:,} {s}{'' if severities[s] == 1 else 's'}"
                           for s in SEVERITIES if severities[s])
        out.append(f"<h3>{_rule_link(rule_id)} {e(rule.message)} "
                   f'<span class="meta">({counts})</span></h3>')
        out.append("<table><tr><th>Variable</th><th>Value</th><th>Findings</th>"
                   "<th>Records (sample)</th><th>Message</th></tr>")
        groups = _groups(items, qualify)
        for index, ((variable, value), group) in enumerate(groups):
            if max_per_rule and index >= max_per_rule:
                left = sum(len(g) for _key, g in groups[index:])
                out.append(f'<tr><td colspan="5" class="more">{len(groups) - index:,} more '
                           f"values ({left:,} findings) not shown; the JSON report has every "
                           "finding</td></tr>")
                break
            message = group[0].message if len(group) == 1 else _common_message(group)
            out.append(f"<tr>{_cell(variable)}{_cell(value)}{_number_cell(len(group))}"
                       f"<td>{_sample(group)}</td>{_cell(message)}</tr>")
        out.append("</table>")


def _common_message(group: list[Finding]) -> str:
    messages = Counter(f.message for f in group)
    message, count = messages.most_common(1)[0]
    return message if count == len(group) else f"{message} (and {len(messages) - 1:,} other messages)"


def render_html(report: Report, max_per_rule: int | None = DEFAULT_MAX_PER_RULE,
                related: tuple[tuple[str, str], ...] = ()) -> str:
    """A self-contained page: contents, summary, packages, rules that fired, datasets, then a
    section per dataset (findings grouped by value, with counts and sample records) and a
    section per rule that fired (its page: why, how to fix, where it fired). `related` pages
    (title, relative link) are linked under the title."""
    e = html.escape
    totals = report.severity_totals()
    per_file = _file_severity_totals(report)
    names = {d.file: d for d in report.datasets}
    by_file = _by_file(report.findings)
    files = sorted(by_file)
    anchors = {file: f"d{index}" for index, file in enumerate(files)}
    fired = _fired(report)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Validation report: {e(report.path)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>cdisc-map validation report</h1>",
        f'<p class="meta">{e(report.path)} &middot; {e(report.standard)} &middot; '
        f"{e(report.terminology)}</p>",
        *(['<p class="meta">See also: ' + " &middot; ".join(
            f'<a href="{e(link)}">{e(title)}</a>' for title, link in related) + "</p>"] if related else []),
        '<nav><h2 id="contents">Contents</h2><ul>',
        '<li><a href="#summary">Summary</a></li><li><a href="#packages">Packages</a></li>',
        '<li><a href="#rules">Rules with findings</a></li><li><a href="#datasets">Datasets</a></li>',
    ]
    for file in files:
        title = names[file].name if file in names else (file or "package")
        out.append(f'<li><a href="#{anchors[file]}">{e(title)}</a> '
                   f'<span class="meta">{_plural(len(by_file[file]), "finding")}</span></li>')
    for rule, _count, _severity in fired:
        out.append(f"<li>{_rule_link(rule.id)} {e(rule.message)}</li>")
    out.append("</ul></nav>")
    out.append('<h2 id="summary">Summary</h2><table><tr><th>Severity</th><th>Findings</th></tr>')
    for severity in SEVERITIES:
        out.append(f'<tr><td class="{severity}">{severity}</td>{_number_cell(totals[severity])}</tr>')
    out.append(f"</table><p>{e(_summary_line(report))}</p>")
    out.append('<h2 id="packages">Packages</h2><table><tr><th>Folder</th><th>define.xml</th>'
               "<th>Declares</th><th>Checked with</th><th>Terminology</th></tr>")
    for package in report.packages or []:
        define = (f"{package.define} (Define-XML {package.define_version})" if package.define
                  else "none")
        out.append(f"<tr>{_cell(package.folder)}{_cell(define)}"
                   f"{_cell(package.declared_standard or 'nothing')}{_cell(package.standard)}"
                   f"{_cell(package.terminology)}</tr>")
    out.append("</table>")
    out.append('<h2 id="rules">Rules with findings</h2>')
    if fired:
        out.append("<table><tr><th>Rule</th><th>Severity</th><th>Findings</th>"
                   "<th>Message</th><th>Mirrors</th></tr>")
        for rule, count, severity in fired:
            out.append(f"<tr><td>{_rule_link(rule.id)}</td>{_cell(severity, severity)}"
                       f"{_number_cell(count)}{_cell(rule.message)}"
                       f"{_cell(', '.join(rule.mirrors))}</tr>")
        out.append("</table>")
    else:
        out.append('<p class="ok">No findings.</p>')
    out.append('<h2 id="datasets">Datasets</h2><table><tr><th>File</th><th>Dataset</th>'
               "<th>Label</th><th>Standard</th><th>Records</th><th>Errors</th><th>Warnings</th>"
               "<th>Notices</th></tr>")
    for d in report.datasets:
        counts = per_file[d.file]
        link = (f'<a href="#{anchors[d.file]}">{e(d.name)}</a>' if d.file in anchors else e(d.name))
        out.append(f"<tr>{_cell(d.file)}<td>{link}</td>{_cell(d.label)}{_cell(d.standard)}"
                   f"{_number_cell(d.records)}"
                   + "".join(_number_cell(counts[s]) for s in SEVERITIES) + "</tr>")
    out.append("</table>")
    for file in files:
        title = f"{names[file].name} ({file})" if file in names else (file or "package")
        _dataset_section(out, anchors[file], title, by_file[file], max_per_rule,
                         qualify=file not in names)
    for rule, count, _severity in fired:
        where = Counter(f.dataset or f.file or "package" for f in report.findings if f.rule == rule.id)
        mirrors = ", ".join(rule.mirrors) or "none known"
        out.append(f'<h2 id="rule-{e(rule.id)}">{e(rule.id)}: {e(rule.message)}</h2>')
        out.append(f'<p class="meta">{e(rule.severity)} &middot; {e(FAMILIES[rule.family])} '
                   f"&middot; mirrors {e(mirrors)} &middot; docs/rules/{e(rule.id)}.md</p>")
        out.append(f'<p class="why"><b>Why.</b> {e(rule.explanation)}</p>')
        out.append(f'<p class="why"><b>How to fix.</b> {e(rule.fix)}</p>')
        out.append("<p>" + ", ".join(f"{e(name)}: {number:,}" for name, number in
                                     sorted(where.items())) + f" ({count:,} in all)</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"

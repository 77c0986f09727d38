"""The validation report as an Excel workbook, with the sheets Pinnacle 21 users know.

Dataset Summary (one row per dataset, with its counts), Issue Summary (one row per rule
and dataset), Details (one row per finding) and Rules. The workbook is deterministic:
the document properties and the zip entries carry a fixed time (SOURCE_DATE_EPOCH when
set), so the same report gives the same bytes.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections import Counter
from datetime import UTC, datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from cdisc_map.validate.engine import Report
from cdisc_map.validate.rules import FAMILIES, RULES, SEVERITIES

MAX_ROWS = 1_048_576  # Excel's limit per sheet
_FIXED = datetime(2000, 1, 1, tzinfo=UTC)
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _moment() -> datetime:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(raw), UTC) if raw.isdigit() else _FIXED


def _sheet(workbook: Workbook, title: str, header: list[str], rows) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    written = 1
    for row in rows:
        if written == MAX_ROWS - 1:
            sheet.append(["... more rows than Excel holds; the JSON report has every finding"])
            break
        sheet.append(row)
        written += 1


def render_xlsx(report: Report) -> bytes:
    """The workbook's bytes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    per_file: dict[str, Counter[str]] = {}
    for finding in report.findings:
        per_file.setdefault(finding.file, Counter())[finding.severity] += 1
    _sheet(workbook, "Dataset Summary",
           ["Dataset", "Label", "File", "Standard", "Records", "Variables", "Errors", "Warnings",
            "Notices"],
           ([d.name, d.label, d.file, d.standard, d.records, d.variables,
             *(per_file.get(d.file, Counter())[s] for s in SEVERITIES)] for d in report.datasets))
    issues: Counter[tuple[str, str]] = Counter()
    severities: dict[tuple[str, str], str] = {}
    for finding in report.findings:
        key = (finding.dataset or finding.file, finding.rule)
        issues[key] += 1
        severities[key] = finding.severity
    _sheet(workbook, "Issue Summary",
           ["Dataset", "Rule", "Mirrors", "Message", "Severity", "Found"],
           ([dataset, rule_id, ", ".join(RULES[rule_id].mirrors), RULES[rule_id].message,
             severities[(dataset, rule_id)], count]
            for (dataset, rule_id), count in sorted(issues.items())))
    _sheet(workbook, "Details",
           ["Dataset", "File", "Record", "USUBJID", "SEQ", "Variable", "Value", "Rule", "Mirrors",
            "Message", "Category", "Severity"],
           ([f.dataset, f.file, f.row, f.usubjid, f.seq, f.variable, f.value, f.rule,
             ", ".join(RULES[f.rule].mirrors), f.message, FAMILIES[RULES[f.rule].family],
             f.severity] for f in report.findings))
    _sheet(workbook, "Rules",
           ["Rule", "Severity", "Category", "Message", "Mirrors", "Why", "How to fix", "Found"],
           ([r.id, r.severity, FAMILIES[r.family], r.message, ", ".join(r.mirrors), r.explanation,
             r.fix, report.rule_totals()[r.id]] for r in RULES.values()))
    moment = _moment()
    workbook.properties.creator = "cdisc-map"
    workbook.properties.created = workbook.properties.modified = moment.replace(tzinfo=None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _pinned(buffer.getvalue(), moment)


def _pinned(data: bytes, moment: datetime) -> bytes:
    """The zip again with every entry dated `moment` and the core properties' dates pinned."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _STAMP.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=moment.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return target_buffer.getvalue()

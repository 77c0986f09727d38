"""The outcomes report as one self-contained HTML page: figures inline as SVG, styles inline,
no script and nothing fetched from the network, so it opens the same from a file share,
an e-mail attachment or a CI artefact. Every value taken from the data is escaped.

The page depends only on the datasets it reads (and the settings): it names files
relative to the output tree and shows the datasets' own creation stamps, never the time
it was made, so a rebuild from the same package gives the same bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata

from cdisc_map.core.problems import Problem
from cdisc_map.report.disposition import Disposition, Spread, percent
from cdisc_map.report.endpoints import AALEN_JOHANSEN, CENSORED, COMPETING, EVENT, Endpoint, format_days
from cdisc_map.report.estimates import Estimate
from cdisc_map.report.figures import endpoint_svg
from cdisc_map.report.settings import DAYS_PER_MONTH, ReportSettings

STYLE = """
body{font-family:"DejaVu Sans",Verdana,sans-serif;color:#111;margin:0 auto;max-width:60rem;padding:1rem 1.5rem;
line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #999}
h3{font-size:1rem;margin-top:1.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
th,td{border:1px solid #bbb;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:.8rem 0}figure svg{max-width:100%;height:auto}
figcaption{font-size:.8rem;color:#333}
.muted{color:#555;font-size:.85rem}.warning{border-left:4px solid #555;padding:.2rem .6rem;background:#f4f4f4}
nav ul{columns:2;font-size:.9rem}code{font-size:.85em}
"""


@dataclass
class Source:
    """One dataset the page was made from: its name, file (relative to OUT) and creation stamp."""

    dataset: str
    file: str
    created: str
    records: int


@dataclass
class Page:
    studyid: str
    title: str
    sources: list[Source]
    endpoints: list[Endpoint]
    disposition: Disposition | None
    settings: ReportSettings
    problems: list[Problem] = field(default_factory=list)
    outcome_measures: list[tuple[str, str]] = field(default_factory=list)  # (TS parameter, value)


def render_page(page: Page) -> str:
    """The whole HTML document."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>Outcomes report: {e(page.studyid)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
             f"<h1>Outcomes report: {e(page.studyid)}</h1>"]
    if page.title:
        parts.append(f'<p class="muted">{e(page.title)}</p>')
    parts += _contents(page) + _sources(page) + _problems(page.problems)
    if page.outcome_measures:
        parts.append("<h2 id=\"outcome-measures\">Outcome measures (TS)</h2><ul>")
        parts += [f"<li>{e(kind)}: {e(value)}</li>" for kind, value in page.outcome_measures]
        parts.append("</ul>")
    if page.disposition is not None:
        parts += _disposition(page.disposition)
    for endpoint in page.endpoints:
        parts += _endpoint(endpoint)
    parts += _methods(page)
    parts.append(f'<p class="muted">Made by cdisc-map {e(_version())}.</p>')
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _version() -> str:
    """The installed cdisc-map's version (the package root is the API façade, above this layer)."""
    try:
        return metadata.version("cdisc-map")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def anchor(paramcd: str) -> str:
    return f"param-{paramcd.lower()}"


def _contents(page: Page) -> list[str]:
    items = []
    if page.disposition is not None:
        items += ['<li><a href="#disposition">Disposition</a></li>', '<li><a href="#exposure">Exposure</a></li>']
    items += [f'<li><a href="#{anchor(p.paramcd)}">{html.escape(p.paramcd)}: {html.escape(p.param)}</a></li>'
              for p in page.endpoints]
    items.append('<li><a href="#methods">Methods</a></li>')
    return ["<nav><ul>", *items, "</ul></nav>"]


def _sources(page: Page) -> list[str]:
    rows = [f"<tr><td>{html.escape(s.dataset)}</td><td><code>{html.escape(s.file)}</code></td>"
            f'<td class="n">{s.records:,}</td><td>{html.escape(s.created)}</td></tr>' for s in page.sources]
    return ['<details><summary class="muted">Datasets read</summary><table>',
            "<tr><th>dataset</th><th>file</th><th>records</th><th>created (file header)</th></tr>", *rows,
            "</table></details>"]


def _problems(problems: Sequence[Problem]) -> list[str]:
    if not problems:
        return []
    items = [f"<li>{html.escape(str(problem))}</li>" for problem in problems]
    return ['<div class="warning"><h2 id="checks">What to look at</h2><ul>', *items, "</ul></div>"]


def _disposition(disposition: Disposition) -> list[str]:
    e = html.escape
    parts = ['<h2 id="disposition">Disposition</h2>', "<table>",
             "<tr><th>subjects</th><th>n</th><th>%</th><th>of</th><th>counted from</th></tr>"]
    for count in disposition.counts:
        base = count.of if count.denominator else ""
        parts.append(f"<tr><td>{e(count.label)}</td><td class=\"n\">{count.subjects}</td>"
                     f"<td class=\"n\">{percent(count.subjects, count.denominator)}</td><td>{e(base)}</td>"
                     f"<td>{e(count.source)}</td></tr>")
    parts.append("</table>")
    if disposition.status:
        parts += ["<h3>Status at the data cut (DS, last disposition event)</h3>", "<table>",
                  "<tr><th>status</th><th>subjects</th></tr>"]
        parts += [f'<tr><td>{e(term)}</td><td class="n">{n}</td></tr>' for term, n in disposition.status]
        parts.append("</table>")
    parts += ['<h2 id="exposure">Exposure (EX)</h2>', "<table>",
              "<tr><th>treatment</th><th>subjects</th><th>records</th><th>dose levels</th>"
              "<th>days per subject, median (range)</th><th>total dose per subject, median (range)</th></tr>"]
    for item in disposition.exposure:
        marker = " (investigational)" if item.investigational else ""
        parts.append(f"<tr><td>{e(item.treatment)}{marker}</td><td class=\"n\">{item.subjects}</td>"
                     f"<td class=\"n\">{item.records}</td><td>{e(item.doses)}</td>"
                     f"<td class=\"n\">{_spread(item.days, 'days')}</td>"
                     f"<td class=\"n\">{_spread(item.total_dose, item.dose_unit)}</td></tr>")
    parts.append("</table>")
    if disposition.notes:
        parts += ["<ul>", *[f"<li>{e(note)}</li>" for note in disposition.notes], "</ul>"]
    return parts


def _spread(spread: Spread | None, unit: str) -> str:
    if spread is None:
        return "&ndash;"
    return html.escape(f"{_number(spread.median)} ({_number(spread.low)}-{_number(spread.high)}) {unit}".strip())


def _number(value: float) -> str:
    return f"{value:.0f}" if math.isclose(value, round(value)) else f"{value:.1f}"


def _percent(estimate: Estimate | None) -> str:
    if estimate is None:
        return "NE"
    value = f"{100 * estimate.value:.1f}%"
    if math.isnan(estimate.lower) or math.isnan(estimate.upper):
        return value
    return f"{value} ({100 * estimate.lower:.1f}-{100 * estimate.upper:.1f})"


def _median(estimate: Estimate) -> str:
    return f"{format_days(estimate.value)} ({format_days(estimate.lower)}-{format_days(estimate.upper)})"


def _endpoint(endpoint: Endpoint) -> list[str]:
    e = html.escape
    what = "cumulative incidence" if endpoint.method == AALEN_JOHANSEN else "event-free probability"
    parts = [f'<h2 id="{anchor(endpoint.paramcd)}">{e(endpoint.paramcd)}: {e(endpoint.param)}</h2>',
             f"<p>{e(endpoint.method)} estimate of the {what}"
             + (f", by {e(endpoint.group_variable)}" if endpoint.group_variable and len(endpoint.groups) > 1 else "")
             + ". Time is days from the origin, STARTDT (day 0), to ADT.</p>"]
    if not endpoint.groups:
        return parts + [f"<p>{e(note)}</p>" for note in endpoint.notes]
    parts += ["<figure>", endpoint_svg(endpoint, anchor(endpoint.paramcd)),
              f"<figcaption>{e(endpoint.paramcd)}: {e(endpoint.method)} {what} with 95% confidence "
              f"{'band' if len(endpoint.groups) == 1 else 'intervals in the table'}; ticks on the curve are "
              "censored subjects; dotted lines are the time points of the table.</figcaption>", "</figure>"]
    heads = "".join(f"<th>{e(point.label)}" + (f" (day {math.floor(point.days)})" if not point.label.startswith("day")
                                               else "") + "</th>" for point in endpoint.timepoints)
    competing = endpoint.incidence  # Kaplan-Meier parameters have no competing events to count
    parts += ["<table>", "<tr><th>group</th><th>N</th><th>events</th>"
              + ("<th>competing events</th>" if competing else "")
              + f"<th>censored</th><th>median, days (95% CI)</th>{heads}</tr>"]
    for group in endpoint.groups:
        points = "".join(f'<td class="n">{_percent(group.at(point))}</td>' for point in endpoint.timepoints)
        parts.append(f"<tr><td>{e(group.name)}</td><td class=\"n\">{group.subjects}</td>"
                     f"<td class=\"n\">{group.count(EVENT)}</td>"
                     + (f'<td class="n">{group.count(COMPETING)}</td>' if competing else "")
                     + f"<td class=\"n\">{group.count(CENSORED)}</td>"
                     f"<td class=\"n\">{_median(group.median())}</td>{points}</tr>")
    parts.append("</table>")
    parts += ["<h3>How each CNSR code counts</h3>", "<table>",
              "<tr><th>CNSR</th><th>description (EVNTDESC)</th><th>counted as</th><th>why</th><th>records</th></tr>"]
    parts += [f"<tr><td class=\"n\">{code.cnsr}</td><td>{e(code.description)}</td><td>{e(code.role)}</td>"
              f"<td>{e(code.reason)}</td><td class=\"n\">{code.records}</td></tr>" for code in endpoint.codes]
    parts.append("</table>")
    if endpoint.notes:
        parts += ['<ul class="muted">', *[f"<li>{e(note)}</li>" for note in endpoint.notes], "</ul>"]
    return parts


def _methods(page: Page) -> list[str]:
    source = page.settings.source_name
    where = f"the report settings ({html.escape(source)})" if source else "the defaults (1 and 2 years)"
    return [
        '<h2 id="methods">Methods</h2><ul>',
        "<li>Time to event: ADT - STARTDT in days, day 0 being each record's origin (STARTDT); months are "
        f"days / {DAYS_PER_MONTH:g}, years 365.25 days.</li>",
        "<li>Kaplan-Meier for parameters without a competing event: Greenwood variance, 95% interval on the "
        "log(-log) scale. Aalen-Johansen cumulative incidence for parameters with one: all-cause Kaplan-Meier "
        "before each time, Collett's variance, 95% interval on the log(-log) scale. On a tied day events of every "
        "kind come together and censorings after them.</li>",
        "<li>A positive CNSR code is a competing event when its description names a death, a relapse or a "
        "progression and no censoring (alive, last, lost, censored, withdrawn, cut-off); every other positive "
        "code is a censoring. Report settings may name a parameter's competing codes instead.</li>",
        "<li>Median: the first time the estimate reaches 50%, its interval where the interval's bands do; NR: "
        "not reached. NE: not estimable (a time point after the last follow-up).</li>",
        f"<li>Number at risk: subjects whose time is at or after the tick. Time points from {where}.</li>",
        "</ul>",
    ]

"""The curve of each endpoint as an SVG figure, the way a clinical study report draws it.

Kaplan-Meier survival or Aalen-Johansen cumulative incidence as steps, a short vertical
tick where a subject was censored, the 95% confidence band (one group) and thin dotted
lines at the protocol's time points; days from the origin (day 0) along the bottom,
months along the top; the numbers at risk under the axis. Groups differ by line style
and grey level, not by colour, so a print in black and white reads the same.

The SVG is deterministic: matplotlib draws without pyplot (no global state) with the
Agg-free SVG canvas, the text kept as text in a fixed font (DejaVu Sans, which
matplotlib ships, so the layout does not depend on the machine's fonts), no date in the
metadata and a fixed hash salt for the ids; the ids are then prefixed per figure, so
that several figures can live in one HTML page.
"""

from __future__ import annotations

import io
import math
import re

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, PercentFormatter
from matplotlib.transforms import blended_transform_factory

from cdisc_map.core.text import number_text
from cdisc_map.report.endpoints import Endpoint, GroupResult
from cdisc_map.report.estimates import number_at_risk
from cdisc_map.report.settings import DAYS_PER_MONTH

#: (colour, line style) per group, in order: distinguishable in grey scale.
STYLES = (("#000000", "-"), ("#505050", "--"), ("#000000", ":"), ("#707070", "-."), ("#303030", (0, (5, 1, 1, 1))))
BAND = "#d4d4d4"
GUIDE = "#9a9a9a"
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "svg.fonttype": "none",     # text as <text>: searchable, small, no glyph outlines
    "svg.hashsalt": "cdisc-map outcomes report",
    "axes.linewidth": 0.8,
    "path.simplify": True,
}
DAY_STEPS = (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000)
MONTH_STEPS = (1, 2, 3, 6, 12, 24)
MAX_TICKS = 8
MAX_MONTH_TICKS = 9
WIDTH = 7.2         # inches
PLOT_HEIGHT = 2.9
ROW_HEIGHT = 0.19
LEFT, RIGHT = 1.9, 0.3
TOP, AXIS_BELOW, RISK_TITLE = 0.55, 0.55, 0.28
LABEL_CHARACTERS = 24
_ID = re.compile(r'\bid="([^"]+)"')


def endpoint_svg(endpoint: Endpoint, prefix: str) -> str:
    """The endpoint's figure as an <svg> element (no XML prolog), its ids prefixed with `prefix`."""
    with matplotlib.rc_context(RC):
        figure = _draw(endpoint)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _prefixed(_without_prolog(buffer.getvalue()), prefix)


def axis_limit(endpoint: Endpoint) -> float:
    """The right end of the time axis: the last time observed, on a tick (a time point after it has no
    estimate, so it does not stretch the axis)."""
    last = max([group.curve.last_time for group in endpoint.groups] + [1.0])
    step = _step(last, DAY_STEPS)
    return step * math.ceil(last / step)


def day_ticks(limit: float) -> np.ndarray:
    step = _step(limit, DAY_STEPS)
    return np.arange(0.0, limit + step / 2, step)


def _step(span: float, steps: tuple[int, ...], most: int = MAX_TICKS) -> float:
    """The smallest step that divides `span` into at most `most` intervals."""
    return float(next((step for step in steps if span / step <= most), steps[-1]))


def _draw(endpoint: Endpoint) -> Figure:
    rows = max(len(endpoint.groups), 1)
    risk_height = RISK_TITLE + ROW_HEIGHT * rows
    height = TOP + PLOT_HEIGHT + AXIS_BELOW + risk_height + 0.15
    figure = Figure(figsize=(WIDTH, height))
    plot_width = (WIDTH - LEFT - RIGHT) / WIDTH
    plot = figure.add_axes((LEFT / WIDTH, (height - TOP - PLOT_HEIGHT) / height, plot_width, PLOT_HEIGHT / height))
    risk = figure.add_axes((LEFT / WIDTH, 0.15 / height, plot_width, risk_height / height))
    limit = axis_limit(endpoint)
    ticks = day_ticks(limit)
    single = len(endpoint.groups) == 1
    handles = []
    for index, group in enumerate(endpoint.groups):
        colour, style = STYLES[index % len(STYLES)]
        handles.append(_curve(plot, group, colour, style, band=single))
    for point in endpoint.timepoints:
        if point.days <= limit:
            plot.axvline(point.days, color=GUIDE, linewidth=0.7, linestyle=(0, (1, 2)), zorder=1)
    plot.set_xlim(0, limit)
    plot.set_ylim(0, 1.02)
    plot.xaxis.set_major_locator(FixedLocator(ticks))
    plot.yaxis.set_major_locator(FixedLocator(np.linspace(0, 1, 6)))
    plot.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    plot.set_xlabel("Days from the origin (day 0)")
    plot.set_ylabel("Cumulative incidence" if endpoint.incidence else "Event-free probability")
    plot.spines[["right"]].set_visible(False)
    plot.tick_params(labelbottom=True)
    _month_axis(plot, limit)
    extra = [Line2D([], [], color="#000000", marker="|", linestyle="none", markersize=7, label="censored")]
    if single:
        extra.insert(0, Patch(facecolor=BAND, edgecolor="none", label="95% CI"))
    plot.legend(handles=handles + extra, loc="best", frameon=True,
                framealpha=0.92, edgecolor="#bbbbbb", fontsize=7.5)
    _risk_table(risk, endpoint.groups, ticks)
    return figure


def _month_axis(plot, limit: float) -> None:
    """Months along the top, drawn as marks and text (a matplotlib secondary axis costs a third of the
    figure's drawing time)."""
    along_top = blended_transform_factory(plot.transData, plot.transAxes)
    step = _step(limit / DAYS_PER_MONTH, MONTH_STEPS, MAX_MONTH_TICKS)  # 3 months over 2 years
    for month in np.arange(0, limit / DAYS_PER_MONTH + 1e-9, step):
        day = month * DAYS_PER_MONTH
        plot.add_line(Line2D([day, day], [1.0, 1.015], transform=along_top, color="#000000", linewidth=0.8,
                             clip_on=False))
        plot.text(day, 1.025, number_text(month), transform=along_top, ha="center", va="bottom")
    plot.text(0.5, 1.085, "Months from the origin", transform=plot.transAxes, ha="center", va="bottom")


def _curve(plot, group: GroupResult, colour: str, style, band: bool):
    """One group's steps, censoring ticks and (alone) confidence band; returns its legend handle."""
    curve = group.curve
    end = max(curve.last_time, float(curve.times[-1]) if curve.times.size else 0.0)
    times = np.concatenate([[0.0], curve.times, [end]])
    values = np.concatenate([[curve.start], curve.values, [curve.values[-1] if curve.values.size else curve.start]])
    if band and curve.times.size:
        lower = np.concatenate([[curve.start], np.nan_to_num(curve.lower, nan=curve.start), [np.nan]])
        upper = np.concatenate([[curve.start], np.nan_to_num(curve.upper, nan=curve.start), [np.nan]])
        lower[-1], upper[-1] = lower[-2], upper[-2]
        plot.fill_between(times, lower, upper, step="post", color=BAND, linewidth=0, zorder=0)
    line, = plot.step(times, values, where="post", color=colour, linestyle=style, linewidth=1.5,
                      label=f"{group.name} (N={group.subjects})", zorder=3)
    censored = np.unique(group.time[group.status == 0])  # one tick per day, however many subjects
    if censored.size:
        plot.plot(censored, curve.values_at(censored), linestyle="none", marker="|", markersize=7,
                  markeredgewidth=1.0, color=colour, zorder=4)
    return line


def _risk_table(risk, groups: list[GroupResult], ticks: np.ndarray) -> None:
    """Numbers at risk (time >= tick) under each day tick, one row per group with its line style."""
    risk.set_xlim(0, ticks[-1])
    risk.set_ylim(len(groups) + 0.2, -1.2)
    risk.axis("off")
    beside = risk.get_yaxis_transform()  # x in axes fractions, y in rows
    risk.text(0, -0.9, "Number at risk", transform=beside, fontsize=8, fontweight="bold", va="center", ha="left")
    for row, group in enumerate(groups):
        colour, style = STYLES[row % len(STYLES)]
        label = group.name if len(group.name) <= LABEL_CHARACTERS else group.name[: LABEL_CHARACTERS - 1] + "…"
        risk.text(-0.085, row, label, transform=beside, ha="right", va="center", fontsize=7.5)
        risk.add_line(Line2D([-0.075, -0.02], [row, row], color=colour, linestyle=style, linewidth=1.2,
                             transform=beside, clip_on=False))
        for tick, count in zip(ticks, number_at_risk(group.time, ticks)):
            risk.text(tick, row, str(int(count)), ha="center", va="center", fontsize=7.5)


def _without_prolog(svg: str) -> str:
    return svg[svg.index("<svg"):].strip() + "\n"


def _prefixed(svg: str, prefix: str) -> str:
    """Every id and every reference to one (url(#id), href="#id") made unique to this figure."""
    ids = set(_ID.findall(svg))
    svg = _ID.sub(lambda match: f'id="{prefix}-{match.group(1)}"', svg)

    def reference(match: re.Match) -> str:
        name = match.group(2)
        return f"{match.group(1)}{prefix}-{name}" if name in ids else match.group(0)

    return re.sub(r'(url\(#|href="#)([^)"]+)', reference, svg)

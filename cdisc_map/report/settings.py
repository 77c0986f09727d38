"""What the outcomes report needs to know that ADTTE does not say: the protocol's time points.

A study folder may hold `report.yaml`; `cdisc-map run` reads it, `cdisc-map report
--settings FILE` takes one. Every key is optional:

```yaml
studyid: NCT06111625                 # the study the settings are for
timepoints:                          # estimates with 95% CI at these times, per PARAMCD
  PFS: [1 year, 2 years]
  AGVHD: [day 100]
default_timepoints: [1 year, 2 years]   # for parameters not listed (this is the default)
cumulative_incidence: [AGVHD]        # Aalen-Johansen even with no competing event in the data
competing: {RELAPSE: [2]}            # these CNSR codes are the competing events (overrides the rule)
group: TRT01P                        # the treatment variable (ADTTE, else ADSL)
```

A time point is "day N" or "N days", "month N" or "N months", "year N" or "N years",
counted from the time-to-event origin (day 0). A year is 365.25 days, a month a twelfth
of that (30.4375 days), as survival analyses of transplant studies count them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.text import did_you_mean, number_text

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH, "year": DAYS_PER_YEAR}
KEYS = ("studyid", "timepoints", "default_timepoints", "cumulative_incidence", "competing", "group")
_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"(day|week|month|year)s?"
_AFTER = re.compile(rf"{_NUMBER}\s*{_UNIT}", re.IGNORECASE)   # 2 years
_BEFORE = re.compile(rf"{_UNIT}\s*\+?{_NUMBER}", re.IGNORECASE)  # day +100, year 2
_PARAMCD = re.compile(r"[A-Z][A-Z0-9_]{0,7}")


@dataclass(frozen=True)
class TimePoint:
    """A time from the origin (day 0) at which the report gives the estimate, with its wording."""

    days: float
    label: str


def parse_timepoint(text: str) -> TimePoint:
    """ "2 years" -> 730.5 days, "day +100" -> 100 days; ValueError naming what is wrong."""
    words = str(text).strip()
    after, before = _AFTER.fullmatch(words), _BEFORE.fullmatch(words)
    if after:
        number, unit = after.group(1), after.group(2).lower()
    elif before:
        unit, number = before.group(1).lower(), before.group(2)
    else:
        raise ValueError(f"{text!r} is not a time point")
    amount = float(number)
    if unit == "day":
        label = f"day {number_text(amount)}"
    else:
        label = f"{number_text(amount)} {unit}{'' if amount == 1 else 's'}"
    return TimePoint(amount * UNIT_DAYS[unit], label)


DEFAULT_TIMEPOINTS = (parse_timepoint("1 year"), parse_timepoint("2 years"))


@dataclass(frozen=True)
class ReportSettings:
    """The report's settings; the defaults apply to any package."""

    studyid: str | None = None
    timepoints: Mapping[str, tuple[TimePoint, ...]] = field(default_factory=dict)
    default_timepoints: tuple[TimePoint, ...] = DEFAULT_TIMEPOINTS
    cumulative_incidence: frozenset[str] = frozenset()
    competing: Mapping[str, frozenset[int]] = field(default_factory=dict)
    group: str | None = None
    source: str | None = None  # the file they came from, for the page to say

    def timepoints_for(self, paramcd: str) -> tuple[TimePoint, ...]:
        return self.timepoints.get(paramcd, self.default_timepoints)

    @property
    def source_name(self) -> str:
        """The settings file as the page names it: its folder and name, the same wherever the study lies."""
        if not self.source:
            return ""
        path = Path(self.source)
        return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def load_report_settings(path: Path) -> ReportSettings:
    """Read a report.yaml; ProblemsError naming the file and key of every problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProblemsError([Problem(f"cannot read the report settings: {exc.strerror or exc}", file=str(path))]) \
            from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProblemsError([Problem(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", file=str(path),
                                     row=mark.line + 1 if mark else None)]) from exc
    return settings_from(data if data is not None else {}, source=str(path))


def settings_from(data: Any, source: str | None = None) -> ReportSettings:
    """Settings from a mapping as loaded from YAML; ProblemsError listing every problem."""
    problems: list[Problem] = []

    def bad(message: str, key: str, value: Any = None, hint: str | None = None) -> None:
        problems.append(Problem(message, file=source, column=key, hint=hint,
                                value=None if value is None else str(value)))

    if not isinstance(data, Mapping):
        raise ProblemsError([Problem("report settings must be a mapping of keys", file=source,
                                     hint=f"keys: {', '.join(KEYS)}")])
    for key in data.keys() - set(KEYS):
        bad(f"unknown key {key!r}", str(key), hint=did_you_mean(str(key), KEYS, list_all=True))

    def timepoints(value: Any, key: str) -> tuple[TimePoint, ...]:
        items = value if isinstance(value, list) else [value]
        points = []
        for item in items:
            try:
                points.append(parse_timepoint(item))
            except ValueError:
                bad("not a time point", key, item, hint='write e.g. "day 100", "6 months" or "2 years"')
        return tuple(sorted(points, key=lambda point: point.days))

    def paramcd(code: Any, key: str) -> str:
        if not isinstance(code, str) or not _PARAMCD.fullmatch(code):
            bad("not a PARAMCD (1 to 8 upper-case letters, digits or _)", key, code)
        return str(code)

    by_parameter: dict[str, tuple[TimePoint, ...]] = {}
    listed = data.get("timepoints") or {}
    if not isinstance(listed, Mapping):
        bad("timepoints must map each PARAMCD to its time points", "timepoints", hint="e.g. {PFS: [1 year, 2 years]}")
    else:
        for code, value in listed.items():
            by_parameter[paramcd(code, f"timepoints.{code}")] = timepoints(value, f"timepoints.{code}")
    default = timepoints(data["default_timepoints"], "default_timepoints") if "default_timepoints" in data \
        else DEFAULT_TIMEPOINTS

    incidence = data.get("cumulative_incidence") or []
    if not isinstance(incidence, list):
        bad("cumulative_incidence must be a list of PARAMCDs", "cumulative_incidence")
        incidence = []
    incidence_codes = frozenset(paramcd(code, "cumulative_incidence") for code in incidence)
    codes: dict[str, frozenset[int]] = {}
    competing = data.get("competing") or {}
    if not isinstance(competing, Mapping):
        bad("competing must map each PARAMCD to its competing CNSR codes", "competing", hint="e.g. {RELAPSE: [2]}")
        competing = {}
    for code, value in competing.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
            bad("competing CNSR codes must be positive whole numbers", f"competing.{code}", value)
        codes[paramcd(code, f"competing.{code}")] = frozenset(v for v in values if isinstance(v, int))
    studyid, group = data.get("studyid"), data.get("group")
    if studyid is not None and not isinstance(studyid, str):
        bad("studyid must be text", "studyid", studyid)
    if group is not None and (not isinstance(group, str) or not _PARAMCD.fullmatch(group)):
        bad("group must be a variable name such as TRT01P", "group", group)
    if problems:
        raise ProblemsError(problems)
    return ReportSettings(studyid=studyid, timepoints=by_parameter, default_timepoints=default,
                          cumulative_incidence=incidence_codes,
                          competing=codes, group=group, source=source)

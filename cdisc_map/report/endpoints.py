"""ADTTE parameters as the report shows them: who counts as an event, a competing event or a
censoring, the time from day 0, the groups, and the estimates of each group.

ADTTE says "event" with CNSR = 0 and gives every other outcome a positive CNSR code with
its description in EVNTDESC (and CNSDTDSC). It has no variable that tells a competing
event (a death before relapse) from a censoring (last known alive), so the report reads
the descriptions, and says per code what it decided and why. The rule:

    A positive CNSR code is a competing event when its description (EVNTDESC, else
    CNSDTDSC) names a death, a relapse or a progression (DEATH, DIED, MORTALITY, NRM,
    RELAPSE, PROGRESSION, RECURRENCE) and names no censoring (ALIVE, LAST, LOST,
    CENSORED, WITHDRAWN, CUT-OFF). Every other positive code is a censoring.

cdisc-map's own ADTTE follows it (its competing sources are described as "DEATH
WITHOUT ...", "RELAPSE WITHOUT ...", "NON-RELAPSE MORTALITY"; its censorings as "LAST
KNOWN ALIVE DATE", "LAST ADEQUATE DISEASE ASSESSMENT", "DAY +100 AFTER TRANSPLANT").
For another tool's ADTTE the report settings can name the competing codes of a
parameter instead (`competing:`), and the page lists every code with the role it got.

A parameter with a competing event is estimated by Aalen-Johansen (cumulative
incidence), any other by Kaplan-Meier, unless the settings list it under
`cumulative_incidence` (a cumulative-incidence endpoint whose data cut has no
competing event yet: Aalen-Johansen is then 1 - Kaplan-Meier).

Time is ADT - STARTDT in days (day 0 is the origin, as the protocol counts), whatever
AVAL's convention (cdisc-map's AVAL counts the origin as day 1); without ADT and
STARTDT, AVAL in its AVALU.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.text import number_text
from cdisc_map.report.columns import column_text, distinct_text, trimmed
from cdisc_map.report.estimates import Curve, Estimate, aalen_johansen, kaplan_meier
from cdisc_map.report.settings import UNIT_DAYS, ReportSettings, TimePoint

EVENT, COMPETING, CENSORED = "event", "competing", "censored"
KAPLAN_MEIER, AALEN_JOHANSEN = "Kaplan-Meier", "Aalen-Johansen"
STATUS = {CENSORED: 0, EVENT: 1, COMPETING: 2}
#: Words naming an event; not after NO or NON- ("NON-RELAPSE MORTALITY" names a death, not a relapse).
EVENT_WORDS = re.compile(r"(?<!NON-)(?<!NON )(?<!NO )\b(DEATHS?|DIED|DEAD|MORTALITY|NRM|RELAPSED?|RELAPSES|"
                         r"PROGRESSION|PROGRESSIVE|RECURRENCE)\b")
CENSOR_WORDS = re.compile(r"\b(ALIVE|LAST|LOST|CENSOR(ED|ING)?|WITHDR[A-Z]*|CUT-?OFF)\b")
REQUIRED = ("USUBJID", "PARAMCD", "CNSR")
GROUP_VARIABLES = ("TRTP", "TRTA", "TRT01P", "TRT01A")
ALL_SUBJECTS = "All subjects"
AVALU_DAYS = {f"{unit.upper()}{plural}": days for unit, days in UNIT_DAYS.items() for plural in ("", "S")}


@dataclass(frozen=True)
class CodeRole:
    """What one CNSR code of a parameter counts as, and why."""

    cnsr: int
    description: str
    role: str
    reason: str
    records: int


@dataclass
class GroupResult:
    """One group's records of one parameter and their estimates."""

    name: str
    time: np.ndarray     # days from the origin
    status: np.ndarray   # 0 censored, 1 event, 2 competing event
    curve: Curve

    @property
    def subjects(self) -> int:
        return int(self.time.size)

    def count(self, role: str) -> int:
        return int((self.status == STATUS[role]).sum())

    def median(self) -> Estimate:
        return self.curve.median()

    def at(self, point: TimePoint) -> Estimate | None:
        return self.curve.at(point.days)


@dataclass
class Endpoint:
    """One ADTTE parameter: how its records count, its groups, what the reader should know."""

    paramcd: str
    param: str
    method: str
    codes: list[CodeRole]
    groups: list[GroupResult]
    timepoints: tuple[TimePoint, ...]
    group_variable: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def incidence(self) -> bool:
        return self.method == AALEN_JOHANSEN


def describe_role(description: str) -> tuple[str, str]:
    """(role, reason) of a positive CNSR code from its description, by the rule of this module."""
    words = description.upper()
    event, censor = EVENT_WORDS.search(words), CENSOR_WORDS.search(words)
    if event and not censor:
        return COMPETING, f"names an event ({event.group(0)})"
    if event and censor:
        return CENSORED, f"names a censoring ({censor.group(0)})"
    if not words.strip():
        return CENSORED, "no description"
    return CENSORED, "names no event"


def analyse_adtte(adtte: pd.DataFrame, adsl: pd.DataFrame | None, settings: ReportSettings,
                  file: str | None = None) -> tuple[list[Endpoint], list[Problem]]:
    """Every parameter of ADTTE, estimated per group; problems are warnings about records left out,
    except missing variables, which raise ProblemsError (nothing can be estimated)."""
    missing = [name for name in REQUIRED if name not in adtte.columns]
    if not ({"ADT", "STARTDT"} <= set(adtte.columns) or "AVAL" in adtte.columns):
        missing.append("AVAL (or ADT and STARTDT)")
    if missing:
        raise ProblemsError([Problem(f"ADTTE has no {name}; the outcomes report needs it", file=file, dataset="ADTTE",
                                     column=name.split()[0], hint="a BDS-TTE dataset has USUBJID, PARAMCD, AVAL, "
                                     "CNSR, and STARTDT and ADT for the origin") for name in missing])
    problems: list[Problem] = []
    records = adtte.reset_index(drop=True).assign(ROW=lambda frame: np.arange(1, len(frame) + 1))
    group_variable, groups = _groups(records, adsl, settings, file, problems)
    records["GROUP"] = groups
    records["TIME"], notes = _days_from_origin(records, file, problems)
    order = _parameter_order(records)
    endpoints = [_endpoint(records[records["PARAMCD"] == code], code, settings, group_variable, file, problems, notes)
                 for code in order]
    return endpoints, problems


def _parameter_order(records: pd.DataFrame) -> list[str]:
    """PARAMCDs by PARAMN when ADTTE has it, then in order of appearance."""
    codes = records["PARAMCD"].astype(str)
    if "PARAMN" in records.columns:
        first = records.assign(CODE=codes).groupby("CODE", sort=False)["PARAMN"].min()
        return list(first.sort_values(kind="mergesort").index)
    return list(dict.fromkeys(codes))


def _groups(records: pd.DataFrame, adsl: pd.DataFrame | None, settings: ReportSettings, file: str | None,
            problems: list[Problem]) -> tuple[str | None, pd.Series]:
    """The treatment variable (settings, else the first of TRTP, TRTA, TRT01P, TRT01A in ADTTE, then ADSL)."""
    wanted = [settings.group] if settings.group else list(GROUP_VARIABLES)
    for name in wanted:
        if name in records.columns:
            return name, _group_text(records[name])
        if adsl is not None and name in adsl.columns and "USUBJID" in adsl.columns:
            lookup = adsl.drop_duplicates("USUBJID").set_index("USUBJID")[name]
            return name, _group_text(records["USUBJID"].map(lookup))
    if settings.group:
        problems.append(Problem(f"the group variable {settings.group} is in neither ADTTE nor ADSL; every record is "
                                "in one group", file=file, dataset="ADTTE", column=settings.group, severity="warning"))
    return None, pd.Series(ALL_SUBJECTS, index=records.index)


def _group_text(values: pd.Series) -> pd.Series:
    text = trimmed(values)
    return text.where(text != "", "(no treatment)")


def _days_from_origin(records: pd.DataFrame, file: str | None, problems: list[Problem]) -> tuple[pd.Series, list[str]]:
    """Days from day 0: ADT - STARTDT where both are there, else AVAL in its unit."""
    notes: list[str] = []
    from_dates = pd.Series(np.nan, index=records.index)
    if {"ADT", "STARTDT"} <= set(records.columns):
        from_dates = pd.to_numeric(records["ADT"], errors="coerce") - pd.to_numeric(records["STARTDT"],
                                                                                    errors="coerce")
    aval = pd.to_numeric(records["AVAL"], errors="coerce") if "AVAL" in records.columns \
        else pd.Series(np.nan, index=records.index)
    units = column_text(records, "AVALU", upper=True)
    factor = units.map(AVALU_DAYS)
    unknown = aval.notna() & factor.isna() & from_dates.isna()
    if unknown.any():
        values = ", ".join(sorted(set(units[unknown]) - {""})) or "blank"
        notes.append(f"AVALU {values}: AVAL taken as days from the origin where ADT or STARTDT is missing.")
    from_aval = aval * factor.fillna(1.0)
    in_days = factor.fillna(1.0) == 1.0  # DAYS, or no unit (taken as days)
    offsets = (aval - from_dates)[from_dates.notna() & aval.notna() & in_days]
    distinct = sorted(set(offsets.round(9)))
    if distinct == [1.0]:
        notes.append("AVAL = ADT - STARTDT + 1 in every record (the origin counts as day 1); "
                     "times here are ADT - STARTDT, from day 0.")
    elif distinct == [0.0]:
        notes.append("AVAL = ADT - STARTDT in every record; times here are the same, from day 0.")
    elif distinct:
        disagree = records.loc[offsets.index[~offsets.round(9).isin([distinct[0]])], "ROW"]
        problems.append(Problem(f"AVAL - (ADT - STARTDT) is not the same in every record ({len(disagree)} record(s) "
                                f"differ from the first, which gives {number_text(distinct[0])}); the report uses "
                                "ADT - STARTDT", file=file, dataset="ADTTE", column="AVAL",
                                row=int(disagree.iloc[0]), severity="warning",
                                hint="AVAL should follow one convention for the whole dataset"))
    return from_dates.where(from_dates.notna(), from_aval), notes


def _endpoint(records: pd.DataFrame, paramcd: str, settings: ReportSettings, group_variable: str | None,
              file: str | None, problems: list[Problem], notes: list[str]) -> Endpoint:
    def warn(message: str, rows: pd.Series, column: str, hint: str | None = None) -> None:
        problems.append(Problem(f"{paramcd}: {len(rows)} record(s) {message}; left out of the estimates", file=file,
                                dataset="ADTTE", column=column, row=int(rows.iloc[0]), severity="warning", hint=hint))

    param = _first_text(records, "PARAM") or paramcd
    cnsr = pd.to_numeric(records["CNSR"], errors="coerce")
    bad_cnsr = cnsr.isna() | (cnsr < 0) | (cnsr != cnsr.round())
    if bad_cnsr.any():
        warn("have no CNSR, or one that is not a whole number >= 0", records.loc[bad_cnsr, "ROW"], "CNSR")
    no_time = records["TIME"].isna() & ~bad_cnsr
    if no_time.any():
        warn("have no time (neither ADT - STARTDT nor AVAL)", records.loc[no_time, "ROW"], "ADT")
    negative = records["TIME"] < 0
    if negative.any():
        warn("end before the origin (ADT < STARTDT)", records.loc[negative, "ROW"], "ADT",
             hint="a time-to-event record cannot end before its origin: check ADT and STARTDT")
    doubled = records.duplicated("USUBJID", keep="first")
    if doubled.any():
        problems.append(Problem(f"{paramcd}: {int(doubled.sum())} subject(s) have more than one record; each record "
                                "is counted", file=file, dataset="ADTTE", column="USUBJID",
                                row=int(records.loc[doubled, "ROW"].iloc[0]), severity="warning"))
    usable = records[~bad_cnsr & ~no_time & ~negative].assign(CODE=cnsr.astype("float64"))
    codes = _code_roles(usable, paramcd, settings, file, problems)
    status = usable["CODE"].astype(int).map({code.cnsr: STATUS[code.role] for code in codes})
    incidence = any(code.role == COMPETING for code in codes) or paramcd in settings.cumulative_incidence
    method = AALEN_JOHANSEN if incidence else KAPLAN_MEIER
    estimator = aalen_johansen if incidence else kaplan_meier
    groups = []
    for name in sorted(set(usable["GROUP"])):
        chosen = (usable["GROUP"] == name).to_numpy()
        time = usable["TIME"].to_numpy("float64")[chosen]
        group_status = status.to_numpy("int64")[chosen]
        curve = estimator(time, group_status) if incidence else estimator(time, group_status == 1)
        groups.append(GroupResult(name, time, group_status, curve))
    endpoint_notes = list(notes)
    if incidence and not any(code.role == COMPETING for code in codes):
        endpoint_notes.append("No competing event in the data; the report settings list the parameter as a "
                              "cumulative incidence, which is then 1 - Kaplan-Meier.")
    day_zero = int(((usable["TIME"] == 0) & (status == 1)).sum())
    if day_zero:
        endpoint_notes.append(f"{day_zero} event(s) on day 0 (ADT = STARTDT): the curve moves at the origin.")
    if not groups:
        endpoint_notes.append("No usable record: nothing to estimate.")
    return Endpoint(paramcd, param, method, codes, groups, settings.timepoints_for(paramcd), group_variable,
                    endpoint_notes)


def _first_text(records: pd.DataFrame, column: str) -> str:
    values = distinct_text(records[column]) if column in records.columns else []
    return values[0] if values else ""


def _code_roles(records: pd.DataFrame, paramcd: str, settings: ReportSettings, file: str | None,
                problems: list[Problem]) -> list[CodeRole]:
    """Each CNSR code of one parameter with its role: event (0), competing event or censoring."""
    described = records.assign(DESC=_descriptions(records))
    explicit = settings.competing.get(paramcd)
    roles = []
    for code, rows in described.groupby("CODE", sort=True):
        code = int(code)
        texts = sorted(set(rows["DESC"]))
        description = " / ".join(text for text in texts if text) or ""
        if code == 0:
            roles.append(CodeRole(code, description, EVENT, "CNSR 0", len(rows)))
            continue
        if explicit is not None:
            role = COMPETING if code in explicit else CENSORED
            roles.append(CodeRole(code, description, role, f"report settings ({settings.source_name or 'competing'})",
                                  len(rows)))
            continue
        decided = {text: describe_role(text) for text in texts}
        kinds = {role for role, _ in decided.values()}
        if len(kinds) > 1:
            problems.append(Problem(f"{paramcd}: CNSR {code} has descriptions of a competing event and of a censoring "
                                    f"({'; '.join(texts)}); all its records are counted as censored", file=file,
                                    dataset="ADTTE", column="CNSR", value=str(code), severity="warning",
                                    hint="give each reason its own CNSR code, or name the competing codes in the "
                                         "report settings (competing:)"))
            roles.append(CodeRole(code, description, CENSORED, "mixed descriptions", len(rows)))
            continue
        role, reason = decided[texts[0]]
        roles.append(CodeRole(code, description, role, reason, len(rows)))
    return roles


def _descriptions(records: pd.DataFrame) -> pd.Series:
    """EVNTDESC, else CNSDTDSC, trimmed ("" when neither)."""
    event, censor = column_text(records, "EVNTDESC"), column_text(records, "CNSDTDSC")
    return event.where(event != "", censor)


def format_days(days: float) -> str:
    """A time in days as the tables show it: whole days without decimals, 'NR' when not reached."""
    if math.isinf(days):
        return "NR"
    if math.isnan(days):
        return "NE"
    return number_text(round(days, 1))

"""The mapping engine: a variable's mapping evaluated over whole columns of records.

Every entry of the registry (`cdisc_map.spec.registry`) has one implementation here
(kinds in `kinds`, derivations in `derivations`), called with the same four things
everywhere: the `mapping` as the spec wrote it, the `records` being mapped, the build's
`env`, and the target `variable`'s name. Work is column-wise and, where it parses or
looks up text, once per distinct value, so a 10,000-subject export costs what its
distinct values cost.

Problems in the data are collected in `env.problems`, once per distinct offending
value with the first row it occurs in and how many rows share it; a fault of the spec
that only shows when it runs (a column the export lacks, a variable read before it is
mapped, a dataset without the variable named) raises a `MappingError`, which the build
turns into a Problem naming the spec file and line. Character results use "" for
missing (as XPT stores them); numeric results NaN.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cdisc_map.core.problems import Problem
from cdisc_map.io.readers import RawForm
from cdisc_map.mapping.sources import SourceCache
from cdisc_map.spec.registry import ADAM, SDTM
from cdisc_map.spec.study import FormSpec

#: Hidden columns carried with records for provenance; never written.
ROW = "__row__"
FORM = "__form__"
ORDER = "__order__"
SOURCE = "__source__"  # the position of the spec source a record came from
HIDDEN = (ROW, FORM, ORDER, SOURCE)


class MappingError(Exception):
    """A fault of the spec met while mapping: the message says what, the build says where."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


class MissingColumn(MappingError):
    """A column the mapping reads is not in the source records (the raw export lacks it)."""

    def __init__(self, column: str, form: str):
        super().__init__(f"column {column!r} is not in {form}")
        self.column, self.form = column, form


class MissingVariable(MappingError):
    """A variable the mapping reads is not mapped (yet) in the dataset."""

    def __init__(self, variable: str):
        super().__init__(f"{variable} is not mapped before it is read")
        self.variable = variable


@dataclass(frozen=True)
class Visit:
    """One visit of the protocol's schedule."""

    number: float
    name: str
    day: float | None = None  # the planned study day (VISITDY)


@dataclass
class VisitSchedule:
    """The study's visit schedule (study.yaml `visits:`): raw visit names to visits, the raw names of
    unscheduled visits, and an anchored pattern whose `number` group gives an unscheduled visit's
    VISITNUM from its name ("Unscheduled 6.1" -> 6.1)."""

    visits: dict[str, Visit] = field(default_factory=dict)  # casefolded raw name -> visit
    unscheduled: set[str] = field(default_factory=set)  # casefolded raw names
    numbered: re.Pattern[str] | None = None

    @classmethod
    def of(cls, block: Mapping[str, Any] | None) -> VisitSchedule:
        block = block or {}
        visits = {}
        for visit in block.get("schedule", []):
            day = visit.get("day")
            for raw_name in visit["raw"]:
                visits[raw_name.strip().casefold()] = Visit(float(visit["visitnum"]), visit["visit"],
                                                            float(day) if day is not None else None)
        pattern = block.get("unscheduled_pattern")
        return cls(visits, {name.strip().casefold() for name in block.get("unscheduled", [])},
                   re.compile(pattern, re.IGNORECASE) if pattern else None)


@dataclass
class Environment:
    """What every mapping may read: the study, its subjects, terminology, the datasets built so far."""

    study_id: str
    terminology: Any = None
    forms: dict[str, FormSpec] = field(default_factory=dict)
    raw: dict[str, RawForm] = field(default_factory=dict)
    #: subject key -> SITEID, SUBJID, USUBJID (the subjects form, through study.yaml `subjects:`)
    subjects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["SITEID", "SUBJID", "USUBJID"]))
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    visits: VisitSchedule = field(default_factory=VisitSchedule)
    spec_files: dict[str, str] = field(default_factory=dict)  # records source name -> spec file
    cache: SourceCache = field(default_factory=SourceCache)  # reads of other datasets shared by a build
    lookups: dict = field(default_factory=dict)  # per-subject results shared by derivations of a build

    def file_of(self, form: str) -> str:
        if form in self.raw:
            return str(self.raw[form].path)
        return self.spec_files.get(form, form)


@dataclass
class Records:
    """The records being mapped: the source's columns, and the target variables built so far.

    In SDTM the source is a raw form (with its joined forms; `columns` says which form
    each raw column came from, so a problem names that form's file and row); in ADaM
    it is the source dataset (DM for ADSL), whose variables a mapping may read as
    variables when the dataset does not map them itself.
    """

    source: pd.DataFrame
    built: pd.DataFrame
    form: str
    columns: dict[str, str]
    dataset: str
    standard: str = SDTM

    def subset(self, mask: pd.Series) -> Records:
        return Records(self.source[mask], self.built[mask], self.form, self.columns, self.dataset, self.standard)

    @property
    def index(self) -> pd.Index:
        return self.source.index

    def column(self, name: str) -> pd.Series:
        if name not in self.source.columns or name.startswith("__"):
            raise MissingColumn(name, self.form)
        return self.source[name]

    def variable(self, name: str) -> pd.Series:
        if name in self.built.columns:
            return self.built[name]
        if self.standard == ADAM and name in self.source.columns:
            return self.source[name]
        raise MissingVariable(name)

    def has_variable(self, name: str) -> bool:
        return name in self.built.columns or (self.standard == ADAM and name in self.source.columns)

    def rows_of(self, column: str | None) -> pd.Series:
        """File row numbers for the form a raw column belongs to (the record's own row if none)."""
        name = ROW + self.columns.get(column, self.form) if column else ROW + self.form
        if name in self.source:
            return self.source[name]
        return self.source[ROW] if ROW in self.source else pd.Series(0, index=self.source.index)

    def forms_of(self, column: str | None) -> pd.Series:
        """The form (source name) of each record, for the file a problem names."""
        if column and column in self.columns:
            return pd.Series(self.columns[column], index=self.source.index)
        if FORM in self.source:
            return self.source[FORM]
        return pd.Series(self.form, index=self.source.index)


def report(
    env: Environment,
    records: Records,
    bad: pd.Series,
    message: str,
    *,
    column: str | None,
    values: pd.Series | None = None,
    hint: str | None = None,
    severity: str = "error",
    messages: pd.Series | None = None,
    hints: pd.Series | None = None,
) -> None:
    """One problem per distinct offending value (or per distinct message), located at its first row.

    `messages` and `hints`, aligned with the records, give each row its own message and hint.

    For ADaM records (one per subject) a problem names the subject instead of a row.
    """
    if not bad.any():
        return
    if records.standard == ADAM:
        subjects = records.variable("USUBJID") if records.has_variable("USUBJID") else pd.Series("", index=bad.index)
        texts = messages[bad] if messages is not None else pd.Series(message, index=bad.index)[bad]
        for usubjid, text in zip(subjects[bad], texts):
            env.problems.append(Problem(text, column=column, value=str(usubjid), hint=hint, dataset=records.dataset,
                                        severity=severity))
        return
    shown = values if values is not None else (records.source[column] if column in records.source else None)
    frame = pd.DataFrame({
        "row": records.rows_of(column)[bad],
        "form": records.forms_of(column)[bad],
        "value": shown[bad].astype(str) if shown is not None else "",
        "message": messages[bad] if messages is not None else message,
        "hint": hints[bad] if hints is not None else hint,
    })
    for (value, text), group in frame.groupby(["value", "message"], sort=True):
        count = len(group)
        more = f" ({count} rows)" if count > 1 else ""
        first = group["row"].idxmin()
        env.problems.append(Problem(
            f"{text}{more}",
            file=env.file_of(str(group.at[first, "form"])),
            row=int(group.at[first, "row"]),
            column=column,
            value=value if shown is not None else None,
            hint=group.at[first, "hint"],
            dataset=records.dataset,
            severity=severity,
        ))


#: An implementation of one registry entry.
Implementation = Callable[[dict, Records, Environment, str], pd.Series]

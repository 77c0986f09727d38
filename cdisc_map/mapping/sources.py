"""Reading the records a spec source names: dataset, supplemental qualifiers, filter.

ADSL rules and time-to-event sources both say "the records of dataset X where C";
this module answers that for any mapping of dataset name to DataFrame (SDTM or ADaM,
ours or another tool's). Variables the parent lacks but its SUPP-- dataset holds as
QNAMs (AEAGVHGR in SUPPAE, DONTYP in SUPPPR) are joined on, as SDTMIG's RDOMAIN /
IDVAR / IDVARVAL link says, so a spec can filter on them like on any variable.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import pandas as pd

from cdisc_map.core import sasdates
from cdisc_map.core.distinct import per_distinct, per_distinct_rows
from cdisc_map.core.text import numbers_as_text
from cdisc_map.spec import conditions

SUBJECT = "USUBJID"


class SourceError(LookupError):
    """A source a spec names cannot be read: missing dataset or variable, bad condition."""


class SourceCache:
    """What one build works out more than once: SUPP-- joins, condition masks, text and dates of columns.

    ADSL rules and time-to-event parameters read the same datasets through the same
    conditions again and again. Entries are keyed by the identity of the frame they
    come from, so a cache is valid only while no frame changes: one cache per build,
    never kept beyond it.
    """

    def __init__(self) -> None:
        self._results: dict[tuple[int, Hashable], Any] = {}
        self._frames: list[pd.DataFrame] = []  # every keyed frame stays alive, so that no id is reused

    def get(self, frame: pd.DataFrame, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The result of `compute()` for `frame` and `key`, computed on first use."""
        entry = (id(frame), key)
        if entry not in self._results:
            self._results[entry] = compute()
            self._frames.append(frame)
        return self._results[entry]


def condition_vars(condition: dict | None) -> list[str]:
    """Variables a `where` condition reads."""
    return [name for _kind, name in conditions.fields(condition)] if condition else []


def source_records(datasets: Mapping[str, pd.DataFrame], name: str, needed: Iterable[str],
                   cache: SourceCache | None = None) -> pd.DataFrame:
    """Records of dataset `name` holding every variable in `needed` (SUPP-- QNAMs joined on).

    Raises SourceError naming what is missing. With a cache, the same join is made once.
    """
    key = _dataset_key(datasets, name)
    if key is None:
        known = ", ".join(sorted(datasets)) or "none"
        raise SourceError(f"dataset {name} is not among the datasets given (given: {known})")
    frame = datasets[key]
    needed = list(dict.fromkeys(v for v in needed if v))
    if SUBJECT not in frame.columns:
        raise SourceError(f"dataset {name} has no variable {SUBJECT}")
    lacking = [v for v in needed if v not in frame.columns]
    if lacking:
        parent, wanted = frame, lacking
        supp = datasets.get(_dataset_key(datasets, f"SUPP{key}") or "")
        frame = (_with_qualifiers(datasets, key, parent, wanted) if cache is None else
                 cache.get(parent, ("qualifiers", key, id(supp), tuple(wanted)),
                           lambda: _with_qualifiers(datasets, key, parent, wanted)))
        lacking = [v for v in needed if v not in frame.columns]
    if lacking:
        raise SourceError(f"dataset {name} has no variable {', '.join(lacking)}")
    return frame


def matching(frame: pd.DataFrame, condition: dict | None, cache: SourceCache | None = None) -> pd.Series:
    """Boolean mask of the records where `condition` holds (all of them without one)."""
    if not condition:
        return pd.Series(True, index=frame.index)
    if cache is not None:
        return cache.get(frame, ("where", repr(condition)), lambda: matching(frame, condition))
    try:
        names = _known_fields(condition, frame)
        if names is not None:  # evaluated once per distinct combination of the values it reads
            return per_distinct_rows(frame, names, lambda rows: _holds(condition, rows))
        return _holds(condition, frame)
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"condition {condition!r} cannot be evaluated: {exc}") from exc


def _known_fields(condition: dict, frame: pd.DataFrame) -> list[str] | None:
    """The frame's columns a condition reads; None if it reads another or is malformed (evaluation says why)."""
    try:
        names = list(dict.fromkeys(condition_vars(condition)))
    except Exception:  # noqa: BLE001 - the evaluation reports a malformed condition in its own words
        return None
    if not frame.columns.is_unique or not all(isinstance(n, str) and n in frame.columns for n in names):
        return None
    return names


def _holds(condition: dict, frame: pd.DataFrame) -> pd.Series:
    return conditions.evaluate(condition, lambda _kind, name: frame[name], frame.index).astype(bool)


def matching_text(frame: pd.DataFrame, var: str, mask: pd.Series, cache: SourceCache | None = None) -> pd.Series:
    """`text` of `var` on the rows of `mask`; with a cache, the whole column is made text once."""
    if cache is None or not mask.any():
        return text(frame[var][mask])
    return cache.get(frame, ("text", var), lambda: text(frame[var]))[mask]


def matching_dates(frame: pd.DataFrame, var: str, mask: pd.Series, impute: str = "none",
                   cache: SourceCache | None = None) -> pd.DataFrame:
    """`sasdates.parse_dates` of `var` on the rows of `mask`; with a cache, the whole column is parsed once."""
    if cache is None or not mask.any():
        return sasdates.parse_dates(frame[var][mask], impute)
    return cache.get(frame, ("dates", var, impute), lambda: sasdates.parse_dates(frame[var], impute))[mask]


class Matching:
    """The records of a dataset where a condition holds: the dataset, the mask, the subjects as text."""

    def __init__(self, datasets: Mapping[str, pd.DataFrame], name: str, where: dict | None, needed: list[str],
                 cache: SourceCache):
        self.frame = source_records(datasets, name, [*needed, *condition_vars(where)], cache)
        self.mask = matching(self.frame, where, cache)
        self.subjects = matching_text(self.frame, SUBJECT, self.mask, cache)
        self.cache = cache

    def values(self, var: str) -> pd.Series:
        """`var` on the matching records."""
        return self.frame[var][self.mask]

    def dates(self, var: str, impute: str = "none") -> pd.DataFrame:
        """`sasdates.parse_dates` of `var` on the matching records (each distinct value parsed once)."""
        return matching_dates(self.frame, var, self.mask, impute, self.cache)


def sequence_var(frame: pd.DataFrame, name: str, explicit: str | None = None) -> str | None:
    """The variable identifying a record for SRCSEQ: --SEQ for SDTM, ASEQ for ADaM, none for ADSL."""
    if explicit:
        return explicit
    upper = name.upper()
    if upper == "ADSL":
        return None
    candidate = "ASEQ" if upper.startswith("AD") else f"{upper[:2]}SEQ"
    return candidate if candidate in frame.columns else None


def text(values: pd.Series) -> pd.Series:
    """Values as trimmed text, "" for missing; numbers as `number_text` writes them (IDVARVAL "3")."""
    return per_distinct(values, lambda distinct: numbers_as_text(distinct).str.strip().astype(object))


def _dataset_key(datasets: Mapping[str, pd.DataFrame], name: str) -> str | None:
    if name in datasets:
        return name
    wanted = name.upper()
    return next((key for key in datasets if key.upper() == wanted), None)


def _with_qualifiers(datasets: Mapping[str, pd.DataFrame], key: str, frame: pd.DataFrame,
                     qnams: list[str]) -> pd.DataFrame:
    """`frame` with the QNAMs of its SUPP-- dataset that it lacks as columns ("" where absent)."""
    supp_key = _dataset_key(datasets, f"SUPP{key}")
    if supp_key is None:
        return frame
    supp = datasets[supp_key]
    if not {"USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"} <= set(supp.columns):
        raise SourceError(f"{supp_key} lacks the SUPPQUAL variables USUBJID, IDVAR, IDVARVAL, QNAM, QVAL")
    qnam = text(supp["QNAM"])
    supp = supp[qnam.isin(qnams)]
    supp = supp.assign(QNAM=qnam[qnam.isin(qnams)], IDVAR=text(supp["IDVAR"]), IDVARVAL=text(supp["IDVARVAL"]),
                       QVAL=text(supp["QVAL"]))
    frame = frame.copy()
    for qnam in sorted(set(supp["QNAM"])):  # only QNAMs the SUPP-- dataset has: others stay missing
        frame[qnam] = ""
    for idvar, group in supp.groupby("IDVAR", sort=True):
        if idvar and idvar not in frame.columns:
            raise SourceError(f"{supp_key} links records by {idvar}, which {key} does not have")
        wide = group.pivot_table(index=["USUBJID", "IDVARVAL"], columns="QNAM", values="QVAL", aggfunc="first")
        link = text(frame[idvar]) if idvar else pd.Series("", index=frame.index)
        keys = pd.MultiIndex.from_arrays([text(frame[SUBJECT]), link])
        for qnam in wide.columns:
            found = wide[qnam].reindex(keys).to_numpy()
            values = pd.Series(found, index=frame.index).astype(object)
            frame[qnam] = values.where(values.notna(), frame[qnam])
    return frame

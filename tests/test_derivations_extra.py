"""Derivations appended to the registry after the foundation: each on a small frame."""

import pandas as pd

from cdisc_map.mapping.derivations import DERIVATIONS
from cdisc_map.mapping.engine import Environment, Rows


def environment(**datasets: pd.DataFrame) -> Environment:
    return Environment("STUDY", {}, {}, pd.Series(dtype=object), None, datasets=dict(datasets))


def records(count: int) -> Rows:
    frame = pd.DataFrame(index=range(count))
    return Rows(frame, frame.copy(), "ts.yaml records", {}, "TS", None)  # type: ignore[arg-type]


DM = pd.DataFrame({
    "USUBJID": ["S-001", "S-002", "S-003", "S-004"],
    "ACTARMCD": ["BLINA", "", "BLINA", "BLINA"],
})


def test_study_count_counts_distinct_values_where_the_condition_holds():
    derive = DERIVATIONS["study_count"].func
    mapping = {"derive": "study_count", "dataset": "DM", "var": "USUBJID",
               "where": {"var": "ACTARMCD", "missing": False}}
    values = derive(mapping, records(2), environment(DM=DM), "TSVAL")
    assert list(values) == ["3", "3"]  # text: a trial-summary value is character


def test_study_count_ignores_empty_and_repeated_values():
    derive = DERIVATIONS["study_count"].func
    ae = pd.DataFrame({"USUBJID": ["S-001", "S-001", "S-003", ""]})
    values = derive({"dataset": "AE", "var": "USUBJID"}, records(1), environment(AE=ae), "TSVAL")
    assert list(values) == ["2"]


def test_study_count_is_registered_with_its_parameters():
    derivation = DERIVATIONS["study_count"]
    assert derivation.required == ("dataset", "var")
    assert not derivation.late  # it reads another dataset, so it orders datasets, as study_first_date does

"""One mapping applied to a handful of records, outside any study: to try a mapping, and for the docs.

    >>> import pandas as pd
    >>> from cdisc_map.mapping import apply_mapping
    >>> apply_mapping({"copy": "AE Term", "case": "upper"}, {"AE Term": [" Headache", "nausea "]}).tolist()
    ['HEADACHE', 'NAUSEA']

The same engine as `cdisc-map run`: the mapping is checked against the registry first
(unknown kinds, missing parameters, bad formats are errors), then evaluated.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import pandas as pd

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.mapping.engine import ROW, Environment, MappingError, Records, VisitSchedule
from cdisc_map.mapping.kinds import evaluate
from cdisc_map.spec.check import MappingContext, check_mapping
from cdisc_map.spec.registry import SDTM
from cdisc_map.spec.study import FormSpec
from cdisc_map.standards.terminology import load_ct


class MappingWarning(UserWarning):
    """Something in the records that did not stop the mapping but changes what it gave."""


def _frame(data: pd.DataFrame | Mapping[str, list] | None, rows: int | None = None) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True)
    if data:
        return pd.DataFrame(dict(data))
    return pd.DataFrame(index=range(rows or 0))


def apply_mapping(mapping: dict, source: pd.DataFrame | Mapping[str, list] | None = None, *,
                  built: pd.DataFrame | Mapping[str, list] | None = None,
                  datasets: Mapping[str, pd.DataFrame | Mapping[str, list]] | None = None,
                  standard: str = SDTM, variable: str = "X", study_id: str = "STUDY",
                  subject: str | None = None, sites: Mapping[str, str] | None = None,
                  visits: Mapping | None = None, terminology=None) -> pd.Series:
    """The values `mapping` gives for the records of `source` (columns) with `built` (variables mapped
    before), reading `datasets` (other datasets, by name) where it needs them.

    For the subject-identity derivations, `subject` names the source column holding the
    subject id and `sites` maps each subject to its site (the subjects form of a study);
    for the visit derivations, `visits` is a study.yaml `visits:` block.

    Raises ProblemsError with every error (of the mapping or of the data); warnings are
    issued as MappingWarning.
    """
    built_frame = _frame(built)
    source_frame = _frame(source, len(built_frame))
    if built_frame.empty and len(built_frame.columns) == 0:
        built_frame = pd.DataFrame(index=source_frame.index)
    terminology = terminology if terminology is not None else load_ct()
    context = MappingContext(standard, None, {}, "", None, terminology, set(built_frame.columns),
                             set(source_frame.columns) if standard != SDTM else set())
    check_mapping(mapping, (), context, variable)
    if context.problems:
        raise ProblemsError(context.problems)
    env = Environment(study_id, terminology, datasets={name: _frame(frame) for name, frame in (datasets or {}).items()})
    if subject is not None:
        env.forms["records"] = FormSpec("records", "", subject)
        env.subjects = pd.DataFrame({"SITEID": dict(sites or {})}, dtype=object)
        env.subjects["SUBJID"] = env.subjects.index
        env.subjects["USUBJID"] = study_id + "-" + env.subjects["SITEID"] + "-" + env.subjects.index
    env.visits = VisitSchedule.of(visits)
    source_frame[ROW] = range(1, len(source_frame) + 1)  # a problem names the record's position
    records = Records(source_frame, built_frame, "records", {}, "", standard)
    try:
        values = evaluate(mapping, records, env, variable)
    except MappingError as exc:
        raise ProblemsError([Problem(exc.message, hint=exc.hint)]) from exc
    errors = [p for p in env.problems if p.severity == "error"]
    if errors:
        raise ProblemsError(errors)
    for problem in env.problems:
        warnings.warn(str(problem), MappingWarning, stacklevel=2)
    return values.reset_index(drop=True)


__all__ = ["MappingWarning", "apply_mapping"]

"""Building a study's ADaM package from its SDTM frames: ADSL, then ADTTE from ADSL and SDTM.

The specs are read (and checked) by `cdisc_map.spec`; here they become datasets.
Problems name the spec file where they come from one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from cdisc_map.adam.adsl import adsl_dataset
from cdisc_map.adam.tte import build_adtte
from cdisc_map.core.datasets import Dataset
from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.mapping.sources import SourceCache
from cdisc_map.spec.study import AdamSpecs, read_adam_specs


def load_adam_specs(study_dir: Path) -> AdamSpecs:
    """Read `adam/adsl.yaml` and `adam/adtte/*.yaml`; a study without an adam folder has none.

    Raises ProblemsError when a file cannot be read or breaks its schema.
    """
    problems: list[Problem] = []
    specs = read_adam_specs(Path(study_dir), problems)
    if problems:
        raise ProblemsError(problems)
    return specs


def build_adam(specs: AdamSpecs, sdtm: Mapping[str, pd.DataFrame], version: str = "1.3",
               checked: bool = False) -> tuple[list[Dataset], list[Problem]]:
    """ADSL from SDTM, then ADTTE from ADSL + SDTM; every problem of both, nothing raised for data.

    `checked` says check-spec has checked the specs already (the pipeline's case).
    """
    datasets: list[Dataset] = []
    problems: list[Problem] = []
    frames = dict(sdtm)
    cache = SourceCache()  # ADSL and ADTTE read the same SDTM records through the same filters
    if specs.adsl is not None:
        adsl, found = adsl_dataset(specs.adsl, sdtm, version, cache, checked=checked)
        problems += [_located(p, specs.file_of("ADSL")) for p in found]
        datasets.append(adsl)
        frames["ADSL"] = adsl.frame
    if specs.tte:
        adtte, found = build_adtte(specs.tte, frames, version, cache)
        problems += [_located(p, specs.file_of(p.message.split(":", 1)[0])) for p in found]
        datasets.append(adtte)
    return datasets, problems


def _located(problem: Problem, path: str | None) -> Problem:
    return problem if path is None or problem.file else replace(problem, file=path)

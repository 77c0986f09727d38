"""The ADaM specs of a study folder, and building the whole ADaM package from SDTM frames.

Layout: `<study>/adam/adsl.yaml` and one file per time-to-event parameter under
`<study>/adam/adtte/` (a new parameter is a new file, not new code). Parameters are
ordered by their `paramn`, then by file name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdisc_map.adam.adsl import adsl_dataset
from cdisc_map.adam.conform import AdamDataset
from cdisc_map.adam.sources import SourceCache
from cdisc_map.adam.tte import build_adtte
from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.spec.study import load_yaml


@dataclass
class AdamSpecs:
    """A study's ADaM specs as loaded: the ADSL spec and the parameter specs, with their files."""

    adsl: dict | None
    tte: list[dict] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # "ADSL" or a PARAMCD -> its spec file


def load_adam_specs(study_dir: Path) -> AdamSpecs:
    """Read `adam/adsl.yaml` and `adam/adtte/*.yaml`; a study without an adam folder has none."""
    folder = Path(study_dir) / "adam"
    specs = AdamSpecs(adsl=None)
    problems: list[Problem] = []
    if not folder.is_dir():
        return specs
    adsl_file = folder / "adsl.yaml"
    if adsl_file.is_file():
        specs.adsl, _lines = load_yaml(adsl_file)
        specs.files["ADSL"] = adsl_file
    loaded = []
    for path in sorted((folder / "adtte").glob("*.yaml")):
        try:
            data, _lines = load_yaml(path)
        except ProblemsError as exc:
            problems += exc.problems
            continue
        if not isinstance(data, dict):
            problems.append(Problem("a parameter spec must be a mapping", file=str(path), dataset="ADTTE"))
            continue
        loaded.append((data.get("paramn", float("inf")), path.name, data, path))
    if problems:
        raise ProblemsError(problems)
    for _paramn, _name, data, path in sorted(loaded, key=lambda item: (item[0], item[1])):
        specs.tte.append(data)
        specs.files[str(data.get("paramcd", path.stem))] = path
    return specs


def build_adam(specs: AdamSpecs, sdtm: Mapping[str, pd.DataFrame], version: str = "1.3",
               ) -> tuple[list[AdamDataset], list[Problem]]:
    """ADSL from SDTM, then ADTTE from ADSL + SDTM; every problem of both, nothing raised for data.

    Problems name the spec file where they come from a parameter's spec.
    """
    datasets: list[AdamDataset] = []
    problems: list[Problem] = []
    frames = dict(sdtm)
    cache = SourceCache()  # ADSL rules and ADTTE sources read the same SDTM records through the same filters
    if specs.adsl is not None:
        adsl, found = adsl_dataset(specs.adsl, sdtm, version, cache)
        problems += [_located(p, specs.files.get("ADSL")) for p in found]
        datasets.append(adsl)
        frames["ADSL"] = adsl.frame
    if specs.tte:
        adtte, found = build_adtte(specs.tte, frames, version, cache)
        problems += [_located(p, _file_of(p, specs.files)) for p in found]
        datasets.append(adtte)
    return datasets, problems


def _file_of(problem: Problem, files: dict[str, Path]) -> Path | None:
    code = problem.message.split(":", 1)[0]
    return files.get(code)


def _located(problem: Problem, path: Path | None) -> Problem:
    if path is None or problem.file:
        return problem
    return Problem(problem.message, file=str(path), row=problem.row, column=problem.column, value=problem.value,
                   hint=problem.hint, dataset=problem.dataset, severity=problem.severity)


def check_adam_specs(study_dir: Path, version: str = "1.3") -> list[Problem]:
    """Every problem of a study's ADaM specs before any data is read, each naming its file."""
    from dataclasses import replace

    from cdisc_map.adam.adsl import check_adsl_spec
    from cdisc_map.adam.tte import check_tte_spec

    try:
        specs = load_adam_specs(study_dir)
    except ProblemsError as exc:
        return exc.problems
    problems: list[Problem] = []
    if specs.adsl is not None:
        problems += [replace(p, file=p.file or str(specs.files["ADSL"])) for p in check_adsl_spec(specs.adsl, version)]
    for spec in specs.tte:
        path = specs.files.get(str(spec.get("paramcd")) if isinstance(spec, dict) else "", None)
        problems += [replace(p, file=p.file or (str(path) if path else None)) for p in check_tte_spec(spec)]
    return problems

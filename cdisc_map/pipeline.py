"""The end-to-end job: specs + raw export -> package on disk.

The only module, with the CLI and the writers, that touches the disk. Everything is
built in memory first; if any error was found nothing is written (all problems are
raised together), so a package on disk is always one complete, consistent run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cdisc_map.define_build import PackageInfo, build_define
from cdisc_map.errors import Problem, ProblemsError
from cdisc_map.package import sdtm_folder, write_package
from cdisc_map.sdtm import build_sdtm
from cdisc_map.specs import load_study
from cdisc_map.standards.metadata import load_sdtmig
from cdisc_map.standards.terminology import load_ct
from define_xml import write_define, write_stylesheet


@dataclass(frozen=True)
class Written:
    name: str
    records: int
    variables: int
    path: Path


@dataclass
class RunSummary:
    written: list[Written] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def write_define_files(define, folder: Path, created) -> None:
    """define.xml and the stylesheet that renders it, side by side in the package folder."""
    write_define(define, folder / "define.xml", created=created)
    write_stylesheet(folder)


def run_study(
    study_dir: Path,
    raw_dir: Path | None = None,
    out_dir: Path = Path("build"),
    progress: Callable[[str], None] = lambda message: None,
) -> RunSummary:
    """Convert one study; raise ProblemsError (nothing written) when any error is found."""
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise ProblemsError([Problem("study folder does not exist", file=str(study_dir),
                                     hint="give the folder holding study.yaml, e.g. mappings/nct06111625")])
    progress(f"Reading specs from {study_dir}")
    study = load_study(study_dir)
    raw_dir = Path(raw_dir) if raw_dir else study.default_raw_dir()
    if raw_dir is None or not raw_dir.is_dir():
        raise ProblemsError([Problem("raw export folder does not exist", file=str(raw_dir),
                                     hint="pass --raw DIR, or set raw.dir in study.yaml")])
    progress(f"Mapping raw export {raw_dir}")
    result = build_sdtm(study, raw_dir)
    if result.errors:
        raise ProblemsError(result.problems)
    target = sdtm_folder(out_dir, study.study_id)
    progress(f"Writing {len(result.datasets)} SDTM datasets to {target}")
    datasets = [result.datasets[name] for name in sorted(result.datasets)]
    define = build_define(study, datasets, load_ct(study.ct_version),
                          PackageInfo("Tabulation", "SDTMIG", study.sdtmig_version, "SDTM"),
                          ig=load_sdtmig(study.sdtmig_version))
    write_package(datasets, target, extra=lambda folder, created: write_define_files(define, folder, created))
    summary = RunSummary(problems=result.problems)
    for dataset in datasets:
        summary.written.append(Written(dataset.name, len(dataset.frame), len(dataset.variables),
                                       target / f"{dataset.name.lower()}.xpt"))
    return summary

"""The end-to-end job: specs + raw export -> package on disk.

The only module, with the CLI and the writers, that touches the disk. Everything is
built in memory first; if any error was found nothing is written (all problems are
raised together), so a package on disk is always one complete, consistent run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cdisc_map import __version__
from cdisc_map.adam import build_adam, tte_method
from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.timing import StageTimes
from cdisc_map.define.build import PackageInfo, build_define
from cdisc_map.io.datasetjson import Context
from cdisc_map.io.package import (
    DATASET_FORMATS,
    DEFAULT_FORMATS,
    adam_folder,
    check_formats,
    primary_format,
    sdtm_folder,
    write_package,
)
from cdisc_map.report import report_after_run, study_report_settings
from cdisc_map.sdtm.build import build_sdtm
from cdisc_map.spec.check import load_study
from cdisc_map.standards.codelists import Terminology
from cdisc_map.standards.selection import Standards
from cdisc_map.validate import validate_path, write_reports
from define_xml import write_define, write_html, write_stylesheet


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
    times: StageTimes = field(default_factory=StageTimes)
    validation: dict[str, int] = field(default_factory=dict)  # severity -> findings
    reports: list[Path] = field(default_factory=list)
    outcomes: Path | None = None  # OUT/report/index.html


def write_define_files(define, folder: Path, created) -> None:
    """define.xml, the stylesheet that renders it and the page it renders (define.html), side by side."""
    write_define(define, folder / "define.xml", created=created)
    write_stylesheet(folder)
    write_html(folder / "define.xml")


def run_study(
    study_dir: Path,
    raw_dir: Path | None = None,
    out_dir: Path = Path("build"),
    progress: Callable[[str], None] = lambda message: None,
    standards: Standards | None = None,
    formats: tuple[str, ...] | None = None,
) -> RunSummary:
    """Convert one study; raise ProblemsError (nothing written) when any error is found.

    `standards` says where CT and IG metadata come from (default: the standards home,
    else the bundled subset); the CT release and IG versions are the ones study.yaml names.
    `formats` are the dataset files to write (xpt, json, ndjson); default: study.yaml's
    `output: {formats: [...]}`, else XPT only.
    """
    standards = standards or Standards()
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise ProblemsError([Problem("study folder does not exist", file=str(study_dir),
                                     hint="give the folder holding study.yaml, e.g. mappings/nct06111625")])
    progress(f"Reading specs from {study_dir}")
    study = load_study(study_dir, standards)
    report_settings = study_report_settings(study_dir)  # a wrong report.yaml stops the run before any write
    raw_dir = Path(raw_dir) if raw_dir else study.default_raw_dir()
    if raw_dir is None or not raw_dir.is_dir():
        raise ProblemsError([Problem("raw export folder does not exist", file=str(raw_dir),
                                     hint="pass --raw DIR, or set raw.dir in study.yaml")])
    formats = check_formats(formats) if formats else study_formats(study)
    summary = RunSummary()
    with fewer_gc_passes():
        terminology = standards.ct(study.ct_version)
        progress(f"Standards: {terminology.description}, {standards.sdtmig(study.sdtmig_version).description}")
        _convert(study, study_dir, raw_dir, Path(out_dir), summary, progress, standards, terminology, formats)
        # The datasets built in memory are gone by now: validation reads back what was written.
        progress("Validating the packages")
        with summary.times.stage("validate"):
            packages = Path("m5") / "datasets" / study.study_id.lower()
            report = validate_path(Path(out_dir) / packages, sdtmig_version=study.sdtmig_version, ct=terminology,
                                   standards=standards)
            report.path = packages.as_posix()  # relative to OUT: the same run elsewhere gives the same report
            summary.reports = write_reports(report, Path(out_dir) / "validation")
        progress("Writing the outcomes report")
        with summary.times.stage("report"):
            summary.outcomes, problems = report_after_run(Path(out_dir), study.study_id, report_settings)
        summary.problems += problems
    summary.validation = report.severity_totals()
    return summary


def study_formats(study) -> tuple[str, ...]:
    """The dataset formats study.yaml asks for (`output: {formats: [xpt, json]}`), else XPT."""
    asked = study.data.get("output", {}).get("formats")
    return check_formats(asked, where=str(study.path)) if asked else DEFAULT_FORMATS


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Run the garbage collector's full passes less often while frames of text are built.

    Reading and mapping create millions of small strings and no reference cycles worth
    collecting mid-run; the default thresholds make the collector rescan them over and
    over (a third of read time on a 50,000-subject export).
    """
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _convert(study, study_dir: Path, raw_dir: Path, out_dir: Path, summary: RunSummary,
             progress: Callable[[str], None], standards: Standards, terminology: Terminology,
             formats: tuple[str, ...] = DEFAULT_FORMATS) -> None:
    """Build SDTM and ADaM in memory and write both packages (nothing written on any error)."""
    times = summary.times
    progress(f"Mapping raw export {raw_dir}")
    sdtmig = standards.sdtmig(study.sdtmig_version)
    result = build_sdtm(study, raw_dir, times, progress, terminology=terminology, sdtmig=sdtmig)
    if result.errors:
        raise ProblemsError(result.problems)
    summary.problems += result.problems
    progress(f"Built {len(result.datasets)} SDTM datasets, "
             f"{sum(len(d.frame) for d in result.datasets.values()):,} records")
    sdtm = [result.datasets[name] for name in sorted(result.datasets)]

    adam: list = []
    adam_specs = study.adam
    if adam_specs.adsl is not None:
        progress("Deriving ADaM from the SDTM datasets")
        with times.stage("derive ADaM"):
            adam, problems = build_adam(adam_specs, {d.name: d.frame for d in sdtm}, version=study.adamig_version,
                                        checked=True)
        if any(p.severity == "error" for p in problems):
            raise ProblemsError(summary.problems + problems)
        summary.problems += problems
        for dataset in adam:  # each parameter's derivation in words, for its value-level metadata
            if dataset.name == "ADTTE":
                dataset.methods.update({f"AVAL.{spec['paramcd']}": tte_method(spec) for spec in adam_specs.tte})

    packages = [(sdtm_folder(out_dir, study.study_id), sdtm,
                 PackageInfo("Tabulation", "SDTMIG", study.sdtmig_version, "SDTM"), sdtmig)]
    if adam:
        packages.append((adam_folder(out_dir, study.study_id), adam,
                         PackageInfo("Analysis", "ADaMIG", study.adamig_version, "ADaM"),
                         standards.adamig(study.adamig_version)))
    suffix = DATASET_FORMATS[primary_format(formats)]
    for target, datasets, info, ig in packages:
        with times.stage("define.xml"):
            define = build_define(study, datasets, terminology, info, ig=ig, data_suffix=suffix)
        progress(f"Writing {len(datasets)} {info.purpose.lower()} datasets and define.xml to {target}")
        context = Context(study_oid=define.study_oid, metadata_version_oid=define.mdv_oid, metadata_ref="define.xml",
                          originator=study.data["study"].get("sponsor"), source_system=("cdisc-map", __version__))
        with times.stage("write XPT" if formats == DEFAULT_FORMATS else "write datasets"):
            write_package(datasets, target,
                          extra=lambda folder, created, define=define: write_define_files(define, folder, created),
                          formats=formats, context=context)
        for dataset in datasets:
            summary.written.append(Written(dataset.name, len(dataset.frame), len(dataset.variables),
                                           target / f"{dataset.name.lower()}{suffix}"))

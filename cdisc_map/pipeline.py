"""The end-to-end job: specs + raw export -> the whole output tree on disk.

The only module, with the CLI and the writers, that touches the disk. Everything is
built in memory first and written into a staging tree beside OUT (`io.output_tree`):
the SDTM and ADaM packages, their define files, the outcomes report and the validation
report of what was written. Validation reads the staged tree back; only then is the
manifest written and the tree swapped in as OUT, whole. An error in the specs or data
raises every problem together and writes nothing; a run killed at any moment leaves
OUT as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cdisc_map import __version__
from cdisc_map.adam import build_adam, tte_method
from cdisc_map.core.checkpoints import checkpoint
from cdisc_map.core.memory import batch_allocation
from cdisc_map.core.problems import InputError, Problem, ProblemsError
from cdisc_map.core.timing import StageTimes
from cdisc_map.define.build import PackageInfo, build_define
from cdisc_map.io.datasetjson import Context
from cdisc_map.io.output_tree import OutputTree
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
from cdisc_map.validate import Report, validate_path, write_reports
from cdisc_map.validate.mapping import OUTCOMES_RULE, with_mapping_problems
from define_xml import write_define, write_html, write_stylesheet

#: Where `cdisc-map run` writes when no --out is given: a folder no build tool writes to.
DEFAULT_OUT = Path("cdisc-map-out")
STUDY_HINT = "give the folder holding study.yaml (`cdisc-map init DIR` copies the bundled one out)"


@dataclass(frozen=True)
class Written:
    name: str
    records: int
    variables: int
    path: Path


@dataclass
class RunSummary:
    written: list[Written] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the mapping's warnings (also findings of `report`)
    times: StageTimes = field(default_factory=StageTimes)
    validation: dict[str, int] = field(default_factory=dict)  # severity -> findings, the run's included
    reports: list[Path] = field(default_factory=list)
    outcomes: Path | None = None  # OUT/report/index.html
    outcome_problems: list[Problem] = field(default_factory=list)  # what the outcomes report left out
    report: Report | None = None  # the validation report as written, for the exit status
    out: Path | None = None  # the output tree, as swapped in


class CheckpointedTimes(StageTimes):
    """Stage times whose stages are also checkpoints (their start and end), for the kill tests."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        checkpoint(f"{name}: start")
        with super().stage(name):
            yield
        checkpoint(f"{name}: end")


def write_define_files(define, folder: Path, created) -> None:
    """define.xml, the stylesheet that renders it and the page it renders (define.html), side by side."""
    write_define(define, folder / "define.xml", created=created)
    write_stylesheet(folder)
    write_html(folder / "define.xml")


def run_study(
    study_dir: Path,
    raw_dir: Path | None = None,
    out_dir: Path = DEFAULT_OUT,
    progress: Callable[[str], None] = lambda message: None,
    standards: Standards | None = None,
    formats: tuple[str, ...] | None = None,
) -> RunSummary:
    """Convert one study into the output tree `out_dir`, replaced whole.

    Raises InputError when a folder or file given cannot be used (nothing read),
    ProblemsError when the specs or data have errors (nothing written); OSError escapes
    as it is. `standards` says where CT and IG metadata come from (default: the standards
    home, else the bundled subset); the CT release and IG versions are the ones study.yaml
    names. `formats` are the dataset files to write (xpt, json, ndjson); default:
    study.yaml's `output: {formats: [...]}`, else XPT only.
    """
    standards = standards or Standards()
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        what = "is a file, not a folder" if study_dir.exists() else "does not exist"
        raise InputError([Problem(f"the study folder {what}", file=str(study_dir), hint=STUDY_HINT)])
    if not (study_dir / "study.yaml").is_file():
        raise InputError([Problem("the study folder has no study.yaml", file=str(study_dir), hint=STUDY_HINT)])
    tree = OutputTree(out_dir)
    tree.check()  # an OUT that cannot be replaced is refused before any work
    progress = checkpointed(progress)
    progress(f"Reading specs from {study_dir}")
    study = load_study(study_dir, standards)
    report_settings = study_report_settings(study_dir)  # a wrong report.yaml stops the run before any write
    raw_dir = Path(raw_dir) if raw_dir else study.default_raw_dir()
    if raw_dir is None or not raw_dir.is_dir():
        what = "is not set (raw.dir in study.yaml)" if raw_dir is None else (
            "is a file, not a folder" if raw_dir.exists() else "does not exist")
        raise InputError([Problem(f"the raw export folder {what}", file=str(raw_dir) if raw_dir else None,
                                  hint="pass --raw DIR, or set raw.dir in study.yaml")])
    unreadable = unreadable_forms(study, raw_dir)
    if unreadable:
        raise InputError(unreadable)
    formats = check_formats(formats) if formats else study_formats(study)
    try:  # a CT file or standards home that cannot be read is an input of the command, like a path
        terminology = standards.ct(study.ct_version)
        sdtmig_description = standards.sdtmig(study.sdtmig_version).description
    except ProblemsError as exc:
        raise InputError(exc.problems) from exc
    summary = RunSummary(times=CheckpointedTimes())
    with batch_allocation(), tree, writing(tree):
        progress(f"Standards: {terminology.description}, {sdtmig_description}")
        _convert(study, study_dir, raw_dir, tree.staging, summary, progress, standards, terminology, formats)
        progress("Writing the outcomes report")
        with summary.times.stage("report"):
            outcomes, summary.outcome_problems = report_after_run(tree.staging, study.study_id, report_settings)
        # The datasets built in memory are gone by now: validation reads back what was written.
        progress("Validating the packages")
        with summary.times.stage("validate"):
            packages = Path("m5") / "datasets" / study.study_id.lower()
            report = validate_path(tree.staging / packages, sdtmig_version=study.sdtmig_version, ct=terminology,
                                   standards=standards)
            report.path = packages.as_posix()  # relative to OUT: the same run elsewhere gives the same report
            roots = [raw_dir, study_dir, tree.staging]
            report = with_mapping_problems(report, summary.problems, roots=roots)
            report = with_mapping_problems(report, summary.outcome_problems, roots=roots, rule=OUTCOMES_RULE)
            related = (("Outcomes report", "../report/index.html"),) if outcomes is not None else ()
            reports = write_reports(report, tree.staging / "validation", related=related)
        progress(f"Swapping the new output tree in as {tree.out}")
        with summary.times.stage("swap"):
            tree.commit()
    out = Path(out_dir)
    summary.out = out
    summary.reports = [out / path.relative_to(tree.staging) for path in reports]
    summary.outcomes = out / outcomes.relative_to(tree.staging) if outcomes is not None else None
    summary.written = [Written(w.name, w.records, w.variables, out / w.path.relative_to(tree.staging))
                       for w in summary.written]
    summary.report = report
    summary.validation = report.severity_totals()
    return summary


def unreadable_forms(study, raw_dir: Path) -> list[Problem]:
    """The raw files study.yaml names that cannot be opened at all: missing, not a file, not readable.

    Checked before any work, all at once; a file that opens but cannot be parsed is a
    problem of the data, reported by the readers with its row.
    """
    problems = []
    for form in study.forms.values():
        path = raw_dir / form.file
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            problems.append(Problem(f"the raw file of form {form.name!r} {what}", file=str(path),
                                    hint="check the export, or the file name in study.yaml (raw.forms)"))
            continue
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            problems.append(Problem(f"the raw file of form {form.name!r} cannot be read: {exc.strerror or exc}",
                                    file=str(path), hint="check the file's permissions"))
    return problems


def checkpointed(progress: Callable[[str], None]) -> Callable[[str], None]:
    """`progress` whose every message is also a checkpoint, so the kill tests reach inside each stage."""

    def report(message: str) -> None:
        checkpoint(message.strip())
        progress(message)

    return report


@contextmanager
def writing(tree: OutputTree) -> Iterator[None]:
    """A disk that fails while the tree is built is an OSError, not a problem of the data.

    Its message names the path under OUT, not the hidden staging folder, and OUT when it
    names no file (a full disk met inside a writer). Writers that report a failed write
    as a ProblemsError (the XPT writer does, for callers of its own) give their OSError
    back here, so a full disk is never counted as an error in the specs or data.
    """
    try:
        yield
    except ProblemsError as exc:
        if not isinstance(exc.__cause__, OSError):
            raise
        raise _under_out(exc.__cause__, tree) from exc
    except OSError as exc:
        raise _under_out(exc, tree) from None


def _under_out(exc: OSError, tree: OutputTree) -> OSError:
    name, staged = str(exc.filename or ""), str(tree.staging)
    exc.filename = str(tree.out) + name[len(staged):] if name.startswith(staged) else (name or str(tree.out))
    return exc


def study_formats(study) -> tuple[str, ...]:
    """The dataset formats study.yaml asks for (`output: {formats: [xpt, json]}`), else XPT."""
    asked = study.data.get("output", {}).get("formats")
    return check_formats(asked, where=str(study.path)) if asked else DEFAULT_FORMATS


def _convert(study, study_dir: Path, raw_dir: Path, out_dir: Path, summary: RunSummary,
             progress: Callable[[str], None], standards: Standards, terminology: Terminology,
             formats: tuple[str, ...] = DEFAULT_FORMATS) -> None:
    """Build SDTM and ADaM in memory and write both packages under `out_dir` (the staging tree)."""
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
                 PackageInfo("Tabulation", "SDTMIG", study.sdtmig_version), sdtmig)]
    if adam:
        packages.append((adam_folder(out_dir, study.study_id), adam,
                         PackageInfo("Analysis", "ADaMIG", study.adamig_version),
                         standards.adamig(study.adamig_version)))
    suffix = DATASET_FORMATS[primary_format(formats)]
    for target, datasets, info, ig in packages:
        with times.stage("define.xml"):
            define = build_define(study, datasets, terminology, info, ig=ig, data_suffix=suffix)
        progress(f"Writing {len(datasets)} {info.purpose.lower()} datasets and define.xml to "
                 f"{target.relative_to(out_dir).as_posix()}")
        context = Context(study_oid=define.study_oid, metadata_version_oid=define.mdv_oid, metadata_ref="define.xml",
                          originator=study.data["study"].get("sponsor"), source_system=("cdisc-map", __version__))
        with times.stage("write XPT" if formats == DEFAULT_FORMATS else "write datasets"):
            write_package(datasets, target,
                          extra=lambda folder, created, define=define: write_define_files(define, folder, created),
                          formats=formats, context=context)
        for dataset in datasets:
            summary.written.append(Written(dataset.name, len(dataset.frame), len(dataset.variables),
                                           target / f"{dataset.name.lower()}{suffix}"))

"""The outcomes report of a package on disk: find and read the datasets, estimate, write
OUT/report/index.html atomically.

It reads what was written (as the validator does), through `read_xpt`, never the specs
or the in-memory builds, so it shows any package: cdisc-map's, or an ADTTE and ADSL
that another tool wrote (`ReportInputs.of_files`).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.io.xpt import read_xpt
from cdisc_map.report.columns import distinct_text
from cdisc_map.report.disposition import summarise_disposition
from cdisc_map.report.endpoints import analyse_adtte
from cdisc_map.report.page import Page, Source, render_page
from cdisc_map.report.settings import ReportSettings, load_report_settings

REPORT_FOLDER = "report"
REPORT_FILE = "index.html"
SETTINGS_FILE = "report.yaml"
SDTM_DOMAINS = ("DM", "DS", "EX", "PR", "RS", "TS")


@dataclass(frozen=True)
class ReportInputs:
    """The files the report reads; names on the page are relative to `root` when they lie under it."""

    adtte: Path
    adsl: Path | None = None
    sdtm: Path | None = None  # a folder holding dm.xpt, ds.xpt, ex.xpt, pr.xpt, rs.xpt, ts.xpt
    root: Path | None = None

    @classmethod
    def of_tree(cls, out_dir: Path, studyid: str | None = None) -> ReportInputs:
        """The ADaM and SDTM packages of an OUT tree (m5/datasets/<studyid>/...): of `studyid`, or of the
        one study the tree holds."""
        out_dir = Path(out_dir)
        found = sorted(out_dir.glob(f"m5/datasets/{studyid.lower() if studyid else '*'}/analysis/adam/datasets/"
                                    "adtte.xpt"))
        if not found:
            raise ProblemsError([Problem("no ADTTE in the output tree", file=str(out_dir),
                                         hint="give the OUT folder of `cdisc-map run`, or --adtte FILE --adsl FILE")])
        if len(found) > 1:
            studies = ", ".join(path.parents[3].name for path in found)
            raise ProblemsError([Problem(f"the output tree holds the packages of more than one study ({studies})",
                                         file=str(out_dir), hint="pass --adtte FILE and --adsl FILE of one of them")])
        adam = found[0].parent
        sdtm = adam.parents[2] / "tabulations" / "sdtm"
        return cls(adtte=found[0], adsl=adam / "adsl.xpt" if (adam / "adsl.xpt").is_file() else None,
                   sdtm=sdtm if sdtm.is_dir() else None, root=out_dir)

    @classmethod
    def of_files(cls, adtte: Path, adsl: Path | None = None, sdtm: Path | None = None) -> ReportInputs:
        return cls(adtte=Path(adtte), adsl=Path(adsl) if adsl else None, sdtm=Path(sdtm) if sdtm else None)

    def name(self, path: Path) -> str:
        if self.root is not None:
            try:
                return Path(path).relative_to(self.root).as_posix()
            except ValueError:
                pass
        return Path(path).as_posix()


@dataclass
class OutcomesReport:
    """What was written, and the warnings the reader of the page also sees."""

    path: Path
    problems: list[Problem] = field(default_factory=list)


def study_report_settings(study_dir: Path) -> ReportSettings | None:
    """The study folder's report.yaml, None when it has none (ProblemsError when it is wrong)."""
    path = Path(study_dir) / SETTINGS_FILE
    return load_report_settings(path) if path.is_file() else None


def build_page(inputs: ReportInputs, settings: ReportSettings | None = None,
               fallback: ReportSettings | None = None) -> tuple[str, list[Problem]]:
    """The HTML of the report and its warnings. `settings` apply whatever the study (a warning says so
    when they name another one); `fallback` applies only to the study it names, else the defaults."""
    sources: list[Source] = []
    adtte = _read(inputs, inputs.adtte, "ADTTE", sources)
    adsl = _read(inputs, inputs.adsl, "ADSL", sources) if inputs.adsl else None
    problems: list[Problem] = []
    sdtm = {}
    if inputs.sdtm is not None:
        for domain in SDTM_DOMAINS:
            path = inputs.sdtm / f"{domain.lower()}.xpt"
            if path.is_file():
                try:
                    sdtm[domain] = _read(inputs, path, domain, sources)
                except ProblemsError as exc:  # the summary does without it; the endpoints do not need it
                    problems += [replace(p, severity="warning", message=f"{p.message}; {domain} is left out of the "
                                         "disposition and exposure summary") for p in exc.problems]
    studyid = _study_id(adtte, adsl)
    chosen = _settings_for(studyid, settings, fallback, problems)
    endpoints, found = analyse_adtte(adtte, adsl, chosen, file=inputs.name(inputs.adtte))
    problems += found
    page = Page(studyid=studyid, title=_trial_title(sdtm.get("TS")), sources=sources, endpoints=endpoints,
                disposition=summarise_disposition(sdtm) if sdtm else None, settings=chosen, problems=problems,
                outcome_measures=_outcome_measures(sdtm.get("TS")))
    return render_page(page), problems


def write_outcomes_report(out_dir: Path, inputs: ReportInputs | None = None, settings: ReportSettings | None = None,
                          fallback: ReportSettings | None = None) -> OutcomesReport:
    """Build the report and write it to OUT/report/index.html (temporary file, then rename).

    `inputs` default to the packages of the OUT tree. Raises ProblemsError when the
    datasets cannot be read or ADTTE lacks what every estimate needs; nothing is written then.
    """
    out_dir = Path(out_dir)
    inputs = inputs or ReportInputs.of_tree(out_dir)
    text, problems = build_page(inputs, settings, fallback)
    folder = out_dir / REPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / REPORT_FILE
    temporary = folder / f".{REPORT_FILE}.{secrets.token_hex(6)}.tmp"
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as exc:
        raise ProblemsError([Problem(f"cannot write the outcomes report: {exc.strerror or exc}",
                                     file=str(target))]) from exc
    finally:
        temporary.unlink(missing_ok=True)
    return OutcomesReport(target, problems)


def report_after_run(out_dir: Path, studyid: str,
                     settings: ReportSettings | None) -> tuple[Path | None, list[Problem]]:
    """The report at the end of `cdisc-map run`: (its path, warnings). The packages are written by
    then, so a report that cannot be made is a warning, never a failed run; no ADaM, no report."""
    try:
        inputs = ReportInputs.of_tree(out_dir, studyid)
    except ProblemsError:
        return None, []
    try:
        written = write_outcomes_report(out_dir, inputs, settings=settings)
    except ProblemsError as exc:
        return None, [replace(problem, severity="warning", message=f"outcomes report not written: {problem.message}")
                      for problem in exc.problems]
    return written.path, written.problems


def _read(inputs: ReportInputs, path: Path, dataset: str, sources: list[Source]) -> pd.DataFrame:
    if not Path(path).is_file():
        raise ProblemsError([Problem(f"{dataset} file not found", file=str(path), dataset=dataset)])
    try:
        frame, meta = read_xpt(path)
    except UnicodeDecodeError as exc:  # pyreadstat decodes text as UTF-8; a legacy file may hold Windows-1252
        raise ProblemsError([Problem(f"cannot read the text of {dataset} as UTF-8 ({exc.reason} at byte "
                                     f"{exc.start} of a value)", file=str(path), dataset=dataset,
                                     hint="a file written in another encoding (Windows-1252, say) needs converting "
                                          "to UTF-8 first")]) from exc
    sources.append(Source(dataset, inputs.name(path), meta.created.strip(), len(frame)))
    return frame


def _study_id(adtte: pd.DataFrame, adsl: pd.DataFrame | None) -> str:
    for frame in (adtte, adsl):
        if frame is not None and "STUDYID" in frame.columns:
            values = sorted(distinct_text(frame["STUDYID"]))
            if values:
                return ", ".join(values)
    return "(no STUDYID)"


def _settings_for(studyid: str, settings: ReportSettings | None, fallback: ReportSettings | None,
                  problems: list[Problem]) -> ReportSettings:
    if settings is not None:
        if settings.studyid and settings.studyid != studyid:
            problems.append(Problem(f"the report settings are for study {settings.studyid}, the package is "
                                    f"{studyid}; they are used as given", file=settings.source, column="studyid",
                                    severity="warning"))
        return settings
    if fallback is not None and fallback.studyid == studyid:
        return fallback
    return ReportSettings()


def _ts_values(ts: pd.DataFrame | None, codes: tuple[str, ...]) -> list[tuple[str, str]]:
    if ts is None or not {"TSPARMCD", "TSVAL"} <= set(ts.columns):
        return []
    rows = ts[ts["TSPARMCD"].isin(codes)]
    label = rows["TSPARM"] if "TSPARM" in rows.columns else rows["TSPARMCD"]
    return [(str(kind), str(value)) for kind, value in zip(label, rows["TSVAL"]) if str(value).strip()]


def _trial_title(ts: pd.DataFrame | None) -> str:
    values = _ts_values(ts, ("TITLE",))
    return values[0][1] if values else ""


def _outcome_measures(ts: pd.DataFrame | None) -> list[tuple[str, str]]:
    return _ts_values(ts, ("OUTMSPRI", "OUTMSSEC"))

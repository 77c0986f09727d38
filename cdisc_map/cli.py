"""The command line: a thin shell over the functional core.

It is the only module that prints, and what reaches a user is a message, never a
traceback: problems in specs and data, paths that cannot be used, a full disk, Ctrl-C.
An exception nobody expected is one line asking for a bug report; `--debug` adds the
trace. Exit status, for pipelines: 0 done and clean, 1 findings (or errors in the specs
or data), 2 usage, unreadable input or an internal error, 130 interrupted.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from cdisc_map import __version__
from cdisc_map.core.problems import CdiscMapError, InputError, Problem, ProblemsError
from cdisc_map.io.convert import convert_dataset
from cdisc_map.io.datasetjson import Context
from cdisc_map.io.output_tree import MANIFEST, write_manifest
from cdisc_map.io.package import check_formats
from cdisc_map.io.studies import DEFAULT_STUDY, bundled_study, bundled_study_resource, copy_study
from cdisc_map.io.xpt import build_timestamp
from cdisc_map.pipeline import DEFAULT_OUT, RunSummary, run_study
from cdisc_map.report import ReportInputs, load_report_settings, study_report_settings, write_outcomes_report
from cdisc_map.sdtm.forms import read_raw_forms
from cdisc_map.spec.check import check_study, raw_column_problems
from cdisc_map.standards.download import (
    BASE_URL_VARIABLE,
    DEFAULT_TIMEOUT,
    PACKAGES,
    DownloadError,
    DownloadReport,
    download_ct,
)
from cdisc_map.standards.home import HOME_VARIABLE, StandardsHome
from cdisc_map.standards.install import ImportReport, import_standards
from cdisc_map.standards.metadata import bundled_sdtmig_versions
from cdisc_map.standards.selection import Standards
from cdisc_map.standards.terminology import TerminologyError, bundled_ct
from cdisc_map.validate import (
    DEFAULT_MAX_PER_RULE,
    FORMATS,
    NotAPackageError,
    exit_code,
    render,
    render_xlsx,
    rules_text,
    validate_path,
    write_atomically,
)
from cdisc_map.validate.rules import write_rule_pages
from cdisc_map.workbook.export import PACKAGES as SPEC_PACKAGES
from cdisc_map.workbook.export import export_study
from cdisc_map.workbook.layout import write_book
from cdisc_map.workbook.starter import CHECKLIST, import_workbook

DEBUG_VARIABLE = "CDISC_MAP_DEBUG"
INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
BUG_REPORT = "please report it to the cdisc-map maintainers with the command you ran"


class Progress:
    """Stage progress on standard error: one line rewritten in place on a terminal,
    plain log lines otherwise (CI logs, pipes), nothing with --quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.live = not quiet and sys.stderr.isatty()
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        stamp = f"[{time.perf_counter() - self.started:6.1f} s] "
        if self.live:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            click.echo(f"\r\033[K{(stamp + message.strip())[:width]}", err=True, nl=False)
        else:
            click.echo(stamp + message, err=True)

    def done(self) -> None:
        if self.live:
            click.echo("\r\033[K", err=True, nl=False)


@contextmanager
def _failing(what: str) -> Iterator[None]:
    """Problems of the specs or files: listed, then "Failed: <what>", exit 1; an option or
    input that cannot be used (`CdiscMapError`): one line, exit 2."""
    try:
        yield
    except ProblemsError as exc:
        _print_problems(exc.problems)
        click.echo(f"\nFailed: {what}", err=True)
        sys.exit(1)
    except CdiscMapError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


def _print_problems(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for title, group in (("Warnings", warnings), ("Errors", errors)):
        if group:
            click.echo(f"\n{title} ({len(group)}):", err=True)
            for problem in group:
                click.echo(f"  - {problem}", err=True)


class Terminated(BaseException):
    """SIGTERM (a CI job cancelled, a container stopped), raised where the run is, like Ctrl-C."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


class Shell(click.Group):
    """The command group: whatever escapes a command becomes a message and an exit status.

    `--debug` (anywhere on the command line, or $CDISC_MAP_DEBUG=1) shows the Python trace
    of an internal error, for a bug report.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        before, marker, after = _split_at_double_dash(args)
        if "--debug" in before:
            ctx.meta["debug"] = True
            before = [arg for arg in before if arg != "--debug"]
        return super().parse_args(ctx, before + marker + after)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except (KeyboardInterrupt, Terminated):
            click.echo("\nInterrupted.", err=True)
            ctx.exit(INTERRUPTED)
        except BrokenPipeError:  # the reader of standard output went away (`| head`)
            sys.stderr.close()
            ctx.exit(1)
        except OSError as exc:
            click.echo(f"Error: {os_error_text(exc)}", err=True)
            ctx.exit(2)
        except Exception as exc:  # noqa: BLE001 - the one place where an unexpected error becomes a message
            debug = ctx.meta.get("debug") or os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0")
            if debug:
                click.echo(traceback.format_exc(), err=True, nl=False)
            name = type(exc).__name__
            click.echo(f"Internal error in cdisc-map {__version__} ({name}: {exc}); this is a bug, {BUG_REPORT}"
                       + ("." if debug else " and what `cdisc-map --debug ...` prints."), err=True)
            ctx.exit(2)


def _split_at_double_dash(args: list[str]) -> tuple[list[str], list[str], list[str]]:
    if "--" not in args:
        return list(args), [], []
    at = args.index("--")
    return list(args[:at]), ["--"], list(args[at + 1:])


_OS_ERROR_HINTS = {
    errno.ENOSPC: "free space on that disk and run again",
    errno.EDQUOT: "free space within your disk quota and run again",
    errno.EFBIG: "the file is larger than this system allows a process to write; free the limit or the disk",
    errno.EACCES: "check the permissions of that path, or choose another one",
    errno.EPERM: "check the permissions of that path, or choose another one",
    errno.EROFS: "that filesystem is read-only: choose a path on another one",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a part of that path is a file, not a folder",
    errno.EISDIR: "that path is a folder; give a file",
}


def os_error_text(exc: OSError) -> str:
    """An OSError as a sentence: which path, what happened, what to do."""
    where = f"{exc.filename}: " if exc.filename else ""
    reason = exc.strerror or str(exc)
    hint = _OS_ERROR_HINTS.get(exc.errno)
    return f"{where}{reason}" + (f". {hint[0].upper()}{hint[1:]}" if hint else "")


@click.group(cls=Shell, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdisc-map")
def main() -> None:
    """Turn raw clinical-trial case data into a CDISC submission package.

    Add --debug to any command to see the Python trace of an internal error.
    """


@main.command()
@click.argument("study_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of the raw export (default: the one study.yaml names).")
@click.option("--out", "out_dir", default=DEFAULT_OUT, show_default=True, type=click.Path(path_type=Path),
              help="Output tree (eCTD layout), replaced whole by each run.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "notice"]), default="error", show_default=True,
              help="Exit 1 when validation (the mapping's warnings included) finds anything at or above this.")
@click.option("--formats", callback=lambda ctx, param, value: _formats(value), metavar="LIST",
              help="Dataset files to write, comma-separated: xpt, json, ndjson (Dataset-JSON 1.1) "
                   "[default: study.yaml's output.formats, else xpt].")
@click.option("--quiet", is_flag=True, help="Only the summary and problems.")
@click.option("--ct", "ct_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A CDISC CT package file (as NCI EVS publishes it) instead of the installed release.")
@click.option("--standards", "standards_dir", type=click.Path(path_type=Path, file_okay=False),
              help=f"A standards home to use instead of ${HOME_VARIABLE} or the user data folder.")
def run(study_dir: Path | None, raw_dir: Path | None, out_dir: Path, fail_on: str,
        formats: tuple[str, ...] | None, quiet: bool, ct_file: Path | None, standards_dir: Path | None) -> None:
    """Convert a study's raw export into its SDTM and ADaM packages, validated.

    STUDY_DIR defaults to the bundled NCT06111625 study with its raw export. OUT gets the
    packages, their define files, the validation report and a SHA256SUMS manifest, all
    swapped in at once: a reader sees the previous tree or the new one, never a mix.

    Exit status: 0 written, nothing at or above --fail-on; 1 written with findings at or
    above --fail-on, or errors in the specs or data (nothing written); 2 usage or an
    input or OUT that cannot be used (nothing written); 130 interrupted.
    """
    started = time.perf_counter()
    progress = Progress(quiet)
    previous = _catch_sigterm()
    try:
        study_dir = study_dir or bundled_study()
        standards = Standards.from_options(standards_dir, ct_file)
        if ct_file is not None:
            _load_ct_file(standards)
        summary = run_study(study_dir, raw_dir=raw_dir, out_dir=out_dir, progress=progress, standards=standards,
                            formats=formats)
    except InputError as exc:
        progress.done()
        _print_problems(exc.problems)
        click.echo(f"\nNothing was written and {out_dir} was left as it was: fix what is named above.", err=True)
        sys.exit(2)
    except ProblemsError as exc:
        progress.done()
        _print_problems(exc.problems)
        count = sum(p.severity == "error" for p in exc.problems)
        click.echo(f"\nFailed: {count} error(s) in the specs or data; nothing was written and {out_dir} "
                   "was left as it was.", err=True)
        sys.exit(1)
    except CdiscMapError as exc:
        progress.done()
        click.echo(f"Error: {exc}", err=True)
        click.echo(f"\nNothing was written; {out_dir} was left as it was.", err=True)
        sys.exit(2)
    except OSError as exc:
        progress.done()
        click.echo(f"Error: {os_error_text(exc)}", err=True)
        click.echo(f"\nNothing was written; {out_dir} was left as it was.", err=True)
        sys.exit(2)
    except (KeyboardInterrupt, Terminated) as exc:
        progress.done()
        what = "Terminated" if isinstance(exc, Terminated) else "Interrupted"
        click.echo(f"\n{what}: nothing was written; {out_dir} was left as it was.", err=True)
        sys.exit(128 + exc.args[0] if isinstance(exc, Terminated) else INTERRUPTED)
    finally:
        _restore_sigterm(previous)
    progress.done()
    sys.exit(_print_run(summary, fail_on, time.perf_counter() - started))


def _load_ct_file(standards: Standards) -> None:
    """A --ct file is read before any work: one that is no CT package is unreadable input (exit 2)."""
    try:
        standards.ct()
    except ProblemsError as exc:
        raise InputError(exc.problems) from exc


def _print_run(summary: RunSummary, fail_on: str, elapsed: float) -> int:
    """The summary of a run that wrote its tree; returns the exit status."""
    for title, rule, problems in (("Mapping warnings", "CM0701", summary.problems),
                                  ("Outcomes report warnings", "CM0702", summary.outcome_problems)):
        if problems:
            click.echo(f"\n{title} ({len(problems)}), in the validation report as {rule}:", err=True)
            for problem in problems:
                click.echo(f"  - {problem}", err=True)
    click.echo(f"\n{'dataset':<10}{'records':>9}{'variables':>11}  file")
    for item in summary.written:
        click.echo(f"{item.name:<10}{item.records:>9}{item.variables:>11}  {item.path}")
    counts = ", ".join(_plural(n, severity) for severity, n in summary.validation.items())
    if summary.reports:
        click.echo(f"\nValidation: {counts}; report in {summary.reports[-1]}")
    if summary.outcomes:
        click.echo(f"Outcomes report: {summary.outcomes}")
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.times.seconds.items())
    click.echo(f"\nTime by stage: {stages}.")
    code = exit_code(summary.report, fail_on=fail_on) if summary.report is not None else 0
    wrote = f"Wrote {len(summary.written)} datasets to {summary.out} in {elapsed:.1f} s"
    if code:
        click.echo(f"\nFailed: validation found {counts} (--fail-on {fail_on}). {wrote}; "
                   f"see the report (exit status {code}).")
    else:
        click.echo(f"\n{wrote}: {counts}, nothing at or above --fail-on {fail_on}.")
    return code


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _catch_sigterm():
    """SIGTERM becomes an exception where the run is, so its staging folder is removed as on Ctrl-C."""
    try:
        return signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave signals alone
        return None


def _restore_sigterm(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


@main.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--study", "study_id", metavar="ID",
              help=f"Which bundled study to copy (default: the only one, else {DEFAULT_STUDY}).")
def init(target: Path, study_id: str | None) -> None:
    """Copy a bundled study to TARGET, as a starting point for your own.

    TARGET gets study.yaml, the SDTM and ADaM specs and the raw export (raw/); it must be
    a new or empty folder. Then: `cdisc-map check-spec TARGET` and `cdisc-map run TARGET`.
    """
    try:
        resource = bundled_study_resource(study_id)
        written = copy_study(resource, target)
    except ProblemsError as exc:
        _print_problems(exc.problems)
        sys.exit(2)
    specs = sum(path.suffix == ".yaml" for path in written)
    raw = sum(path.parent.name == "raw" for path in written)
    click.echo(f"Copied the bundled study {resource.name} to {target}: {specs} spec files and {raw} raw "
               f"export files.")
    click.echo(f"Next: cdisc-map check-spec {target}, then cdisc-map run {target} --out OUT")


def _formats(value: str | None) -> tuple[str, ...] | None:
    """`--formats xpt,json` as a tuple of format names; an unknown name is a usage error."""
    if not value:
        return None
    try:
        return check_formats([part.strip().lower() for part in value.split(",") if part.strip()])
    except ProblemsError as exc:
        raise click.BadParameter("; ".join(f"{p.message} ({p.hint})" for p in exc.problems)) from exc


@main.command()
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("target", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--encoding", help="Text encoding of a source XPT file (XPT records none) [default: UTF-8].")
def convert(source: Path, target: Path, encoding: str | None) -> None:
    """Convert one dataset between XPT and Dataset-JSON 1.1 (.xpt, .json, .ndjson), losslessly.

    The formats follow the file suffixes: cdisc-map convert adsl.xpt adsl.json, and back.
    Exit status: 0 when written; 1 when SOURCE cannot be read or its data cannot be
    written as TARGET (the problems are listed, and TARGET is left as it was).
    """
    context = Context(source_system=("cdisc-map", __version__))
    try:
        converted = convert_dataset(source, target, context=context, encoding=encoding)
    except ProblemsError as exc:
        _print_problems(exc.problems)
        click.echo(f"\nFailed: {target} was not written.", err=True)
        sys.exit(1)
    click.echo(f"Wrote {converted.target}: {converted.dataset}, {converted.records} records, "
               f"{converted.variables} variables.")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text", show_default=True,
              help="Report format, printed on standard output (xlsx needs --output).")
@click.option("--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file (atomically) instead of standard output.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "notice"]), default="error", show_default=True,
              help="Exit 1 when there are findings at or above this severity.")
@click.option("--ct", "ct_package", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A CDISC CT package file (as NCI EVS publishes it) instead of the release the "
                   "package declares, as installed; with neither, terminology findings are notices.")
@click.option("--standards", "standards_dir", type=click.Path(path_type=Path, file_okay=False),
              help=f"A standards home to use instead of ${HOME_VARIABLE} or the user data folder.")
@click.option("--standard", help="The IG version to check against instead of the one define.xml declares: "
                                 "\"3.2\" or \"SDTMIG 3.2\" for SDTM packages, \"ADaMIG 1.1\" for ADaM ones.")
@click.option("--define", "define", type=click.Path(path_type=Path, dir_okay=False),
              help="The package's define.xml, when it is not in the package folder.")
@click.option("--encoding", help="Text encoding of the XPT files (default: UTF-8 when valid, else "
                                 "Windows-1252, else latin-1, per file).")
@click.option("--max-per-rule", type=click.IntRange(min=0), default=DEFAULT_MAX_PER_RULE, show_default=True,
              help="Findings shown per rule and file in text, values (each with its count and "
                   "sample records) in HTML; 0 shows all. JSON, JUnit and xlsx keep every finding.")
def validate(path: Path, fmt: str, output: Path | None, fail_on: str, ct_package: Path | None,
             standard: str | None, define: Path | None, encoding: str | None, max_per_rule: int,
             standards_dir: Path | None) -> None:
    """Check a package folder (XPTs + define.xml) or an OUT tree against the conformance rules.

    Exit status: 0 when nothing at or above --fail-on, 1 when there is, 2 when PATH cannot be read.
    """
    if fmt == "xlsx" and output is None:
        click.echo("Error: --format xlsx writes a workbook: give the file with --output", err=True)
        sys.exit(2)
    try:
        standards = Standards.from_options(standards_dir, ct_package)
        ct = standards.ct() if ct_package else None
        report = validate_path(path, ct=ct, standard=standard, encoding=encoding, define=define,
                               standards=standards)
    except (NotAPackageError, TerminologyError, OSError, ProblemsError, CdiscMapError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    content = render_xlsx(report) if fmt == "xlsx" else render(report, fmt, fail_on=fail_on,
                                                               max_per_rule=max_per_rule)
    if output is not None:
        try:
            write_atomically(output, content)
        except OSError as exc:
            click.echo(f"Error: cannot write {output}: {exc}", err=True)
            sys.exit(2)
        click.echo(f"{output}: {render(report, 'text', max_per_rule=0).rstrip().splitlines()[-1]}")
    else:
        click.echo(content)
    sys.exit(exit_code(report, fail_on=fail_on))


@main.command()
@click.option("--docs", "docs", type=click.Path(path_type=Path, file_okay=False),
              help="Write the rule pages and their index (docs/rules/) into this folder.")
def rules(docs: Path | None) -> None:
    """List the validation rules: id, severity, what each checks and which CDISC/FDA rule it mirrors."""
    if docs is not None:
        written = write_rule_pages(docs)
        click.echo(f"Wrote {len(written)} files to {docs}.")
        return
    click.echo(rules_text())


@main.command("check-spec")
@click.argument("study_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--ct", "ct_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A CDISC CT package file (as NCI EVS publishes it) instead of the installed release.")
@click.option("--standards", "standards_dir", type=click.Path(path_type=Path, file_okay=False),
              help=f"A standards home to use instead of ${HOME_VARIABLE} or the user data folder.")
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="The raw export whose columns the specs are checked against (default: the one study.yaml names).")
def check_spec(study_dir: Path, ct_file: Path | None, standards_dir: Path | None, raw_dir: Path | None) -> None:
    """Check a study's mapping specs: each problem with file, line and what to write instead.

    With the raw export (--raw, else the folder study.yaml names when it exists), every
    column the specs read is checked against the export's forms too.
    """
    try:
        standards = Standards.from_options(standards_dir, ct_file)
        study, problems = check_study(study_dir, standards)
        folder = raw_dir or (study.default_raw_dir() if study else None)
        if study is not None and folder is not None and folder.is_dir():
            forms, unreadable = read_raw_forms(study, folder)
            problems += unreadable + raw_column_problems(
                study, {name: list(map(str, form.frame.columns)) for name, form in forms.items()})
    except CdiscMapError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    if problems:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"\n{len(problems)} problem(s) in the specs of {study_dir}.")
        sys.exit(1)
    count = len(study.sdtm) if study else 0
    adam_count = (study.adam.adsl is not None) + len(study.adam.tte) if study else 0
    click.echo(f"OK: study.yaml, {count} SDTM and {adam_count} ADaM spec(s) are valid.")


# --- the standards home: standards import, standards list, ct download ----------------


def _home(standards_dir: Path | None) -> StandardsHome:
    return StandardsHome(standards_dir) if standards_dir is not None else StandardsHome.default()


def _counts(counts) -> str:
    return ", ".join(f"{number:,} {what}" for what, number in counts.items())


def _print_import(report: ImportReport) -> None:
    click.echo(f"Standards home: {report.home.path}")
    width = max((len(o.entry.name) for o in report.outcomes), default=0)
    for outcome in report.outcomes:
        entry = outcome.entry
        sources = ", ".join(f"{s['file']} (sha256 {s['sha256'][:12]}...)" for s in entry.sources)
        click.echo(f"  {outcome.action:<10} {entry.name:<{width}}  {_counts(entry.counts)}  from {sources}")
    if report.skipped:
        click.echo(f"Skipped, not standards tables: {', '.join(report.skipped)}")
    if report.warnings:
        click.echo(f"\nWarnings ({len(report.warnings)}):", err=True)
        for problem in report.warnings[:10]:
            click.echo(f"  - {problem}", err=True)
        if len(report.warnings) > 10:
            click.echo(f"  ... and {len(report.warnings) - 10} more", err=True)


@main.group()
def standards() -> None:
    """Install published CDISC standards into the standards home, and list what it holds.

    The home is $CDISC_MAP_HOME when set, else the user data folder; --standards DIR names another.
    """


@standards.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--version", "release", metavar="YYYY-MM-DD",
              help="The CT release of a file that does not show it (NCI EVS's current 'SDTM Terminology.txt').")
@click.option("--standards", "standards_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The standards home to install into.")
def standards_import(paths: tuple[Path, ...], release: str | None, standards_dir: Path | None) -> None:
    """Install NCI EVS CT packages and CDISC Library IG exports (files or folders of them).

    CT: SDTM, ADaM, Define-XML Terminology as tab-delimited text or CSV, also inside .xz, .gz or
    .zip. IG: the CDISC Library CSV exports of SDTMIG datasets and variables, ADaMIG data
    structures and variables. Everything is checked first; on any error nothing is installed.
    """
    try:
        report = import_standards(paths, home=_home(standards_dir), version=release)
    except ProblemsError as exc:
        _print_problems(exc.problems)
        click.echo(f"\nNothing was installed: {sum(p.severity == 'error' for p in exc.problems)} error(s).",
                   err=True)
        sys.exit(1)
    except (CdiscMapError, OSError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    _print_import(report)


@standards.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--standards", "standards_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The standards home to list.")
def standards_list(fmt: str, standards_dir: Path | None) -> None:
    """Show the standards installed in the home, and what a run uses when one is missing."""
    home = _home(standards_dir)
    entries = home.entries()
    if fmt == "json":
        click.echo(json.dumps({"home": str(home.path), "installed": [
            {key: value for key, value in entry.document().items() if key not in ("kind", "codelists")}
            for entry in entries]}, indent=2))
        return
    where = f"${HOME_VARIABLE}" if os.environ.get(HOME_VARIABLE, "").strip() and standards_dir is None else (
        "--standards" if standards_dir is not None else "the user data folder")
    click.echo(f"Standards home: {home.path} ({where})")
    if entries:
        width = max(len(e.name) for e in entries)
        for entry in entries:
            sources = ", ".join(s.get("url") or s["file"] for s in entry.sources)
            click.echo(f"  {entry.name:<{width}}  {_counts(entry.counts)}  ({sources})")
    else:
        click.echo("  nothing installed: install with `cdisc-map ct download` or `cdisc-map standards import FILE`")
    for problem in home.problems():
        click.echo(f"  unreadable: {problem}", err=True)
    bundled = [bundled_ct().description] + [f"SDTMIG {v} (bundled subset)" for v in bundled_sdtmig_versions()]
    click.echo(f"When a release is not installed, runs use the fallback shipped with cdisc-map: {', '.join(bundled)}.")


class DownloadProgress:
    """A progress bar per file on standard error when it is a terminal; a line per file otherwise."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.current: str | None = None

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if name != self.current:
            self.current = name
            if not self.live:
                size = f" ({total / 1e6:.1f} MB)" if total else ""
                click.echo(f"Downloading {name}{size}", err=True)
        if not self.live:
            return
        if total:
            filled = int(30 * done / total)
            bar = "#" * filled + "-" * (30 - filled)
            text = f"\r{name}  [{bar}] {done / 1e6:6.1f} of {total / 1e6:.1f} MB"
        else:
            text = f"\r{name}  {done / 1e6:6.1f} MB"
        click.echo(text, err=True, nl=False)
        if total and done >= total:
            click.echo("", err=True)


def _print_download(report: DownloadReport) -> None:
    for item in report.files:
        click.echo(f"Downloaded {item.url}\n  {item.size:,} bytes, sha256 {item.sha256}")
    if report.already_installed:
        click.echo(f"Already installed, not downloaded again: "
                   f"{', '.join(f'{p} CT {report.version}' for p in report.already_installed)} (--force fetches them)")
    if report.not_published:
        click.echo(f"Not published for {report.version}: {', '.join(report.not_published)} CT")
    if report.imported is not None:
        _print_import(report.imported)


@main.group()
def ct() -> None:
    """Controlled terminology from NCI EVS."""


@ct.command("download")
@click.argument("release", required=False, metavar="[VERSION]")
@click.option("--package", "packages", multiple=True, type=click.Choice(PACKAGES, case_sensitive=False),
              help="A CT package to fetch (repeatable; default: all three).")
@click.option("--base-url", help=f"The NCI EVS CDISC folder (default: ${BASE_URL_VARIABLE} or NCI EVS itself).")
@click.option("--timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for the server before giving up.")
@click.option("--force", is_flag=True, help="Fetch again a release that is already installed.")
@click.option("--standards", "standards_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The standards home to install into.")
def ct_download(release: str | None, packages: tuple[str, ...], base_url: str | None, timeout: float, force: bool,
                standards_dir: Path | None) -> None:
    """Download a CT release (VERSION, e.g. 2025-03-28; default: the newest) from NCI EVS and install it.

    Fetches SDTM, ADaM and Define-XML Terminology, records each file's SHA-256, and installs them as
    `cdisc-map standards import` does. Without a network it fails at once and says how to import a
    file downloaded elsewhere.
    """
    chosen = tuple(next(p for p in PACKAGES if p.casefold() == name.casefold()) for name in packages) or PACKAGES
    try:
        report = download_ct(release, chosen, home=_home(standards_dir), base=base_url, timeout=timeout,
                             progress=DownloadProgress(), force=force)
    except DownloadError as exc:
        click.echo(f"\nError: {exc}", err=True)
        sys.exit(1)
    except ProblemsError as exc:
        _print_problems(exc.problems)
        click.echo("\nThe downloaded files were not installed.", err=True)
        sys.exit(1)
    _print_download(report)


@main.command("report")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--adtte", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="An ADTTE (XPT) to report instead of OUT's, e.g. one another tool wrote.")
@click.option("--adsl", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The ADSL that goes with --adtte (treatment groups).")
@click.option("--sdtm", "sdtm_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="The SDTM package that goes with --adtte, for the disposition and exposure summary.")
@click.option("--settings", "settings_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Report settings (report.yaml: time points per parameter, ...); default: the bundled "
                   "study's, for its own packages.")
def report(out_dir: Path, adtte: Path | None, adsl: Path | None, sdtm_dir: Path | None,
           settings_file: Path | None) -> None:
    """Write OUT/report/index.html: each endpoint of ADTTE as a Kaplan-Meier or cumulative-incidence
    curve with numbers at risk and estimates, and the study's disposition and exposure.

    OUT is the output tree of `cdisc-map run`; with --adtte the report reads the files given instead
    and is written under OUT. Exit status: 0 when written, 2 when the input cannot be read.
    """
    if (adsl or sdtm_dir) and not adtte:
        click.echo("Error: --adsl and --sdtm go with --adtte", err=True)
        sys.exit(2)
    try:
        settings = load_report_settings(settings_file) if settings_file else None
        inputs = ReportInputs.of_files(adtte, adsl, sdtm_dir) if adtte else ReportInputs.of_tree(out_dir)
        written = write_outcomes_report(out_dir, inputs, settings=settings,
                                        fallback=None if settings else study_report_settings(bundled_study()))
        if (out_dir / MANIFEST).is_file():  # the tree's manifest keeps telling the truth about every file
            write_manifest(out_dir)
    except ProblemsError as exc:
        _print_problems(exc.problems)
        click.echo("\nNo report written.", err=True)
        sys.exit(2)
    _print_problems(written.problems)
    click.echo(f"Outcomes report: {written.path}")


# --- spec workbooks: export-spec, import-spec ---------------------------------------------


@main.command("export-spec")
@click.argument("study_dir", type=click.Path(path_type=Path, file_okay=False))
@click.argument("workbook", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--package", "package", type=click.Choice(["all", *SPEC_PACKAGES]), default="all", show_default=True,
              help="The datasets to describe: SDTM, ADaM or both (one workbook per package is what P21 makes "
                   "one define.xml from).")
@click.option("--ct", "ct_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A CDISC CT package file (as NCI EVS publishes it) instead of the installed release.")
@click.option("--standards", "standards_dir", type=click.Path(path_type=Path, file_okay=False),
              help=f"A standards home to use instead of ${HOME_VARIABLE} or the user data folder.")
def export_spec(study_dir: Path, workbook: Path, package: str, ct_file: Path | None,
                standards_dir: Path | None) -> None:
    """Write a study's metadata as a spec workbook (.xlsx) in the layout Pinnacle 21 and metacore read.

    Sheets: Study, Standards, Datasets, Variables, ValueLevel, WhereClauses, Codelists,
    Dictionaries, Methods, Comments, Documents, from the specs and the standards (no raw
    data is read; lengths and Has No Data are left to the run's define.xml).
    Exit status: 0 when written; 1 when a spec cannot be read or the file cannot be written;
    2 when --standards or --ct cannot be used.
    """
    with _failing(f"{workbook} was not written."):
        standards = Standards.from_options(standards_dir, ct_file)
        exported = export_study(study_dir, standards, SPEC_PACKAGES if package == "all" else (package,))
        write_book(exported.book, workbook, build_timestamp())
    _print_problems(exported.problems)
    datasets = exported.book.rows("Datasets")
    adam = sum(row["Standard"].startswith("ADaM") for row in datasets)
    terms = exported.count("Codelists")
    codelists = len({row["ID"] for row in exported.book.rows("Codelists")})
    click.echo(f"Wrote {workbook}: {len(datasets) - adam} SDTM and {adam} ADaM datasets, "
               f"{exported.count('Variables')} variables, {exported.count('ValueLevel')} value-level rows, "
               f"{codelists} codelists ({terms} terms), {exported.count('Methods')} methods, "
               f"{exported.count('Comments')} comments.")
    click.echo("Left empty, as the data decides them: character lengths, significant digits, Has No Data "
               "(the define.xml `cdisc-map run` writes has them).")


@main.command("import-spec")
@click.argument("workbook", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("target_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--ct", "ct_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A CDISC CT package file (as NCI EVS publishes it) instead of the installed release.")
@click.option("--standards", "standards_dir", type=click.Path(path_type=Path, file_okay=False),
              help=f"A standards home to use instead of ${HOME_VARIABLE} or the user data folder.")
def import_spec(workbook: Path, target_dir: Path, ct_file: Path | None, standards_dir: Path | None) -> None:
    """Turn a spec workbook (P21 layout, whoever wrote it) into a starter study folder TARGET_DIR.

    Datasets, variables, labels, keys, origins, methods, comments, codelists and value-level
    codelists become study.yaml, sdtm/*.yaml and adam/ specs; a mapping is inferred where the
    workbook says enough, otherwise a placeholder is written with a TODO comment. Every
    unmapped variable is listed, and written to TARGET_DIR/CHECKLIST.md.
    Exit status: 0 when written; 1 when the workbook cannot be read or TARGET_DIR is not empty;
    2 when --standards or --ct cannot be used.
    """
    with _failing(f"nothing was written to {target_dir}."):
        standards = Standards.from_options(standards_dir, ct_file)
        starter, files = import_workbook(workbook, target_dir, standards)
    _print_problems(starter.notes)
    sdtm = sum(name.startswith("sdtm/") for name in starter.files)
    tte = sum(name.startswith("adam/adtte/") for name in starter.files)
    adsl = "adam/adsl.yaml" in starter.files
    click.echo(f"Wrote the starter study folder {target_dir}: study.yaml, {sdtm} SDTM spec(s)"
               + (", adam/adsl.yaml" if adsl else "") + (f", {tte} time-to-event parameter(s)" if tte else "")
               + f" ({len(files)} files).")
    unmapped = starter.unmapped()
    if unmapped:
        click.echo(f"\nUnmapped ({len(unmapped)}): a placeholder is written for each, with a TODO comment")
        width = max(len(todo.file) for todo in unmapped)
        for todo in unmapped:
            click.echo(f"  {todo.file:<{width}}  {todo.item}: {todo.text}")
    click.echo(f"\nChecklist: {target_dir / CHECKLIST}. Next: give study.yaml the raw export, then "
               f"`cdisc-map check-spec {target_dir} --raw EXPORT`.")


if __name__ == "__main__":
    main()

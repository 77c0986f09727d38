"""The command line: a thin shell over the functional core."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import click

from cdisc_map import __version__
from cdisc_map.core.problems import CdiscMapError, Problem, ProblemsError
from cdisc_map.io.convert import convert_dataset
from cdisc_map.io.datasetjson import Context
from cdisc_map.io.package import check_formats

BUNDLED_STUDY = Path(__file__).resolve().parent.parent / "mappings" / "nct06111625"


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


def _print_problems(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for title, group in (("Warnings", warnings), ("Errors", errors)):
        if group:
            click.echo(f"\n{title} ({len(group)}):", err=True)
            for problem in group:
                click.echo(f"  - {problem}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdisc-map")
def main() -> None:
    """Turn raw clinical-trial case data into a CDISC submission package."""


@main.command()
@click.argument("study_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of the raw export (default: the one study.yaml names).")
@click.option("--out", "out_dir", default=Path("build"), show_default=True, type=click.Path(path_type=Path),
              help="Output tree (eCTD layout).")
@click.option("--formats", callback=lambda ctx, param, value: _formats(value), metavar="LIST",
              help="Dataset files to write, comma-separated: xpt, json, ndjson (Dataset-JSON 1.1) "
                   "[default: study.yaml's output.formats, else xpt].")
@click.option("--quiet", is_flag=True, help="Only the summary and problems.")
def run(study_dir: Path | None, raw_dir: Path | None, out_dir: Path, formats: tuple[str, ...] | None,
        quiet: bool) -> None:
    """Convert a study's raw export into its SDTM package.

    STUDY_DIR defaults to the bundled NCT06111625 study with its fixture export.
    """
    from cdisc_map.pipeline import run_study

    study_dir = study_dir or BUNDLED_STUDY
    started = time.perf_counter()
    progress = Progress(quiet)
    try:
        summary = run_study(study_dir, raw_dir=raw_dir, out_dir=out_dir, progress=progress, formats=formats)
    except ProblemsError as exc:
        progress.done()
        _print_problems(exc.problems)
        count = sum(p.severity == "error" for p in exc.problems)
        click.echo(f"\nFailed: {count} error(s); nothing was written and any earlier output was left as it was.",
                   err=True)
        sys.exit(1)
    except CdiscMapError as exc:
        progress.done()
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    progress.done()
    _print_problems(summary.problems)
    click.echo(f"\n{'dataset':<10}{'records':>9}{'variables':>11}  file")
    for item in summary.written:
        click.echo(f"{item.name:<10}{item.records:>9}{item.variables:>11}  {item.path}")
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{n} {severity}(s)" for severity, n in summary.validation.items())
    if summary.reports:
        click.echo(f"\nValidation: {counts}; report in {summary.reports[-1]}")
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.times.seconds.items())
    click.echo(f"\nTime by stage: {stages}.")
    warnings = len(summary.problems)
    click.echo(f"\nWrote {len(summary.written)} datasets in {elapsed:.1f} s"
               + (f" with {warnings} warning(s)" if warnings else "") + ".")


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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "html"]), default="text",
              show_default=True, help="Report format, printed on standard output.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "notice"]), default="error", show_default=True,
              help="Exit 1 when there are findings at or above this severity.")
@click.option("--ct", "ct_package", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A full CDISC CT package (NCI EVS tab-delimited text) instead of the bundled subset.")
def validate(path: Path, fmt: str, fail_on: str, ct_package: Path | None) -> None:
    """Check a package folder (XPTs + define.xml) or an OUT tree against the conformance rules.

    Exit status: 0 when nothing at or above --fail-on, 1 when there is, 2 when PATH cannot be read.
    """
    from cdisc_map.standards.terminology import TerminologyError, load_ct_package
    from cdisc_map.validate import NotAPackageError, exit_code, render, validate_path

    try:
        ct = load_ct_package(ct_package) if ct_package else None
        report = validate_path(path, ct=ct)
    except (NotAPackageError, TerminologyError, OSError, ProblemsError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(render(report, fmt, fail_on=fail_on))
    sys.exit(exit_code(report, fail_on=fail_on))


@main.command()
def rules() -> None:
    """List the validation rules: id, severity, what each checks and which CDISC/FDA rule it mirrors."""
    from cdisc_map.validate import rules_text

    click.echo(rules_text())


@main.command("check-spec")
@click.argument("study_dir", type=click.Path(path_type=Path, file_okay=False))
def check_spec(study_dir: Path) -> None:
    """Check a study's mapping specs: each problem with file, line and what to write instead."""
    from cdisc_map.adam.build import check_adam_specs
    from cdisc_map.spec.study import check_study

    study, problems = check_study(study_dir)
    adam_version = study.adamig_version if study else "1.3"
    problems = problems + check_adam_specs(study_dir, adam_version)
    if problems:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"\n{len(problems)} problem(s) in the specs of {study_dir}.")
        sys.exit(1)
    from cdisc_map.adam.build import load_adam_specs

    count = len(study.sdtm) if study else 0
    adam = load_adam_specs(study_dir)
    adam_count = (adam.adsl is not None) + len(adam.tte)
    click.echo(f"OK: study.yaml, {count} SDTM and {adam_count} ADaM spec(s) are valid.")


if __name__ == "__main__":
    main()

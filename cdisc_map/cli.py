"""The command line: a thin shell over the functional core."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import click

from cdisc_map import __version__
from cdisc_map.core.problems import CdiscMapError, Problem, ProblemsError
from cdisc_map.standards.terminology import TerminologyError, load_ct_package
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
@click.option("--quiet", is_flag=True, help="Only the summary and problems.")
def run(study_dir: Path | None, raw_dir: Path | None, out_dir: Path, quiet: bool) -> None:
    """Convert a study's raw export into its SDTM package.

    STUDY_DIR defaults to the bundled NCT06111625 study with its fixture export.
    """
    from cdisc_map.pipeline import run_study

    study_dir = study_dir or BUNDLED_STUDY
    started = time.perf_counter()
    progress = Progress(quiet)
    try:
        summary = run_study(study_dir, raw_dir=raw_dir, out_dir=out_dir, progress=progress)
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


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text", show_default=True,
              help="Report format, printed on standard output (xlsx needs --output).")
@click.option("--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file (atomically) instead of standard output.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "notice"]), default="error", show_default=True,
              help="Exit 1 when there are findings at or above this severity.")
@click.option("--ct", "ct_package", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The published CDISC CT package (NCI EVS tab-delimited text) the package uses; "
                   "without it, terminology findings are notices.")
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
             standard: str | None, define: Path | None, encoding: str | None, max_per_rule: int) -> None:
    """Check a package folder (XPTs + define.xml) or an OUT tree against the conformance rules.

    Exit status: 0 when nothing at or above --fail-on, 1 when there is, 2 when PATH cannot be read.
    """
    if fmt == "xlsx" and output is None:
        click.echo("Error: --format xlsx writes a workbook: give the file with --output", err=True)
        sys.exit(2)
    try:
        ct = load_ct_package(ct_package) if ct_package else None
        report = validate_path(path, ct=ct, standard=standard, encoding=encoding, define=define)
    except (NotAPackageError, TerminologyError, OSError, ProblemsError) as exc:
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

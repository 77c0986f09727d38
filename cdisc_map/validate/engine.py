"""Run every registered check over the packages under a path and collect the findings.

Each package is checked with the standards it declares (see `validate.standards`): the
collector is told which rules report notices for it, and the checks run in the order
their modules register them, the note on the declared standards last.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cdisc_map.validate.checks_adam as checks_adam
import cdisc_map.validate.checks_ct as checks_ct
import cdisc_map.validate.checks_define as checks_define
import cdisc_map.validate.checks_design as checks_design
import cdisc_map.validate.checks_events as checks_events
import cdisc_map.validate.checks_findings as checks_findings
import cdisc_map.validate.checks_model as checks_model
import cdisc_map.validate.checks_sdtm as checks_sdtm
import cdisc_map.validate.checks_standards as checks_standards
import cdisc_map.validate.checks_suppqual as checks_suppqual
import cdisc_map.validate.checks_xpt as checks_xpt
from cdisc_map.standards.selection import Standards
from cdisc_map.standards.terminology import Terminology
from cdisc_map.validate.context import Collector, Context
from cdisc_map.validate.loader import Package, load_packages
from cdisc_map.validate.rules import CHECKS, CT, IG, RULES, SEVERITIES, Finding, severity_rank
from cdisc_map.validate.standards import PackageStandards, resolve_standards

# The check modules, in the order their checks run (the standards note comes last).
CHECK_MODULES = (checks_xpt, checks_model, checks_ct, checks_sdtm, checks_findings,
                 checks_events, checks_design, checks_suppqual, checks_adam, checks_define,
                 checks_standards)


@dataclass
class DatasetSummary:
    file: str
    name: str
    standard: str  # "SDTM" or "ADaM"
    records: int | None  # None when the file could not be read
    variables: int | None
    label: str = ""
    encoding: str | None = None  # the text encoding the file was read with


@dataclass
class PackageSummary:
    """One package folder: its define.xml and the standards it was checked with."""

    folder: str
    define: str | None
    define_version: str | None
    kind: str  # "SDTM" or "ADaM"
    declared_standard: str | None
    standard: str
    declared_terminology: str | None
    terminology: str


@dataclass
class Report:
    """Every finding of one validation run, with what was validated and against what."""

    path: str
    datasets: list[DatasetSummary]
    defines: list[str]
    findings: list[Finding]
    totals: dict[tuple[str, str], int]  # (rule id, file) -> findings
    standard: str
    terminology: str
    packages: list[PackageSummary] | None = None

    def rule_totals(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (rule_id, _file), count in self.totals.items():
            counts[rule_id] += count
        return {rule_id: counts.get(rule_id, 0) for rule_id in RULES}

    def severity_totals(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {severity: counts.get(severity, 0) for severity in SEVERITIES}


def validate_path(path: str | os.PathLike, *, ct: Terminology | None = None,
                  standard: str | None = None, sdtmig_version: str | None = None,
                  encoding: str | None = None, define: str | os.PathLike | None = None,
                  standards: Standards | None = None) -> Report:
    """Validate every package under `path` (a package folder, an OUT tree or one dataset file).

    `ct` is a full CT package (`load_ct_package`); without it, the CT release each
    package declares is taken from `standards` (default: `Standards()`, the standards
    home), else its newest installed release, else the bundled subset, whose membership
    findings are notices. `standard` ("SDTMIG 3.2", or
    `sdtmig_version` "3.2") overrides the IG version the define.xml declares; `encoding`
    the text encoding of the XPT files; `define` the package's define.xml. Raises
    NotAPackageError when the path holds no XPT file.
    """
    packages = load_packages(path, encoding=encoding, define=define)
    return validate_packages(packages, path=str(path), ct=ct, standard=standard or sdtmig_version,
                             standards=standards)


def downgraded_rules(standards: PackageStandards) -> frozenset[str]:
    """The rules that report notices for a package, given how far its standards are known."""
    families = set()
    if not standards.ig_exact:
        families |= {IG, CT}
    if not standards.ct_exact:
        families.add(CT)
    return frozenset(rule.id for rule in RULES.values() if rule.depends_on in families)


def ordered_checks() -> list:
    """The registered checks, module by module in CHECK_MODULES order."""
    position = {module.__name__: index for index, module in enumerate(CHECK_MODULES)}
    return [function for function, _rule_ids in
            sorted(CHECKS, key=lambda c: position.get(c[0].__module__, len(position)))]


def validate_packages(packages: list[Package], *, path: str = "", ct: Terminology | None = None,
                      standard: str | None = None, standards: Standards | None = None) -> Report:
    """Run every registered check on already loaded packages."""
    standards = standards or Standards()
    out = Collector()
    summaries = []
    for package in packages:
        chosen = resolve_standards(package, standard=standard, ct=ct, standards=standards)
        out.downgraded = downgraded_rules(chosen)
        context = Context(out=out, standards=chosen, first_finding=len(out.findings))
        for function in ordered_checks():
            function(package, context)
        summaries.append(PackageSummary(
            folder=package.file,
            define=package.relative(package.define) if package.define else None,
            define_version=package.define_version, kind=chosen.kind,
            declared_standard=chosen.declared_ig, standard=chosen.used_ig,
            declared_terminology=chosen.declared_ct, terminology=chosen.terminology,
        ))
    datasets = [
        DatasetSummary(
            file=d.file, name=d.name, standard="ADaM" if d.is_adam else "SDTM",
            records=d.records if d.readable else None,
            variables=len(d.frame.columns) if d.readable else None,
            label=d.meta.label if d.meta is not None else "",
            encoding=d.meta.encoding if d.meta is not None else None,
        )
        for package in packages for d in package.datasets.values()
    ]
    defines = [package.relative(package.define) for package in packages if package.define]
    return Report(
        path=Path(path).as_posix() if path else "",
        datasets=sorted(datasets, key=lambda d: d.file),
        defines=sorted(defines),
        findings=sorted(out.findings, key=Finding.sort_key),
        totals=dict(out.totals),
        standard=_one_line(sorted({s.standard for s in summaries})),
        terminology=_one_line(sorted({s.terminology for s in summaries})),
        packages=sorted(summaries, key=lambda s: s.folder),
    )


def _one_line(values: list[str]) -> str:
    return ", ".join(values)


def exit_code(findings: Report | Iterable[Finding], fail_on: str = "error") -> int:
    """0 when no finding is at or above `fail_on` (error, warning or notice), else 1."""
    threshold = severity_rank(fail_on)
    items = findings.findings if isinstance(findings, Report) else findings
    return int(any(severity_rank(f.severity) >= threshold for f in items))

"""Conformance checks for SDTM and ADaM packages (XPT files + define.xml).

The functional core of `cdisc-map validate`: load every package under a path once,
run the registered rules with the standards each package declares, and render the
findings. Any package can be checked, not only one cdisc-map wrote.

    report = validate_path("build/")            # a package folder, an OUT tree or one .xpt
    print(render(report, "text"))
    sys.exit(exit_code(report, fail_on="error"))

`NotAPackageError` means the input cannot be validated at all (exit status 2).
"""

from cdisc_map.validate.context import Collector, Context
from cdisc_map.validate.engine import (
    DatasetSummary,
    PackageSummary,
    Report,
    exit_code,
    validate_packages,
    validate_path,
)
from cdisc_map.validate.excel import render_xlsx
from cdisc_map.validate.loader import Dataset, NotAPackageError, Package, load_packages
from cdisc_map.validate.report import (
    DEFAULT_MAX_PER_RULE,
    FORMATS,
    REPORT_JSON_SCHEMA,
    render,
    render_html,
    render_json,
    render_junit,
    render_text,
    to_document,
    write_atomically,
    write_reports,
)
from cdisc_map.validate.rules import (
    RULES,
    SEVERITIES,
    Finding,
    Rule,
    rule_page,
    rules_index,
    rules_text,
)

__all__ = [
    "DEFAULT_MAX_PER_RULE",
    "FORMATS",
    "REPORT_JSON_SCHEMA",
    "RULES",
    "SEVERITIES",
    "Collector",
    "Context",
    "Dataset",
    "DatasetSummary",
    "Finding",
    "NotAPackageError",
    "Package",
    "PackageSummary",
    "Report",
    "Rule",
    "exit_code",
    "load_packages",
    "render",
    "render_html",
    "render_json",
    "render_junit",
    "render_text",
    "render_xlsx",
    "rule_page",
    "rules_index",
    "rules_text",
    "to_document",
    "validate_packages",
    "validate_path",
    "write_atomically",
    "write_reports",
]

"""The outcomes report: a package's endpoints at a glance (curves, numbers at risk, estimates,
disposition and exposure), as one self-contained HTML page. See docs/outcomes-report.md."""

from cdisc_map.report.build import (
    REPORT_FILE,
    REPORT_FOLDER,
    SETTINGS_FILE,
    OutcomesReport,
    ReportInputs,
    build_page,
    report_after_run,
    study_report_settings,
    write_outcomes_report,
)
from cdisc_map.report.settings import ReportSettings, load_report_settings

__all__ = [
    "REPORT_FILE",
    "REPORT_FOLDER",
    "SETTINGS_FILE",
    "OutcomesReport",
    "ReportInputs",
    "ReportSettings",
    "build_page",
    "load_report_settings",
    "report_after_run",
    "study_report_settings",
    "write_outcomes_report",
]

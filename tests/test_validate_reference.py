"""The CDISC pilot packages (written by SAS, SDTMIG 3.1.2 and ADaM 2.1 era, Define-XML 1.0):
read without a traceback, and every finding is a true defect of the data, explained here,
or a notice where the package's own standard version is not installed.

The packages are third-party test inputs in ../shared/reference/ (skipped when absent);
their counts below are what the validator must find in them, each with its reason.
"""

from __future__ import annotations

import json
import lzma
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisc_map.cli import main
from cdisc_map.standards.terminology import load_ct_package
from cdisc_map.validate import render, validate_path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
REFERENCE = SHARED / "reference"
SDTM = REFERENCE / "cdiscpilot01-sdtm"
ADAM = REFERENCE / "cdiscpilot01-adam"
CT_FILE = SHARED / "standards" / "sdtm-ct-2025-03-28.txt.xz"

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(),
                                reason="../shared/reference (the CDISC pilot packages) is absent")

# Every finding on the pilot SDTM package, by rule and severity, and why it is right.
SDTM_FINDINGS = {
    ("CM0107", "error"): 3,     # ts.xpt TSVAL: a Windows-1252 curly apostrophe (Alzheimer’s)
    ("CM0108", "warning"): 78,  # character lengths of 200 for values of a few bytes
    ("CM0211", "error"): 1,     # AESTDY 366 on the day of RFSTDTC (should be 1)
    ("CM0213", "error"): 2,     # RFXENDTC empty although RFXSTDTC is populated
    ("CM0215", "warning"): 4,   # RFXENDTC before the subject's last EX end
    ("CM0228", "warning"): 473,  # AEs without AEENDTC and without AEENRF
    ("CM0229", "error"): 36,    # AESHOSP/AESLIFE/AESCAN/AESDTH Y with AESER N
    ("CM0231", "error"): 104,   # ARMCD/ACTARMCD 'Scrnfail' for 52 subjects: SDTMIG's code is SCRNFAIL
    ("CM0234", "warning"): 6,   # AE, CM, DS, EX, MH and SC have no EPOCH; SE places their records
    ("CM0237", "warning"): 1,   # TS has no PCLAS (FDA asks for it)
    ("CM0238", "error"): 1,     # TS has no SSTDTC
    ("CM0505", "error"): 4,     # LB, QS, SUPPLB, VS: described in define.xml, left out of this copy
    ("CM0508", "error"): 18,    # the XPT files carry no dataset label; define.xml has them
    ("CM0513", "warning"): 1,   # define.xml is Define-XML 1.0
    # Notices: the package declares SDTMIG 3.1.2, whose metadata is not installed, so what
    # SDTMIG 3.4 and the bundled CT subset say is shown but cannot fail a build.
    ("CM0203", "notice"): 5,    # 3.4's Expected ARMNRS, ACTARMUD, TSVALCD, TSVCDREF, TSVCDVER
    ("CM0205", "notice"): 3153,  # values outside 3.4's codelists in the bundled CT subset
    ("CM0220", "notice"): 2,    # EXTRT and EXDOSE labels changed in 3.4
    ("CM0224", "notice"): 2,    # TSPARM names of INDIC and TINDTP changed in CT
    ("CM0601", "notice"): 1,    # said once: SDTMIG 3.1.2 is not installed
    ("CM0602", "notice"): 1,    # said once: no full CT package was given
}
ADAM_FINDINGS = {
    ("CM0108", "warning"): 9,   # character lengths longer than the longest value
    ("CM0505", "error"): 6,     # ADLBC, ADLBH, ADLBHY, ADQSADAS, ADQSNPIX, ADVS left out of this copy
    ("CM0508", "error"): 4,     # the XPT files carry no dataset label
    ("CM0511", "error"): 28,    # BMIBLGR1 '>=30' where define.xml's BMICAT says '>30'
    ("CM0513", "warning"): 1,   # define.xml is Define-XML 1.0
    ("CM0519", "error"): 4,     # SEX F/M/U and Y_BLANK Y coded with a trailing non-breaking space
    ("CM0401", "notice"): 1,    # ADSL has no ACTARM, which ADaMIG 1.3 requires; it declares ADaM 2.1
    ("CM0601", "notice"): 1,    # said once: ADaM 2.1 (ADaMIG 1.0) is not what the rules encode
}


def counts(report) -> dict[tuple[str, str], int]:
    return dict(Counter((f.rule, f.severity) for f in report.findings))


@pytest.fixture(scope="module")
def timed_sdtm_report():
    started = time.perf_counter()
    report = validate_path(SDTM)
    return report, time.perf_counter() - started


@pytest.fixture(scope="module")
def sdtm_report(timed_sdtm_report):
    return timed_sdtm_report[0]


@pytest.fixture(scope="module")
def full_ct(tmp_path_factory):
    if not CT_FILE.is_file():
        pytest.skip("../shared/standards/sdtm-ct-2025-03-28.txt.xz is absent")
    target = tmp_path_factory.mktemp("ct") / "sdtm-ct-2025-03-28.txt"
    with lzma.open(CT_FILE) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return load_ct_package(target)


def test_the_pilot_sdtm_package_has_exactly_its_true_defects(sdtm_report):
    assert counts(sdtm_report) == SDTM_FINDINGS


def test_the_pilot_adam_package_has_exactly_its_true_defects():
    assert counts(validate_path(ADAM)) == ADAM_FINDINGS


def test_what_the_pilot_declares_is_what_it_is_checked_with(sdtm_report):
    [package] = sdtm_report.packages
    assert (package.define, package.define_version, package.declared_standard, package.standard) == (
        "define.xml", "1.0", "SDTMIG 3.1.2", "SDTMIG 3.4 (bundled subset)")
    assert {d.name: d.encoding for d in sdtm_report.datasets}["TS"] == "cp1252"
    epochs = {f.dataset for f in sdtm_report.findings if f.rule == "CM0234"}
    assert epochs == {"AE", "CM", "DS", "EX", "MH", "SC"}
    labels = {f.dataset for f in sdtm_report.findings if f.rule == "CM0508"}
    assert len(labels) == 18 and all("no dataset label" in f.message for f in sdtm_report.findings
                                     if f.rule == "CM0508")


def test_with_the_published_ct_the_subset_artefacts_are_gone(full_ct):
    report = validate_path(SDTM, ct=full_ct)
    found = counts(report)
    # the values the subset did not know are now known; what remains is 2012 against 2025
    assert found[("CM0205", "notice")] == 546
    assert ("CM0602", "notice") not in found
    values = Counter((f.variable, f.value) for f in report.findings if f.rule == "CM0205")
    assert values[("DSDECOD", "FINAL LAB VISIT")] == 254  # a sponsor term of the extensible list
    assert {k: v for k, v in found.items() if k[0] != "CM0205"} == {
        k: v for k, v in SDTM_FINDINGS.items() if k[0] not in ("CM0205", "CM0602")}


def test_the_cli_reads_the_pilot_without_a_traceback_and_exits_1(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(REFERENCE), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert len(document["packages"]) == 2 and document["summary"]["datasets"] == 22


def test_every_view_of_the_pilot_renders(sdtm_report):
    for fmt in ("text", "html", "junit"):
        assert render(sdtm_report, fmt)


def test_validation_time_of_the_pilot_sdtm_package(timed_sdtm_report, capsys):
    """Prints the figure (no assertion on time: speed is measured, not tested)."""
    report, elapsed = timed_sdtm_report
    records = sum(d.records or 0 for d in report.datasets)
    with capsys.disabled():
        print(f"\n  pilot SDTM package: {records:,} records in {len(report.datasets)} datasets "
              f"validated in {elapsed:.2f} s")

"""A corpus of broken specs through `check-spec` and `run`: never a traceback, and check-spec
finds what run would refuse, with the file and the line of the fault.

Each case breaks one thing in a copy of a small study (DM and EX from two raw forms, an
ADSL and one time-to-event parameter), the way a spec writer would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisc_map.cli import main

STUDY_YAML = """\
study: {id: TEST01}
standards: {sdtmig: "3.4", ct: "2024-09-27"}
raw:
  dir: raw
  forms:
    demographics: {file: dm.csv, subject: SUBJ}
    dosing: {file: dose.csv, subject: Subject}
subjects: {form: demographics, site: SITE}
sdtm: [dm, ex]
"""

DM_YAML = """\
dataset: DM
keys: [STUDYID, USUBJID]
sources: [{form: demographics}]
variables:
  STUDYID: {derive: studyid}
  DOMAIN: {constant: DM}
  USUBJID: {derive: usubjid}
  SUBJID: {derive: subjid}
  RFSTDTC: {derive: first_date, dataset: EX, var: EXSTDTC}
  RFENDTC: {derive: last_date, dataset: EX, var: EXENDTC}
  RFXSTDTC: {derive: first_date, dataset: EX, var: EXSTDTC}
  RFXENDTC: {derive: last_date, dataset: EX, var: EXENDTC}
  RFICDTC: {date: Consent, format: DD-MON-YYYY}
  RFPENDTC: {date: Consent, format: DD-MON-YYYY}
  DTHDTC: {constant: ""}
  DTHFL: {constant: ""}
  SITEID: {derive: siteid}
  AGE: {number: Age}
  AGEU: {constant: YEARS}
  SEX: {ct: SEX, col: Sex, values: {"Female": F}}
  RACE: {constant: ASIAN}
  ARMCD: {constant: A}
  ARM: {constant: Drug A}
  ACTARMCD: {constant: A}
  ACTARM: {constant: Drug A}
  ARMNRS: {constant: ""}
  ACTARMUD: {constant: ""}
  COUNTRY: {constant: CHN}
  DMDY: {derive: study_day, of: RFICDTC}
"""

EX_YAML = """\
dataset: EX
keys: [STUDYID, USUBJID, EXTRT, EXSTDTC]
sources: [{form: dosing}]
variables:
  STUDYID: {derive: studyid}
  DOMAIN: {constant: EX}
  USUBJID: {derive: usubjid}
  EXSEQ: {derive: seq}
  EXTRT: {constant: DRUG A}
  EXDOSE: {number: Dose}
  EXDOSU: {ct: UNIT, col: Unit}
  EXDOSFRM: {constant: TABLET}
  EXSTDTC: {date: Date, format: DD/MM/YYYY}
  EXENDTC: {date: Date, format: DD/MM/YYYY}
  EXSTDY: {derive: study_day, of: EXSTDTC}
  EXENDY: {derive: study_day, of: EXENDTC}
"""

ADSL_YAML = """\
dataset: ADSL
variables:
  STUDYID: {copy: STUDYID}
  USUBJID: {copy: USUBJID}
  SUBJID: {copy: SUBJID}
  SITEID: {copy: SITEID}
  AGE: {copy: AGE}
  AGEU: {copy: AGEU}
  SEX: {copy: SEX}
  RACE: {copy: RACE}
  ARM: {copy: ARM}
  ACTARM: {copy: ACTARM}
  TRT01P: {copy: ARM}
  TRTSDT: {derive: sas_date, of: RFSTDTC}
  SAFFL: {derive: exists, dataset: EX, where: {var: EXDOSE, gt: 0}}
  LSTALVDT: {derive: last_date, sources: [{dataset: EX, var: EXENDTC}, {dataset: DM, var: RFICDTC}]}
"""

TTE_YAML = """\
paramcd: TTLAST
param: Time to Last Dose (days)
start: {dataset: ADSL, var: TRTSDT}
events:
  - {dataset: EX, var: EXENDTC, pick: last, desc: LAST DOSE}
censors:
  - {dataset: ADSL, var: LSTALVDT, cnsr: 1, desc: LAST KNOWN ALIVE DATE}
"""

DM_CSV = "SITE,SUBJ,Consent,Age,Sex\n01,001,05-JAN-2024,34,M\n01,002,07-JAN-2024,51,Female\n"
DOSE_CSV = "Subject,Date,Dose,Unit\n001,06/01/2024,10,mg\n002,08/01/2024,10,mg\n"

FILES = {"study.yaml": STUDY_YAML, "sdtm/dm.yaml": DM_YAML, "sdtm/ex.yaml": EX_YAML, "adam/adsl.yaml": ADSL_YAML,
         "adam/adtte/ttlast.yaml": TTE_YAML, "raw/dm.csv": DM_CSV, "raw/dose.csv": DOSE_CSV}


def make_study(root: Path, file: str | None = None, old: str = "", new: str = "") -> Path:
    for name, text in FILES.items():
        if name == file:
            assert old in text, f"{old!r} not in {name}"
            text = text.replace(old, new, 1)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


#: (id, file, text, replacement, what check-spec must say, the text of the line it must name)
CORPUS = [
    ("misspelt kind", "sdtm/dm.yaml", "AGE: {number: Age}", "AGE: {numbr: Age}", "did you mean 'number'", "AGE:"),
    ("two kinds", "sdtm/dm.yaml", "AGEU: {constant: YEARS}", "AGEU: {constant: YEARS, copy: Age}",
     "exactly one of", "AGEU:"),
    ("unknown derivation", "sdtm/dm.yaml", "{derive: usubjid}", "{derive: usubjd}", "usubjid", "USUBJID:"),
    ("derivation without its parameter", "sdtm/ex.yaml", "EXSTDY: {derive: study_day, of: EXSTDTC}",
     "EXSTDY: {derive: study_day}", "study_day needs `of`", "EXSTDY:"),
    ("parameter of another entry", "sdtm/dm.yaml", "AGE: {number: Age}", "AGE: {number: Age, of: RFICDTC}",
     "number takes no `of`", "AGE:"),
    ("bad date format", "sdtm/ex.yaml", "EXSTDTC: {date: Date, format: DD/MM/YYYY}",
     "EXSTDTC: {date: Date, format: MM/DD/YYY}", "date format", "EXSTDTC:"),
    ("lower-case date format", "sdtm/ex.yaml", "EXENDTC: {date: Date, format: DD/MM/YYYY}",
     "EXENDTC: {date: Date, format: dd/mm/yyyy}", "date format", "EXENDTC:"),
    ("unknown codelist", "sdtm/ex.yaml", "{ct: UNIT, col: Unit}", "{ct: UNITS, col: Unit}", "UNITS", "EXDOSU:"),
    ("typo in another dataset's variable", "sdtm/dm.yaml", "RFSTDTC: {derive: first_date, dataset: EX, var: EXSTDTC}",
     "RFSTDTC: {derive: first_date, dataset: EX, var: EXSTDTX}", "EX has no variable EXSTDTX", "RFSTDTC:"),
    ("unknown dataset", "sdtm/dm.yaml", "RFENDTC: {derive: last_date, dataset: EX,",
     "RFENDTC: {derive: last_date, dataset: EXX,", "EXX is not a dataset of this study", "RFENDTC:"),
    ("condition on a variable not mapped", "sdtm/dm.yaml", "ARMNRS: {constant: \"\"}",
     "ARMNRS: {when: [{if: {var: ARMX, missing: true}, then: {constant: NOT ASSIGNED}}]}",
     "ARMX, which DM does not map", "ARMNRS:"),
    ("variable not in the IG", "sdtm/dm.yaml", "COUNTRY: {constant: CHN}", "COUNTRY: {constant: CHN}\n  DMXX: "
     "{constant: A}", "DMXX is neither an SDTMIG 3.4 DM variable nor a variable of its class", "DMXX:"),
    ("Required variable not mapped", "sdtm/ex.yaml", "  EXTRT: {constant: DRUG A}\n", "",
     "Required variable EXTRT is not mapped", "variables:"),
    ("text into a numeric variable", "sdtm/ex.yaml", "EXDOSE: {number: Dose}", "EXDOSE: {copy: Dose}",
     "EXDOSE is numeric in SDTMIG", "EXDOSE:"),
    ("unquoted Yes as a value key", "sdtm/dm.yaml", '{"Female": F}', '{Female: F, Yes: M}', "read as True", "SEX:"),
    ("unknown form", "sdtm/ex.yaml", "sources: [{form: dosing}]", "sources: [{form: dossing}]",
     "did you mean 'dosing'", "sources:"),
    ("key not mapped", "sdtm/ex.yaml", "keys: [STUDYID, USUBJID, EXTRT, EXSTDTC]",
     "keys: [STUDYID, USUBJID, EXTRT, EXSTDTX]", "key EXSTDTX is not mapped", "keys:"),
    ("seq mapped per source", "sdtm/ex.yaml", "sources: [{form: dosing}]\nvariables:\n  STUDYID: {derive: studyid}\n"
     "  DOMAIN: {constant: EX}\n  USUBJID: {derive: usubjid}\n  EXSEQ: {derive: seq}\n",
     "sources: [{form: dosing, variables: {EXSEQ: {derive: seq}}}]\nvariables:\n  STUDYID: {derive: studyid}\n"
     "  DOMAIN: {constant: EX}\n  USUBJID: {derive: usubjid}\n", "needs the dataset's records in their final order",
     "sources:"),
    ("variables read each other in a circle", "sdtm/dm.yaml", "RFSTDTC: {derive: first_date, dataset: EX, var: "
     "EXSTDTC}", "RFSTDTC: {derive: first_date, dataset: EX, var: EXSTDY}", "circle", None),
    ("an SDTM kind in ADaM", "adam/adsl.yaml", "TRTSDT: {derive: sas_date, of: RFSTDTC}",
     "TRTSDT: {date: RFSTDTC}", "date is a kind of SDTM specs", "TRTSDT:"),
    ("Required ADaM variable not mapped", "adam/adsl.yaml", "  RACE: {copy: RACE}\n", "",
     "Required variable RACE is not mapped", "variables:"),
    ("an ADaM variable reading nothing known", "adam/adsl.yaml", "TRTSDT: {derive: sas_date, of: RFSTDTC}",
     "TRTSDT: {derive: sas_date, of: RFSTDTX}", "RFSTDTX", "TRTSDT:"),
    ("ADaM source of an unknown variable", "adam/adsl.yaml", "{dataset: EX, var: EXENDTC}",
     "{dataset: EX, var: EXENDTX}", "EX has no variable EXENDTX", "LSTALVDT:"),
    ("time-to-event source of an unknown variable", "adam/adtte/ttlast.yaml", "var: LSTALVDT", "var: LSTALV",
     "ADSL has no variable LSTALV", "LSTALV"),
    ("time-to-event key misspelt", "adam/adtte/ttlast.yaml", "censors:", "censor:", "did you mean 'censors'",
     "censor:"),
    ("a raw column the export does not have", "sdtm/dm.yaml", "AGE: {number: Age}", "AGE: {number: Agee}",
     "form 'demographics' has no column 'Agee'", "AGE:"),
    ("YAML that does not parse", "sdtm/ex.yaml", "keys: [STUDYID, USUBJID, EXTRT, EXSTDTC]",
     "keys: [STUDYID, USUBJID, EXTRT, EXSTDTC", "not valid YAML", None),
]


@pytest.mark.parametrize("case", CORPUS, ids=[case[0] for case in CORPUS])
def test_check_spec_finds_what_run_refuses_and_nothing_is_a_traceback(case, tmp_path):
    _name, file, old, new, expected, line_text = case
    study = make_study(tmp_path / "study", file, old, new)
    checked = CliRunner().invoke(main, ["check-spec", str(study)])
    ran = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "out"), "--quiet"])
    for result in (checked, ran):
        assert "Traceback" not in result.output and result.exception is None or isinstance(
            result.exception, SystemExit), result.output
        assert result.exit_code == 1, result.output
        assert expected in result.output, result.output
    assert not (tmp_path / "out").exists()
    if line_text is not None:
        path = study / file
        line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if line_text in text)
        assert f"{path}, row {line}" in checked.output, checked.output


def test_the_intact_study_checks_and_runs(tmp_path):
    study = make_study(tmp_path / "study")
    checked = CliRunner().invoke(main, ["check-spec", str(study)])
    assert checked.exit_code == 0, checked.output
    ran = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "out"), "--quiet"])
    assert ran.exit_code == 0, ran.output  # written, and its validation finds no error
    assert "Wrote 4 datasets" in ran.output

"""The rule registry: every check the validator makes, with a stable id.

A pipeline fails a build on a rule id, a reviewer looks a finding up by it, and a data
manager fixes the data from its page, so ids never change meaning once published and
each rule says which FDA Validator Rule (Pinnacle 21 runs those) or CDISC SDTMIG
Conformance Rule it mirrors, where one does the same check. `mirrors` names only rules
whose published id and meaning were checked; an empty `mirrors` means none was found,
not that none exists.

Severity is fixed per rule, so `--fail-on` and the reports can rely on it, with one
exception: a rule whose answer depends on the IG version or the CT release
(`depends_on`) reports notices in a package whose declared version could not be used
(see `validate.standards`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"
SEVERITIES = (ERROR, WARNING, NOTICE)
_RANK = {NOTICE: 1, WARNING: 2, ERROR: 3}

FAMILIES = {
    "xpt": "SAS transport (XPT v5) structure",
    "sdtm": "SDTM content",
    "suppqual": "Supplemental qualifiers (SUPP--)",
    "adam": "ADaM content",
    "define": "define.xml",
    "standards": "The standards the package declares",
}
IG = "ig"  # depends on the IG version's metadata (variables, core, labels, order, codelists)
CT = "ct"  # depends on the CT release (codelist membership)


def severity_rank(severity: str) -> int:
    """notice < warning < error, for comparisons with a fail level."""
    try:
        return _RANK[severity]
    except KeyError:
        raise ValueError(
            f"unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}"
        ) from None


@dataclass(frozen=True)
class Rule:
    """One conformance rule: what it checks, why, and how to fix what it finds."""

    id: str
    family: str
    severity: str
    message: str  # one line, what is wrong
    explanation: str  # why it matters
    fix: str  # how to make it go away
    mirrors: tuple[str, ...] = ()  # e.g. ("FDA SD0002",) or ("CDISC CG0148",)
    depends_on: str = ""  # IG, CT or "" (the rule holds whatever the version)


@dataclass(frozen=True, slots=True)
class Finding:
    """One breach of a rule, located as precisely as the data allows.

    `row` is the observation number in the XPT file (1 = first record); `usubjid` and
    `seq` (the dataset's --SEQ, or ASEQ, as text) name the record the way a reviewer
    finds it; `value` is the offending value as text. Package-level findings (a missing
    dataset, a define.xml problem) leave the record fields empty. `severity` is the
    rule's, or notice where the rule depends on a version the package could not be
    checked with.
    """

    rule: str
    severity: str
    file: str = ""
    dataset: str = ""
    variable: str = ""
    row: int | None = None
    usubjid: str | None = None
    seq: str | None = None
    value: str | None = None
    message: str = ""

    def sort_key(self) -> tuple:
        return (
            self.file,
            self.dataset,
            self.rule,
            self.row if self.row is not None else 0,
            self.variable,
            self.value or "",
            self.message,
        )


def _rule(id: str, family: str, severity: str, message: str, explanation: str,
          fix: str, mirrors: tuple[str, ...] = (), depends_on: str = "") -> Rule:
    return Rule(id, family, severity, message, " ".join(explanation.split()),
                " ".join(fix.split()), mirrors, depends_on)


_ALL = [
    # --- XPT v5 structure -----------------------------------------------------------
    _rule("CM0101", "xpt", ERROR, "The file cannot be read as a SAS transport (XPT) file",
          """FDA accepts datasets only as SAS transport files; a file no reader can open
          is a file the reviewer cannot open either, and no other rule can check it.""",
          """Write the dataset again with a SAS XPORT writer (cdisc-map's write_xpt,
          SAS PROC COPY/XPORT or pyreadstat), and check it is not truncated."""),
    _rule("CM0102", "xpt", ERROR, "The file is not SAS transport version 5",
          """The FDA Study Data Technical Conformance Guide requires XPORT version 5.
          Version 8 files allow long names and labels that v5 tools truncate.""",
          """Write the file as version 5 (pyreadstat: file_format_version=5; SAS: the
          XPORT engine or %loc2xpt with FORMAT=V5)."""),
    _rule("CM0103", "xpt", ERROR, "The file name is not the lower-case dataset name",
          """Reviewers and tools find a dataset by its file name: dm.xpt must hold the
          DM dataset. A file named differently from the member inside is either
          misnamed or holds the wrong dataset.""",
          """Rename the file to the lower-case dataset name plus .xpt, or write the
          dataset with the right member name."""),
    _rule("CM0104", "xpt", ERROR, "A dataset or variable name breaks the XPT v5 naming rule",
          """XPT v5 names have at most 8 characters: upper-case letters, digits and
          underscores, not starting with a digit. Longer or other names are cut or refused
          by v5 readers.""",
          """Rename the variable (SDTM and ADaM names are at most 8 characters by
          design; use SUPP-- or a shorter name for a sponsor variable)."""),
    _rule("CM0105", "xpt", ERROR, "A dataset or variable label is longer than 40 characters",
          """XPT v5 stores at most 40 characters of label; a longer label is cut and
          no longer matches define.xml.""",
          """Shorten the label to at most 40 characters (the SDTMIG and ADaMIG labels
          all fit), in the dataset and in define.xml."""),
    _rule("CM0106", "xpt", ERROR, "A character value is longer than 200 bytes",
          """XPT v5 character variables hold at most 200 bytes. Longer text is
          truncated without warning by v5 writers.""",
          """Split the text as SDTMIG 4.5.3 describes (the first 200 characters in the
          variable, the rest in SUPP-- qualifiers such as AETERM1, AETERM2)."""),
    _rule("CM0107", "xpt", ERROR, "A value or label has non-ASCII characters",
          """FDA expects ASCII text in transport files; other characters (a Greek mu,
          curly quotes, accented letters) are read differently depending on the
          reviewer's encoding, or turned into garbage.""",
          """Transliterate the text where it is mapped (for example "μg" to "ug"), with
          an explicit rule in the mapping spec, and write the dataset again."""),
    _rule("CM0108", "xpt", WARNING, "A character variable is longer than its longest value",
          """The Study Data Technical Conformance Guide asks that character lengths be
          set to the longest value actually present: blanket lengths of 200 inflate
          file sizes many times over.""",
          """Set each character variable's length to the byte length of its longest
          value when writing the XPT (cdisc-map's writer does this)."""),
    _rule("CM0109", "xpt", NOTICE, "A file in the package folder is not a dataset and was not checked",
          """A package folder holds XPT datasets, the define.xml and documents. Anything
          else (a SAS dataset, a second define.xml, an XML file that is not one) is
          named so that nobody believes it was validated.""",
          """Remove the file from the package folder, or convert it to what it should
          be (SAS datasets to XPT v5); keep one define.xml per package."""),
    # --- SDTM ------------------------------------------------------------------------
    _rule("CM0201", "sdtm", ERROR, "A Required variable is missing from the dataset",
          """SDTMIG marks identifier and topic variables Required: a record cannot be
          understood without them, so the column must be present.""",
          """Add the variable to the dataset (and to define.xml), mapped from the raw
          data or derived as the SDTMIG describes.""",
          ("FDA SD0056",), depends_on=IG),
    _rule("CM0202", "sdtm", ERROR, "A Required variable is null",
          """Required variables must have a value in every record; a null Required
          value leaves the record unidentifiable or meaningless.""",
          """Populate the value, or, if the raw data has none, query the site; do not
          submit the record with the Required value empty.""",
          ("FDA SD0002",), depends_on=IG),
    _rule("CM0203", "sdtm", WARNING, "An Expected variable is missing from the dataset",
          """Expected variables must be present even when every value is null
          (SDTMIG 4.1.4): their absence suggests the data was never collected or
          mapped.""",
          """Add the variable, with null values if nothing was collected, and explain
          in the reviewer's guide.""",
          ("FDA SD0057",), depends_on=IG),
    _rule("CM0204", "sdtm", ERROR, "A value is not in its non-extensible codelist",
          """Variables with a non-extensible CDISC codelist may use only its
          submission values; anything else cannot be pooled or analysed with other
          studies.""",
          """Map the raw value to a submission value of the codelist (through the
          spec's value map), or correct the raw data. Checked against the CT package
          the validator loaded: the bundled one is a subset, so load the full
          published package for a final check.""",
          ("FDA CT2001",), depends_on=CT),
    _rule("CM0205", "sdtm", WARNING, "A value is not in its extensible codelist",
          """Extensible codelists allow sponsor terms, but only when no existing term
          (or synonym) means the same; a new term needs a reason.""",
          """Use the existing submission value when one fits; otherwise keep the new
          term, add it to the define.xml codelist marked as extended, and explain it
          in the reviewer's guide.""",
          ("FDA CT2002",), depends_on=CT),
    _rule("CM0206", "sdtm", ERROR, "A --DTC value is not a valid ISO 8601 date/time",
          """SDTM dates and times are ISO 8601 text (YYYY-MM-DDThh:mm:ss, right
          truncated when partial). A value in another form, or a day that does not
          exist, breaks every date comparison and study-day derivation.""",
          """Convert the raw date with the mapping spec's date rule (with the right
          format hint); impossible dates go back to the site as queries.""",
          ("FDA SD0003",)),
    _rule("CM0207", "sdtm", ERROR, "A --SEQ value is repeated within a subject",
          """--SEQ identifies a record within a subject in a domain; SUPPQUAL, RELREC
          and reviewers refer to records by it, so it must be unique.""",
          """Derive --SEQ again after the dataset is complete, numbering each
          subject's records 1, 2, 3... in the dataset's sort order.""",
          ("FDA SD0005",)),
    _rule("CM0208", "sdtm", ERROR, "A subject is not in DM",
          """DM holds one record for every subject in the study; a subject with data
          elsewhere but no DM record has no demographics, reference dates or arm.""",
          """Add the subject to DM, or correct the USUBJID of the records (a typing
          error in the subject number is the usual cause).""",
          ("FDA SD0064",)),
    _rule("CM0209", "sdtm", ERROR, "DM has more than one record for a subject",
          """DM has exactly one record per subject: USUBJID must be unique in it.""",
          """Remove the duplicate subject records; if the subject was enrolled twice,
          follow the SDTMIG advice on multiple enrolments.""",
          ("FDA SD0083",)),
    _rule("CM0210", "sdtm", ERROR, "A study day (--DY) is 0",
          """SDTM study days have no day 0: the day of RFSTDTC is day 1 and the day
          before it day -1.""",
          """Derive --DY as date - RFSTDTC + 1 on or after the reference date and date
          - RFSTDTC before it.""",
          ("FDA SD0038",)),
    _rule("CM0211", "sdtm", ERROR, "A study day (--DY) does not match its date and RFSTDTC",
          """--DY, --STDY and --ENDY are derived from the date portion of the matching
          --DTC and the subject's DM.RFSTDTC; a value that does not match them, or
          that exists when either date is incomplete, misplaces the record in
          time.""",
          """Derive the study day again from the complete dates (leave it null when
          either date is partial or RFSTDTC is missing). CDISC CG0220 states the rule
          for --STDY; the same algorithm applies to --DY and --ENDY.""",
          ("CDISC CG0220",)),
    _rule("CM0212", "sdtm", ERROR, "A start date/time is after its end date/time",
          """An event, intervention or reference period cannot end before it starts.
          Dates are compared at the precision both have (2024-03 and 2024-03-05 are
          not in conflict).""",
          """Check the raw start and end dates; the usual cause is swapped fields,
          a wrong year or a day/month mix-up in the date format.""",
          ("FDA SD0013",)),
    _rule("CM0213", "sdtm", ERROR, "RFXSTDTC/RFXENDTC do not match the subject's EX records",
          """RFXSTDTC and RFXENDTC are the first and last exposure to study treatment
          and must come from EX: a subject with EX records needs them, a subject
          without EX records must not have them, and each must be a start (or end)
          date/time found in EX.""",
          """Derive RFXSTDTC and RFXENDTC from EX (earliest EXSTDTC, latest EXENDTC or
          EXSTDTC) after EX is built."""),
    _rule("CM0214", "sdtm", WARNING, "RFXSTDTC is not the earliest EXSTDTC",
          """CDISC conformance rule CG0148: when EX is present, RFXSTDTC is the
          earliest EXSTDTC of the subject. A later value usually means that some EX
          records (a premedication, say) were left out of the derivation.""",
          """Take RFXSTDTC as the earliest EXSTDTC over all the subject's EX records,
          or move records that are not study treatment out of EX (premedications
          belong in CM unless the protocol makes them study treatment).""",
          ("CDISC CG0148",)),
    _rule("CM0215", "sdtm", WARNING, "RFXENDTC is not the latest EX end date/time",
          """RFXENDTC is the last exposure to study treatment: the latest EXENDTC (or
          EXSTDTC where EXENDTC is empty) of the subject.""",
          """Derive RFXENDTC as the latest EXENDTC/EXSTDTC over all the subject's EX
          records."""),
    _rule("CM0216", "sdtm", ERROR, "RFSTDTC is empty for a subject exposed to study treatment",
          """RFSTDTC anchors every study day of the subject. A subject with EX records
          was treated, so the reference start is known and must be populated.""",
          """Populate RFSTDTC (usually the first exposure, RFXSTDTC) for every treated
          subject."""),
    _rule("CM0217", "sdtm", ERROR, "The SDTM package has no DM dataset",
          """Every SDTM submission has DM: it defines the subjects and their
          reference dates, and every other domain refers to it.""",
          """Build DM and put dm.xpt in the package folder."""),
    _rule("CM0218", "sdtm", WARNING,
          "A variable is neither in the IG's table for its domain nor a variable of its class",
          """SDTMIG lists each domain's variables; the SDTM model also allows any
          identifier, timing or qualifier variable of the domain's general observation
          class (VISITNUM, EPOCH, --ENRTPT in AE...). Anything else is a sponsor
          variable, which belongs in SUPP--.""",
          """Move the variable to the domain's SUPP-- dataset as a supplemental
          qualifier, or rename it to the standard variable it stands for.""",
          depends_on=IG),
    _rule("CM0219", "sdtm", WARNING, "The variables are not in the order of the IG",
          """Reviewers read datasets in the order SDTMIG gives (identifiers, topic,
          qualifiers, timing); a different order makes them hunt for variables.""",
          """Write the variables in SDTMIG order, permissible additions where their
          role puts them.""",
          depends_on=IG),
    _rule("CM0220", "sdtm", WARNING, "A variable's label differs from the IG's",
          """The label of a standard variable is the IG's; another label suggests the
          variable means something else.""",
          """Use the IG label (cdisc-map's conformance step does).""",
          depends_on=IG),
    _rule("CM0221", "sdtm", ERROR, "A variable's type differs from the IG's",
          """A standard variable is Char or Num as the IG says; a numeric --SEQ stored
          as text, or a --DTC stored as a SAS date, breaks every tool that reads it.""",
          """Store the variable with the IG's type (ISO 8601 text for --DTC).""",
          depends_on=IG),
    _rule("CM0222", "sdtm", ERROR, "A --TESTCD is not a valid 8-character name, or a --TEST is longer than 40",
          """--TESTCD values become variable names when findings are transposed, so
          they follow the variable naming rule (at most 8 characters, letters, digits
          and underscores, not starting with a digit); --TEST values become labels
          and have at most 40 characters (SDTMIG 4.5.3).""",
          """Use the CT test code and name; for a sponsor test, choose a code and a
          name that fit."""),
    _rule("CM0223", "sdtm", ERROR, "--TESTCD and --TEST are not one-to-one",
          """Each test code has one test name and each name one code throughout a
          dataset; analyses select tests by either.""",
          """Give each test one --TESTCD and --TEST pair across the dataset."""),
    _rule("CM0224", "sdtm", WARNING, "--TEST is not the CT name of its --TESTCD",
          """CDISC CT publishes test codes and test names as paired codelists (LBTESTCD
          and LBTEST...): the name of a coded test is the term with the same NCI code
          in the names codelist.""",
          """Take --TEST from the paired codelist for the --TESTCD.""",
          depends_on=CT),
    _rule("CM0225", "sdtm", WARNING, "A result has no unit although other results of its test have one",
          """A numeric result without its unit cannot be interpreted or converted: when
          some records of a test carry --ORRESU (or --STRESU), every record with a
          result needs one.""",
          """Map the unit from the raw data (or the lab's reference), or query the
          site; leave units empty only for tests that have none."""),
    _rule("CM0226", "sdtm", ERROR, "--STRESN is not the number in --STRESC",
          """--STRESN is the numeric copy of --STRESC: populated with the same number
          when --STRESC is numeric, and null when it is not (such as "<5" or
          "NEGATIVE").""",
          """Derive --STRESN from --STRESC after the standard result is final."""),
    _rule("CM0227", "sdtm", ERROR, "A baseline flag is not Y, or a test has two baseline records for a subject",
          """--BLFL is Y or null, and marks at most one record per subject for each
          test (and category, specimen, position or location, where present): the
          record analyses take as baseline.""",
          """Derive the flag once per subject and test, on the last non-missing result
          before the first dose."""),
    _rule("CM0228", "sdtm", WARNING, "An adverse event has no end date and no end reference",
          """An event without AEENDTC is either ongoing or its end was not collected;
          AEENRTPT with AEENTPT (or AEENRF) says which, and reviewers count ongoing
          events from them.""",
          """Collect the end date, or map "ongoing" to AEENRTPT = ONGOING with AEENTPT
          (the reference time point), as SDTMIG 4.4.7 describes."""),
    _rule("CM0229", "sdtm", ERROR, "The seriousness criteria disagree with AESER",
          """An event with a seriousness criterion (AESDTH, AESHOSP, AESLIFE,
          AESDISAB, AESCONG, AESMIE, AESCAN, AESOD) set to Y is serious (AESER = Y);
          a serious event has at least one criterion Y when the criteria are
          collected.""",
          """Correct AESER or the criteria from the CRF; query the site when they
          contradict each other."""),
    _rule("CM0230", "sdtm", ERROR, "ARMCD/ARM or ACTARMCD/ACTARM are not one name per code, or not TA's",
          """An arm code has one description throughout DM (and the description is
          TA's for that code), so that subjects can be grouped by either.""",
          """Take ARM and ACTARM from TA for the subject's ARMCD and ACTARMCD."""),
    _rule("CM0231", "sdtm", ERROR, "ARMCD or ACTARMCD is not an arm of TA",
          """The planned and actual arms are arms of the trial design: every ARMCD and
          ACTARMCD is an ARMCD of TA, except the null-flavour codes SCRNFAIL,
          NOTASSGN, NOTTRT and UNPLAN (or a null arm with ARMNRS, from SDTMIG 3.3).""",
          """Add the arm to TA, or correct the subject's arm code."""),
    _rule("CM0232", "sdtm", WARNING, "ACTARMCD does not agree with the subject's exposure",
          """A subject with EX records was treated, so ACTARMCD is an arm, not NOTTRT,
          SCRNFAIL or NOTASSGN; a subject with an actual arm but no EX record at all
          suggests missing exposure data.""",
          """Set ACTARMCD from what the subject actually received, and check that EX
          is complete."""),
    _rule("CM0233", "sdtm", ERROR, "EPOCH is not an epoch of TA",
          """EPOCH values name the epochs of the trial design: every EPOCH in the
          package is an EPOCH of TA.""",
          """Use TA's epoch names, or add the epoch to the trial design."""),
    _rule("CM0234", "sdtm", WARNING, "EPOCH is missing where the record starts within one element of the subject",
          """The FDA Study Data Technical Conformance Guide asks for EPOCH in the
          general observation class domains. When the record's start date (a partial
          date included) lies wholly inside one element of the subject in SE (or, in a
          package without SE, inside the dates of one epoch as the subject's other
          records carry it, and no other), its epoch is known.""",
          """Derive EPOCH from the subject's SE element that contains the record's
          start date/time (--STDTC, or --DTC).""",
          ("CDISC CORE-000701",)),
    _rule("CM0235", "sdtm", WARNING, "EPOCH is not the epoch of the element the record starts in",
          """EPOCH is the epoch of the subject's element (in SE) during which the
          record starts; another epoch misplaces the record in the trial.""",
          """Derive EPOCH again from SE after SE is final."""),
    _rule("CM0236", "sdtm", WARNING, "A trial design dataset (TA, TE, TI, TS or TV) is missing",
          """The trial design model describes the planned arms, elements, visits,
          eligibility criteria and the trial summary; FDA expects TS in every
          submission and the others for the reviewer's picture of the trial.""",
          """Build the missing trial design dataset from the protocol."""),
    _rule("CM0237", "sdtm", WARNING, "TS has no pharmacologic class (PCLAS) parameter",
          """The FDA Study Data Technical Conformance Guide asks for the established
          pharmacologic class of the investigational product in TS (TSPARMCD PCLAS,
          "Pharmacologic Class" in CDISC CT), coded with the FDA's classes (MED-RT).""",
          """Add a TS record with TSPARMCD PCLAS, the class name in TSVAL and its code
          in TSVALCD with TSVCDREF MED-RT.""",
          ("CDISC CORE-000741",)),
    _rule("CM0238", "sdtm", ERROR, "TS has no study start date (SSTDTC)",
          """FDA uses the study start date in TS to decide which standards apply to the
          study; a package without it is checked against the wrong expectations.""",
          """Add a TS record with TSPARMCD SSTDTC and the ISO 8601 study start date in
          TSVAL."""),
    _rule("CM0239", "sdtm", ERROR, "An element code is not in TE",
          """Every element a trial arm (TA) or a subject (SE) goes through is defined
          once in TE, with its start and end rules.""",
          """Add the element to TE, or correct ETCD."""),
    _rule("CM0240", "sdtm", ERROR, "A VISITNUM has another VISIT than the trial design's",
          """A planned visit has one number and one name: VISIT for a VISITNUM of TV is
          TV's VISIT everywhere in the package.""",
          """Take VISIT from TV for planned visits; number unplanned visits apart from
          the planned ones."""),
    _rule("CM0241", "sdtm", ERROR, "An eligibility criterion in IE is not in TI",
          """IE records the criteria a subject did not meet; each IETESTCD is one of the
          trial's criteria in TI.""",
          """Add the criterion to TI, or correct IETESTCD."""),
    _rule("CM0242", "sdtm", ERROR, "AGEU is populated but AGE is null",
          """A unit without a value says nothing and suggests a value was lost: AGEU is
          null when AGE is.""",
          """Leave AGEU null when AGE is null (for example when the birth date was not
          collected), or derive AGE.""",
          ("CDISC CORE-000122", "CDISC CORE-000190")),
    _rule("CM0243", "sdtm", ERROR, "DOMAIN is not the code of the domain the dataset holds",
          """DOMAIN is the two-letter code of the records' domain: the dataset's name, or
          for a split dataset (LBCH, LBHE: SDTMIG 4.1.7) the domain code its name starts
          with. Another value files the records under the wrong domain.""",
          """Set DOMAIN to the domain code (the dataset name, or its first two letters for a
          split dataset)."""),
    # --- SUPPQUAL --------------------------------------------------------------------
    _rule("CM0301", "suppqual", ERROR, "A supplemental qualifier has no parent record",
          """Each SUPP-- record qualifies one parent record identified by RDOMAIN,
          USUBJID, IDVAR and IDVARVAL; if no record matches, the qualifier is
          orphaned and its information lost.""",
          """Correct IDVAR/IDVARVAL (usually the parent's --SEQ after --SEQ was
          re-derived), or drop the qualifier with its parent.""",
          ("FDA SD0077",)),
    _rule("CM0302", "suppqual", ERROR, "A supplemental qualifier matches more than one parent record",
          """A qualifier keyed by a record identifier (IDVAR such as AESEQ) must point
          at exactly one record; matching several means the key is not unique (for
          groups of records use --GRPID as IDVAR).""",
          """Use a unique key as IDVAR (--SEQ), or --GRPID when the qualifier applies
          to a group on purpose."""),
    _rule("CM0303", "suppqual", ERROR, "A QNAM is repeated for the same parent record",
          """A parent record has at most one value for each supplemental qualifier:
          RDOMAIN, USUBJID, IDVAR, IDVARVAL and QNAM together are unique.""",
          """Remove the duplicate qualifier records, or give distinct qualifiers
          distinct QNAMs.""",
          ("FDA SD0086",)),
    _rule("CM0304", "suppqual", ERROR, "A QNAM is not a valid variable name",
          """QNAM is the name the qualifier would have as a variable: at most 8
          characters, upper-case letters, digits and underscores, not starting with a
          digit.""",
          """Choose a QNAM that follows the variable naming rule (for example
          AECRSGR).""",
          ("FDA SD1022",)),
    _rule("CM0305", "suppqual", ERROR, "A QLABEL is empty, too long, or not one-to-one with QNAM",
          """QLABEL is the label of the QNAM variable: present, at most 40 characters,
          and the same for every record of a QNAM (and not shared by two QNAMs), so
          that define.xml and a transposed dataset can use it.""",
          """Give each QNAM a single label of at most 40 characters."""),
    _rule("CM0306", "suppqual", ERROR, "RDOMAIN or IDVAR does not fit the parent dataset",
          """A SUPPxx dataset qualifies dataset xx: its RDOMAIN is the domain xx holds
          (the domain code itself, or LB for the split dataset LBCH and its SUPPLBCH,
          SDTMIG 4.1.7), and IDVAR names a variable of xx.""",
          """Set RDOMAIN to the parent domain code and IDVAR to one of its variables
          (usually --SEQ); put qualifiers of other domains in their own SUPP--."""),
    _rule("CM0307", "suppqual", WARNING, "A piece of split text begins or ends with a blank",
          """Text longer than 200 characters is split into pieces (the variable, then
          QNAMs such as AETERM1, COVAL1) that join back by plain concatenation. SAS
          drops trailing blanks, so a piece that ends with a blank loses it, and a
          piece that begins with one shows a blank reviewers read as a defect.""",
          """Split between two non-blank characters, so that no piece begins or ends
          with a blank and the pieces still join back to the original text.""",
          ("CDISC CORE-000867",)),
    # --- ADaM ------------------------------------------------------------------------
    _rule("CM0401", "adam", ERROR, "A variable that ADaM requires is missing",
          """ADaMIG makes some variables Required: STUDYID and USUBJID in every
          dataset, the core subject variables in ADSL, and PARAM, PARAMCD, AVAL and
          CNSR in a time-to-event dataset.""",
          """Add the variable to the dataset and to define.xml.""",
          depends_on=IG),
    _rule("CM0402", "adam", ERROR, "ADSL has more than one record for a subject",
          """ADSL has exactly one record per subject; analysis datasets merge it by
          USUBJID.""",
          """Remove the duplicate records; derive subject-level values once per
          subject."""),
    _rule("CM0403", "adam", ERROR, "An ADaM subject is not in ADSL",
          """Every subject in an ADaM dataset must be in ADSL, which holds the
          population flags and treatment variables every analysis uses.""",
          """Add the subject to ADSL, or correct the USUBJID of the records."""),
    _rule("CM0404", "adam", ERROR, "CNSR is not a non-negative integer",
          """In a time-to-event dataset CNSR is 0 for an event and a positive integer
          for a censoring reason; any other value (missing, negative, fractional,
          text) breaks the survival analysis.""",
          """Set CNSR to 0 for events and 1, 2, ... for the censoring reasons the
          spec names."""),
    _rule("CM0405", "adam", ERROR, "AVAL is missing or negative in a time-to-event dataset",
          """A time to event or censoring is a duration from STARTDT: it exists for
          every record and cannot be negative.""",
          """Check STARTDT and ADT (ADT before STARTDT gives a negative time) and the
          derivation AVAL = ADT - STARTDT (+ 1 if the spec says so)."""),
    _rule("CM0406", "adam", ERROR, "ADT is before STARTDT",
          """The event or censoring date of a time-to-event record cannot precede the
          start of the time at risk.""",
          """Check the event and censoring sources of the parameter: a date before
          the start date usually comes from a record that should have been
          filtered out."""),
    _rule("CM0407", "adam", ERROR, "PARAMCD and PARAM are not one-to-one",
          """In a BDS dataset each PARAMCD has exactly one PARAM and each PARAM one
          PARAMCD; analyses select parameters by either.""",
          """Give each parameter a single PARAMCD and PARAM pair across the whole
          dataset."""),
    _rule("CM0408", "adam", ERROR, "The ADaM package has no ADSL dataset",
          """Every ADaM submission has ADSL, the one-record-per-subject dataset all
          other analysis datasets build on.""",
          """Build ADSL and put adsl.xpt in the package folder."""),
    # --- define.xml ------------------------------------------------------------------
    _rule("CM0501", "define", WARNING, "The package has no define.xml",
          """define.xml describes every dataset, variable, codelist and derivation; a
          package without it cannot be reviewed or validated against its metadata.""",
          """Generate define.xml with the datasets (cdisc-map run writes one per
          package) and put it in the package folder."""),
    _rule("CM0502", "define", ERROR, "define.xml is not valid against the Define-XML schema",
          """Regulators load define.xml with schema-aware tools; an invalid file may
          not load or may render wrongly.""",
          """Fix the element or attribute the schema message names; regenerate the
          file rather than editing it by hand."""),
    _rule("CM0503", "define", ERROR, "define.xml cannot be read as Define-XML",
          """A file that is not well-formed XML, or not Define-XML, tells the reviewer
          nothing about the datasets.""",
          """Regenerate define.xml; check that the file was not truncated or edited
          into invalid XML."""),
    _rule("CM0504", "define", ERROR, "A dataset is not described in define.xml",
          """Every submitted dataset needs its metadata (structure, variables, origins)
          in define.xml.""",
          """Add the dataset to define.xml (regenerate it from the same specs as the
          data)."""),
    _rule("CM0505", "define", ERROR, "A dataset described in define.xml is missing from the package",
          """define.xml promises a dataset that the reviewer will not find.""",
          """Add the dataset file to the package, or remove the dataset from
          define.xml.""",
          ("FDA SD0061",)),
    _rule("CM0506", "define", ERROR, "A variable of the dataset is not in define.xml",
          """Every variable in a dataset needs its definition (label, type, origin) in
          define.xml.""",
          """Add the variable to the dataset's definition in define.xml.""",
          ("FDA SD0060",)),
    _rule("CM0507", "define", ERROR, "A variable in define.xml is not in the dataset",
          """define.xml describes a variable the dataset does not have.""",
          """Add the variable to the dataset or remove it from define.xml."""),
    _rule("CM0508", "define", ERROR, "A label differs between define.xml and the XPT file",
          """The label a reviewer reads in define.xml must be the label in the data.""",
          """Take both from the same metadata; regenerate the XPT or define.xml."""),
    _rule("CM0509", "define", ERROR, "A variable's data type differs between define.xml and the XPT file",
          """Text types (text, date, datetime...) are character variables in XPT;
          integer and float are numeric. A mismatch means one of them is wrong.""",
          """Correct the DataType in define.xml or the variable type in the data."""),
    _rule("CM0510", "define", ERROR, "A character variable's length differs between define.xml and the XPT file",
          """define.xml's Length is the variable's length in the transport file; a
          different value misleads reviewers and tools that allocate by it.""",
          """Regenerate define.xml from the written datasets so Length is the XPT
          length (the longest value)."""),
    _rule("CM0511", "define", ERROR, "A value is not in the variable's define.xml codelist",
          """define.xml lists the values a coded variable takes in the study; a value
          outside that list means the codelist or the data is incomplete.""",
          """Add the term to the define.xml codelist (marked as extended if it is not
          a CDISC term), or correct the data.""",
          ("FDA SD0037",)),
    _rule("CM0512", "define", NOTICE, "define.xml could not be checked against its schema",
          """The schema check needs the define_xml package and the Define-XML schemas
          that the odmlib package ships; without them the other define.xml rules
          still run.""",
          """Install cdisc-map with its dependencies (pip install odmlib)."""),
    _rule("CM0513", "define", WARNING, "define.xml is Define-XML 1.0",
          """Define-XML 1.0 (on ODM 1.2) predates the 2.x versions regulators take
          today; it has no schema in the validator's set, no value-level where
          clauses and origins only as free text, so only its datasets, variables and
          codelists are compared with the data.""",
          """Write define.xml as Define-XML 2.1 (cdisc-map run does)."""),
    _rule("CM0514", "define", ERROR, "A value does not fit its value-level metadata",
          """Value-level metadata (def:ValueListDef with where clauses) describes a
          variable for a subset of records, such as LBORRES when LBTESTCD is GLUC: its
          codelist, data type and length hold for every record the where clause
          selects.""",
          """Correct the value, or the value-level metadata in define.xml."""),
    _rule("CM0515", "define", WARNING, "A variable has no origin in define.xml",
          """Define-XML 2.x gives every variable an origin (Collected, Derived,
          Assigned, Protocol, Predecessor), so a reviewer knows where each value comes
          from.""",
          """Add def:Origin to the variable's ItemDef."""),
    _rule("CM0516", "define", WARNING, "A derived variable has no method in define.xml",
          """A Derived variable's ItemRef names the method (MethodDef) that derives it;
          without it the reviewer cannot reproduce the value.""",
          """Add a MethodDef describing the derivation and refer to it with MethodOID."""),
    _rule("CM0517", "define", ERROR, "An origin type is not one of Define-XML's",
          """Define-XML 2.1 origin types are Collected, Derived, Assigned, Protocol,
          Predecessor and Not Available (2.0 also CRF and eDT); any other value is
          not understood by review tools.""",
          """Use one of the Define-XML origin types; put details in the origin's
          description."""),
    _rule("CM0518", "define", ERROR, "define.xml says a dataset or variable has no data, but it has",
          """def:HasNoData="Yes" tells the reviewer that a dataset or variable is empty
          on purpose; data in it contradicts the metadata.""",
          """Remove def:HasNoData, or check why the data is there."""),
    _rule("CM0519", "define", ERROR, "A coded value in a define.xml codelist begins or ends with a blank",
          """Coded values are compared with the data exactly; a coded value with a
          leading or trailing blank (often a non-breaking space pasted from a document)
          matches no value, so every record of the variable looks out of its codelist
          to a strict tool. The validator compares without the blanks and reports them
          here, once per coded value.""",
          """Remove the blanks from CodedValue in define.xml."""),
    # --- the standards the package declares ------------------------------------------
    _rule("CM0601", "standards", NOTICE, "The IG version the package declares is not installed",
          """Checks of required and expected variables, labels, order, types and
          codelists answer for one IG version. Run with another version's metadata,
          their findings would report the differences between versions as defects,
          so they are reported as notices.""",
          """Install the metadata of the declared version (or check with --standard
          the version the package really follows)."""),
    _rule("CM0602", "standards", NOTICE, "The CT release the package declares is not installed",
          """Whether a value is in a codelist depends on the CT release: terms are
          added every quarter and some retired. Without the declared release (or with
          only cdisc-map's bundled subset of CT), terminology findings are notices.""",
          """Give the package's CT release with --ct (the NCI EVS "SDTM
          Terminology.txt" of that date)."""),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}

# Checks register themselves here with the rule ids they may report.
CHECKS: list[tuple[Callable, tuple[str, ...]]] = []


def check(*rule_ids: str) -> Callable[[Callable], Callable]:
    """Register a check function as reporting the given rules."""
    unknown = [rule_id for rule_id in rule_ids if rule_id not in RULES]
    if unknown:
        raise KeyError(f"check reports unregistered rule(s): {', '.join(unknown)}")

    def register(function: Callable) -> Callable:
        CHECKS.append((function, rule_ids))
        return function

    return register


def rule_page(rule: Rule) -> str:
    """The Markdown page of one rule, as docs/rules/<id>.md holds it."""
    mirrors = ", ".join(rule.mirrors) if rule.mirrors else "none known"
    depends = {IG: "the IG version (a notice where the declared one is not installed)",
               CT: "the CT release (a notice where the declared one is not installed)"}.get(
        rule.depends_on, "no version")
    return (
        f"# {rule.id}: {rule.message}\n\n"
        f"| | |\n|---|---|\n"
        f"| Id | {rule.id} |\n"
        f"| Severity | {rule.severity} |\n"
        f"| Family | {FAMILIES[rule.family]} |\n"
        f"| Mirrors | {mirrors} |\n"
        f"| Depends on | {depends} |\n\n"
        f"## Why\n\n{rule.explanation}\n\n"
        f"## How to fix\n\n{rule.fix}\n"
    )


def rules_index() -> str:
    """docs/rules/README.md: every rule in one table, linking to its page."""
    lines = [
        "# Validation rules",
        "",
        "`cdisc-map validate` checks these rules; `cdisc-map rules` lists them and",
        "`cdisc-map rules --docs docs/rules` writes these pages. Ids are stable. *Mirrors*",
        "names the FDA Validator Rule (as Pinnacle 21 reports it), CDISC SDTMIG Conformance",
        "Rule or CDISC CORE rule that makes the same check, where one was confirmed; an",
        "empty cell means none is known, not that none exists. *Depends on* marks the",
        "rules whose answer depends on the IG version (ig) or the CT release (ct): they",
        "report notices in a package whose declared version could not be used.",
        "",
        "| Id | Severity | Rule | Mirrors | Depends on |",
        "|---|---|---|---|---|",
    ]
    for rule in RULES.values():
        lines.append(
            f"| [{rule.id}]({rule.id}.md) | {rule.severity} | {rule.message} | "
            f"{', '.join(rule.mirrors)} | {rule.depends_on} |"
        )
    return "\n".join(lines) + "\n"


def rules_text() -> str:
    """The rule list as `cdisc-map rules` prints it: one rule per line."""
    lines = []
    for rule in RULES.values():
        mirrors = f"  [{', '.join(rule.mirrors)}]" if rule.mirrors else ""
        lines.append(f"{rule.id}  {rule.severity:<7}  {rule.message}{mirrors}")
    return "\n".join(lines) + "\n"


def write_rule_pages(folder: str | os.PathLike) -> list[Path]:
    """docs/rules/: one page per rule and the index, as `cdisc-map rules --docs` writes them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for rule in RULES.values():
        page = folder / f"{rule.id}.md"
        page.write_text(rule_page(rule), encoding="utf-8")
        written.append(page)
    index = folder / "README.md"
    index.write_text(rules_index(), encoding="utf-8")
    return [*written, index]

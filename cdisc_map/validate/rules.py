"""The rule registry: every check the validator makes, with a stable id.

A pipeline fails a build on a rule id, a reviewer looks a finding up by it, and a data
manager fixes the data from its page, so ids never change meaning once published and
each rule says which FDA Validator Rule (Pinnacle 21 runs those) or CDISC SDTMIG
Conformance Rule it mirrors, where one does the same check. `mirrors` names only rules
whose published id and meaning were checked; an empty `mirrors` means none was found,
not that none exists.

Severity is fixed per rule (a finding always has its rule's severity), so `--fail-on`
and the reports can rely on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    "mapping": "What the mapping met in the raw export (cdisc-map run only)",
}


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


@dataclass(frozen=True)
class Finding:
    """One breach of a rule, located as precisely as the data allows.

    `row` is the observation number in the XPT file (1 = first record); `usubjid` and
    `seq` (the dataset's --SEQ, or ASEQ, as text) name the record the way a reviewer
    finds it; `value` is the offending value as text. Package-level findings (a missing
    dataset, a define.xml problem) leave the record fields empty.
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
          fix: str, mirrors: tuple[str, ...] = ()) -> Rule:
    return Rule(id, family, severity, message, " ".join(explanation.split()),
                " ".join(fix.split()), mirrors)


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
          underscores, starting with a letter. Longer or other names are cut or refused
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
    # --- SDTM ------------------------------------------------------------------------
    _rule("CM0201", "sdtm", ERROR, "A Required variable is missing from the dataset",
          """SDTMIG marks identifier and topic variables Required: a record cannot be
          understood without them, so the column must be present.""",
          """Add the variable to the dataset (and to define.xml), mapped from the raw
          data or derived as the SDTMIG describes.""",
          ("FDA SD0056",)),
    _rule("CM0202", "sdtm", ERROR, "A Required variable is null",
          """Required variables must have a value in every record; a null Required
          value leaves the record unidentifiable or meaningless.""",
          """Populate the value, or, if the raw data has none, query the site; do not
          submit the record with the Required value empty.""",
          ("FDA SD0002",)),
    _rule("CM0203", "sdtm", WARNING, "An Expected variable is missing from the dataset",
          """Expected variables must be present even when every value is null
          (SDTMIG 4.1.4): their absence suggests the data was never collected or
          mapped.""",
          """Add the variable, with null values if nothing was collected, and explain
          in the reviewer's guide.""",
          ("FDA SD0057",)),
    _rule("CM0204", "sdtm", ERROR, "A value is not in its non-extensible codelist",
          """Variables with a non-extensible CDISC codelist may use only its
          submission values; anything else cannot be pooled or analysed with other
          studies.""",
          """Map the raw value to a submission value of the codelist (through the
          spec's value map), or correct the raw data. Checked against the CT package
          the validator loaded: the bundled one is a subset, so load the full
          published package for a final check.""",
          ("FDA CT2001",)),
    _rule("CM0205", "sdtm", WARNING, "A value is not in its extensible codelist",
          """Extensible codelists allow sponsor terms, but only when no existing term
          (or synonym) means the same; a new term needs a reason.""",
          """Use the existing submission value when one fits; otherwise keep the new
          term, add it to the define.xml codelist marked as extended, and explain it
          in the reviewer's guide.""",
          ("FDA CT2002",)),
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
          """A SUPPxx dataset qualifies domain xx: its RDOMAIN must be xx, and IDVAR
          must name a variable of that domain.""",
          """Set RDOMAIN to the parent domain code and IDVAR to one of its variables
          (usually --SEQ); put qualifiers of other domains in their own SUPP--."""),
    # --- ADaM ------------------------------------------------------------------------
    _rule("CM0401", "adam", ERROR, "A variable that ADaM requires is missing",
          """ADaMIG makes some variables Required: STUDYID and USUBJID in every
          dataset, the core subject variables in ADSL, and PARAM, PARAMCD, AVAL and
          CNSR in a time-to-event dataset.""",
          """Add the variable to the dataset and to define.xml."""),
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
    _rule("CM0503", "define", ERROR, "define.xml cannot be read as Define-XML 2.0 or 2.1",
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
    # --- the mapping of the raw export (added by `cdisc-map run`, not by validate) ------
    _rule("CM0701", "mapping", WARNING, "The mapping met a raw value it could not take as the spec says",
          """A run reports what it met in the raw export but could still write: a partial
          birth date that gives no exact age, a value outside its codelist, an event
          without a date. Each is a warning in the same report as the conformance findings,
          so one count of warnings says what a run found, and --fail-on warning fails on
          them as on any other. The finding names the raw file and row (file and row are
          the raw export's, not an XPT file's).""",
          """Correct the raw value in the EDC and export again, or say in the spec what the
          value means (a value map, a codelist synonym); the message says which."""),
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
    return (
        f"# {rule.id}: {rule.message}\n\n"
        f"| | |\n|---|---|\n"
        f"| Id | {rule.id} |\n"
        f"| Severity | {rule.severity} |\n"
        f"| Family | {FAMILIES[rule.family]} |\n"
        f"| Mirrors | {mirrors} |\n\n"
        f"## Why\n\n{rule.explanation}\n\n"
        f"## How to fix\n\n{rule.fix}\n"
    )


def rules_index() -> str:
    """docs/rules/README.md: every rule in one table, linking to its page."""
    lines = [
        "# Validation rules",
        "",
        "`cdisc-map validate` checks these rules; `cdisc-map rules` lists them. Ids are",
        "stable. *Mirrors* names the FDA Validator Rule (as Pinnacle 21 reports it) or",
        "CDISC SDTMIG Conformance Rule that makes the same check, where one was",
        "confirmed; an empty cell means none is known, not that none exists.",
        "",
        "| Id | Severity | Rule | Mirrors |",
        "|---|---|---|---|",
    ]
    for rule in RULES.values():
        lines.append(
            f"| [{rule.id}]({rule.id}.md) | {rule.severity} | {rule.message} | "
            f"{', '.join(rule.mirrors)} |"
        )
    return "\n".join(lines) + "\n"


def rules_text() -> str:
    """The rule list as `cdisc-map rules` prints it: one rule per line."""
    lines = []
    for rule in RULES.values():
        mirrors = f"  [{', '.join(rule.mirrors)}]" if rule.mirrors else ""
        lines.append(f"{rule.id}  {rule.severity:<7}  {rule.message}{mirrors}")
    return "\n".join(lines) + "\n"

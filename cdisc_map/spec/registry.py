"""The registry: every mapping kind and derivation of the spec language, declared once.

An entry says what a spec writer may write (its parameters, in the words of
`vocabulary`), what it reads (columns of the source records, variables of the dataset
being built, variables of other datasets, the subject, the dataset's record order),
what define.xml says of it (origin and method wording) and how it is documented (a
summary, and an example that the docs page runs). From these declarations come the
JSON Schemas of the specs, check-spec, the build order and the define.xml methods;
the mapping engine supplies one implementation per entry, for SDTM and ADaM alike.

A variable's mapping names one entry: a kind by its key (`{copy: AE Term}`), a
derivation by `derive:` (`{derive: study_day, of: AESTDTC}`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from cdisc_map.spec import conditions, templates
from cdisc_map.spec.vocabulary import METADATA, MODIFIERS, WORDS

SDTM, ADAM = "SDTM", "ADaM"
BOTH = (SDTM, ADAM)
KIND, DERIVATION = "kind", "derivation"

#: Where a study-day reference or an epoch start not in the dataset itself is read from.
SUBJECTS_DATASET = "DM"


@dataclass(frozen=True)
class Param:
    """One parameter of an entry: a word of the vocabulary, in this entry's sense."""

    word: str
    required: bool = False
    meaning: str = ""  # this entry's sense, when the word's general meaning is not enough
    type: str = ""  # the word's type unless given (a kind's own key has a type of its own)

    @property
    def type_name(self) -> str:
        return self.type or WORDS[self.word].type

    @property
    def doc(self) -> str:
        return self.meaning or WORDS[self.word].meaning


@dataclass(frozen=True)
class Example:
    """A runnable example for the docs page: a mapping and the records it is applied to."""

    mapping: dict
    source: dict[str, list] = field(default_factory=dict)  # columns of the source records
    built: dict[str, list] = field(default_factory=dict)  # variables already mapped
    datasets: dict[str, dict[str, list]] = field(default_factory=dict)  # other datasets
    standard: str = SDTM
    variable: str = "X"
    options: dict = field(default_factory=dict)  # further arguments of apply_mapping (subject, sites, visits)


@dataclass(frozen=True)
class Entry:
    """A mapping kind or a derivation: what it takes, reads, produces and says in define.xml."""

    name: str
    form: str  # KIND or DERIVATION
    standards: tuple[str, ...]
    summary: str
    params: tuple[Param, ...] = ()
    main: Param | None = None  # a kind: what its own key holds
    origin: dict[str, str] = field(default_factory=dict)  # define.xml origin per standard
    method: str = ""  # define.xml wording, with {param} placeholders; "" when it needs none
    # The wording for every variable that follows the IG's naming (AESTDY of AESTDTC), so that
    # define.xml has one method for all of them: one MethodDef per algorithm.
    generic_method: str = ""
    result: str = "text"  # text, number, date (ISO text in SDTM, SAS date in ADaM), datetime, flag, same
    needs_order: bool = False  # reads the dataset's records in their final (key) order
    reads_subject: bool = False  # reads the subject id column of the raw form
    doc: str = ""
    example: Example | None = None

    @property
    def key(self) -> str:
        """The key that names the entry in a mapping: the kind, or `derive`."""
        return self.name if self.form == KIND else "derive"

    def param(self, word: str) -> Param | None:
        return next((p for p in self.params if p.word == word), None)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(p.word for p in self.params if p.required)

    @property
    def allowed(self) -> tuple[str, ...]:
        """Every key a mapping of this entry may hold."""
        own = (self.key,) if self.form == KIND else ("derive",)
        return own + tuple(p.word for p in self.params) + MODIFIERS + METADATA

    def origin_for(self, standard: str) -> str:
        return self.origin.get(standard) or self.origin.get(SDTM, "Derived")


def _p(word: str, required: bool = False, meaning: str = "", type: str = "") -> Param:
    return Param(word, required, meaning, type)


_COLLECTED = {SDTM: "Collected", ADAM: "Derived"}
_DERIVED = {SDTM: "Derived", ADAM: "Derived"}
_ONE_SOURCE = (
    _p("dataset", meaning="The dataset whose records give the date (with `var` and `where`), or use `sources`."),
    _p("var", meaning="The date variable of `dataset`."),
    _p("where"),
    _p("fallback"),
    _p("sources", meaning="Several sources `{dataset, var, where, fallback}` instead of one; the earliest "
       "(latest) date over all of them."),
)

_VISIT_PARAMS = (_p("col", required=True, meaning="The raw column holding the visit name."),
                 _p("of", meaning="The --DTC that orders unscheduled visits."))
_VISITS = {"schedule": [{"visitnum": 1, "visit": "SCREENING", "raw": ["Screening"], "day": -14},
                        {"visitnum": 2, "visit": "MONTH 1", "raw": ["Month 1"], "day": 29}],
           "unscheduled": ["Unscheduled"]}
_VISIT_SOURCE = {"Visit": ["Screening", "Unscheduled", "Month 1"]}
_VISIT_BUILT = {"USUBJID": ["S-001"] * 3, "RSDTC": ["2024-01-05", "2024-01-20", "2024-02-10"]}

KINDS: tuple[Entry, ...] = (
    Entry("copy", KIND, BOTH, "The value of a column of the source records, blanks trimmed.",
          main=_p("col", required=True), params=(),
          origin={SDTM: "Collected", ADAM: "Predecessor"},
          doc="In SDTM the column is a raw column of the form; in ADaM a variable of the source dataset "
              "(DM for ADSL), copied with its type. `case:` changes the case of text.",
          example=Example({"copy": "AE Term", "case": "upper"}, source={"AE Term": [" Headache", "nausea "]},
                          variable="AETERM")),
    Entry("constant", KIND, BOTH, "The same value in every record.",
          main=_p("constant", required=True, meaning="The value: text, or a number for a numeric variable.",
                  type="scalar"),
          origin={SDTM: "Assigned", ADAM: "Assigned"},
          example=Example({"constant": "AE"}, source={"AE Term": ["Headache", "Nausea"]}, variable="DOMAIN")),
    Entry("number", KIND, BOTH, "The value of a column as a number; what is not a number is reported.",
          main=_p("col", required=True), origin=_COLLECTED, result="number",
          example=Example({"number": "Dose"}, source={"Dose": ["8", "28", ""]}, variable="EXDOSE")),
    Entry("ct", KIND, (SDTM,), "A raw value through a CDISC codelist: a study value map first, then the "
          "codelist's submission values and synonyms; a value that maps to nothing is reported.",
          main=_p("ct", required=True, meaning="The codelist: its short name (SEX, NY, UNIT) or NCI C-code.",
                  type="codelist"),
          params=(_p("col", required=True), _p("values", meaning="The study value map, tried before the "
                  "codelist: raw value -> submission value."),),
          origin=_COLLECTED,
          example=Example({"ct": "NY", "col": "Serious", "values": {"Yes": "Y", "No": "N"}},
                          source={"Serious": ["Yes", "no", "N"]}, variable="AESER")),
    Entry("recode", KIND, BOTH, "A raw value through a study value map only; a value without an entry is "
          "reported.", main=_p("col", required=True), params=(_p("values", required=True),),
          origin=_COLLECTED,
          example=Example({"recode": "Relationship", "values": {"Related": "RELATED", "Not related": "NOT RELATED"}},
                          source={"Relationship": ["Related", "not related"]}, variable="AEREL")),
    Entry("date", KIND, (SDTM,), "A raw date (and time) to ISO 8601, partial dates kept partial; an invalid "
          "date is reported.", main=_p("col", required=True),
          params=(_p("time"), _p("format"), _p("time_format"), _p("partial")), origin=_COLLECTED,
          doc="Without `format`, only forms that cannot be misread are accepted (ISO 8601, DD-MON-YYYY); with "
              "it, only its layouts, in order: an ISO date in an MM/DD/YYYY field is reported, not read. Partial "
              "dates (unknown parts written UN, UK, UNK, UNKN or --, kept partial as SDTMIG 3.4 section 4.4.4 "
              "says, and year-only or month-year layouts of a format list) are accepted with `partial: true`.",
          example=Example({"date": "Start Date", "time": "Start Time", "format": "DD-MON-YYYY",
                           "time_format": "HH:MM", "partial": True},
                          source={"Start Date": ["05-MAR-2024", "UN-MAR-2024", ""],
                                  "Start Time": ["14:30", "", ""]}, variable="AESTDTC")),
    Entry("template", KIND, BOTH, "Text built from columns, variables and constant text: "
          "`\"01-{Subject}\"`.",
          main=_p("template", required=True, meaning="The text, with `{Name}` (or `{col:Name}`) for a column of "
                  "the source records and `{var:NAME}` for a variable mapped before; `{{` and `}}` for braces.",
                  type="template"),
          origin=_DERIVED,
          doc="A record whose columns are all empty gives an empty value, not the constant text alone.",
          example=Example({"template": "01-{Subject}"}, source={"Subject": ["701-1015", "702-1020", ""]},
                          variable="USUBJID")),
    Entry("coalesce", KIND, BOTH, "The first non-missing value of several mappings, tried in order.",
          main=_p("coalesce", required=True, meaning="The mappings, in order; each record takes the first that "
                  "gives a value.", type="mappings"),
          origin=_DERIVED,
          example=Example({"coalesce": [{"date": "End Date", "format": "DD-MON-YYYY"},
                                        {"date": "Start Date", "format": "DD-MON-YYYY"}]},
                          source={"End Date": ["10-MAR-2024", ""], "Start Date": ["05-MAR-2024", "07-MAR-2024"]},
                          variable="EXENDTC")),
    Entry("when", KIND, BOTH, "A conditional value: the first branch whose condition holds, else `else` "
          "(else missing).",
          main=_p("when", required=True, meaning="The branches, in order: `{if: condition, then: mapping}`.",
                  type="branches"),
          params=(_p("else", meaning="The mapping for records no branch takes.", type="mapping"),),
          origin=_DERIVED,
          example=Example({"when": [{"if": {"col": "Eligible", "eq": "No"}, "then": {"constant": "SCREEN FAILURE"}}],
                           "else": {"constant": ""}},
                          source={"Eligible": ["Yes", "No"]}, variable="ARMNRS")),
)

DERIVATIONS: tuple[Entry, ...] = (
    Entry("studyid", DERIVATION, (SDTM,), "The study identifier of study.yaml.",
          origin={SDTM: "Assigned"}, method="The sponsor's identifier of the study, the same in every record.",
          example=Example({"derive": "studyid"}, source={"Subject": ["001", "002"]}, variable="STUDYID")),
    Entry("siteid", DERIVATION, (SDTM,), "The subject's site, from the subjects form.",
          origin={SDTM: "Collected"}, method="The subject's site, from the subjects form.", reads_subject=True,
          doc="A record whose subject is not in the subjects form is an error naming the form, row and value.",
          example=Example({"derive": "siteid"}, source={"Subject": ["001", "002 "]}, variable="SITEID",
                          options={"subject": "Subject", "sites": {"001": "01", "002": "02"}})),
    Entry("subjid", DERIVATION, (SDTM,), "The subject id as collected, blanks trimmed.",
          origin={SDTM: "Collected"}, method="The subject id as collected, blanks trimmed.", reads_subject=True,
          example=Example({"derive": "subjid"}, source={"Subject": ["001", "002 "]}, variable="SUBJID",
                          options={"subject": "Subject", "sites": {"001": "01", "002": "02"}})),
    Entry("usubjid", DERIVATION, (SDTM,), "STUDYID-SITEID-SUBJID: unique across the submission.",
          origin={SDTM: "Derived"}, method="STUDYID, SITEID and SUBJID joined by hyphens.", reads_subject=True,
          example=Example({"derive": "usubjid"}, source={"Subject": ["001", "002"]}, variable="USUBJID",
                          options={"subject": "Subject", "sites": {"001": "01", "002": "02"}})),
    Entry("first_date", DERIVATION, BOTH, "The subject's earliest date of a variable over the matching records "
          "of another dataset (or of several sources).", params=_ONE_SOURCE, origin=_DERIVED, result="date",
          method="Earliest {var} of the subject's {dataset} records{where}.",
          doc="In SDTM the result is the --DTC text (ISO 8601 values order as text); in ADaM the SAS date of "
              "the earliest complete date (partial dates do not count).",
          example=Example({"derive": "first_date", "dataset": "EX", "var": "EXSTDTC"},
                          built={"USUBJID": ["S-001", "S-002"]},
                          datasets={"EX": {"USUBJID": ["S-001", "S-001", "S-002"],
                                           "EXSTDTC": ["2024-03-05", "2024-03-01T08:00", "2024-04-10"]}},
                          variable="RFXSTDTC")),
    Entry("last_date", DERIVATION, BOTH, "The subject's latest date of a variable over the matching records of "
          "another dataset (or of several sources).", params=_ONE_SOURCE, origin=_DERIVED, result="date",
          method="Latest {var} of the subject's {dataset} records{where}.",
          doc="In SDTM the result is the --DTC text; in ADaM the SAS date of the latest complete date.",
          example=Example({"derive": "last_date", "dataset": "EX", "var": "EXENDTC",
                           "where": {"var": "EXTRT", "eq": "BLINATUMOMAB"}},
                          built={"USUBJID": ["S-001", "S-002"]},
                          datasets={"EX": {"USUBJID": ["S-001", "S-001", "S-002"],
                                           "EXTRT": ["BLINATUMOMAB", "DEXAMETHASONE", "BLINATUMOMAB"],
                                           "EXENDTC": ["2024-03-12", "2024-03-20", "2024-04-18"]}},
                          variable="RFENDTC")),
    Entry("age", DERIVATION, (SDTM,), "Age in completed years from a birth date to a reference date.",
          params=(_p("of", required=True, meaning="The birth date (BRTHDTC)."),
                  _p("ref", required=True, meaning="The date the age is taken at (RFICDTC, RFSTDTC).")),
          origin={SDTM: "Derived"}, result="number", method="Completed years from {of} to {ref}.",
          doc="A partial birth date gives an age only when every date it can stand for gives the same age; "
              "otherwise the age is missing and a warning says why.",
          example=Example({"derive": "age", "of": "BRTHDTC", "ref": "RFICDTC"},
                          built={"BRTHDTC": ["1985-06-20", "1990-01-05", "1985-06"],
                                 "RFICDTC": ["2024-03-10", "2024-03-10", "2024-03-10"]}, variable="AGE")),
    Entry("study_day", DERIVATION, (SDTM,), "The SDTM study day of a date: date - reference + 1 on or after "
          "the reference, date - reference before it; never 0.",
          params=(_p("of", required=True, meaning="The --DTC variable."),
                  _p("ref", meaning="The reference date: RFSTDTC unless given; read from the dataset when it "
                     "maps it, otherwise from the subject's DM record.")),
          origin={SDTM: "Derived"}, result="number",
          method="{of} minus {ref}, plus 1 on or after {ref} (no day 0); complete dates only.",
          generic_method="--DY is its --DTC minus {ref}, plus 1 on or after {ref} (no day 0); complete dates "
                         "only.",
          doc="Only complete dates have a study day (SDTMIG 3.4 section 4.4.4). In define.xml every --DY computed "
              "from the --DTC of its own name (AESTDY of AESTDTC) shares one method, \"Study day\".",
          example=Example({"derive": "study_day", "of": "AESTDTC"},
                          built={"USUBJID": ["S-001", "S-001", "S-001"],
                                 "AESTDTC": ["2024-03-04", "2024-03-05T10:00", "2024-03"]},
                          datasets={"DM": {"USUBJID": ["S-001"], "RFSTDTC": ["2024-03-05"]}}, variable="AESTDY")),
    Entry("seq", DERIVATION, (SDTM,), "A sequence number 1, 2, ... within each subject (or `by` group), in the "
          "dataset's key order.",
          params=(_p("by", meaning="The grouping variables; USUBJID unless given."),
                  _p("order", meaning="The variables to number in, first to last (the dataset's key order "
                     "unless given); records that tie keep the key order.")),
          origin={SDTM: "Derived"}, result="number", needs_order=True,
          method="Sequential number within each {by}, in the dataset's key order.",
          example=Example({"derive": "seq"}, built={"USUBJID": ["S-001", "S-001", "S-002"]}, variable="AESEQ")),
    Entry("study_first_date", DERIVATION, (SDTM,), "The earliest value of a variable over a whole dataset "
          "(TS SSTDTC: the first informed consent).",
          params=(_p("dataset", required=True), _p("var", required=True), _p("where")),
          origin={SDTM: "Derived"}, result="date", method="Earliest {var} in {dataset} over all subjects.",
          example=Example({"derive": "study_first_date", "dataset": "DM", "var": "RFICDTC"},
                          source={"TSPARMCD": ["SSTDTC"]},
                          datasets={"DM": {"USUBJID": ["S-001", "S-002"], "RFICDTC": ["2024-02-01", "2024-01-15"]}},
                          variable="TSVAL")),
    Entry("study_last_date", DERIVATION, (SDTM,), "The latest value of a variable over a whole dataset.",
          params=(_p("dataset", required=True), _p("var", required=True), _p("where")),
          origin={SDTM: "Derived"}, result="date", method="Latest {var} in {dataset} over all subjects.",
          example=Example({"derive": "study_last_date", "dataset": "DS", "var": "DSSTDTC"},
                          source={"TSPARMCD": ["SENDTC"]},
                          datasets={"DS": {"USUBJID": ["S-001", "S-002"], "DSSTDTC": ["2025-06-30", "2025-09-12"]}},
                          variable="TSVAL")),
    Entry("study_count", DERIVATION, (SDTM,), "How many distinct non-empty values of a variable a dataset holds, "
          "as text (TS ACTSUB).",
          params=(_p("dataset", required=True), _p("var", required=True), _p("where")),
          origin={SDTM: "Derived"}, method="Number of distinct {var} in {dataset}{where}.",
          example=Example({"derive": "study_count", "dataset": "DM", "var": "USUBJID",
                           "where": {"var": "ACTARMCD", "missing": False}},
                          source={"TSPARMCD": ["ACTSUB"]},
                          datasets={"DM": {"USUBJID": ["S-001", "S-002", "S-003"],
                                           "ACTARMCD": ["BLINA", "", "BLINA"]}}, variable="TSVAL")),
    Entry("epoch", DERIVATION, (SDTM,), "The epoch of a record: the last epoch (in protocol order) whose start "
          "for the subject is on or before the record's date.",
          params=(_p("of", required=True, meaning="The record's --DTC."), _p("epochs", required=True)),
          origin={SDTM: "Derived"},
          method="The last epoch whose start (per subject) is on or before {of}; a partial date takes the "
                 "epoch that holds all of its days, else none.",
          doc="Dates compare to the minute when both have a time, else by day. A partial date (2024-03) has "
              "the epoch all of its days lie in, and none when an epoch starts within it; a date before "
              "the first epoch has no epoch.",
          example=Example({"derive": "epoch", "of": "AESTDTC",
                           "epochs": [{"epoch": "SCREENING", "start": "RFICDTC"},
                                      {"epoch": "TREATMENT", "start": "RFXSTDTC"}]},
                          built={"USUBJID": ["S-001", "S-001", "S-001", "S-001"],
                                 "AESTDTC": ["2024-02-20", "2024-03-06", "2024-03", "2024-04"]},
                          datasets={"DM": {"USUBJID": ["S-001"], "RFICDTC": ["2024-02-15"],
                                           "RFXSTDTC": ["2024-03-05T08:00"]}}, variable="EPOCH")),
    Entry("visitnum", DERIVATION, (SDTM,), "VISITNUM from the study's visit schedule (study.yaml visits); an "
          "unscheduled visit is numbered after the subject's previous visit (+ 0.01).",
          params=_VISIT_PARAMS,
          origin={SDTM: "Derived"}, result="number",
          method="From the protocol visit schedule; unscheduled visits numbered previous VISITNUM + 0.01.",
          example=Example({"derive": "visitnum", "col": "Visit", "of": "RSDTC"},
                          source=_VISIT_SOURCE, built=_VISIT_BUILT,
                          variable="VISITNUM",
                          options={"visits": _VISITS})),
    Entry("visit", DERIVATION, (SDTM,), "VISIT from the study's visit schedule; an unscheduled visit is named "
          "UNSCHEDULED n.nn after its number.",
          params=_VISIT_PARAMS,
          origin={SDTM: "Derived"},
          method="From the protocol visit schedule; unscheduled visits named UNSCHEDULED n.nn.",
          example=Example({"derive": "visit", "col": "Visit", "of": "RSDTC"},
                          source=_VISIT_SOURCE, built=_VISIT_BUILT,
                          variable="VISIT",
                          options={"visits": _VISITS})),
    Entry("visitdy", DERIVATION, (SDTM,), "VISITDY: the planned study day of the record's visit, from the "
          "schedule's `day` in study.yaml; none for an unscheduled visit.",
          params=(_p("col", required=True, meaning="The raw column holding the visit name."),),
          origin={SDTM: "Derived"}, result="number", method="The planned study day of the visit in the protocol "
          "schedule.",
          example=Example({"derive": "visitdy", "col": "Visit"}, source=_VISIT_SOURCE, variable="VISITDY",
                          options={"visits": _VISITS})),
    Entry("sas_date", DERIVATION, (ADAM,), "An ISO 8601 --DTC as a SAS date number (days since 1960-01-01); a "
          "partial date gives none (reported), as ADSL imputes no dates.",
          params=(_p("of", required=True, meaning="The --DTC variable."),),
          origin={ADAM: "Derived"}, result="number", method="{of} as a SAS date (complete dates only)",
          example=Example({"derive": "sas_date", "of": "RFSTDTC"}, standard=ADAM,
                          source={"USUBJID": ["S-001", "S-002"], "RFSTDTC": ["2024-03-05T08:00", "2024-03"]},
                          variable="TRTSDT")),
    Entry("sas_datetime", DERIVATION, (ADAM,), "An ISO 8601 --DTC with hours and minutes as a SAS datetime "
          "number (seconds since 1960-01-01T00:00); none without a time.",
          params=(_p("of", required=True, meaning="The --DTC variable."),),
          origin={ADAM: "Derived"}, result="number", method="{of} as a SAS datetime (complete dates only)",
          example=Example({"derive": "sas_datetime", "of": "RFSTDTC"}, standard=ADAM,
                          source={"USUBJID": ["S-001", "S-002"], "RFSTDTC": ["2024-03-05T08:00", "2024-03-05"]},
                          variable="TRTSDTM")),
    Entry("first_value", DERIVATION, (ADAM,), "The value of a variable on the subject's first matching record of "
          "another dataset, in `order`, then --SEQ.",
          params=(_p("var", required=True, meaning="The variable of `dataset` whose value is taken."),
                  _p("dataset", required=True), _p("where"), _p("order")),
          origin={ADAM: "Derived"}, result="same",
          method="{var} of the subject's first {dataset} record{where}{order}",
          example=Example({"derive": "first_value", "var": "DSTERM", "dataset": "DS",
                           "where": {"var": "DSDECOD", "eq": "DEATH"}, "order": ["DSSTDTC"]}, standard=ADAM,
                          source={"USUBJID": ["S-001", "S-002"]},
                          datasets={"DS": {"USUBJID": ["S-001", "S-001", "S-002"],
                                           "DSSEQ": [1.0, 2.0, 1.0],
                                           "DSDECOD": ["INFORMED CONSENT OBTAINED", "DEATH", "COMPLETED"],
                                           "DSTERM": ["INFORMED CONSENT OBTAINED", "DEATH DUE TO RELAPSE",
                                                      "COMPLETED"],
                                           "DSSTDTC": ["2024-01-10", "2024-09-30", "2025-01-10"]}},
                          variable="DTHCAUS")),
    Entry("last_value", DERIVATION, (ADAM,), "The value of a variable on the subject's last matching record of "
          "another dataset, in `order`, then --SEQ.",
          params=(_p("var", required=True, meaning="The variable of `dataset` whose value is taken."),
                  _p("dataset", required=True), _p("where"), _p("order")),
          origin={ADAM: "Derived"}, result="same",
          method="{var} of the subject's last {dataset} record{where}{order}",
          example=Example({"derive": "last_value", "var": "DSDECOD", "dataset": "DS",
                           "where": {"var": "DSCAT", "eq": "DISPOSITION EVENT"}, "order": ["DSSTDTC"],
                           "otherwise": "ONGOING"}, standard=ADAM,
                          source={"USUBJID": ["S-001", "S-002"]},
                          datasets={"DS": {"USUBJID": ["S-001", "S-001", "S-002"], "DSSEQ": [1.0, 2.0, 1.0],
                                           "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT",
                                                     "PROTOCOL MILESTONE"],
                                           "DSDECOD": ["INFORMED CONSENT OBTAINED", "COMPLETED",
                                                       "INFORMED CONSENT OBTAINED"],
                                           "DSSTDTC": ["2024-01-10", "2025-01-10", "2024-02-01"]}},
                          variable="EOSSTT")),
    Entry("exists", DERIVATION, (ADAM,), "Y when the subject has a matching record in another dataset, else N.",
          params=(_p("dataset", required=True), _p("where")), origin={ADAM: "Derived"}, result="flag",
          method="Y if the subject has a {dataset} record{where}, else N",
          example=Example({"derive": "exists", "dataset": "EX", "where": {"var": "EXDOSE", "gt": 0}}, standard=ADAM,
                          source={"USUBJID": ["S-001", "S-002"]},
                          datasets={"EX": {"USUBJID": ["S-001", "S-002"], "EXDOSE": [28.0, 0.0]}},
                          variable="SAFFL")),
    Entry("duration", DERIVATION, (ADAM,), "end - start + 1 in days, from two SAS date variables.",
          params=(_p("start", required=True), _p("end", required=True)),
          origin={ADAM: "Derived"}, result="number", method="{end} - {start} + 1",
          example=Example({"derive": "duration", "start": "TRTSDT", "end": "TRTEDT"}, standard=ADAM,
                          source={"USUBJID": ["S-001"]}, built={"TRTSDT": [23440.0], "TRTEDT": [23449.0]},
                          variable="TRTDURD")),
)

ENTRIES: dict[str, Entry] = {entry.name: entry for entry in KINDS + DERIVATIONS}
KIND_NAMES = tuple(entry.name for entry in KINDS) + ("derive",)


def kinds_in(mapping: dict) -> list[str]:
    """The kind keys a mapping holds (exactly one is right)."""
    return [name for name in KIND_NAMES if name in mapping]


def entry_of(mapping: dict) -> Entry | None:
    """The entry a mapping names, or None when it names none, several, or an unknown derivation."""
    found = kinds_in(mapping)
    if len(found) != 1:
        return None
    if found[0] == "derive":
        entry = ENTRIES.get(str(mapping["derive"]))
        return entry if entry is not None and entry.form == DERIVATION else None
    return ENTRIES[found[0]]


def nested(mapping: dict) -> Iterator[dict]:
    """The mapping and every mapping inside it (the branches of `when`, the mappings of `coalesce`)."""
    yield mapping
    for inner in mapping.get("coalesce", []) if isinstance(mapping.get("coalesce"), list) else []:
        if isinstance(inner, dict):
            yield from nested(inner)
    for branch in mapping.get("when", []) if isinstance(mapping.get("when"), list) else []:
        if isinstance(branch, dict) and isinstance(branch.get("then"), dict):
            yield from nested(branch["then"])
    if isinstance(mapping.get("else"), dict):
        yield from nested(mapping["else"])


# --- what an entry reads --------------------------------------------------------------------


@dataclass
class Reads:
    """What a mapping reads: source columns, variables of its own dataset, variables of others."""

    columns: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    others: set[tuple[str, str]] = field(default_factory=set)  # (dataset, variable)
    datasets: set[str] = field(default_factory=set)  # other datasets read as a whole (records, subjects)
    subject: bool = False
    order: bool = False

    def update(self, other: Reads) -> None:
        self.columns |= other.columns
        self.variables |= other.variables
        self.others |= other.others
        self.datasets |= other.datasets
        self.subject |= other.subject
        self.order |= other.order


def _condition_reads(condition: Any, dataset: str | None, reads: Reads) -> None:
    if not isinstance(condition, dict):
        return
    try:
        found = conditions.fields(condition)
    except (KeyError, TypeError, AttributeError):
        return
    for kind, name in found:
        if not isinstance(name, str):
            continue
        if dataset is not None:
            reads.others.add((dataset, name))
        elif kind == "col":
            reads.columns.add(name)
        else:
            reads.variables.add(name)


def _source_reads(source: Any, reads: Reads) -> None:
    """A source {dataset, var, where}: the variable and the condition's fields, all of that dataset."""
    if not isinstance(source, dict) or not isinstance(source.get("dataset"), str):
        return
    dataset = source["dataset"]
    reads.datasets.add(dataset)
    for key in ("var", "fallback"):
        if isinstance(source.get(key), str):
            reads.others.add((dataset, source[key]))
    _condition_reads(source.get("where"), dataset, reads)


def reads(mapping: dict, own: set[str] | frozenset[str] = frozenset()) -> Reads:
    """Everything a mapping reads, nested branches included.

    `own` names the variables the mapping's dataset maps, for the entries whose
    reference defaults to DM when the dataset does not have it (study_day, epoch).
    """
    found = Reads()
    for inner in nested(mapping):
        entry = entry_of(inner)
        if entry is None:
            continue
        found.subject |= entry.reads_subject
        found.order |= entry.needs_order
        if entry.name == "when":
            for branch in inner.get("when", []):
                if isinstance(branch, dict):
                    _condition_reads(branch.get("if"), None, found)
        if entry.name == "template" and isinstance(inner.get("template"), str):
            for kind, name in templates.fields(inner["template"]):
                (found.columns if kind == "col" else found.variables).add(name)
        other = inner.get("dataset") if isinstance(inner.get("dataset"), str) else None
        for param in ((entry.main,) if entry.main else ()) + entry.params:
            value = inner.get(param.word if param is not entry.main else entry.key)
            if value is None:
                continue
            kind = param.type_name
            if kind == "column" and isinstance(value, str):
                found.columns.add(value)
            elif kind == "variable" and isinstance(value, str):
                if other is not None and param.word in ("var", "fallback"):
                    found.others.add((other, value))
                else:
                    found.variables.add(value)
            elif kind == "variables" and isinstance(value, list):
                found.variables |= {v for v in value if isinstance(v, str) and other is None}
                found.others |= {(other, v) for v in value if isinstance(v, str) and other is not None}
            elif kind in ("mappings", "template"):
                continue  # read above: the nested mappings, the placeholders
            elif kind == "condition" and param.word == "where":
                _condition_reads(value, other, found)
            elif kind == "sources" and isinstance(value, list):
                for source in value:
                    _source_reads(source, found)
            elif kind == "epochs" and isinstance(value, list):
                for epoch in value:
                    start = epoch.get("start") if isinstance(epoch, dict) else None
                    if isinstance(start, str):
                        found.others.add((SUBJECTS_DATASET, start))
                    else:
                        _source_reads(start, found)
        if other is not None:
            found.datasets.add(other)
        if entry.name == "study_day":
            ref = inner.get("ref", "RFSTDTC")
            if isinstance(ref, str):
                found.variables.discard(ref)
                if ref in own:
                    found.variables.add(ref)
                else:
                    found.others.add((SUBJECTS_DATASET, ref))
        if isinstance(inner.get("not_after"), str):
            found.variables.add(inner["not_after"])
    return found


def origin_of(mapping: dict | None, standard: str = SDTM) -> str:
    """The define.xml origin of a mapping: its own `origin`, else its entry's."""
    if not mapping:
        return ""
    if mapping.get("origin"):
        return mapping["origin"]
    entry = entry_of(mapping)
    return entry.origin_for(standard) if entry is not None else ""


def extensions(mapping: dict | None) -> tuple[str, ...]:
    """The sponsor extensions a mapping declares (`extend:`), in every branch."""
    if not mapping:
        return ()
    found: list[str] = []
    for inner in nested(mapping):
        found += [str(v) for v in inner.get("extend", []) if str(v) not in found]
    return tuple(found)


def result_type(mapping: dict, standard: str = SDTM) -> str | None:
    """Whether a mapping gives text or numbers ("text", "number"), None when it depends on the data."""
    entry = entry_of(mapping)
    if entry is None:
        return None
    if "values" in mapping and entry.name not in ("ct",):
        values = [v for v in mapping["values"].values()]
        return "number" if values and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                          for v in values) else "text"
    if entry.name == "constant":
        value = mapping["constant"]
        return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else "text"
    if entry.name in ("when", "coalesce"):
        found = {result_type(b["then"], standard) for b in mapping.get("when", []) if isinstance(b, dict)
                 and isinstance(b.get("then"), dict)}
        found |= {result_type(m, standard) for m in mapping.get("coalesce", []) if isinstance(m, dict)}
        if isinstance(mapping.get("else"), dict):
            found.add(result_type(mapping["else"], standard))
        found.discard(None)
        return found.pop() if len(found) == 1 else None
    if entry.result == "date":
        return "text" if standard == SDTM else "number"
    if entry.result in ("same", "datetime") or (entry.name == "copy" and standard != SDTM):
        return None
    return "number" if entry.result == "number" else "text"


# --- define.xml wording ------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    return repr(value)


def mapping_text(mapping: dict, qualify=lambda name: name) -> str:
    """A mapping in words (the branches of a conditional value, and what each gives)."""
    entry = entry_of(mapping)
    if entry is None:
        return ""
    if entry.name == "constant":
        return _value_text(mapping["constant"])
    if entry.name == "copy":
        return f"raw {mapping['copy']}"
    if entry.name == "date":
        return f"raw {mapping['date']} as ISO 8601"
    if entry.name in ("ct", "recode", "number"):
        return f"raw {mapping.get('col') if entry.name == 'ct' else mapping[entry.name]}"
    if entry.name == "template":
        return f"the text {mapping['template']!r}"
    if entry.name == "coalesce":
        return "the first present of: " + "; ".join(mapping_text(m, qualify) for m in mapping["coalesce"])
    if entry.name == "when":
        parts = [f"if {conditions.describe(b['if'])} then {mapping_text(b['then'], qualify)}"
                 for b in mapping["when"]]
        tail = f"; otherwise {mapping_text(mapping['else'], qualify)}" if "else" in mapping else "; otherwise null"
        return "; ".join(parts) + tail
    return method_text(mapping, qualify)


#: What define.xml names the method of each derivation: a name a reviewer reads, shared by
#: every variable whose method has the same wording.
METHOD_NAMES: dict[str, str] = {
    "usubjid": "Unique subject identifier",
    "first_date": "Earliest date",
    "last_date": "Latest date",
    "age": "Age in completed years",
    "study_day": "Study day",
    "seq": "Sequence number",
    "study_first_date": "Earliest date of the study",
    "study_last_date": "Latest date of the study",
    "study_count": "Number of distinct values",
    "epoch": "Epoch",
    "visitnum": "Visit number",
    "visit": "Visit name",
    "sas_date": "SAS date",
    "sas_datetime": "SAS datetime",
    "first_value": "Value of the first record",
    "last_value": "Value of the last record",
    "exists": "Flag: a matching record exists",
    "duration": "Duration in days",
}


def method_name(mapping: dict | None) -> str:
    """What define.xml names a mapping's method: its entry's name for reviewers; "" when the spec
    writes the method itself (`method:`), whose wording belongs to one variable."""
    if not mapping or "method" in mapping:
        return ""
    entry = entry_of(mapping)
    return METHOD_NAMES.get(entry.name, "") if entry is not None else ""


def method_text(mapping: dict | None, qualify=lambda name: name, variable: str | None = None) -> str:
    """The define.xml method of a mapping: its own `method`, else its entry's wording.

    `qualify` turns a variable name into the name define.xml shows (ADaM writes
    DM.RFSTDTC for a variable of the source dataset). Given the `variable` mapped, an
    entry with a generic wording uses it when the mapping follows the IG's naming
    (AESTDY from AESTDTC), so that those variables share one method.
    """
    if not mapping:
        return ""
    if "method" in mapping:
        return str(mapping["method"]).strip()
    entry = entry_of(mapping)
    if entry is None:
        return ""
    if entry.name in ("when", "coalesce", "template"):
        text = mapping_text(mapping, qualify)
        return text[0].upper() + text[1:] + "."
    if entry.form != DERIVATION:
        return ""
    if entry.generic_method and variable and _follows_naming(mapping, variable):
        return _derivation_text(replace(entry, method=entry.generic_method), mapping, qualify)
    return _derivation_text(entry, mapping, qualify)


def _follows_naming(mapping: dict, variable: str) -> bool:
    """Whether a --DY is computed from the --DTC of its own name (AESTDY of AESTDTC, RSDY of RSDTC)."""
    of = mapping.get("of")
    return isinstance(of, str) and variable.endswith("DY") and of == variable[:-2] + "DTC"


def _derivation_text(entry: Entry, mapping: dict, qualify) -> str:
    params: dict[str, str] = {k: str(v) for k, v in mapping.items() if isinstance(v, str)}
    params.setdefault("ref", "RFSTDTC")
    by = mapping.get("by")
    params["by"] = ", ".join(map(str, by)) if isinstance(by, list) and by else "subject"
    where = mapping.get("where")
    params["where"] = f" where {conditions.describe(where)}" if where else ""
    order = mapping.get("order")
    params["order"] = f" ordered by {', '.join(order)}" if order else ""
    if "of" in mapping and isinstance(mapping["of"], str):
        params["of"] = qualify(mapping["of"])
    if entry.name in ("first_date", "last_date") and "sources" in mapping:
        which = "Earliest" if entry.name == "first_date" else "Latest"
        parts = [f"{s['dataset']}.{s['var']}" + (f" where {conditions.describe(s['where'])}" if s.get("where")
                                                 else "") for s in mapping["sources"]]
        return f"{which} complete date of: " + "; ".join(parts)
    try:
        return entry.method.format(**params)
    except (KeyError, IndexError):
        return entry.method


def modifier_text(mapping: dict) -> str:
    """What the modifiers of a mapping add to its method: the value map, the fallback, the cap."""
    text = ""
    if "values" in mapping and (entry_of(mapping) or ENTRIES["copy"]).name not in ("ct", "recode"):
        pairs = ", ".join(f"{_value_text(k)} as {_value_text(v)}" for k, v in mapping["values"].items())
        text += f", recoded: {pairs}"
    if "otherwise" in mapping:
        text += f"; {_value_text(mapping['otherwise'])} when missing"
    if "not_after" in mapping:
        text += f"; never after {mapping['not_after']}"
    return text

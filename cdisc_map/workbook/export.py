"""A study's specs as a spec workbook: what define.xml will say, before any data is read.

The variables of each dataset, their labels, types, roles, codelists, origins (with
predecessors and CRF pages), methods and comments are the ones a build gives (the same
conformance to SDTMIG and ADaMIG metadata, applied to no records), named and shared as
define.xml names and shares them, so the workbook and the define.xml of a run agree.
What only the data can tell is left empty: character lengths (cdisc-map sets each to
the longest value), significant digits, Has No Data, and the value-level metadata a run
finds in the records (a Findings result per --TESTCD). The codelists list the terms the
specs can give (a constant, a value map, `extend:`), else every term of the CDISC
codelist. A derivation's mapping, in the spec language, is the Expression Code of its
method (Expression Context "cdisc-map"), so `import-spec` can restore it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from cdisc_map.adam.adsl import adsl_metadata
from cdisc_map.adam.tte import adtte_metadata, tte_method
from cdisc_map.core.datasets import Dataset, Variable
from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.define.build import CLASS_NAMES, COMMENTED_ORIGINS
from cdisc_map.define.oids import oid_part, unique
from cdisc_map.define.origins import DEFAULT_SOURCE, PAGE_ORIGINS
from cdisc_map.define.texts import NO_METHOD, Texts
from cdisc_map.define.values import WhereClauses
from cdisc_map.sdtm.conform import conform
from cdisc_map.sdtm.supp import COLUMNS as SUPP_COLUMNS
from cdisc_map.sdtm.supp import conform_supp
from cdisc_map.spec.check import check_study
from cdisc_map.spec.registry import ADAM, SDTM, entry_of
from cdisc_map.spec.study import DatasetSpec, StudySpec, read_study
from cdisc_map.spec.submission import (
    dictionaries,
    dictionary_of,
    documents,
    qualifier_pages,
    variable_pages,
    where_checks,
)
from cdisc_map.spec.vocabulary import METADATA
from cdisc_map.standards.codelists import Terminology
from cdisc_map.standards.metadata import Standard, UnknownStandardError
from cdisc_map.standards.selection import Standards
from cdisc_map.standards.value_domains import condition_codelists
from cdisc_map.workbook.infer import CONTEXT
from cdisc_map.workbook.layout import Book
from cdisc_map.workbook.values import all_mappings, union_of, value_text, whole_numbers

PACKAGES = ("sdtm", "adam")
REFERENCE_DATASETS = ("TS", "TA", "TE", "TI", "TV")
#: What the Standards sheet and the Codelists' Terminology column call CDISC CT.
CT_NAME = "CDISC/NCI"
PARAMCD_CODELIST = "ADTTE.PARAMCD"


@dataclass
class Exported:
    """A study's workbook and what was noticed on the way (check-spec findings, datasets left out)."""

    book: Book
    problems: list[Problem] = field(default_factory=list)

    def count(self, sheet: str) -> int:
        return len(self.book.rows(sheet))


def code_text(mapping: dict) -> str:
    """A mapping as one line of the spec language (YAML flow style), without what other columns hold."""
    computation = {key: value for key, value in mapping.items() if key not in METADATA}
    return yaml.safe_dump(computation, default_flow_style=True, sort_keys=False, width=1 << 30,
                          allow_unicode=True).strip()


def dictionary_id(name: str, codes: bool = False) -> str:
    """The ID of a dictionary's row: MEDDRA for its terms, MEDDRA.CODE for its numeric codes (as define.xml)."""
    return oid_part(name).upper() + (".CODE" if codes else "")


def export_study(study_dir: Path, standards: Standards | None = None,
                 packages: Iterable[str] = PACKAGES) -> Exported:
    """The workbook of a study folder's specs (SDTM and/or ADaM); ProblemsError when a spec cannot be read.

    Specs that break their JSON Schema stop the export (the workbook would miss them);
    what check-spec finds beyond that is returned as warnings, so a study still being
    written can be shared as a workbook.
    """
    standards = standards or Standards()
    study, problems = read_study(Path(study_dir))
    if study is None or problems:
        raise ProblemsError(problems)
    _study, checked = check_study(Path(study_dir), standards)
    warnings = [Problem(p.message, file=p.file, row=p.row, column=p.column, value=p.value, hint=p.hint,
                        dataset=p.dataset, severity="warning") for p in checked]
    writer = _Writer(study, standards, set(packages))
    writer.write()
    return Exported(writer.book, warnings + writer.problems)


class _Codelists:
    """The codelists variables use, with the terms each can give; CDISC ones by short name."""

    def __init__(self, terminology: Terminology) -> None:
        self.terminology = terminology
        self.known: dict[str, set[str]] = {}
        self.open: set[str] = set()  # codelists some variable may give any term of
        self.extended: dict[str, set[str]] = {}
        self.sponsor: dict[str, tuple[str, list[tuple[str, str]]]] = {}  # ID -> name, [(term, decode)]

    def use(self, name: str, values: set[str] | None, extend: Iterable[str] = ()) -> str:
        """The codelist's ID for a variable that can give `values` (None: any term); "" when it has none."""
        extend = tuple(extend)
        if not name or values is not None and not values and not extend:
            return ""
        try:
            codelist = self.terminology.codelist(name)
        except (KeyError, LookupError):
            return ""
        key = codelist.short_name
        self.known.setdefault(key, set())
        if values is None:
            self.open.add(key)
        else:
            self.known[key] |= values
        self.extended.setdefault(key, set()).update(extend)
        return key

    def terms(self, name: str) -> set[str]:
        try:
            return set(self.terminology.codelist(name).submission_values())
        except (KeyError, LookupError):
            return set()

    def rows(self, book: Book) -> None:
        for key in sorted(self.known):
            codelist = self.terminology.codelist(key)
            wanted = None if key in self.open else self.known[key] | self.extended[key]
            terms = [t for t in codelist.terms if wanted is None or t.submission_value in wanted]
            extra = sorted((self.known[key] | self.extended[key]) - set(codelist.submission_values()))
            items = [(t.submission_value, t.code) for t in terms] + [(value, "") for value in extra]
            for order, (term, code) in enumerate(items, start=1):
                book.add("Codelists", ID=key, Name=codelist.name, NCI_Codelist_Code=codelist.code, Data_Type="text",
                         Terminology=CT_NAME, Order=order, Term=term, NCI_Term_Code=code)
        for key in sorted(self.sponsor):
            name, items = self.sponsor[key]
            for order, (term, decode) in enumerate(items, start=1):
                book.add("Codelists", ID=key, Name=name, Data_Type="text", Order=order, Term=term,
                         Decoded_Value=decode)


class _Methods:
    """Methods as define.xml shares them, one per algorithm; and one per mapping, so the code restores it.

    Variables whose method has the same name, wording and Expression Code share one
    row (every --SEQ numbered the same way). The first method of a name is MT.<NAME>
    (MT.SEQUENCE_NUMBER); another is named for its first user, as define.xml does.
    """

    def __init__(self, taken: set[str]) -> None:
        self.rows: dict[tuple[str, str, str], dict] = {}
        self.taken = taken

    def use(self, text: str, name: str, user: str, code: str = "", oid: str | None = None) -> str:
        text = " ".join(text.split()) or NO_METHOD
        key = (name, text, code)
        if key not in self.rows:
            named = f"MT.{oid_part(name).upper()}"
            base = named if name and named not in self.taken else (oid or f"MT.{oid_part(user)}")
            method_oid = unique(base, self.taken)
            label = name if name and method_oid == named else (f"{name} ({user})" if name else f"Derivation of {user}")
            self.rows[key] = {"ID": method_oid, "Name": label, "Type": "Computation", "Description": text,
                              "Expression_Context": CONTEXT if code else "", "Expression_Code": code}
        return self.rows[key]["ID"]


class _Writer:
    """Fills the book sheet by sheet: datasets and variables first, then what they refer to."""

    def __init__(self, study: StudySpec, standards: Standards, packages: set[str]) -> None:
        self.study = study
        self.packages = packages
        self.book = Book()
        self.problems: list[Problem] = []
        self.sdtmig: Standard = standards.sdtmig(study.sdtmig_version)
        self.terminology = standards.ct(study.ct_version)
        self.codelists = _Codelists(self.terminology)
        self.texts = Texts()
        self.methods = _Methods(set())
        self.where = WhereClauses()
        self.dictionaries = dictionaries(study)
        self.used_dictionaries: set[str] = set()
        self.specs = {spec.name: spec for spec in study.sdtm}
        self.datasets: list[tuple[str, Dataset]] = []  # (package, dataset) in the order written

    # --- the whole book ----------------------------------------------------------------

    def write(self) -> None:
        self._study_rows()
        if "sdtm" in self.packages:
            for dataset, spec in self._sdtm_datasets():
                self._dataset(dataset, "sdtm", spec)
        if "adam" in self.packages:
            for dataset in self._adam_datasets():
                self._dataset(dataset, "adam", None)
        self._common()
        self._dictionary_rows()
        self.codelists.rows(self.book)
        for row in sorted(self.methods.rows.values(), key=lambda r: r["ID"]):
            self.book.add("Methods", **row)
        for comment in self.texts.comments():
            self.book.add("Comments", ID=comment.oid, Description=comment.text)
        for clause in self.where.all():
            dataset = clause.oid.split(".")[1]
            for check in clause.checks:
                self.book.add("WhereClauses", ID=clause.oid, Dataset=dataset,
                              Variable=check.item_oid.rsplit(".", 1)[1], Comparator=check.comparator,
                              Value=", ".join(check.values))
        self._documents()

    def _study_rows(self) -> None:
        info = self.study.data["study"]
        description = (info.get("description") or info.get("name") or self.study.study_id).strip()
        for attribute, value in (("StudyName", self.study.study_id), ("StudyDescription", description),
                                 ("ProtocolName", info.get("protocol", self.study.study_id))):
            self.book.add("Study", Attribute=attribute, Value=str(value))
        version = self.study.ct_version
        if "sdtm" in self.packages:
            self.book.add("Standards", Name="SDTMIG", Type="IG", Version=self.study.sdtmig_version, Status="Final")
            self.book.add("Standards", Name=CT_NAME, Type="CT", Publishing_Set="SDTM", Version=version,
                          Status="Final")
        if "adam" in self.packages and self.study.adam.adsl is not None:
            self.book.add("Standards", Name="ADaMIG", Type="IG", Version=self.study.adamig_version, Status="Final")
            self.book.add("Standards", Name=CT_NAME, Type="CT", Publishing_Set="ADaM", Version=version,
                          Status="Final")

    def _dictionary_rows(self) -> None:
        """Every dictionary study.yaml names (its terms), and its numeric codes where a variable holds them."""
        for dictionary in self.dictionaries:
            for codes in (False, True):
                key = dictionary_id(dictionary.name, codes)
                if codes and key not in self.used_dictionaries:
                    continue
                self.book.add("Dictionaries", ID=key, Name=f"{dictionary.name} codes" if codes else dictionary.name,
                              Data_Type="integer" if codes else "text", Dictionary=dictionary.name,
                              Version=dictionary.version)

    def _documents(self) -> None:
        seen = set()
        for package in sorted(self.packages):
            for document in documents(self.study, package):
                if document["id"] not in seen:
                    seen.add(document["id"])
                    self.book.add("Documents", ID=document["id"], Title=document["title"], Href=document["href"])

    # --- the datasets as a build gives them, without records ---------------------------

    def _sdtm_datasets(self) -> list[tuple[Dataset, DatasetSpec]]:
        found = []
        for spec in self.study.sdtm:
            columns = list(dict.fromkeys([*spec.mapped(), *spec.keys]))
            try:
                dataset, _problems = conform(spec, pd.DataFrame(columns=columns), self.study.sdtmig_version,
                                             standard=self.sdtmig, pages=variable_pages(self.study, spec))
            except UnknownStandardError as exc:
                self.problems.append(Problem(f"left out of the workbook: {exc}", file=str(spec.path),
                                             dataset=spec.name, severity="warning"))
                continue
            found.append((dataset, spec))
            qualifiers = list(spec.supp_mapped())
            if qualifiers:  # one record per qualifier, so that each has its value-level metadata
                frame = pd.DataFrame({column: qualifiers if column == "QNAM" else "" for column in SUPP_COLUMNS})
                supp, _problems = conform_supp(spec, frame, self.study.sdtmig_version, self.sdtmig,
                                               pages=qualifier_pages(self.study, spec))
                found.append((supp, spec))
        return sorted(found, key=lambda item: _dataset_order(item[0].name))

    def _adam_datasets(self) -> list[Dataset]:
        specs = self.study.adam
        version = self.study.adamig_version
        found = []
        adsl_columns: list[str] = []
        if specs.adsl is not None:
            adsl = adsl_metadata(specs.adsl, version)
            adsl_columns = [v.name for v in adsl.variables]
            found.append(adsl)
        if specs.tte:
            found.append(adtte_metadata(specs.tte, adsl_columns, version))
        return found

    # --- one dataset: its row, its variables, its value-level metadata -------------------

    def _dataset(self, dataset: Dataset, package: str, spec: DatasetSpec | None) -> None:
        name = dataset.name
        self.datasets.append((package, dataset))
        is_supp = package == "sdtm" and name.startswith("SUPP")
        standard = f"SDTMIG {self.study.sdtmig_version}" if package == "sdtm" else f"ADaMIG {self.study.adamig_version}"
        cls = dataset.cls
        if package == "sdtm":
            try:
                cls = self.sdtmig.dataset(name, None if is_supp else spec.cls).cls
            except UnknownStandardError:
                cls = dataset.cls
        self.book.add("Datasets", Dataset=name, Label=dataset.label, Class=CLASS_NAMES.get(cls, cls),
                      SubClass="TIME-TO-EVENT" if name == "ADTTE" else "",
                      Structure=dataset.structure or "One record per subject", Key_Variables=", ".join(dataset.keys),
                      Standard=standard, Repeating=name not in ("DM", "ADSL"), Reference_Data=name in
                      REFERENCE_DATASETS, Comment=self.texts.comment((dataset.comment or "").strip(), name) or "",
                      Developer_Notes=(spec.data.get("description", "") if spec is not None and not is_supp else ""))
        for order, variable in enumerate(dataset.variables, start=1):
            self._variable(dataset, variable, order, package, spec, is_supp)
        if is_supp:
            self._supp_value_level(dataset, spec)
        elif name == "ADTTE":
            self._tte_value_level()
        elif spec is not None:
            described = self._findings_value_level(dataset, spec)
            self._rule_value_level(dataset, spec, described)

    def _variable(self, dataset: Dataset, variable: Variable, order: int, package: str, spec: DatasetSpec | None,
                  is_supp: bool) -> None:
        name = dataset.name
        user = f"{name}.{variable.name}"
        own_spec = None if is_supp else spec
        mapping = self._mapping_of(name, variable.name, own_spec)
        mappings = all_mappings(own_spec, variable.name) if own_spec is not None else ([mapping] if mapping else [])
        kind = self._data_type(name, variable, mapping)
        dictionary = dictionary_of(self.dictionaries, name, variable.name)
        codelist = ""
        if dictionary is not None:
            codelist = dictionary_id(dictionary.name, kind in ("integer", "float"))
            self.used_dictionaries.add(codelist)
        elif not self._by_condition(dataset, variable, own_spec) and variable.type == "Char":
            if is_supp:  # RDOMAIN is the parent's domain; the rest as the data has them
                values = {dataset.domain} if variable.name == "RDOMAIN" else None
            elif mappings or name == "ADTTE":
                values = self._values(name, variable.name, own_spec)
            else:
                values = set()
            extend = sorted({str(v) for m in mappings for v in m.get("extend", [])})
            codelist = self.codelists.use(self._chosen(variable.codelist, values), values, extend)
        if name == "ADTTE" and variable.name == "PARAMCD" and self.study.adam.tte:
            codelist = PARAMCD_CODELIST  # the parameters, each decoded by its PARAM
        origin = variable.origin
        method = ""
        if origin == "Derived":
            code = code_text(mapping) if mapping and self._restorable(mapping, package) else ""
            method = self.methods.use(variable.method, variable.method_name, user, code)
        comment = variable.comment or (variable.method if origin in COMMENTED_ORIGINS else "")
        self.book.add(
            "Variables", Order=order, Dataset=name, Variable=variable.name, Label=variable.label, Data_Type=kind,
            Format=variable.format, Mandatory=variable.core == "Req", Assigned_Value=_assigned(mappings),
            Codelist=codelist, Origin=origin, Source=_source(variable), Pages=_pages(variable), Method=method,
            Predecessor=variable.predecessor if origin == "Predecessor" else "", Role=variable.role,
            Comment=self.texts.comment(comment, user) or "")

    def _by_condition(self, dataset: Dataset, variable: Variable, spec: DatasetSpec | None) -> list[tuple[dict, str]]:
        """The variable's codelists per condition: the spec's `value_level` rules, else the IG's (DSDECOD by
        DSCAT) for the values the spec gives the variable it depends on."""
        if variable.value_codelists:
            return list(variable.value_codelists)
        rule = condition_codelists(variable.name)
        names = {v.name for v in dataset.variables}
        if rule is None or spec is None or rule[0] not in names:
            return []
        by, codelists = rule
        values = union_of(all_mappings(spec, by))
        present = sorted(codelists if values is None else values & set(codelists))
        return [({"var": by, "eq": value}, codelists[value]) for value in present]

    def _findings_value_level(self, dataset: Dataset, spec: DatasetSpec) -> set[str]:
        """A Findings result (--ORRES, --STRESC, --STRESN) by --TESTCD, for the tests the spec names
        (define.xml finds them in the data); returns the variables so described."""
        prefix = dataset.domain or dataset.name
        variables = {v.name: v for v in dataset.variables}
        testcd = f"{prefix}TESTCD"
        tests = union_of(all_mappings(spec, testcd)) if testcd in variables else None
        if not tests:
            return set()
        names = union_of(all_mappings(spec, f"{prefix}TEST"))
        label = next(iter(names)) if names and len(names) == 1 and len(tests) == 1 else ""
        described = set()
        for target in (f"{prefix}{suffix}" for suffix in ("ORRES", "STRESC", "STRESN")):
            variable = variables.get(target)
            if variable is None:
                continue
            described.add(target)
            rules = {tuple((var, comparator, tuple(v)) for var, comparator, v in where_checks(condition) or []):
                     codelist for condition, codelist in self._by_condition(dataset, variable, spec)}
            values = self._values(dataset.name, target, spec)
            method = self._row_of(dataset.name, target)["Method"]
            for order, test in enumerate(sorted(tests), start=1):
                checks = ((testcd, "EQ", (test,)),)
                name = rules.get(checks, variable.codelist.split()[0] if variable.codelist else "")
                codelist = self._rule_codelist(name, values) if name and variable.type == "Char" else ""
                self.book.add("ValueLevel", Order=order, Dataset=dataset.name, Variable=target,
                              Where_Clause=self.where.of(dataset.name, list(checks)), Label=label,
                              Data_Type=self._data_type(dataset.name, variable, self._mapping_of(
                                  dataset.name, target, spec)), Mandatory=False, Codelist=codelist,
                              Origin=variable.origin, Source=_source(variable), Pages=_pages(variable),
                              Method=method)
        return described

    def _row_of(self, dataset: str, variable: str):
        return next(row for row in reversed(self.book.rows("Variables"))
                    if row["Dataset"] == dataset and row["Variable"] == variable)

    def _rule_value_level(self, dataset: Dataset, spec: DatasetSpec, described: set[str]) -> None:
        """A codelist that depends on a condition (DSDECOD by DSCAT): one row per condition."""
        for variable in dataset.variables:
            rules = self._by_condition(dataset, variable, spec)
            if not rules or variable.type != "Char" or variable.name in described:
                continue
            values = self._values(dataset.name, variable.name, spec)
            order = 0
            for condition, name in rules:
                checks = where_checks(condition)
                if checks is None:  # a where clause cannot say it: those records keep the variable's description
                    continue
                order += 1
                where = self.where.of(dataset.name, [(var, comparator, tuple(v)) for var, comparator, v in checks])
                self.book.add("ValueLevel", Order=order, Dataset=dataset.name, Variable=variable.name,
                              Where_Clause=where, Data_Type=self._data_type(dataset.name, variable, None),
                              Mandatory=False, Codelist=self._rule_codelist(name, values), Origin=variable.origin,
                              Source=_source(variable))

    def _rule_codelist(self, name: str, values: set[str] | None) -> str:
        """A value-level codelist lists the variable's terms it holds, or all its terms when it holds none."""
        held = values & self.codelists.terms(name) if values is not None else set()
        return self.codelists.use(name, held or None)

    def _supp_value_level(self, dataset: Dataset, spec: DatasetSpec) -> None:
        """QVAL of a SUPP-- dataset per QNAM: the qualifier's label, origin, pages, method and comment."""
        mappings = spec.supp_mapped()
        for order, (qnam, (mapping, _trail)) in enumerate(mappings.items(), start=1):
            meta = dataset.value_level[f"QVAL.{qnam}"]
            key = f"{dataset.name}.QVAL.{oid_part(qnam)}"
            user = f"{dataset.name}.QVAL (QNAM = {qnam})"
            where = self.where.of(dataset.name, [("QNAM", "EQ", (qnam,))])
            method = ""
            if meta.origin == "Derived":
                code = code_text(mapping) if self._restorable(mapping, "sdtm") else ""
                method = self.methods.use(meta.method, meta.method_name, user, code, oid=f"MT.{key}")
            text = meta.comment or (meta.method if meta.origin in COMMENTED_ORIGINS else "")
            codelist = self.codelists.use(mapping["ct"], union_of([mapping])) if "ct" in mapping else ""
            self.book.add("ValueLevel", Order=order, Dataset=dataset.name, Variable="QVAL", Where_Clause=where,
                          Label=meta.label, Data_Type="text", Mandatory=False, Assigned_Value=_assigned([mapping]),
                          Codelist=codelist, Origin=meta.origin, Source=_source(meta), Pages=_pages(meta),
                          Method=method, Comment=self.texts.comment(text, user, oid=f"COM.{key}") or "")

    def _tte_value_level(self) -> None:
        """AVAL of ADTTE per PARAMCD: each parameter's derivation, its spec as the method's code."""
        items = []
        for order, spec in enumerate(self.study.adam.tte, start=1):
            paramcd = str(spec["paramcd"])
            where = self.where.of("ADTTE", [("PARAMCD", "EQ", (paramcd,))])
            method = self.methods.use(tte_method(spec), "", f"ADTTE.AVAL (PARAMCD = {paramcd})", code_text(spec),
                                      oid=f"MT.ADTTE.AVAL.{oid_part(paramcd)}")
            self.book.add("ValueLevel", Order=order, Dataset="ADTTE", Variable="AVAL", Where_Clause=where,
                          Label=str(spec["param"]), Data_Type="integer", Mandatory=False, Origin="Derived",
                          Source=DEFAULT_SOURCE["Derived"], Method=method)
            items.append((paramcd, str(spec["param"])))
        if items:
            self.codelists.sponsor[PARAMCD_CODELIST] = ("Parameter Code (ADTTE)", items)

    # --- helpers ---------------------------------------------------------------------

    def _mapping_of(self, dataset: str, variable: str, spec: DatasetSpec | None) -> dict | None:
        if spec is not None:
            return spec.mapped().get(variable, (None, ()))[0]
        if dataset == "ADSL" and self.study.adam.adsl is not None:
            return self.study.adam.adsl.get("variables", {}).get(variable)
        return None

    def _values(self, dataset: str, variable: str, spec: DatasetSpec | None) -> set[str] | None:
        """The values a variable can hold: an SDTM variable's mappings; ADSL's through what it copies."""
        if spec is not None:
            return union_of(all_mappings(spec, variable))
        if dataset == "ADTTE":  # ADSL's variables as ADSL has them; the parameters' own as the data has them
            in_adsl = variable in (self.study.adam.adsl or {}).get("variables", {})
            return self._values("ADSL", variable, None) if in_adsl else None
        mapping = self._mapping_of(dataset, variable, None)
        if mapping is None:
            return set()
        subjects = self.specs.get(self.study.adam.adsl.get("subjects", "DM"))
        resolve = (lambda name: union_of(all_mappings(subjects, name))) if subjects is not None else None
        return union_of([mapping], resolve)

    def _chosen(self, names: str, values: set[str] | None) -> str:
        """Of the codelists the IG names for a variable (RSCAT: ONCRSCAT or CCCAT), the first that holds
        one of its values, else the first."""
        for name in names.split():
            terms = self.codelists.terms(name)
            if terms and (values is None or values & terms):
                return name
        return names.split()[0] if names else ""

    def _data_type(self, dataset: str, variable: Variable, mapping: dict | None) -> str:
        if variable.type == "Char":
            return "datetime" if variable.name.endswith("DTC") else "text"
        if dataset == "ADTTE" and mapping is None:
            adsl = self._mapping_of("ADSL", variable.name, None)
            return self._data_type("ADSL", variable, adsl) if adsl else "integer"
        sdtm_spec = self.specs.get(dataset) if dataset not in ("ADSL", "ADTTE") else None
        if sdtm_spec is not None and (every := all_mappings(sdtm_spec, variable.name)):
            # a variable given per record (TAETORD of each TA record) is integer when every record's value is
            return "integer" if all(whole_numbers(found) for found in every) else "float"
        subjects = self.specs.get((self.study.adam.adsl or {}).get("subjects", "DM"))

        def resolve(name: str) -> bool:
            found = subjects.mapped().get(name, (None, ()))[0] if subjects is not None else None
            return whole_numbers(found)

        return "integer" if whole_numbers(mapping, resolve if dataset == "ADSL" else None) else "float"

    def _restorable(self, mapping: dict, package: str) -> bool:
        """A mapping the Expression Code carries: one that computes (its entry's own origin is Derived)."""
        entry = entry_of(mapping)
        return entry is not None and entry.origin_for(SDTM if package == "sdtm" else ADAM) == "Derived"

    def _common(self) -> None:
        """Common is Yes for a variable every dataset of its package holds (SUPP-- aside)."""
        held: dict[str, list[set[str]]] = {}
        for package, dataset in self.datasets:
            if not dataset.name.startswith("SUPP"):
                held.setdefault(package, []).append({v.name for v in dataset.variables})
        common = {package: set.intersection(*sets) for package, sets in held.items()}
        packages = {dataset.name: package for package, dataset in self.datasets}
        for row in self.book.rows("Variables"):
            shared = common.get(packages.get(row["Dataset"], ""), set())
            row.values["Common"] = "Yes" if row["Variable"] in shared else "No"


def _source(variable: Variable) -> str:
    """The origin's source, as define.xml gives it: the spec's, else the origin type's (none for Predecessor)."""
    if not variable.origin or variable.origin == "Predecessor":
        return ""
    return variable.source or DEFAULT_SOURCE.get(variable.origin, "")


def _pages(variable: Variable) -> str:
    return " ".join(map(str, variable.crf_pages)) if variable.origin in PAGE_ORIGINS else ""


def _assigned(mappings: list[dict]) -> str:
    """The Assigned Value: the constant of a variable that every mapping sets to the same value."""
    if not mappings or any(entry_of(m) is None or entry_of(m).name != "constant" for m in mappings):
        return ""
    values = {value_text(m["constant"]) for m in mappings}
    return values.pop() if len(values) == 1 else ""


def _dataset_order(name: str) -> tuple:
    """DM first, each SUPP-- after its parent: the order define.xml lists datasets in."""
    parent = name[4:] if name.startswith("SUPP") else name
    return (0 if parent in ("DM", "ADSL") else 1, parent, name.startswith("SUPP"))



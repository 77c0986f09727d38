"""A study's specs as a spec workbook: what define.xml will say, before any data is read.

The variables of each dataset, their labels, types, roles, codelists, origins,
methods and comments are the ones a build gives (the same conformance to SDTMIG and
ADaMIG metadata, applied to no records), so the workbook and the define.xml of a run
agree. What only the data can tell is left empty: character lengths (cdisc-map sets
each to the longest value), significant digits, Has No Data, the value-level metadata
a run finds in the records (a Findings result per --TESTCD). The codelists list the
terms the specs can give (a constant, a value map, `extend:`), else every term of the
CDISC codelist. A derivation's mapping, in the spec language, is the Expression Code
of its method (Expression Context "cdisc-map"), so `import-spec` can restore it.
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
from cdisc_map.define.build import CLASS_NAMES
from cdisc_map.define.origins import DEFAULT_SOURCE as ORIGIN_SOURCE
from cdisc_map.sdtm.conform import conform
from cdisc_map.sdtm.supp import COLUMNS as SUPP_COLUMNS
from cdisc_map.sdtm.supp import conform_supp
from cdisc_map.spec import conditions
from cdisc_map.spec.check import check_study
from cdisc_map.spec.registry import ADAM, SDTM, entry_of, method_text, origin_of
from cdisc_map.spec.study import DatasetSpec, StudySpec, read_study
from cdisc_map.spec.vocabulary import METADATA
from cdisc_map.standards.codelists import Terminology
from cdisc_map.standards.metadata import Standard, UnknownStandardError
from cdisc_map.standards.selection import Standards
from cdisc_map.workbook.infer import CONTEXT
from cdisc_map.workbook.layout import Book
from cdisc_map.workbook.values import all_mappings, union_of, value_text, whole_numbers

PACKAGES = ("sdtm", "adam")
REFERENCE_DATASETS = ("TS", "TA", "TE", "TI", "TV", "TD", "TM")
#: What the Standards sheet calls the CT and where a workbook names MedDRA.
CT_NAME = "CDISC/NCI"
MEDDRA = "MEDDRA"


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
        if not name or values is not None and not values and not tuple(extend):
            return ""
        try:
            codelist = self.terminology.codelist(name.split()[0])
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

    def rows(self, book: Book) -> None:
        for key in sorted(self.known):
            codelist = self.terminology.codelist(key)
            wanted = None if key in self.open else self.known[key] | self.extended[key]
            terms = [t for t in codelist.terms if wanted is None or t.submission_value in wanted]
            listed = {t.submission_value for t in terms}
            extra = sorted((self.known[key] | self.extended[key]) - listed - set(codelist.submission_values()))
            items = [(t.submission_value, t.code) for t in terms] + [(value, "") for value in extra]
            for order, (term, code) in enumerate(items, start=1):
                book.add("Codelists", ID=key, Name=codelist.name, NCI_Codelist_Code=codelist.code, Data_Type="text",
                         Terminology=CT_NAME, Order=order, Term=term, NCI_Term_Code=code)
        for key in sorted(self.sponsor):
            name, items = self.sponsor[key]
            for order, (term, decode) in enumerate(items, start=1):
                book.add("Codelists", ID=key, Name=name, Data_Type="text", Order=order, Term=term,
                         Decoded_Value=decode)


class _Writer:
    """Fills the book sheet by sheet: datasets and variables first, then what they refer to."""

    def __init__(self, study: StudySpec, standards: Standards, packages: set[str]) -> None:
        self.study = study
        self.standards = standards
        self.packages = packages
        self.book = Book()
        self.problems: list[Problem] = []
        self.sdtmig: Standard = standards.sdtmig(study.sdtmig_version)
        self.terminology = standards.ct(study.ct_version)
        self.codelists = _Codelists(self.terminology)
        self.methods: dict[str, dict] = {}
        self.comments: dict[str, str] = {}
        self.specs = {spec.name: spec for spec in study.sdtm}
        self.datasets: list[tuple[str, Dataset]] = []  # (package, dataset) in the order written

    # --- the whole book ----------------------------------------------------------------

    def write(self) -> None:
        self._study_rows()
        sdtm = self._sdtm_datasets()
        adam = self._adam_datasets() if "adam" in self.packages else []
        if "sdtm" in self.packages:
            for dataset, spec in sdtm:
                self._dataset(dataset, "sdtm", spec)
        for dataset in adam:
            self._dataset(dataset, "adam", None)
        self._common()
        self.codelists.rows(self.book)
        for oid in sorted(self.methods):
            self.book.add("Methods", ID=oid, **self.methods[oid])
        for oid in sorted(self.comments):
            self.book.add("Comments", ID=oid, Description=self.comments[oid])
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
        meddra = self.study.data["standards"].get("meddra")
        if meddra:
            self.book.add("Dictionaries", ID=MEDDRA, Name="MedDRA", Data_Type="text", Dictionary=MEDDRA,
                          Version=str(meddra))

    def _documents(self) -> None:
        seen = set()
        for document in self.study.data.get("documents", []):
            if document["package"] in self.packages and document["id"] not in seen:
                seen.add(document["id"])
                self.book.add("Documents", ID=document["id"], Title=document["title"], Href=document["href"])

    # --- the datasets as a build gives them, without records ---------------------------

    def _sdtm_datasets(self) -> list[tuple[Dataset, DatasetSpec]]:
        found = []
        for spec in self.study.sdtm:
            columns = list(dict.fromkeys([*spec.mapped(), *spec.keys]))
            try:
                dataset, _problems = conform(spec, pd.DataFrame(columns=columns), self.study.sdtmig_version,
                                             standard=self.sdtmig)
            except UnknownStandardError as exc:
                self.problems.append(Problem(f"left out of the workbook: {exc}", file=str(spec.path),
                                             dataset=spec.name, severity="warning"))
                continue
            found.append((dataset, spec))
            if spec.supp_mapped():
                supp, _problems = conform_supp(spec, pd.DataFrame(columns=SUPP_COLUMNS), self.study.sdtmig_version,
                                               self.sdtmig)
                supp.domain = dataset.domain
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
        standard = f"SDTMIG {self.study.sdtmig_version}" if package == "sdtm" else f"ADaMIG {self.study.adamig_version}"
        cls = dataset.cls
        if package == "sdtm":
            try:
                cls = self.sdtmig.dataset(name, spec.cls if spec is not None and not name.startswith("SUPP") else
                                          None).cls
            except UnknownStandardError:
                cls = dataset.cls
        comment = self._comment(f"COM.{name}", (dataset.comment or "").strip())
        is_supp = name.startswith("SUPP") and package == "sdtm"
        self.book.add("Datasets", Dataset=name, Label=dataset.label, Class=CLASS_NAMES.get(cls, cls),
                      SubClass="TIME-TO-EVENT" if name == "ADTTE" else "",
                      Structure=dataset.structure or "One record per subject", Key_Variables=", ".join(dataset.keys),
                      Standard=standard, Repeating=name not in ("DM", "ADSL"), Reference_Data=name in
                      REFERENCE_DATASETS, Comment=comment,
                      Developer_Notes=(spec.data.get("description", "") if spec is not None and not is_supp else ""))
        for order, variable in enumerate(dataset.variables, start=1):
            self._variable(dataset, variable, order, package, None if is_supp else spec)
        if is_supp:
            self._supp_value_level(dataset, spec)
        elif name == "ADTTE":
            self._tte_value_level()
        elif spec is not None:
            self._rule_value_level(dataset, spec)

    def _variable(self, dataset: Dataset, variable: Variable, order: int, package: str,
                  spec: DatasetSpec | None) -> None:
        name = dataset.name
        mapping = self._mapping_of(name, variable.name, spec)
        mappings = all_mappings(spec, variable.name) if spec is not None else ([mapping] if mapping else [])
        codelist = ""
        if not variable.value_codelists:
            if spec is None and package == "sdtm":  # a SUPP-- dataset: RDOMAIN is its parent's domain
                values = {dataset.domain} if variable.name == "RDOMAIN" else None
            elif mappings or name == "ADTTE":
                values = self._values(name, variable.name, spec)
            else:
                values = set()
            extend = sorted({str(v) for m in mappings for v in m.get("extend", [])})
            codelist = self.codelists.use(self._chosen(variable.codelist, values), values, extend)
        codelist = codelist or self._dictionary(name, variable.name)
        method = comment = ""
        origin = variable.origin
        if origin == "Derived":
            code = code_text(mapping) if mapping and self._restorable(mapping, package) else ""
            method = self._method(f"MT.{name}.{variable.name}", f"Algorithm for {name}.{variable.name}",
                                  variable.method or f"Derived: see the {name} specification.", code)
        text = variable.comment or (variable.method if origin in ("Assigned", "Protocol") else "")
        if text:
            comment = self._comment(f"COM.{name}.{variable.name}", text)
        self.book.add(
            "Variables", Order=order, Dataset=name, Variable=variable.name, Label=variable.label,
            Data_Type=self._data_type(name, variable, mapping), Format=variable.format,
            Mandatory=variable.core == "Req", Assigned_Value=_assigned(mappings), Codelist=codelist,
            Origin=origin, Source=(variable.source or ORIGIN_SOURCE.get(origin, "")) if origin else "",
            Method=method, Predecessor=self._predecessor(mapping, origin, package), Role=variable.role,
            Comment=comment)

    def _rule_value_level(self, dataset: Dataset, spec: DatasetSpec) -> None:
        """`value_level:` rules: the codelist of the records that meet a condition (DSDECOD by DSCAT)."""
        for variable in dataset.variables:
            if not variable.value_codelists:
                continue
            values = self._values(dataset.name, variable.name, spec)
            origin = variable.origin
            for order, (condition, name) in enumerate(variable.value_codelists, start=1):
                where = self._where(f"WC.{dataset.name}.{variable.name}.{order}", dataset.name, condition)
                codelist = self._rule_codelist(name, values)
                self.book.add("ValueLevel", Order=order, Dataset=dataset.name, Variable=variable.name,
                              Where_Clause=where, Data_Type=self._data_type(dataset.name, variable, None),
                              Mandatory=False, Codelist=codelist, Origin=origin,
                              Source=(variable.source or ORIGIN_SOURCE.get(origin, "")) if origin else "")

    def _chosen(self, names: str, values: set[str] | None) -> str:
        """Of the codelists the IG names for a variable (RSCAT: ONCRSCAT or CCCAT), the first that holds
        one of its values, else the first."""
        for name in names.split():
            try:
                terms = set(self.terminology.codelist(name).submission_values())
            except (KeyError, LookupError):
                continue
            if values is None or values & terms:
                return name
        return names.split()[0] if names else ""

    def _rule_codelist(self, name: str, values: set[str] | None) -> str:
        """A value-level codelist lists the variable's terms it holds, or all its terms when it holds none."""
        if values is not None:
            try:
                terms = set(self.terminology.codelist(name).submission_values())
            except (KeyError, LookupError):
                return ""
            if values & terms:
                return self.codelists.use(name, values & terms)
        return self.codelists.use(name, None)

    def _supp_value_level(self, dataset: Dataset, spec: DatasetSpec) -> None:
        """QVAL of a SUPP-- dataset per QNAM: the qualifier's label, origin and method."""
        for order, (qnam, (mapping, _trail)) in enumerate(spec.supp_mapped().items(), start=1):
            key = f"{dataset.name}.QVAL.{qnam}"
            where = self._where(f"WC.{key}", dataset.name, {"var": "QNAM", "eq": qnam})
            origin = origin_of(mapping)
            method = comment = ""
            if origin == "Derived":
                code = code_text(mapping) if self._restorable(mapping, "sdtm") else ""
                method = self._method(f"MT.{key}", f"Algorithm for QVAL of {qnam}", method_text(mapping) or
                                      f"Derived: see the {spec.name} specification.", code)
            text = mapping.get("comment", "") or (method_text(mapping) if origin in ("Assigned", "Protocol") else "")
            if text:
                comment = self._comment(f"COM.{key}", text)
            codelist = self.codelists.use(mapping["ct"], union_of([mapping])) if "ct" in mapping else ""
            self.book.add("ValueLevel", Order=order, Dataset=dataset.name, Variable="QVAL", Where_Clause=where,
                          Label=mapping["label"], Data_Type="text", Mandatory=False,
                          Assigned_Value=_assigned([mapping]), Codelist=codelist, Origin=origin,
                          Source=mapping.get("source") or ORIGIN_SOURCE.get(origin, ""), Method=method,
                          Comment=comment)

    def _tte_value_level(self) -> None:
        """AVAL of ADTTE per PARAMCD: each parameter's derivation, its spec as the method's code."""
        items = []
        for order, spec in enumerate(self.study.adam.tte, start=1):
            paramcd = str(spec["paramcd"])
            key = f"ADTTE.AVAL.{paramcd}"
            where = self._where(f"WC.{key}", "ADTTE", {"var": "PARAMCD", "eq": paramcd})
            method = self._method(f"MT.{key}", f"Algorithm for AVAL of {paramcd}", tte_method(spec),
                                  code_text(spec))
            self.book.add("ValueLevel", Order=order, Dataset="ADTTE", Variable="AVAL", Where_Clause=where,
                          Label=str(spec["param"]), Data_Type="integer", Mandatory=False, Origin="Derived",
                          Source=ORIGIN_SOURCE["Derived"], Method=method)
            items.append((paramcd, str(spec["param"])))
        if items:
            self.codelists.sponsor["ADTTE.PARAMCD"] = ("Parameter Code (ADTTE)", items)

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

    def _data_type(self, dataset: str, variable: Variable, mapping: dict | None) -> str:
        if variable.type == "Char":
            return "datetime" if variable.name.endswith("DTC") else "text"
        if dataset == "ADTTE" and mapping is None:
            adsl = self._mapping_of("ADSL", variable.name, None)
            return self._data_type("ADSL", variable, adsl) if adsl else "integer"
        subjects = self.specs.get((self.study.adam.adsl or {}).get("subjects", "DM"))

        def resolve(name: str) -> bool:
            found = subjects.mapped().get(name, (None, ()))[0] if subjects is not None else None
            return whole_numbers(found)

        return "integer" if whole_numbers(mapping, resolve if dataset == "ADSL" else None) else "float"

    def _restorable(self, mapping: dict, package: str) -> bool:
        """A mapping the Expression Code carries: one that computes (its entry's own origin is Derived)."""
        entry = entry_of(mapping)
        return entry is not None and entry.origin_for(SDTM if package == "sdtm" else ADAM) == "Derived"

    def _predecessor(self, mapping: dict | None, origin: str, package: str) -> str:
        if origin != "Predecessor" or package != "adam" or not mapping or "copy" not in mapping:
            return ""
        return f"{(self.study.adam.adsl or {}).get('subjects', 'DM')}.{mapping['copy']}"

    def _dictionary(self, dataset: str, variable: str) -> str:
        """MEDDRA for a variable the IG codes with MedDRA, when study.yaml names the MedDRA version."""
        if not self.study.data["standards"].get("meddra"):
            return ""
        try:
            meta = self.sdtmig.variable(dataset, variable)
        except (UnknownStandardError, KeyError):
            return ""
        return MEDDRA if meta.value_domain.casefold() == "meddra" else ""

    def _method(self, oid: str, name: str, text: str, code: str) -> str:
        self.methods[oid] = {"Name": name, "Type": "Computation", "Description": text,
                             "Expression_Context": CONTEXT if code else "", "Expression_Code": code}
        return oid

    def _comment(self, oid: str, text: str) -> str:
        if not text:
            return ""
        self.comments[oid] = text.strip()
        return oid

    def _where(self, oid: str, dataset: str, condition: dict) -> str:
        """Where-clause rows of a condition: one per comparison, all of which hold (P21's AND)."""
        checks = where_checks(condition)
        if checks is None:
            self.book.add("WhereClauses", ID=oid, Dataset=dataset, Comment=f"where {conditions.describe(condition)}")
            return oid
        for variable, comparator, values in checks:
            self.book.add("WhereClauses", ID=oid, Dataset=dataset, Variable=variable, Comparator=comparator,
                          Value=", ".join(values))
        return oid

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


#: Define-XML comparators of the condition operators a where clause can say.
COMPARATORS = {"eq": "EQ", "ne": "NE", "in": "IN", "not_in": "NOTIN", "lt": "LT", "le": "LE", "gt": "GT",
               "ge": "GE"}


def where_checks(condition: dict) -> list[tuple[str, str, list[str]]] | None:
    """A condition as where-clause checks (variable, comparator, values), or None when it says more.

    Comparisons of a variable with values, alone or under `all`, are what Define-XML's
    range checks say; `any`, `not`, `missing`, text searches and comparisons of two
    fields are not.
    """
    leaves = condition["all"] if "all" in condition else [condition]
    checks = []
    for leaf in leaves:
        if not isinstance(leaf, dict) or "var" not in leaf:
            return None
        operators = [op for op in COMPARATORS if op in leaf]
        if len(operators) != 1 or len(leaf) != 2:
            return None
        operand = leaf[operators[0]]
        values = operand if isinstance(operand, list) else [operand]
        if any(isinstance(value, dict | list) for value in values):
            return None
        checks.append((str(leaf["var"]), COMPARATORS[operators[0]], [value_text(value) for value in values]))
    return checks


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

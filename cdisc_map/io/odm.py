"""Read the clinical data of a CDISC ODM-XML 1.3 export (REDCap, OpenClinica, ...) as raw forms.

An ODM file holds a whole study: its metadata (forms, item groups, items with their
names, questions, codelists and units) and its ClinicalData, nested subject > study
event > form > item group > item. A raw form of the study is one slice of it:

- `form: FORMOID`: one row per form record (FormData), the items of all its item
  groups side by side; when the form has a repeating item group (OpenClinica's
  repeating AE log), one row per record of that group, with the form's other items
  repeated on each row;
- `item_group: IGOID`: one row per item group record (ItemGroupData), wherever it is.

Every row keeps where it came from, in the columns `KEY_COLUMNS` (SubjectKey, the
LocationOID of the subject's SiteRef, StudyEventOID and StudyEventRepeatKey, FormOID
and FormRepeatKey, ItemGroupOID and ItemGroupRepeatKey: "" where the file has none),
then the vendor attributes the file puts on SubjectData, StudyEventData and FormData
(named by element and attribute as in the file, e.g.
`SubjectData.OpenClinica:StudySubjectID`), then one column per item,
in the metadata's order. Items are named by ItemOID (unique in a study) or, with
`column_names="name"`, by the ItemDef's Name. Values stay text, exactly as written
(ItemData Value, or the text of ItemDataString and its typed siblings); an item a
record does not hold is "". In file order, a later value replaces an earlier one for
the same record, and TransactionType="Remove" removes what it names, as ODM
transactions do.

The file is parsed once however many forms read it, streamed (a large export never
sits in memory as a tree) and safely: no DTD is loaded, no entity expanded, nothing
fetched from the network; a document declaring entities is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.text import did_you_mean

ODM_NAMESPACES = ("http://www.cdisc.org/ns/odm/v1.3", "https://www.cdisc.org/ns/odm/v1.3", "")
KEY_COLUMNS = ("SubjectKey", "SiteRef", "StudyEventOID", "StudyEventRepeatKey", "FormOID", "FormRepeatKey",
               "ItemGroupOID", "ItemGroupRepeatKey")
COLUMN_NAMES = ("oid", "name")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_SPACES = re.compile(r"\s+")
_SUBJECT, _EVENT, _FORM = 0, 1, 2  # levels whose vendor attributes become columns
_LEVEL_NAMES = ("SubjectData", "StudyEventData", "FormData")
_EVENT_TAGS = ("ODM", "ClinicalData", "SubjectData", "SiteRef", "StudyEventData", "FormData", "ItemGroupData",
               "MetaDataVersion", "BasicDefinitions")


@dataclass(frozen=True)
class OdmItem:
    """What the ODM metadata says about one item (ItemDef): for labels and messages."""

    oid: str
    name: str
    label: str  # the question text, else the description, else the name
    data_type: str = "text"
    length: int | None = None
    codelist_oid: str | None = None
    codelist: dict[str, str] = field(default_factory=dict)  # coded value -> decode ("" if none)
    units: tuple[str, ...] = ()  # measurement unit symbols

    def describe(self) -> str:
        """The item in a message: "I_AE_TERM (Adverse event term)"."""
        return self.oid if self.label in ("", self.oid) else f"{self.oid} ({self.label})"


@dataclass(frozen=True)
class _GroupDef:
    name: str
    repeating: bool
    items: tuple[str, ...]


@dataclass(frozen=True)
class _FormDef:
    name: str
    groups: tuple[str, ...]


@dataclass
class _Record:
    """One ItemGroupData: where it is, the vendor attributes of its parents, its values."""

    keys: tuple[str, ...]  # as KEY_COLUMNS
    vendor: dict[str, str]
    values: dict[str, str]
    line: int
    form_line: int


@dataclass
class OdmDocument:
    """A parsed ODM file: the metadata, and every item group record in file order."""

    path: Path
    items: dict[str, OdmItem]
    groups: dict[str, _GroupDef]
    forms: dict[str, _FormDef]
    records: list[_Record]


@dataclass(frozen=True)
class OdmFrame:
    """One slice of the clinical data as an all-text frame, with its items' metadata and
    the file line of each row's record (FormData, or the repeating ItemGroupData)."""

    frame: pd.DataFrame
    items: dict[str, OdmItem]  # frame column -> item
    lines: np.ndarray


def read_odm(path: Path) -> OdmDocument:
    """Parse an ODM 1.3 file (once: the result is kept while the file is unchanged)."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise _error(path, f"cannot read the file: {exc.strerror or exc}") from exc
    return _parse(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def odm_frame(path: Path, *, form: str | None = None, item_group: str | None = None,
              column_names: str = "oid") -> OdmFrame:
    """The records of one form (`form`) or item group (`item_group`) of an ODM file.

    With neither, the file's only form is read. Raises ProblemsError for an unknown
    or ambiguous selection, names that collide, or a file that is not ODM 1.3.
    """
    path = Path(path)
    if column_names not in COLUMN_NAMES:
        raise _error(path, f"column_names must be one of {', '.join(COLUMN_NAMES)}, not {column_names!r}")
    if form is not None and item_group is not None:
        raise _error(path, "give either form or item_group, not both",
                     hint="form reads whole forms (FormData); item_group reads one item group's records")
    document = read_odm(path)
    if form is None and item_group is None:
        form = _only_form(document)
    if item_group is not None:
        _check_known(document, item_group, "item group", document.groups,
                     {r.keys[6] for r in document.records})
        records = [r for r in document.records if r.keys[6] == item_group]
        item_oids = _item_order(document.groups.get(item_group, _GroupDef("", True, ())).items, records)
        rows = [(r.keys, r.vendor, r.values, r.line) for r in records]
    else:
        _check_known(document, form, "form", document.forms, {r.keys[4] for r in document.records})
        rows, item_oids = _form_rows(document, form)
    return _frame(document, rows, item_oids, column_names)


def _only_form(document: OdmDocument) -> str:
    forms = list(dict.fromkeys([*document.forms, *(r.keys[4] for r in document.records)]))
    if len(forms) == 1:
        return forms[0]
    raise _error(document.path, f"the ODM file holds {len(forms)} forms: say which one to read",
                 hint=f"add form: (one of {', '.join(forms) or 'none'}) or item_group: to the form in study.yaml")


def _check_known(document: OdmDocument, oid: str, what: str, defined: dict, used: set[str]) -> None:
    known = list(dict.fromkeys([*defined, *sorted(used)]))
    if oid in known:
        return
    named = [key for key, definition in defined.items() if definition.name == oid]
    hint = (f"{oid!r} is the name of {what} {named[0]!r}: write its OID" if len(named) == 1
            else did_you_mean(oid, known, list_all=True))
    raise ProblemsError([Problem(f"the ODM file has no {what} with OID {oid!r}", file=str(document.path),
                                 value=oid, hint=hint)])


def _item_order(declared: Iterable[str], records: list[_Record]) -> list[str]:
    """The metadata's items in order, then items the data holds that it does not declare."""
    order = dict.fromkeys(declared)
    for record in records:
        for oid in record.values:
            order.setdefault(oid)
    return list(order)


def _form_rows(document: OdmDocument, form: str) -> tuple[list[tuple], list[str]]:
    """Rows of a form: one per FormData, or per record of its repeating item group."""
    definition = document.forms.get(form)
    records = [r for r in document.records if r.keys[4] == form]
    declared_groups = list(definition.groups) if definition else []
    group_order = list(dict.fromkeys([*declared_groups, *(r.keys[6] for r in records)]))
    instances: dict[tuple, list[_Record]] = {}
    for record in records:
        instances.setdefault(record.keys[:6], []).append(record)
    repeating = [g for g in group_order if _is_repeating(document, g, instances)]
    if len(repeating) > 1:
        raise ProblemsError([Problem(
            f"form {form!r} has {len(repeating)} repeating item groups ({', '.join(repeating)}): a form "
            "can be one frame only when at most one of its item groups repeats", file=str(document.path),
            hint="read each repeating group as a form of its own, with item_group: instead of form:")])
    repeat_group = repeating[0] if repeating else None
    for instance in instances.values():
        seen: dict[str, _Record] = {}
        for record in instance:
            group_oid = record.keys[6]
            if group_oid != repeat_group and group_oid in seen:
                raise ProblemsError([Problem(
                    f"item group {group_oid!r} repeats within one record of form {form!r} (its records start at "
                    f"lines {seen[group_oid].line} and {record.line}), but the file declares it non-repeating",
                    file=str(document.path), hint=f"read it with item_group: {group_oid}, one row per record")])
            seen[group_oid] = record
    declared_items = [oid for group in group_order if group in document.groups
                      for oid in document.groups[group].items]
    item_oids = _item_order(declared_items, records)
    rows = []
    for instance_keys, instance in instances.items():
        shared: dict[str, str] = {}
        for record in instance:
            if record.keys[6] != repeat_group:
                shared.update(record.values)
        vendor = instance[0].vendor
        repeats = [r for r in instance if r.keys[6] == repeat_group]
        if not repeats:
            rows.append(((*instance_keys, "", ""), vendor, shared, instance[0].form_line))
        for record in repeats:
            rows.append((record.keys, vendor, {**shared, **record.values}, record.line))
    return rows, item_oids


def _is_repeating(document: OdmDocument, group: str, instances: dict[tuple, list[_Record]]) -> bool:
    definition = document.groups.get(group)
    if definition is not None:
        return definition.repeating
    return any(sum(r.keys[6] == group for r in instance) > 1 for instance in instances.values())


def _frame(document: OdmDocument, rows: list[tuple], item_oids: list[str], column_names: str) -> OdmFrame:
    vendor_columns = list(dict.fromkeys(name for row in rows for name in row[1]))
    items = {oid: document.items.get(oid) or OdmItem(oid=oid, name=oid, label=oid) for oid in item_oids}
    names = [items[oid].name if column_names == "name" else oid for oid in item_oids]
    problems = []
    taken = {*KEY_COLUMNS, *vendor_columns}
    for name in sorted(set(names)):
        oids = [oid for oid, n in zip(item_oids, names) if n == name]
        if len(oids) > 1:
            problems.append(Problem(f"{len(oids)} items are named {name!r} ({', '.join(oids)})",
                                    file=str(document.path), value=name,
                                    hint="name the columns by ItemOID: column_names: oid"))
        elif name in taken:
            problems.append(Problem(f"item {oids[0]} would be a column named {name!r}, which the record keys use",
                                    file=str(document.path), value=name,
                                    hint="name the columns the other way (column_names: oid or name)"))
    if problems:
        raise ProblemsError(problems)
    columns: dict[str, list[str]] = {name: [row[0][i] for row in rows] for i, name in enumerate(KEY_COLUMNS)}
    for name in vendor_columns:
        columns[name] = [row[1].get(name, "") for row in rows]
    for oid, name in zip(item_oids, names):
        columns[name] = [row[2].get(oid, "") for row in rows]
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(rows)), dtype=object)  # text, as the other readers
    lines = np.array([row[3] for row in rows], dtype=np.int64)
    return OdmFrame(frame=frame, items={name: items[oid] for oid, name in zip(item_oids, names)}, lines=lines)


# --- parsing -------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _parse(path: str, _mtime_ns: int, _size: int) -> OdmDocument:
    """Stream the file once: metadata elements whole (they are small), clinical data
    record by record, each ItemGroupData read whole and dropped from the tree. Events
    come only for the elements that say where a record is (lxml builds the rest)."""
    parser = _Parser(Path(path))
    try:
        events = etree.iterparse(path, events=("start", "end"), tag=[f"{{*}}{name}" for name in _EVENT_TAGS],
                                 resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                                 huge_tree=False, remove_comments=True, remove_pis=True)
        for event, element in events:
            if event == "start":
                parser.start(element)
            else:
                parser.end(element)
        if parser.namespace is None and events.root is not None:
            parser.start(events.root)  # not one element of ODM's in the file: say what the root is
    except etree.XMLSyntaxError as exc:
        raise _error(Path(path), f"not well-formed XML: {exc.msg}", row=exc.lineno,
                     hint="Export the ODM file again; it may have been cut short") from exc
    except OSError as exc:
        raise _error(Path(path), f"cannot read the file: {exc}") from exc
    return parser.document()


class _Parser:
    """The state of one streaming pass: where in the clinical data we are, and the metadata."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.namespace: str | None = None
        self.prefixes: dict[str, str] = {}
        self.items: dict[str, dict] = {}
        self.groups: dict[str, _GroupDef] = {}
        self.forms: dict[str, _FormDef] = {}
        self.codelists: dict[str, dict[str, str]] = {}
        self.units: dict[str, str] = {}
        self.records: dict[tuple, _Record] = {}
        self.keys = [""] * len(KEY_COLUMNS)
        self.vendor: list[dict[str, str]] = [{}, {}, {}]
        self.removed = 0  # depth of the innermost data element with TransactionType="Remove", 0 if none
        self.depth = 0
        self.form_line = 0
        self.current: dict[str, str] | None = None
        self.in_clinical = False
        self.item_data = ""  # "{namespace}ItemData", once the namespace is known
        self.tags: dict[str, str] = {}  # qualified tag -> local name, for the elements events come for

    # -- events --

    def start(self, element) -> None:
        self.depth += 1
        if self.namespace is None:
            self._root(element.getroottree().getroot())
            if element.getparent() is None:
                return
        local = self.tags.get(element.tag)
        if local is None:
            return
        if local == "ClinicalData":
            self.in_clinical = True
            return
        if not self.in_clinical:
            return
        if local == "SubjectData":
            self.keys[1] = ""
            self._enter(element, _SUBJECT, (0,), element.get("SubjectKey", ""))
        elif local == "SiteRef":
            self.keys[1] = element.get("LocationOID", "")
        elif local == "StudyEventData":
            self._enter(element, _EVENT, (2, 3), element.get("StudyEventOID", ""),
                        element.get("StudyEventRepeatKey", ""))
        elif local == "FormData":
            self._enter(element, _FORM, (4, 5), element.get("FormOID", ""), element.get("FormRepeatKey", ""))
            self.form_line = element.sourceline or 0
        elif local == "ItemGroupData":
            self.keys[6] = element.get("ItemGroupOID", "")
            self.keys[7] = element.get("ItemGroupRepeatKey", "")
            self._mark_removed(element, 8)
            self.current = None
            if not self.removed:
                self._record(element.sourceline or 0)

    def end(self, element) -> None:
        self.depth -= 1
        local = self.tags.get(element.tag)
        if local is None:
            return
        if local == "ClinicalData":
            self.in_clinical = False
        elif self.in_clinical:
            if local == "ItemGroupData":
                if self.current is not None:
                    self._items(element)
                self.current = None
                self._leave()
                element.clear()
            elif local in ("FormData", "StudyEventData", "SubjectData"):
                self._leave()
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
        elif local == "MetaDataVersion":
            self._metadata(element)
            element.clear()
        elif local == "BasicDefinitions":
            for unit in element:
                if self._local(unit) == "MeasurementUnit":
                    self.units.setdefault(unit.get("OID", ""), self._text(unit, "Symbol") or unit.get("Name", ""))

    # -- clinical data --

    def _root(self, element) -> None:
        namespace, _, local = element.tag[1:].partition("}") if element.tag.startswith("{") else ("", "", element.tag)
        docinfo = element.getroottree().docinfo
        dtd = docinfo.internalDTD
        if dtd is not None and list(dtd.iterentities()):
            raise _error(self.path, "the file declares XML entities; an ODM export needs none, and cdisc-map "
                         "never expands them", hint="Export the file again from the EDC")
        if local != "ODM" or namespace not in ODM_NAMESPACES:
            found = f"{{{namespace}}}{local}" if namespace else local
            hint = ("ODM 2.0 files are not supported yet: export ODM 1.3 (REDCap, OpenClinica and most EDCs do)"
                    if "odm/v2" in namespace else "Export the study as CDISC ODM-XML 1.3")
            raise _error(self.path, f"not an ODM 1.3 file: the root element is {found}", hint=hint)
        self.namespace = namespace
        self.item_data = f"{{{namespace}}}ItemData" if namespace else "ItemData"
        self.tags = {(f"{{{namespace}}}{name}" if namespace else name): name for name in _EVENT_TAGS}
        self.prefixes = {uri: prefix for prefix, uri in (element.nsmap or {}).items() if prefix}

    def _local(self, element) -> str | None:
        """The local name of an ODM element; None for vendor extension elements."""
        tag = element.tag
        if not isinstance(tag, str):
            return None
        if tag.startswith("{"):
            namespace, _, local = tag[1:].partition("}")
            return local if namespace == self.namespace else None
        return tag if self.namespace == "" else None

    def _enter(self, element, level: int, slots: tuple[int, ...], *values: str) -> None:
        for slot, value in zip(slots, values):
            self.keys[slot] = value
        for slot in range(slots[-1] + 1, len(KEY_COLUMNS)):
            if slot != 1:
                self.keys[slot] = ""
        self.vendor[level] = self._vendor_attributes(element, _LEVEL_NAMES[level])
        for deeper in range(level + 1, len(self.vendor)):
            self.vendor[deeper] = {}
        self._mark_removed(element, slots[-1] + 1)

    def _mark_removed(self, element, known: int) -> None:
        """TransactionType="Remove": drop what earlier transactions said below this element
        (the first `known` keys identify it) and ignore what it holds."""
        if self.removed or element.get("TransactionType") != "Remove":
            return
        self.removed = self.depth
        prefix = tuple(self.keys[:known])
        identifying = [slot for slot in range(known) if slot != 1]  # the site is no part of a record's identity
        self.records = {keys: record for keys, record in self.records.items()
                        if any(keys[slot] != prefix[slot] for slot in identifying)}

    def _leave(self) -> None:
        if self.removed and self.depth < self.removed:
            self.removed = 0

    def _vendor_attributes(self, element, element_name: str) -> dict[str, str]:
        """Attributes of other namespaces (vendor extensions), as "FormData.OpenClinica:Status"."""
        found = {}
        for key, value in element.attrib.items():
            if key.startswith("{"):
                namespace, _, local = key[1:].partition("}")
                if namespace in (self.namespace, "http://www.w3.org/XML/1998/namespace"):
                    continue
                prefix = self.prefixes.get(namespace) or next(
                    (p for p, uri in (element.nsmap or {}).items() if p and uri == namespace), None)
                found[f"{element_name}.{prefix}:{local}" if prefix else f"{element_name}.{key}"] = value
        return found

    def _record(self, line: int) -> None:
        keys = tuple(self.keys)
        record = self.records.get(keys)
        if record is None:
            vendor = {**self.vendor[_SUBJECT], **self.vendor[_EVENT], **self.vendor[_FORM]}
            record = _Record(keys=keys, vendor=vendor, values={}, line=line, form_line=self.form_line)
            self.records[keys] = record
        self.current = record.values

    def _items(self, group) -> None:
        """The ItemData of a whole ItemGroupData, into the current record.

        An item removed (TransactionType="Remove") or null (IsNull="Yes") has no Value: "".
        """
        values, item_data = self.current, self.item_data
        plain = {item.get("ItemOID"): item.get("Value", "") for item in group.iterchildren(item_data)}
        if len(plain) < len(group):  # other children: typed item data, annotations, audit records
            for item in group:
                tag = item.tag
                if isinstance(tag, str) and tag.startswith(item_data) and tag != item_data:
                    # ItemDataString, ItemDataInteger, ... (ODM 1.3 typed item data), in file order
                    plain[item.get("ItemOID")] = "" if item.get("IsNull") == "Yes" else item.text or ""
        plain.pop(None, None)  # an ItemData without ItemOID names nothing
        values.update(plain)

    # -- metadata --

    def _metadata(self, version) -> None:
        for definition in version:
            local = self._local(definition)
            oid = definition.get("OID", "")
            if local == "FormDef" and oid not in self.forms:
                refs = self._refs(definition, "ItemGroupRef", "ItemGroupOID")
                self.forms[oid] = _FormDef(definition.get("Name", ""), refs)
            elif local == "ItemGroupDef" and oid not in self.groups:
                refs = self._refs(definition, "ItemRef", "ItemOID")
                self.groups[oid] = _GroupDef(definition.get("Name", ""), definition.get("Repeating") == "Yes", refs)
            elif local == "ItemDef" and oid not in self.items:
                self.items[oid] = self._item_def(definition)
            elif local == "CodeList" and oid not in self.codelists:
                self.codelists[oid] = {
                    entry.get("CodedValue", ""): self._text(entry, "Decode")
                    for entry in definition if self._local(entry) in ("CodeListItem", "EnumeratedItem")
                }

    def _refs(self, definition, tag: str, attribute: str) -> tuple[str, ...]:
        refs = [(ref.get("OrderNumber"), position, ref.get(attribute, ""))
                for position, ref in enumerate(definition) if self._local(ref) == tag]
        if refs and all(number is not None and number.isdigit() for number, _, _ in refs):
            refs.sort(key=lambda ref: (int(ref[0]), ref[1]))
        return tuple(oid for _, _, oid in refs)

    def _item_def(self, definition) -> dict:
        codelist = next((child.get("CodeListOID") for child in definition if self._local(child) == "CodeListRef"), None)
        units = [child.get("MeasurementUnitOID", "") for child in definition
                 if self._local(child) == "MeasurementUnitRef"]
        length = definition.get("Length", "")
        return {
            "oid": definition.get("OID", ""), "name": definition.get("Name", "") or definition.get("OID", ""),
            "label": self._text(definition, "Question") or self._text(definition, "Description")
            or definition.get("Name", ""),
            "data_type": definition.get("DataType", "text"),
            "length": int(length) if length.isdigit() else None,
            "codelist_oid": codelist, "units": units,
        }

    def _text(self, element, child_name: str) -> str:
        """The TranslatedText of a child (English, or the one without a language, first)."""
        for child in element:
            if self._local(child) != child_name:
                continue
            texts = [t for t in child if self._local(t) == "TranslatedText"]
            if not texts:
                return ""
            best = next((t for t in texts if (t.get(_XML_LANG) or "en").lower().startswith("en")), texts[0])
            return _SPACES.sub(" ", "".join(best.itertext())).strip()
        return ""

    def document(self) -> OdmDocument:
        if self.namespace is None:
            raise _error(self.path, "the file is empty")
        items = {
            oid: OdmItem(oid=oid, name=raw["name"], label=raw["label"], data_type=raw["data_type"],
                         length=raw["length"], codelist_oid=raw["codelist_oid"],
                         codelist=dict(self.codelists.get(raw["codelist_oid"] or "", {})),
                         units=tuple(self.units.get(unit, unit) for unit in raw["units"]))
            for oid, raw in self.items.items()
        }
        return OdmDocument(path=self.path, items=items, groups=self.groups, forms=self.forms,
                           records=list(self.records.values()))


def _error(path: Path, message: str, *, row: int | None = None, hint: str | None = None) -> ProblemsError:
    return ProblemsError([Problem(message, file=str(path), row=row, hint=hint)])

"""Write nct06111625-forms.xml: three forms of the bundled NCT06111625 export as one ODM 1.3 file.

The demographics, response and survival forms of `cdisc_map/studies/nct06111625/raw/`, as an EDC would
export them in CDISC ODM-XML 1.3: the subject id as SubjectKey and the site as SiteRef
(instead of the DM.SUBJID/Subject and DM.SITEID columns), each disease assessment in the
study event of its visit (the unscheduled ones in a repeating event), items named by the
CSV headers, empty cells left out as EDCs leave them out. tests/test_odm.py checks that the
file reads back as the same frames as the CSV files and converts to the same SDTM; run this
again (python tests/data/odm/make_nct06111625_twin.py) if the fixture export changes.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[3]
EXPORT = ROOT / "cdisc_map" / "studies" / "nct06111625" / "raw"
TARGET = Path(__file__).resolve().parent / "nct06111625-forms.xml"
ODM = "http://www.cdisc.org/ns/odm/v1.3"
STAMP = "2026-06-30T00:00:00"
# form OID -> (CSV file, its subject column, the event OID, the item group OID)
FORMS = {
    "F.DM": ("dm.csv", "DM.SUBJID", "SE.ENROLMENT", "IG.DM"),
    "F.RS": ("response.csv", "Subject", None, "IG.RS"),
    "F.SURV": ("survival.csv", "Subject", "SE.FOLLOWUP", "IG.SURV"),
}
SITE_COLUMN = "DM.SITEID"
UNITS = {"Marrow Blasts (%)": "MU.PCT", "MRD (flow, %)": "MU.PCT"}
CODELISTS = {"Vital Status": ("CL.VITAL", ["Alive", "Dead", "Unknown"]),
             "MRD Status": ("CL.MRD", ["Negative", "Positive"])}


def read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(EXPORT / name, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def element(parent, tag: str, text: str | None = None, **attributes: str):
    node = etree.SubElement(parent, f"{{{ODM}}}{tag}", {k: v for k, v in attributes.items()})
    if text is not None:
        node.text = text
    return node


def translated(parent, tag: str, text: str) -> None:
    element(element(parent, tag), "TranslatedText", text, **{"{http://www.w3.org/XML/1998/namespace}lang": "en"})


def main() -> None:
    tables = {oid: read(spec[0]) for oid, spec in FORMS.items()}
    items = {oid: [c for c in header if c not in (FORMS[oid][1], SITE_COLUMN)] for oid, (header, _) in tables.items()}
    visits = list(dict.fromkeys(row["Visit"] for row in tables["F.RS"][1]))

    root = etree.Element(f"{{{ODM}}}ODM", nsmap={None: ODM}, FileType="Snapshot", FileOID="NCT06111625.TWIN",
                         ODMVersion="1.3.2", CreationDateTime=STAMP, SourceSystem="cdisc-map tests")
    study = element(root, "Study", OID="NCT06111625")
    variables = element(study, "GlobalVariables")
    element(variables, "StudyName", "NCT06111625")
    element(variables, "StudyDescription", "Three forms of the bundled export as ODM 1.3 (tests/data/odm)")
    element(variables, "ProtocolName", "NCT06111625")
    basic = element(study, "BasicDefinitions")
    unit = element(basic, "MeasurementUnit", OID="MU.PCT", Name="percent")
    translated(unit, "Symbol", "%")
    version = element(study, "MetaDataVersion", OID="MDV.1", Name="Version 1")
    protocol = element(version, "Protocol")
    events = ["SE.ENROLMENT"] + [f"SE.{slug(v)}" for v in visits] + ["SE.FOLLOWUP"]
    for number, event in enumerate(events, start=1):
        element(protocol, "StudyEventRef", StudyEventOID=event, OrderNumber=str(number), Mandatory="No")
    for event in events:
        visit = next((v for v in visits if f"SE.{slug(v)}" == event), None)
        name = visit or event[3:].title()
        definition = element(version, "StudyEventDef", OID=event, Name=name,
                             Repeating="Yes" if visit == "Unscheduled" else "No",
                             Type="Unscheduled" if visit == "Unscheduled" else "Scheduled")
        form = "F.DM" if event == "SE.ENROLMENT" else "F.SURV" if event == "SE.FOLLOWUP" else "F.RS"
        element(definition, "FormRef", FormOID=form, Mandatory="Yes")
    labels = {"F.DM": "Demographics and informed consent", "F.RS": "Disease assessments",
              "F.SURV": "Survival follow-up and end of study"}
    for form, (_, _, _, group) in FORMS.items():
        definition = element(version, "FormDef", OID=form, Name=labels[form], Repeating="No")
        element(definition, "ItemGroupRef", ItemGroupOID=group, Mandatory="Yes")
    for form, (_, _, _, group) in FORMS.items():
        definition = element(version, "ItemGroupDef", OID=group, Name=labels[form], Repeating="No")
        for number, name in enumerate(items[form], start=1):
            element(definition, "ItemRef", ItemOID=f"IT.{form[2:]}.{slug(name)}", OrderNumber=str(number),
                    Mandatory="No")
    for form in FORMS:
        for name in items[form]:
            definition = element(version, "ItemDef", OID=f"IT.{form[2:]}.{slug(name)}", Name=name, DataType="text")
            translated(definition, "Question", name)
            if name in CODELISTS:
                element(definition, "CodeListRef", CodeListOID=CODELISTS[name][0])
            if name in UNITS:
                element(definition, "MeasurementUnitRef", MeasurementUnitOID=UNITS[name])
    for name, (oid, values) in CODELISTS.items():
        codelist = element(version, "CodeList", OID=oid, Name=name, DataType="text")
        for value in values:
            translated(element(codelist, "CodeListItem", CodedValue=value), "Decode", value)

    clinical = element(root, "ClinicalData", StudyOID="NCT06111625", MetaDataVersionOID="MDV.1")
    demographics = tables["F.DM"][1]
    by_subject = {form: {} for form in FORMS}
    for form, (_, rows) in tables.items():
        for row in rows:
            by_subject[form].setdefault(row[FORMS[form][1]], []).append(row)
    for person in demographics:
        subject_id = person["DM.SUBJID"]
        subject = element(clinical, "SubjectData", SubjectKey=subject_id)
        element(subject, "SiteRef", LocationOID=person[SITE_COLUMN])
        unscheduled = 0
        for form in FORMS:
            for row in by_subject[form].get(subject_id, []):
                event, repeat = FORMS[form][2], None
                if form == "F.RS":
                    event = f"SE.{slug(row['Visit'])}"
                    if row["Visit"] == "Unscheduled":
                        unscheduled += 1
                        repeat = str(unscheduled)
                attributes = {"StudyEventOID": event}
                if repeat:
                    attributes["StudyEventRepeatKey"] = repeat
                data = element(element(element(subject, "StudyEventData", **attributes), "FormData", FormOID=form),
                               "ItemGroupData", ItemGroupOID=FORMS[form][3])
                for name in items[form]:
                    if row[name] != "":
                        element(data, "ItemData", ItemOID=f"IT.{form[2:]}.{slug(name)}", Value=row[name])
    TARGET.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


if __name__ == "__main__":
    main()

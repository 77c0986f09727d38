"""Codelists of define.xml: the CDISC terms a variable's values use, and the external dictionaries.

A CT codelist lists the terms the data use, with their NCI codes; a term the CDISC
codelist does not have is a sponsor extension (ExtendedValue). A codelist shared by
several variables (or by the values of several conditions) lists the terms of all of
them. A variable coded with an external dictionary (MedDRA, WHODrug, named with its
release in study.yaml) references an ExternalCodeList codelist: one for the dictionary's
terms and one for its numeric codes, since a codelist has one data type.
"""

from __future__ import annotations

import pandas as pd

from cdisc_map.define.oids import oid_part
from cdisc_map.spec.submission import Dictionary
from define_xml import model


class Terms:
    """Collects the codelists of one define.xml, each once, with stable OIDs."""

    def __init__(self, terminology, ct_oid: str) -> None:
        self.terminology = terminology
        self.ct_oid = ct_oid
        self.codelists: dict[str, model.CodeList] = {}

    def ct(self, name: str, values: pd.Series) -> str | None:
        """The OID of CDISC codelist `name` (short name or C-code) listing `values`; None when the
        terminology has no such codelist or there are no values."""
        try:
            codelist = self.terminology.codelist(name)
        except (KeyError, LookupError):
            return None
        oid = f"CL.{codelist.short_name}"
        used = {str(v) for v in pd.unique(values) if str(v) != ""}
        existing = self.codelists.get(oid)
        if existing is not None:
            used |= {item.coded_value for item in existing.items}
        if not used:
            return None  # a variable with no values has no terms to list
        terms = {term.submission_value: term for term in codelist.terms}
        items = [model.CodeListItem(coded_value=value, nci_code=terms[value].code if value in terms else None,
                                    extended=value not in terms)
                 for value in sorted(used)]
        self.codelists[oid] = model.CodeList(oid=oid, name=codelist.name, items=items, nci_code=codelist.code,
                                             standard_oid=self.ct_oid)
        return oid

    def dictionary(self, dictionary: Dictionary, data_type: str) -> str:
        """The OID of the ExternalCodeList codelist of a dictionary, for text terms or integer codes."""
        codes = data_type in ("integer", "float")
        oid = f"CL.{oid_part(dictionary.name).upper()}" + (".CODE" if codes else "")
        if oid not in self.codelists:
            self.codelists[oid] = model.CodeList(
                oid=oid, name=f"{dictionary.name} codes" if codes else dictionary.name,
                data_type="integer" if codes else "text", external_dictionary=dictionary.name,
                external_version=dictionary.version, external_ref=dictionary.ref, external_href=dictionary.href)
        return oid

    def all(self) -> list[model.CodeList]:
        return sorted(self.codelists.values(), key=lambda c: c.oid)

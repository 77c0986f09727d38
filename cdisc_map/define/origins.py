"""A variable's def:Origin as Define-XML 2.1 defines the origin types (Define-XML CT C170449).

* Collected ("observed and recorded"): its source (the investigator unless the spec says
  subject or vendor) and, when the spec names them, the annotated CRF pages it is on;
* Assigned ("derived through designation, such as a label on a CRF"): by the sponsor,
  with the CRF pages when the spec names them;
* Protocol ("included as part of the study protocol"): by the sponsor, pointing at the
  protocol when study.yaml declares it (documents: kind protocol);
* Predecessor ("copied from another variable"): the variable copied, DATASET.VARIABLE
  ("DM.AGE"), as the description; no source;
* Derived: by the sponsor; its algorithm is the variable's method.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdisc_map.core.datasets import Variable
from define_xml import model

SPONSOR = "Sponsor"
DEFAULT_SOURCE = {"Collected": "Investigator", "Derived": SPONSOR, "Assigned": SPONSOR, "Protocol": SPONSOR}
PAGE_ORIGINS = ("Collected", "Assigned")


@dataclass(frozen=True)
class OriginDocuments:
    """The leaves origins point into: the annotated CRF and the protocol (None when not declared)."""

    annotated_crf: str | None = None
    protocol: str | None = None


@dataclass(frozen=True)
class Origin:
    type: str | None
    source: str | None = None
    description: str | None = None
    documents: tuple[model.DocumentRef, ...] = ()


def origin_of(variable: Variable, documents: OriginDocuments) -> Origin:
    """The def:Origin of one variable (or of the values of one condition)."""
    kind = variable.origin or None
    if kind is None:
        return Origin(None)
    if kind == "Predecessor":
        return Origin(kind, description=variable.predecessor or None)
    source = variable.source or DEFAULT_SOURCE.get(kind)
    refs: list[model.DocumentRef] = []
    if kind in PAGE_ORIGINS and variable.crf_pages and documents.annotated_crf:
        pages = " ".join(str(page) for page in variable.crf_pages)
        refs.append(model.DocumentRef(documents.annotated_crf, [model.PageRef(type="PhysicalRef", pages=pages)]))
    if kind == "Protocol" and documents.protocol:
        refs.append(model.DocumentRef(documents.protocol))
    return Origin(kind, source, None, tuple(refs))

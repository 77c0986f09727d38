"""Supplemental qualifiers (SUPP--): non-standard variables as records linked to their parent.

Each value a spec maps under `supp:` becomes one record pointing at its parent record
through IDVAR/IDVARVAL (--SEQ), or at the subject for DM. Text over 200 characters is
split over QNAM, QNAM1, QNAM2, ... as SDTMIG 3.4 section 4.5.3.2 describes, and never
truncated. The pieces join back to the text by plain concatenation, so a piece never
begins or ends with a blank (XPT drops trailing blanks, and CDISC CORE reports either):
a cut falls after punctuation where it can, else inside a word. Each piece's QLABEL
carries its number, as QLABEL names one QNAM.
"""

from __future__ import annotations

import pandas as pd

from cdisc_map.core.datasets import Dataset, Variable, char_length
from cdisc_map.core.problems import Problem
from cdisc_map.core.text import number_text
from cdisc_map.spec.plan import SUPP_PREFIX
from cdisc_map.spec.registry import method_name, method_text, origin_of
from cdisc_map.spec.study import DatasetSpec
from cdisc_map.standards.metadata import Standard, load_sdtmig

MAX_TEXT = 200
COLUMNS = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"]


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` bytes that join back to `text` by plain concatenation.

    XPT drops a piece's trailing blank, and a leading one reads as a defect (CDISC CORE
    checks both), so each cut falls between two non-blank characters: after the last
    punctuation mark (- / , ; : . ) that leaves at least half a piece, else after the last
    such pair of characters, else (a run of blanks longer than half a piece) at the limit.
    """
    pieces = []
    while len(text.encode("utf-8")) > limit:
        cut = limit
        while len(text[:cut].encode("utf-8")) > limit:
            cut -= 1
        pieces.append(text[:_cut_at(text, cut)])
        text = text[len(pieces[-1]):]
    pieces.append(text)
    return pieces


_PUNCTUATION = frozenset("-/,;:.)")


def _cut_at(text: str, cut: int) -> int:
    """The best place at or before `cut` to end a piece: see `split_text`."""
    candidates = [at for at in range(cut, cut // 2, -1) if not text[at - 1].isspace() and not text[at].isspace()]
    after_punctuation = [at for at in candidates if text[at - 1] in _PUNCTUATION]
    return (after_punctuation or candidates or [cut])[0]


def piece_label(label: str, number: int) -> str:
    """QLABEL of piece `number` (0 is the first): "Comments", "Comments 1", ... within 40 characters."""
    if number == 0:
        return label
    suffix = f" {number}"
    return label[: 40 - len(suffix)] + suffix


def supplemental(spec: DatasetSpec, frame: pd.DataFrame, env, domain: str | None = None,
                 per_subject: bool | None = None) -> pd.DataFrame | None:
    """The SUPP-- records of one parent dataset (None when its spec maps no supplemental qualifier).

    `domain` is the parent's DOMAIN, which RDOMAIN takes (LB for the split dataset LBCH,
    SDTMIG 4.1.7); a parent with one record per subject (DM) links by USUBJID alone.
    """
    mappings = {qnam: mapping for qnam, (mapping, _trail) in spec.supp_mapped().items()}
    if not mappings:
        return None
    domain = domain or spec.name
    per_subject = domain == "DM" if per_subject is None else per_subject
    seq = f"{domain}SEQ"
    parts = []
    for qnam, mapping in mappings.items():
        column = SUPP_PREFIX + qnam
        if column not in frame:
            continue
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values):
            text = values.map(number_text)
        else:
            text = values.fillna("").astype(str)
        present = text != ""
        if not present.any():
            continue
        base = frame.loc[present]
        pieces = text[present].map(split_text)
        records = pd.DataFrame({
            "USUBJID": base["USUBJID"].to_numpy(),
            "IDVAR": "" if per_subject else seq,
            "IDVARVAL": "" if per_subject else base[seq].map(number_text).to_numpy(),
            "PIECES": pieces.to_numpy(),
        }).explode("PIECES", ignore_index=False)
        records["N"] = records.groupby(level=0).cumcount()
        records["QNAM"] = [qnam if n == 0 else f"{qnam[:7] if n < 10 else qnam[:6]}{n}" for n in records["N"]]
        records["QLABEL"] = [piece_label(mapping["label"], n) for n in records["N"]]
        records["QVAL"] = records["PIECES"]
        records["QORIG"] = origin_of(mapping)
        records["QEVAL"] = mapping.get("eval", "")
        parts.append(records.drop(columns=["PIECES", "N"]).reset_index(drop=True))
    if not parts:
        return None
    supp = pd.concat(parts, ignore_index=True)
    supp.insert(0, "STUDYID", env.study_id)
    supp.insert(1, "RDOMAIN", domain)
    supp = supp[COLUMNS]
    order = supp["IDVARVAL"].map(lambda v: int(v) if v else 0)
    supp = supp.assign(_o=order).sort_values(["USUBJID", "IDVAR", "_o", "QNAM"], kind="stable")
    return supp.drop(columns="_o").reset_index(drop=True)


def conform_supp(spec: DatasetSpec, frame: pd.DataFrame, version: str, standard: Standard | None = None,
                 pages: dict[str, tuple[int, ...]] | None = None):
    name = f"SUPP{spec.name}"
    standard = standard or load_sdtmig(version)
    problems: list[Problem] = []
    duplicated = frame.duplicated(["USUBJID", "IDVAR", "IDVARVAL", "QNAM"], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        problems.append(Problem(f"{int(duplicated.sum())} supplemental records share USUBJID, IDVARVAL and QNAM",
                                file=str(spec.path), dataset=name, value=f"{first.USUBJID} {first.QNAM}",
                                hint="each qualifier may have one value per parent record"))
    mappings = {qnam: mapping for qnam, (mapping, _trail) in spec.supp_mapped().items()}
    value_level = _qualifier_metadata(mappings, set(frame["QNAM"]), pages or {})
    origins = {v.origin for v in value_level.values()}
    variables = [
        Variable(name=meta.name, label=meta.label, type=meta.type, core=meta.core, role=meta.role,
                 length=char_length(frame[meta.name]), codelist=meta.codelist or "",
                 **_supp_origin(meta.name, spec.name, origins))
        for meta in standard.variables(name)
    ]
    frame = frame[[v.name for v in variables]]
    label = f"Supplemental Qualifiers for {spec.name}"
    domain = standard.dataset_for(name).domain
    return Dataset(name=name, label=label, frame=frame.reset_index(drop=True), variables=variables,
                   keys=["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"], domain=domain,
                   structure=standard.dataset_for(name).meta.structure, value_level=value_level), problems


def _supp_origin(variable: str, parent: str, qualifier_origins: set[str]) -> dict:
    """Origin and method of a SUPP-- variable for define.xml: USUBJID is the parent's, IDVARVAL points at the
    parent record, QVAL has each qualifier's origin (its value-level metadata), the rest are assigned."""
    if variable == "USUBJID":
        return {"origin": "Predecessor", "predecessor": f"{parent}.USUBJID"}
    if variable == "IDVARVAL":
        return {"origin": "Derived", "method_name": "Parent record identifier",
                "method": "The value of the parent record's variable that IDVAR names (its --SEQ), as text; empty "
                          "for qualifiers of the subject."}
    if variable == "QVAL":
        return {"origin": next(iter(qualifier_origins)) if len(qualifier_origins) == 1 else ""}
    return {"origin": "Assigned"}


def _qualifier_metadata(mappings: dict[str, dict], qnams: set[str],
                        pages: dict[str, tuple[int, ...]]) -> dict[str, Variable]:
    """QVAL's metadata per QNAM written (the pieces of a split text share their qualifier's)."""
    found = {}
    for qnam in sorted(qnams):
        base = qnam if qnam in mappings else _split_from(qnam, mappings)
        if base is None:
            continue
        mapping = mappings[base]
        found[f"QVAL.{qnam}"] = Variable(
            name="QVAL", label=str(mapping.get("label", "")), type="Char", length=0, origin=origin_of(mapping),
            source=mapping.get("source", ""), method=method_text(mapping), method_name=method_name(mapping),
            comment=mapping.get("comment", ""), crf_pages=pages.get(base, ()))
    return found


def _split_from(qnam: str, qualifiers) -> str | None:
    """The qualifier a piece of split text (AECOMM1, LONGNAM12) belongs to, by the names `supplemental` gives."""
    digits = len(qnam) - len(qnam.rstrip("0123456789"))
    if not digits:
        return None
    number = int(qnam[-digits:])
    stem = qnam[:-digits]
    return next((q for q in qualifiers if (q[:7] if number < 10 else q[:6]) == stem), None)

"""What to tell a user about a value that is not in a codelist.

"map BRA to one of CAN, CHN, ..." helps nobody: the first terms of a long codelist are
rarely the one meant. The advice here names the codelist, its release and whether it is
extensible, and suggests the few submission values closest to the value by spelling,
synonym or NCI preferred term ("po" -> ORAL by its synonym, "Opthalmic" -> OPHTHALMIC).
When the terminology in use is the bundled subset, it says that the full CT may hold the
value and how to install it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from cdisc_map.standards.codelists import Codelist, Term, Terminology, fold

MIN_SCORE = 0.6


@dataclass(frozen=True)
class Suggestion:
    """A term suggested for a value, and what of it matched (its value, a synonym or its preferred term)."""

    term: Term
    matched: str
    score: float

    def __str__(self) -> str:
        if fold(self.matched) == fold(self.term.submission_value):
            return repr(self.term.submission_value)
        return f"{self.term.submission_value!r} ({self.matched})"


@dataclass(frozen=True)
class CodelistAdvice:
    """A message and a hint, ready for a `Problem`, and the suggestions behind the hint."""

    message: str
    hint: str
    suggestions: tuple[Suggestion, ...]


def suggest_terms(value: str, codelist: Codelist, limit: int = 3) -> list[Suggestion]:
    """The terms closest to `value`, best first: by similarity of the value to each term's
    submission value, synonyms and NCI preferred term, a word-for-word or prefix match
    counting most. Nothing below a similarity of 0.6 is suggested."""
    wanted = fold(str(value))
    if not wanted:
        return []
    found = []
    for term in codelist.terms:
        best: tuple[float, str] | None = None
        for candidate in (term.submission_value, *term.synonyms, term.preferred_term):
            if not candidate:
                continue
            score = similarity(wanted, fold(candidate))
            if best is None or score > best[0]:
                best = (score, candidate)
        if best is not None and best[0] >= MIN_SCORE:
            found.append(Suggestion(term, best[1], round(best[0], 3)))
    found.sort(key=lambda s: -s.score)
    return found[:limit]


def similarity(wanted: str, candidate: str) -> float:
    """0..1, for folded texts: 1 when equal, 0.97 when equal but for blanks and punctuation
    ("Q 4 H", "Q4H"), about 0.9 when `wanted` is the start of `candidate` (a term typed
    short), 0.85 when it is one of its words, else difflib's ratio (a shorter term that
    starts `wanted` scores by how much of it it covers)."""
    if wanted == candidate:
        return 1.0
    scores = [0.0]
    if _compact(wanted) and _compact(wanted) == _compact(candidate):
        scores.append(0.97)
    if len(wanted) >= 2 and candidate.startswith(wanted):
        scores.append(0.9 + 0.09 * len(wanted) / len(candidate))
    elif len(wanted) >= 2 and _compact(candidate).startswith(_compact(wanted)):
        scores.append(0.88)
    if wanted.startswith(candidate):
        scores.append(0.6 + 0.3 * len(candidate) / len(wanted))
    if wanted in candidate.split():
        scores.append(0.85)
    matcher = difflib.SequenceMatcher(None, wanted, candidate, autojunk=False)
    if matcher.real_quick_ratio() >= MIN_SCORE and matcher.quick_ratio() >= MIN_SCORE:
        scores.append(matcher.ratio())
    return max(scores)


def _compact(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def not_in_codelist(value: str, codelist: Codelist, terminology: Terminology | None = None,
                    variable: str | None = None) -> CodelistAdvice:
    """Advice for `value`, which is not a submission value of `codelist`.

    The message names the codelist (short name and C-code), whether it is extensible and
    the release (`terminology.description`); the hint gives the closest terms, what an
    extensible codelist allows, and, for the bundled subset, that the full CT may hold it.
    """
    kind = "extensible" if codelist.extensible else "non-extensible"
    release = f" of {terminology.description}" if terminology is not None else ""
    subject = f"{variable} value" if variable else "value"
    message = f"{subject} is not in the {kind} codelist {codelist.short_name} ({codelist.code}){release}"
    suggestions = suggest_terms(value, codelist)
    parts = []
    if suggestions:
        parts.append("closest terms: " + ", ".join(str(s) for s in suggestions))
    else:
        parts.append(f"no term of {codelist.short_name} is close to it")
    if codelist.extensible:
        parts.append("the codelist is extensible: a study term may be added as an extension")
    if terminology is not None and not terminology.is_full:
        release_name = terminology.requested or terminology.version or ""
        parts.append(f"the {terminology.description} holds only part of CDISC CT, the full CT may hold it "
                     f"(`cdisc-map ct download {release_name}`)".replace(" )", ")"))
    return CodelistAdvice(message=message, hint="; ".join(parts), suggestions=tuple(suggestions))

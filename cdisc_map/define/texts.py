"""Methods and comments as a reviewer reads them: one per distinct text, shared by all that use it.

A derivation used by many variables (a sequence number, a study day) is one MethodDef,
named for what it computes ("Study day"), and every variable using it points at it; a
comment written the same for several variables is one CommentDef. Names are given
once all uses are known, so a method used by one variable is named after it when its
name alone would not tell it from another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdisc_map.define.oids import oid_part, unique
from define_xml import model

#: What define.xml says of a derived variable whose build gave no wording (it should not happen).
NO_METHOD = "Derived; the algorithm is not documented."


@dataclass
class _Text:
    oid: str
    text: str
    name: str
    users: list[str] = field(default_factory=list)  # "AE.AESTDY", in order of use


class Texts:
    """Collects methods and comments while define.xml is built; `methods()` and `comments()` give them."""

    def __init__(self) -> None:
        self._methods: dict[tuple[str, str], _Text] = {}
        self._comments: dict[str, _Text] = {}
        self._taken: set[str] = set()

    def method(self, text: str, name: str, user: str, oid: str | None = None) -> str:
        """The OID of the method with this wording (and name), registered for `user` ("AE.AESTDY").

        The first method of a name is MT.<NAME> (MT.STUDY_DAY); another is named for its
        first user, `oid` when given (MT.ADTTE.AVAL.PFS), else MT.<user>.
        """
        text = " ".join(text.split()) or NO_METHOD
        key = (name, text)
        if key not in self._methods:
            named = f"MT.{oid_part(name).upper()}"
            base = named if name and named not in self._taken else (oid or f"MT.{oid_part(user)}")
            self._methods[key] = _Text(unique(base, self._taken), text, name)
        self._methods[key].users.append(user)
        return self._methods[key].oid

    def comment(self, text: str, user: str, oid: str | None = None) -> str | None:
        """The OID of the comment with this wording, registered for `user`; None for no text."""
        text = " ".join((text or "").split())
        if not text:
            return None
        if text not in self._comments:
            self._comments[text] = _Text(unique(oid or f"COM.{oid_part(user)}", self._taken), text, "")
        self._comments[text].users.append(user)
        return self._comments[text].oid

    def methods(self) -> list[model.Method]:
        found = [model.Method(oid=m.oid, name=_method_name(m), description=m.text) for m in self._methods.values()]
        return sorted(found, key=lambda m: m.oid)

    def comments(self) -> list[model.Comment]:
        return sorted((model.Comment(oid=c.oid, text=c.text) for c in self._comments.values()), key=lambda c: c.oid)


def _method_name(method: _Text) -> str:
    """"Study day"; "SAS date (ADSL.TRTEDT)" for a second method of that name (the first has the plain
    name and OID); "Derivation of AE.AESDTH" for a wording written for its variable."""
    if method.name:
        first = method.oid == f"MT.{oid_part(method.name).upper()}"
        return method.name if first else f"{method.name} ({_users(method.users)})"
    return f"Derivation of {_users(method.users)}"


def _users(users: list[str]) -> str:
    unique_users = list(dict.fromkeys(users))
    if len(unique_users) <= 3:
        return ", ".join(unique_users)
    return f"{', '.join(unique_users[:2])} and {len(unique_users) - 2} more"

"""OIDs of define.xml that are also the anchors of define.html.

An OID made of data values (DSCAT "DISPOSITION EVENT", a test code) must still be one
word a browser can jump to (define.html#WC.DS.DSCAT.DISPOSITION_EVENT), so characters
outside letters, digits, dot, hyphen and underscore become underscores.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def oid_part(value: object) -> str:
    """A value as a part of an OID: "DISPOSITION EVENT" -> "DISPOSITION_EVENT"."""
    return _UNSAFE.sub("_", str(value).strip()) or "_"


def unique(oid: str, taken: set[str]) -> str:
    """`oid`, or `oid` with a number when another OID already has that name (the second is OID.2)."""
    candidate, number = oid, 1
    while candidate in taken:
        number += 1
        candidate = f"{oid}.{number}"
    taken.add(candidate)
    return candidate

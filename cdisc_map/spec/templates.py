"""Text templates in specs: `"01-{Subject}"`, `"{var:STUDYID}-{SITE}-{SUBJ}"`.

A template is data: constant text with placeholders, never code. `{Name}` or
`{col:Name}` is a column of the source records, `{var:NAME}` a variable mapped before;
`{{` and `}}` stand for braces themselves.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateError(ValueError):
    """A template that cannot be read: an empty or unclosed placeholder, a lone brace."""


def parse(template: str) -> list[tuple[str, str]]:
    """The pieces of a template in order: ("text", literal), ("col", name) or ("var", name)."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            pieces.append(("text", template[position:match.start()]))
        token = match.group(0)
        if token in ("{{", "}}"):
            pieces.append(("text", token[0]))
        elif match.group(1) is None:
            raise TemplateError(f"a lone {token!r} at position {match.start() + 1}: write {token * 2} for the brace")
        else:
            inner = match.group(1).strip()
            kind, _, name = inner.partition(":") if inner.startswith(("col:", "var:")) else ("col", "", inner)
            if not name.strip():
                raise TemplateError(f"an empty placeholder at position {match.start() + 1}")
            pieces.append((kind, name.strip()))
        position = match.end()
    if position < len(template):
        pieces.append(("text", template[position:]))
    return pieces


def fields(template: str) -> list[tuple[str, str]]:
    """The (kind, name) of every placeholder; [] when the template cannot be read (check-spec says why)."""
    try:
        return [(kind, name) for kind, name in parse(template) if kind != "text"]
    except TemplateError:
        return []

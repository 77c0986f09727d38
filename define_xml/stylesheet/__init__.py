"""The project's own XSLT stylesheet that renders a define.xml as an HTML page.

A define.xml names it in an xml-stylesheet instruction, so a browser opening the file
shows the page; `write_stylesheet` puts it beside the define.xml for that. Tools that
want the page without a browser (the validation report, tests) use `render_html`.
"""

from __future__ import annotations

import os
import secrets
from functools import cache
from importlib.resources import files
from pathlib import Path

from lxml import etree

from define_xml.model import DEFAULT_STYLESHEET
from define_xml.schema import parse, safe_parser


def stylesheet_bytes() -> bytes:
    return files(__package__).joinpath(DEFAULT_STYLESHEET).read_bytes()


def write_stylesheet(folder: str | os.PathLike) -> Path:
    """Copy the stylesheet into `folder` (atomically) and return its path."""
    target = Path(folder) / DEFAULT_STYLESHEET
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        temporary.write_bytes(stylesheet_bytes())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


@cache
def _transform() -> etree.XSLT:
    # No file access or network from the stylesheet: it needs neither.
    access = etree.XSLTAccessControl.DENY_ALL
    document = etree.fromstring(stylesheet_bytes(), safe_parser())
    return etree.XSLT(document, access_control=access)


def render_html(source: str | os.PathLike | bytes | etree._ElementTree) -> str:
    """The HTML page of a define.xml (a path, its bytes, or a parsed tree)."""
    tree = source if isinstance(source, etree._ElementTree) else parse(source)
    return str(_transform()(tree))

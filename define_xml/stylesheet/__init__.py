"""The project's own XSLT stylesheet that renders a define.xml as an HTML page.

Browsers are dropping XSLT (Chromium blocks it for local files and has announced its
removal), so a reviewer double-clicking define.xml may see nothing: `write_html` puts the
page rendered here, define.html, beside the define.xml. It is self-contained (styles
inline, no script, no network) and every link inside it resolves. The define.xml still
names the stylesheet in an xml-stylesheet instruction, and `write_stylesheet` puts it
beside the file, for the tools that apply it.
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

HTML_NAME = "define.html"


def stylesheet_bytes() -> bytes:
    return files(__package__).joinpath(DEFAULT_STYLESHEET).read_bytes()


def write_stylesheet(folder: str | os.PathLike) -> Path:
    """Copy the stylesheet into `folder` (atomically) and return its path."""
    target = Path(folder) / DEFAULT_STYLESHEET
    _write_atomically(target, stylesheet_bytes())
    return target


def write_html(define_path: str | os.PathLike, target: str | os.PathLike | None = None) -> Path:
    """Render the define.xml at `define_path` as define.html beside it (or at `target`), atomically."""
    source = Path(define_path)
    path = Path(target) if target is not None else source.with_name(HTML_NAME)
    _write_atomically(path, render_html(source).encode("utf-8"))
    return path


def _write_atomically(target: Path, content: bytes) -> None:
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


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

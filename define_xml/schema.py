"""Validate a define.xml against the official Define-XML schema.

The schemas are the CDISC ones that ship in the odmlib package (Define-XML 2.0 and
2.1 on ODM 1.3.2, and Analysis Results Metadata 1.0 on each); the version is chosen by
the def: namespace the file uses, and a file with arm: elements is validated against
the ARM schema, which includes Define-XML's. XML is parsed without external entities or
network access: a define.xml comes from anywhere.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path

from lxml import etree

from define_xml.namespaces import ARM, DEF20

SCHEMA_FILES = {
    "2.1": ("define", "2.1", "define2-1-0.xsd"),
    "2.0": ("define", "2.0", "define2-0-0.xsd"),
    # ARM 1.0 as published pairs with Define-XML 2.0; odmlib's variant pairs it with 2.1.
    "2.1+arm": ("arm", "1.0-define2.1", "arm1-0-0.xsd"),
    "2.0+arm": ("arm", "1.0", "arm1-0-0.xsd"),
}


def safe_parser() -> etree.XMLParser:
    """A parser that neither expands entities nor fetches anything from the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False)


def schema_path(version: str = "2.1") -> Path:
    """The official schema file of a Define-XML version ("2.1", "2.0", "2.1+arm", "2.0+arm"), from odmlib."""
    spec = importlib.util.find_spec("odmlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the odmlib package (which ships the Define-XML schemas) is not installed")
    return Path(spec.submodule_search_locations[0], "schemas", *SCHEMA_FILES[version])


@cache
def load_schema(version: str = "2.1") -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(schema_path(version)), safe_parser()))


def parse(source: str | os.PathLike | bytes) -> etree._ElementTree:
    """Parse a define.xml file (a path) or its bytes, safely; raises etree.XMLSyntaxError."""
    if isinstance(source, bytes):
        return etree.ElementTree(etree.fromstring(source, safe_parser()))
    return etree.parse(os.fspath(source), safe_parser())


def define_version(tree: etree._ElementTree | etree._Element) -> str:
    """"2.0" or "2.1", from the def: namespace the document declares."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    return "2.0" if DEF20 in root.nsmap.values() else "2.1"


def schema_version(tree: etree._ElementTree | etree._Element) -> str:
    """The key of the schema a document is validated against: its Define-XML version, "+arm" with ARM."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    has_arm = ARM in root.nsmap.values() or next(root.iter(f"{{{ARM}}}*"), None) is not None
    return define_version(root) + ("+arm" if has_arm else "")


def validate(
    source: str | os.PathLike | bytes | etree._ElementTree | etree._Element,
) -> list[str]:
    """Schema errors as "line N: message"; empty when the file is valid.

    A file that is not well-formed XML gives its syntax error the same way; a file that
    does not exist raises OSError.
    """
    if isinstance(source, etree._ElementTree | etree._Element):
        tree = source
    else:
        try:
            tree = parse(source)
        except etree.XMLSyntaxError as error:
            return [f"line {error.lineno}: not well-formed XML: {error.msg}"]
    schema = load_schema(schema_version(tree))
    if schema.validate(tree):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]

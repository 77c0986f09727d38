"""define_xml: Define-XML 2.1 from a plain metadata model, and back.

It knows Define-XML, not SDTM: the caller describes its datasets, variables,
codelists, methods, documents and analysis results with the dataclasses of
`define_xml.model`, and this package writes them as a schema-valid define.xml, reads a
define.xml (2.0 or 2.1, with or without Analysis Results Metadata, and 1.0 as far as
1.0 says the same things) back into them, validates a file against the official
schemas, and ships the stylesheet that renders a define.xml as an HTML page
(`write_html` writes define.html beside it).
"""

from define_xml.checks import DefineError, check_references
from define_xml.legacy import detect, load_v1
from define_xml.model import (
    AnalysisDataset,
    AnalysisResult,
    CodeList,
    CodeListItem,
    Comment,
    Dataset,
    Define,
    Document,
    DocumentRef,
    Method,
    PageRef,
    RangeCheck,
    ResultDisplay,
    Standard,
    ValueList,
    Variable,
    WhereClause,
)
from define_xml.reader import load
from define_xml.schema import validate
from define_xml.stylesheet import render_html, write_html, write_stylesheet
from define_xml.writer import to_bytes, write_define

__all__ = [
    "AnalysisDataset",
    "AnalysisResult",
    "CodeList",
    "CodeListItem",
    "Comment",
    "Dataset",
    "Define",
    "DefineError",
    "Document",
    "DocumentRef",
    "Method",
    "PageRef",
    "RangeCheck",
    "ResultDisplay",
    "Standard",
    "ValueList",
    "Variable",
    "WhereClause",
    "check_references",
    "detect",
    "load",
    "load_v1",
    "render_html",
    "to_bytes",
    "validate",
    "write_define",
    "write_html",
    "write_stylesheet",
]

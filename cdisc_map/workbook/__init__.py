"""Spec workbooks: a study's metadata as the Excel layout Pinnacle 21 and metacore read, and back.

`export_study` writes what a study's specs say (datasets, variables, value-level
metadata, codelists, methods, comments) as a workbook; `import_workbook` turns such a
workbook, whoever wrote it, into a starter study folder and the list of what is left
to fill in (docs/spec-workbook.md).
"""

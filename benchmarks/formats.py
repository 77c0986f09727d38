"""Benchmark: Dataset-JSON out and in, and ODM-XML as a raw source, against XPT and CSV.

    python benchmarks/formats.py                   # 10,000 subjects
    python benchmarks/formats.py --subjects 1000

Generates an export (not timed) and converts it once to XPT (not timed). Then, over every
dataset written, times writing the same frames as XPT (write_xpt), Dataset-JSON and NDJSON
(write_dataset_json) and reading each back (read_xpt, read_dataset_json), and prints the
seconds and megabytes of each. For ODM, writes the export's CSV forms into one ODM 1.3
file (as an EDC would: subject keys, one study event per form) and times reading every
form from it with read_form against reading the CSV files. Wall clock, best of
`--repeat` runs; the tests never time anything.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from cdisc_map.io.datasetjson import read_dataset_json, write_dataset_json
from cdisc_map.io.readers import read_form
from cdisc_map.io.xpt import read_xpt, write_xpt
from cdisc_map.pipeline import run_study
from cdisc_map.spec.study import load_study

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "cdisc_map" / "studies" / "nct06111625"
ODM = "http://www.cdisc.org/ns/odm/v1.3"


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def size_mb(paths) -> float:
    return sum(path.stat().st_size for path in paths) / 2**20


def datasets_bench(out: Path, work: Path, repeat: int) -> None:
    sources = sorted(out.rglob("*.xpt"))
    loaded = [(path, *read_xpt(path)) for path in sources]
    records = sum(len(frame) for _, frame, _ in loaded)
    print(f"\n{len(loaded)} datasets, {records:,} records")
    target = work / "formats"
    target.mkdir(exist_ok=True)

    def write(suffix: str) -> list[Path]:
        written = []
        for path, frame, meta in loaded:
            destination = target / f"{path.stem}{suffix}"
            options = dict(dataset=meta.dataset, label=meta.label, column_labels=meta.column_labels,
                           formats=meta.formats)
            if suffix == ".xpt":
                write_xpt(frame, destination, **options)
            else:
                write_dataset_json(frame, destination, **options)
            written.append(destination)
        return written

    print(f"  {'format':<8}{'write s':>9}{'read s':>9}{'MiB':>9}")
    for suffix, reader in ((".xpt", read_xpt), (".json", read_dataset_json), (".ndjson", read_dataset_json)):
        write_seconds = best(lambda suffix=suffix: write(suffix), repeat)
        files = sorted(target.glob(f"*{suffix}"))
        read_seconds = best(lambda files=files, reader=reader: [reader(p) for p in files], repeat)
        print(f"  {suffix[1:]:<8}{write_seconds:>9.2f}{read_seconds:>9.2f}{size_mb(files):>9.1f}")


def write_odm(raw: Path, forms: dict, path: Path) -> None:
    """The CSV forms as one ODM 1.3 file: items named by the CSV headers, empty cells left out."""
    root = etree.Element(f"{{{ODM}}}ODM", nsmap={None: ODM}, FileType="Snapshot", FileOID="BENCH", ODMVersion="1.3.2",
                         CreationDateTime="2026-01-01T00:00:00")
    version = etree.SubElement(etree.SubElement(root, f"{{{ODM}}}Study", OID="S"), f"{{{ODM}}}MetaDataVersion",
                               OID="V", Name="V")
    clinical = etree.SubElement(root, f"{{{ODM}}}ClinicalData", StudyOID="S", MetaDataVersionOID="V")
    subjects: dict[str, etree._Element] = {}
    for number, (name, spec) in enumerate(forms.items()):
        with open(raw / spec.file, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [c for c in reader.fieldnames or [] if c != spec.subject]
            group = etree.SubElement(version, f"{{{ODM}}}ItemGroupDef", OID=f"IG.{number}", Name=name, Repeating="No")
            for position, column in enumerate(header):
                etree.SubElement(group, f"{{{ODM}}}ItemRef", ItemOID=f"I.{number}.{position}", Mandatory="No")
                etree.SubElement(version, f"{{{ODM}}}ItemDef", OID=f"I.{number}.{position}", Name=column,
                                 DataType="text")
            repeats: dict[str, int] = {}
            for row in reader:
                key = row[spec.subject]
                if key not in subjects:
                    subjects[key] = etree.SubElement(clinical, f"{{{ODM}}}SubjectData", SubjectKey=key)
                repeats[key] = repeats.get(key, 0) + 1
                event = etree.SubElement(subjects[key], f"{{{ODM}}}StudyEventData", StudyEventOID="SE")
                form = etree.SubElement(event, f"{{{ODM}}}FormData", FormOID=f"F.{number}",
                                        FormRepeatKey=str(repeats[key]))
                data = etree.SubElement(form, f"{{{ODM}}}ItemGroupData", ItemGroupOID=f"IG.{number}")
                for position, column in enumerate(header):
                    if row[column]:
                        etree.SubElement(data, f"{{{ODM}}}ItemData", ItemOID=f"I.{number}.{position}",
                                         Value=row[column])
    etree.ElementTree(root).write(str(path), xml_declaration=True, encoding="UTF-8")


def odm_bench(raw: Path, work: Path, repeat: int) -> None:
    study = load_study(STUDY)
    forms = {name: spec for name, spec in study.forms.items() if spec.file.endswith(".csv")}
    path = work / "export.xml"
    write_odm(raw, forms, path)
    csv_files = [raw / spec.file for spec in forms.values()]
    rows = sum(len(read_form(p).frame) for p in csv_files)
    csv_seconds = best(lambda: [read_form(p) for p in csv_files], repeat)

    def from_odm() -> int:
        path.touch()  # a changed file is parsed again: time the parse, not the cache
        return sum(len(read_form(path, form=f"F.{number}", column_names="name").frame) for number in range(len(forms)))

    assert from_odm() == rows, "every CSV row is an ODM record"
    odm_seconds = best(from_odm, repeat)
    print(f"\nODM: {len(forms)} forms, {rows:,} records; "
          f"CSV {size_mb(csv_files):.1f} MiB, ODM {size_mb([path]):.1f} MiB")
    print(f"  read every form from CSV {csv_seconds:.2f} s, from one ODM file {odm_seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        raw = work / "raw"
        subprocess.run([sys.executable, str(ROOT / "fixtures" / "generate.py"), "--subjects", str(args.subjects),
                        "--seed", str(args.seed), "--out", str(raw)], check=True, capture_output=True)
        run_study(STUDY, raw_dir=raw, out_dir=work / "out")
        print(f"{args.subjects:,} subjects")
        datasets_bench(work / "out", work, args.repeat)
        odm_bench(raw, work, args.repeat)


if __name__ == "__main__":
    main()

"""A corpus of bad inputs through the command line: never a traceback, always a message
naming what and where, and the exit status a pipeline can act on.

tests/test_spec_corpus.py breaks specs; this corpus breaks what surrounds them: paths,
files, permissions, a full disk, interruptions, and an error nobody expected. Exit
status: 1 for problems in specs or data, 2 for usage and inputs that cannot be used,
130 when interrupted. An OUT that was there before is left as it was, with nothing
beside it.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_bad_input import make_study

import cdisc_map.cli as cli
import cdisc_map.io.output_tree as output_tree
from cdisc_map import __version__
from cdisc_map.cli import main
from cdisc_map.io.output_tree import MANIFEST

ROOT = Path(__file__).resolve().parent.parent
LEFTOVER = output_tree.LEFTOVER_MARK


def no_traceback(result) -> str:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.output


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, no_traceback(result)


# --- the corpus: (name, how to break it) -> (arguments, exit status, words the message holds) -----------------


def out_is_a_file(tmp: Path):
    (tmp / "out").write_text("not a folder")
    return ["run", str(make_study(tmp / "s")), "--out", str(tmp / "out")], 2, ["is a file, not a folder", "out"]


def out_holds_someone_else_s_files(tmp: Path):
    (tmp / "out").mkdir()
    (tmp / "out" / "notes.txt").write_text("mine")
    return ["run", str(make_study(tmp / "s")), "--out", str(tmp / "out")], 2, [f"no {MANIFEST}", "new or empty"]


def study_folder_missing(tmp: Path):
    return ["run", str(tmp / "nowhere"), "--out", str(tmp / "out")], 2, ["study folder does not exist", "nowhere"]


def study_folder_without_study_yaml(tmp: Path):
    (tmp / "empty").mkdir()
    return ["run", str(tmp / "empty"), "--out", str(tmp / "out")], 2, ["no study.yaml", "cdisc-map init"]


def study_yaml_is_binary(tmp: Path):
    study = make_study(tmp / "s")
    (study / "study.yaml").write_bytes(bytes(range(256)) * 4)
    return ["run", str(study), "--out", str(tmp / "out")], 1, ["study.yaml", "cannot read spec"]


def study_yaml_in_latin_1(tmp: Path):
    study = make_study(tmp / "s")
    (study / "study.yaml").write_bytes((study / "study.yaml").read_text().replace("TEST01", "T\xc9ST01")
                                       .encode("latin-1"))
    return ["run", str(study), "--out", str(tmp / "out")], 1, ["study.yaml", "0xc9"]


def a_date_format_that_means_nothing(tmp: Path):
    study = make_study(tmp / "s")
    spec = study / "sdtm" / "ex.yaml"
    spec.write_text(spec.read_text().replace("format: DD/MM/YYYY", "format: QQ/%d/ZZ", 1))
    return ["run", str(study), "--out", str(tmp / "out")], 1, ["ex.yaml", "QQ/%d/ZZ"]


def raw_folder_missing(tmp: Path):
    return (["run", str(make_study(tmp / "s")), "--raw", str(tmp / "nowhere"), "--out", str(tmp / "out")], 2,
            ["raw export folder does not exist", "--raw"])


def raw_file_missing(tmp: Path):
    study = make_study(tmp / "s")
    (study / "raw" / "dose.csv").unlink()
    return ["run", str(study), "--out", str(tmp / "out")], 2, ["'dosing' does not exist", "dose.csv"]


def raw_file_is_a_folder(tmp: Path):
    study = make_study(tmp / "s")
    (study / "raw" / "dose.csv").unlink()
    (study / "raw" / "dose.csv").mkdir()
    return ["run", str(study), "--out", str(tmp / "out")], 2, ["is a folder, not a file", "dose.csv"]


def raw_csv_of_random_bytes(tmp: Path):
    study = make_study(tmp / "s")
    (study / "raw" / "dose.csv").write_bytes(os.urandom(4096))
    return ["run", str(study), "--out", str(tmp / "out")], 1, ["dose.csv"]


def raw_csv_empty(tmp: Path):
    study = make_study(tmp / "s")
    (study / "raw" / "dose.csv").write_bytes(b"")
    return ["run", str(study), "--out", str(tmp / "out")], 1, ["dose.csv", "empty"]


def raw_csv_with_an_open_quote(tmp: Path):
    study = make_study(tmp / "s")
    (study / "raw" / "dose.csv").write_text('Subject,Date,Dose,Unit\n001,"06/01/2024,10,mg\n')
    return ["run", str(study), "--out", str(tmp / "out")], 1, ["dose.csv", "quot"]


def raw_xlsx_truncated(tmp: Path):
    study = tmp / "study"
    assert CliRunner().invoke(main, ["init", str(study)]).exit_code == 0
    workbook = study / "raw" / "blinatumomab.xlsx"
    workbook.write_bytes(workbook.read_bytes()[:3000])
    return ["run", str(study), "--out", str(tmp / "out")], 1, ["blinatumomab.xlsx"]


def ct_file_that_is_not_ct(tmp: Path):
    (tmp / "ct.txt").write_bytes(b"\x00\x01 garbage\n")
    return (["run", str(make_study(tmp / "s")), "--ct", str(tmp / "ct.txt"), "--out", str(tmp / "out")], 2,
            ["ct.txt", "not a sound CT package"])


def standards_home_is_a_file(tmp: Path):
    (tmp / "home").write_text("x")
    return ["run", "--standards", str(tmp / "home"), "--out", str(tmp / "out")], 2, ["is a file"]


def validate_a_missing_path(tmp: Path):
    return ["validate", str(tmp / "nowhere")], 2, ["nowhere"]


def validate_random_bytes_named_xpt(tmp: Path):
    (tmp / "dm.xpt").write_bytes(os.urandom(2000))
    return ["validate", str(tmp / "dm.xpt")], 1, ["CM0101"]


def check_spec_of_a_missing_folder(tmp: Path):
    return ["check-spec", str(tmp / "nowhere")], 2, ["nowhere"]


def init_into_a_file(tmp: Path):
    (tmp / "target").write_text("x")
    return ["init", str(tmp / "target")], 2, ["target is a file"]


def init_into_a_folder_that_is_not_empty(tmp: Path):
    study = make_study(tmp / "s")
    return ["init", str(study)], 2, ["not empty", "nothing was copied"]


def init_of_an_unknown_study(tmp: Path):
    return ["init", str(tmp / "new"), "--study", "NCT06111626"], 2, ["no bundled study", "did you mean 'nct06111625'"]


def an_unknown_command(tmp: Path):
    return ["convertt"], 2, ["No such command"]


def an_unknown_fail_level(tmp: Path):
    return ["run", "--fail-on", "fatal"], 2, ["'fatal' is not one of"]


CORPUS: list[Callable[[Path], tuple[list[str], int, list[str]]]] = [
    out_is_a_file, out_holds_someone_else_s_files, study_folder_missing, study_folder_without_study_yaml,
    study_yaml_is_binary, study_yaml_in_latin_1, a_date_format_that_means_nothing, raw_folder_missing,
    raw_file_missing, raw_file_is_a_folder, raw_csv_of_random_bytes, raw_csv_empty, raw_csv_with_an_open_quote,
    raw_xlsx_truncated, ct_file_that_is_not_ct, standards_home_is_a_file, validate_a_missing_path,
    validate_random_bytes_named_xpt, check_spec_of_a_missing_folder, init_into_a_file,
    init_into_a_folder_that_is_not_empty, init_of_an_unknown_study, an_unknown_command, an_unknown_fail_level,
]


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.__name__)
def test_bad_input_gets_a_message_and_an_exit_status_never_a_traceback(case, tmp_path):
    args, status, words = case(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code, output = run(*args)
    assert code == status, output
    for word in words:
        assert word in output, (word, output)
    if args[0] == "run":  # nothing written, nothing left: the folder holds what it held
        assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
        assert "nothing was written" in output.lower() or "Usage:" in output


def test_a_run_from_the_output_folder_itself_is_refused(tmp_path, monkeypatch):
    study, out = make_study(tmp_path / "s"), tmp_path / "out"
    assert run("run", str(study), "--out", str(out))[0] == 0
    monkeypatch.chdir(out)
    code, output = run("run", str(study), "--out", str(out))
    assert code == 2 and "holds the current folder" in output and (out / MANIFEST).is_file()


# --- what nobody expected -----------------------------------------------------------------------------------------


def test_an_internal_error_is_one_line_asking_for_a_bug_report_and_debug_shows_the_trace(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the engine fell over")

    monkeypatch.setattr(cli, "run_study", broken)
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    line = result.output.strip().splitlines()[-1]
    assert f"Internal error in cdisc-map {__version__}" in line and "RuntimeError: the engine fell over" in line
    assert "report it" in line and "--debug" in line
    for debug in (["--debug", "run"], ["run", "--debug"]):
        shown = CliRunner().invoke(main, [*debug, "--out", str(tmp_path / "out")])
        assert shown.exit_code == 2 and "Traceback (most recent call last)" in shown.output
        assert 'raise RuntimeError("the engine fell over")' in shown.output
    monkeypatch.setenv(cli.DEBUG_VARIABLE, "1")
    assert "Traceback" in CliRunner().invoke(main, ["run", "--out", str(tmp_path / "out")]).output


def test_ctrl_c_in_any_command_is_a_word_and_status_130(monkeypatch, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "validate_path", interrupted)
    code, output = run("validate", str(tmp_path))
    assert code == 130 and "Interrupted" in output


def test_a_full_disk_while_swapping_leaves_the_previous_tree(tmp_path, monkeypatch):
    study, out = make_study(tmp_path / "s"), tmp_path / "out"
    assert run("run", str(study), "--out", str(out))[0] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def full(folder):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output_tree, "write_manifest", full)
    code, output = run("run", str(study), "--out", str(out))
    assert code == 2 and f"{out}: No space left on device. Free space" in output
    assert output.strip().splitlines()[-1] == f"Nothing was written; {out} was left as it was."
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s"]


# --- the real thing, in processes of their own ----------------------------------------------------------------------


def cdisc_map(*args: str, cwd: Path, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdisc_map.cli", *args], cwd=cwd, capture_output=True, text=True,
                          **options)


def test_a_real_full_disk(tmp_path):
    """A 900 KiB tmpfs holds one output tree (~600 KiB) but not a second one beside it."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("mounting a small tmpfs needs root and unshare")
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (f"mount -t tmpfs -o size=900k tmpfs {disk} && cd {disk} && "
              f"{sys.executable} -m cdisc_map.cli run --out out --quiet > first.txt 2>&1; "
              f"{sys.executable} -m cdisc_map.cli run --out out --quiet > second.txt 2>&1; echo $? > status.txt; "
              f"find . | sort > files.txt; cp first.txt second.txt status.txt files.txt {tmp_path}")
    mounted = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True)
    if "mount:" in mounted.stderr or not (tmp_path / "status.txt").exists():
        pytest.skip(f"no tmpfs could be mounted here: {mounted.stderr.strip()}")
    first, second = (tmp_path / "first.txt").read_text(), (tmp_path / "second.txt").read_text()
    assert "Wrote 18 datasets" in first, first
    assert (tmp_path / "status.txt").read_text().strip() == "2", second
    assert "No space left on device" in second and "Traceback" not in second
    files = (tmp_path / "files.txt").read_text().splitlines()
    assert "./out/SHA256SUMS" in files and not [f for f in files if LEFTOVER in f]  # previous tree, nothing beside


def test_a_file_size_limit_is_a_message(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse a write past 20 kB (EFBIG), wherever the writer is."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    done = cdisc_map("run", "--out", "out", "--quiet", cwd=tmp_path, preexec_fn=limited)
    assert done.returncode == 2 and "File too large" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.fixture
def locked(tmp_path):
    """A folder this process may not write in: read-only for a user, immutable (chattr +i) for root."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("root may write anywhere, and this filesystem has no immutable folders (chattr +i)")
    yield folder
    subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_an_output_folder_you_may_not_write_is_a_message(locked, tmp_path):
    done = cdisc_map("run", "--out", str(locked / "out"), "--quiet", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    reason = "Permission denied" if os.geteuid() != 0 else "Operation not permitted"
    assert f"{locked / 'out'}: the output folder cannot be written in {locked}: {reason}" in done.stderr
    assert "Traceback" not in done.stderr and "Nothing was written" in done.stderr
    assert list(locked.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file: run the suite as another user to see this")
def test_a_raw_file_you_may_not_read_is_a_message(tmp_path):
    study = make_study(tmp_path / "s")
    (study / "raw" / "dose.csv").chmod(0o000)
    try:
        done = cdisc_map("run", str(study), "--out", "out", cwd=tmp_path)
    finally:
        (study / "raw" / "dose.csv").chmod(0o644)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "dose.csv: the raw file of form 'dosing' cannot be read: Permission denied" in done.stderr
    assert not (tmp_path / "out").exists()

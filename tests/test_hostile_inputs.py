"""Hostile input files that cannot be a bad_input case folder: the real command, one line each.

FIFOs, devices, sockets, folders and symbolic links where a CSV file goes; DATA that is a file
or missing; an unknown ``--encoding``; a header of a million columns. Each runs the real
``channelgraph`` entry point in a subprocess (``tests/hostile.py``) with a timeout, so a hang
fails the test instead of stalling the suite, and checks the exit code, the message naming
the file and what to do, and that no traceback or "internal error" is printed.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import tracemalloc

import pytest
from conftest import write_dataset
from hostile import refused, run_cli

from channelgraph.io import DatasetError, load_dataset
from channelgraph.io.read import MAX_COLUMNS, MAX_FIELD_BYTES

#: Seconds a refusal may take, start-up of the interpreter included (the machine may be busy).
TIMEOUT = 120

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, sockets and devices are POSIX")


@pytest.fixture
def data(tmp_path):
    """A valid dataset folder whose entities.csv the test replaces."""
    folder = write_dataset(tmp_path / "data")
    (folder / "entities.csv").unlink()
    return folder


def _refused_file(folder, code, *needles, command="validate"):
    r = run_cli(command, folder, *(["--out", folder.parent / "out"] if command == "analyze" else []), timeout=TIMEOUT)
    refused(r, code, *needles)
    return r


@posix_only
def test_fifo_named_entities_csv_is_refused_not_waited_on(data):
    os.mkfifo(data / "entities.csv")
    r = _refused_file(
        data, 1, "entities.csv: is a named pipe (FIFO), not an ordinary file", "save the export as an ordinary CSV file"
    )
    # collected with the other problems, and the dependants reported once each
    assert "relations.csv:1: src and dst not checked against entities.csv" in r.output
    assert "refers to no entity" not in r.output


@posix_only
def test_fifo_refused_by_analyze_too(data):
    os.mkfifo(data / "entities.csv")
    _refused_file(data, 1, "entities.csv: is a named pipe (FIFO)", command="analyze")
    assert not (data.parent / "out").exists()


@posix_only
def test_fifo_named_relations_csv_and_policy_toml(tmp_path):
    folder = write_dataset(tmp_path / "data")
    (folder / "relations.csv").unlink()
    os.mkfifo(folder / "relations.csv")
    os.mkfifo(folder / "policy.toml")
    _refused_file(folder, 1, "relations.csv: is a named pipe (FIFO)", "policy.toml: is a named pipe (FIFO)")


def test_folder_named_entities_csv(data):
    (data / "entities.csv").mkdir()
    _refused_file(data, 1, "entities.csv: is a folder, not a file")


@posix_only
def test_character_device_as_entities_csv(data):
    (data / "entities.csv").symlink_to("/dev/zero")  # read to the end, it would never end
    _refused_file(data, 1, "entities.csv: is a character device, not an ordinary file")


@posix_only
def test_socket_named_exposures_csv(tmp_path):
    folder = write_dataset(tmp_path / "d")  # a short path: a socket's path is limited to ~100 bytes
    (folder / "exposures.csv").unlink()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.bind(str(folder / "exposures.csv"))
        except OSError as exc:  # pragma: no cover - a path too long for a socket
            pytest.skip(f"cannot create a socket here: {exc}")
        _refused_file(folder, 1, "exposures.csv: is a socket, not an ordinary file")


@posix_only
def test_dangling_symlink(data):
    (data / "entities.csv").symlink_to(data / "gone.csv")
    _refused_file(
        data,
        1,
        "entities.csv: is a symbolic link to",
        "which does not exist",
        "save the export as an ordinary CSV file in the dataset folder",
    )


@posix_only
def test_symlink_loop(data):
    (data / "entities.csv").symlink_to(data / "entities.csv")
    _refused_file(data, 1, "entities.csv: cannot be opened", "symbolic link")


@posix_only
def test_symlink_to_a_regular_file_is_read(data, tmp_path):
    from conftest import ENTITIES

    real = tmp_path / "elsewhere.csv"
    real.write_text(ENTITIES, encoding="utf-8")
    (data / "entities.csv").symlink_to(real)
    r = run_cli("validate", data, timeout=TIMEOUT)
    assert r.code == 0, str(r)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(data):
    from conftest import ENTITIES

    f = data / "entities.csv"
    f.write_text(ENTITIES, encoding="utf-8")
    f.chmod(0)
    try:
        _refused_file(data, 1, "entities.csv: cannot be opened", "permission")
    finally:
        f.chmod(0o644)


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux's /proc")
def test_a_read_error_is_one_problem(data):
    # /proc/self/mem is an ordinary file whose first bytes cannot be read: EIO, as from a failing disk
    (data / "entities.csv").symlink_to("/proc/self/mem")
    r = _refused_file(data, 1, "entities.csv: cannot be read: input/output error", "copy the file again")
    assert "relations.csv:1: src and dst not checked against entities.csv" in r.output


def test_data_is_a_file(tmp_path):
    folder = write_dataset(tmp_path / "data")
    r = run_cli("validate", folder / "entities.csv", timeout=TIMEOUT)
    refused(r, 1, "entities.csv: is a file, not a folder", "give the folder that holds entities.csv")


def test_data_is_missing(tmp_path):
    r = run_cli("analyze", tmp_path / "nowhere", "--out", tmp_path / "out", timeout=TIMEOUT)
    refused(r, 1, "nowhere: does not exist")


@posix_only
def test_data_is_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "data")
    refused(run_cli("validate", tmp_path / "data", timeout=TIMEOUT), 1, "data: is not a folder")


@pytest.mark.parametrize("encoding", ["latin-9", "latin1", "utf-16", "bogus", ""])
def test_unknown_encoding_is_a_usage_error(tmp_path, encoding):
    folder = write_dataset(tmp_path / "data")
    r = run_cli("validate", folder, "--encoding", encoding, timeout=TIMEOUT)
    refused(r, 2, "--encoding", f"unknown encoding {encoding!r}", "utf-8, utf-8-sig, gb18030, gbk, gb2312")


@pytest.mark.parametrize("encoding", ["UTF8", "utf_8", "GBK", "cp936", "GB18030"])
def test_encoding_aliases_are_accepted(tmp_path, encoding):
    folder = write_dataset(tmp_path / "data", encoding="gbk" if encoding in ("GBK", "cp936", "GB18030") else "utf-8")
    r = run_cli("validate", folder, "--encoding", encoding, timeout=TIMEOUT)
    assert r.code == 0, str(r)


def test_unknown_encoding_through_the_api(tmp_path):
    folder = write_dataset(tmp_path / "data")
    with pytest.raises(DatasetError) as info:
        load_dataset(folder, encoding="latin-9")
    (p,) = info.value.problems
    assert p.file == "--encoding" and p.value == "latin-9" and "use one of utf-8" in p.reason


def _million_columns(folder):
    (folder / "entities.csv").write_bytes(b"," * 1_000_000 + b"\n" + b"," * 1_000_000 + b"\n")


def test_a_million_empty_columns_is_refused_at_once(data):
    _million_columns(data)
    tracemalloc.start()
    start = time.process_time()
    with pytest.raises(DatasetError) as info:
        load_dataset(data)
    seconds = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    problems = [p for p in info.value.problems if p.file == "entities.csv"]
    assert len(problems) == 1 and f"at most {MAX_COLUMNS:,} are accepted" in problems[0].reason
    assert seconds < 2.0, f"{seconds:.2f} CPU-s to refuse a million columns"  # about 0.3 s
    assert peak < 200 * 2**20, f"{peak / 2**20:.0f} MiB to refuse a million columns"


def test_a_million_empty_columns_by_the_command(data):
    _million_columns(data)
    r = _refused_file(data, 1, "entities.csv:1: header has 1,000,001 columns; at most 1,000 are accepted")
    assert r.output.count("\n") < 10, "one line per problem, not one per column"


def test_a_million_commas_in_one_row(tmp_path):
    from conftest import ENTITIES

    folder = write_dataset(tmp_path / "data", entities=ENTITIES + "P9" + "," * 1_000_000 + "\n")
    refused(run_cli("validate", folder, timeout=TIMEOUT), 1, "entities.csv:10: has 1000001 fields but the header has 7")


def test_a_ten_megabyte_field_without_a_closing_quote(tmp_path):
    from conftest import ENTITIES

    folder = write_dataset(tmp_path / "data", entities=ENTITIES + 'P9,person,"' + "x" * 10_000_000 + "\n")
    refused(run_cli("validate", folder, timeout=TIMEOUT), 1, "entities.csv:10: is not valid CSV from here on")


def test_a_long_field_that_is_well_formed(tmp_path):
    from conftest import ENTITIES

    folder = write_dataset(
        tmp_path / "data", entities=ENTITIES + 'P9,person,王九,false,,,"' + "y" * (2 * MAX_FIELD_BYTES) + '"\n'
    )
    refused(
        run_cli("validate", folder, timeout=TIMEOUT),
        1,
        "entities.csv:10, column region",
        f"field is {2 * MAX_FIELD_BYTES:,} bytes long; at most {MAX_FIELD_BYTES:,} bytes per field",
    )


def test_header_names_are_shown_escaped_never_sent_to_the_terminal(tmp_path):
    # A header cell holding a terminal escape sequence (clear screen, red) and one holding a
    # zero-width space: the real command prints both escaped, never the raw characters.
    from conftest import RELATIONS

    head, rest = RELATIONS.split("\n", 1)
    folder = write_dataset(
        tmp_path / "data",
        relations=head.replace("type", "type\x1b[2J\x1b[31mRED").replace("src", "src\u200b") + "\n" + rest,
    )
    r = run_cli("validate", folder, timeout=TIMEOUT)
    refused(r, 1, r"'type\x1b[2J\x1b[31mRED'", r"the header's 'src\u200b' is src but holds ZERO WIDTH SPACE")
    assert "\x1b" not in r.output and "\u200b" not in r.output, r.output

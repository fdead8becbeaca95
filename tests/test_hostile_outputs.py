"""Output folders a careless or hostile user gives: one line naming the path and what to do.

Exit 2 when the user gave the folder wrongly (empty, a file, the current folder, the input),
exit 3 when the place cannot be written.

Each case runs the real command (``python -m channelgraph``, see ``hostile.py``); none may end
in a traceback or an "internal error", and where a previous run's outputs exist they must be
left byte for byte.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys

import pytest
from hostile import ROOT, refused, run_cli

SAMPLE = ROOT / "data" / "sample"
EXIT_SERVER, EXIT_USAGE = 3, 2


def _one_line(r) -> None:
    assert len(r.stderr.strip().splitlines()) == 1, str(r)


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "command",
    [
        ("analyze", SAMPLE),
        ("risk", SAMPLE),
        ("stress", SAMPLE, "--default", "E000012"),
        ("caps", SAMPLE),
        ("hubs", SAMPLE),
        ("channels", SAMPLE),
        ("viz", SAMPLE),
        ("demo",),
    ],
)
def test_an_empty_out_is_refused_never_the_current_folder(command, tmp_path):
    r = run_cli(*command, "--out", "", cwd=tmp_path)
    refused(r, EXIT_USAGE, "--out is empty")
    _one_line(r)
    assert list(tmp_path.iterdir()) == []


def test_generate_into_an_empty_name_is_refused(tmp_path):
    r = run_cli("generate", "", "--customers", "20", cwd=tmp_path)
    refused(r, EXIT_USAGE, "OUT_DIR is empty")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "place", ["/proc/channelgraph-out", "/proc/self/out", "/sys/channelgraph-out", "/dev/channelgraph-out"]
)
def test_an_out_under_a_virtual_file_system_is_refused(place):
    r = run_cli("risk", SAMPLE, "--out", place, cwd=ROOT)
    refused(r, EXIT_SERVER, place, "choose a folder on a disk")
    _one_line(r)


def test_an_out_that_is_a_file_is_refused_and_the_file_kept(tmp_path):
    f = tmp_path / "report.xlsx"
    f.write_bytes(b"mine")
    for args in (("analyze", SAMPLE, "--out", f), ("viz", SAMPLE, "--out", f), ("generate", f)):
        r = run_cli(*args, cwd=ROOT)
        refused(r, EXIT_USAGE, str(f), "is a file, not a folder")
        _one_line(r)
    assert f.read_bytes() == b"mine"


def test_a_file_where_a_folder_should_be_on_the_way_is_refused(tmp_path):
    (tmp_path / "exports").write_bytes(b"a file")
    r = run_cli("risk", SAMPLE, "--out", tmp_path / "exports" / "out", cwd=ROOT)
    refused(r, EXIT_SERVER, "exports/out", "a file stands where a folder should be")
    _one_line(r)


def test_the_current_folder_or_one_holding_it_is_refused(tmp_path):
    here = tmp_path / "work"
    here.mkdir()
    for out in (".", "..", str(here)):
        r = run_cli("risk", SAMPLE, "--out", out, cwd=here)
        refused(r, EXIT_USAGE, "is the current folder or holds it")
    assert list(here.iterdir()) == []


def test_a_folder_where_a_page_goes_is_refused_and_kept(tmp_path):
    views = tmp_path / "views"
    (views / "overview.html").mkdir(parents=True)
    (views / "overview.html" / "mine.txt").write_text("mine", encoding="utf-8")
    r = run_cli("viz", SAMPLE, "--out", views, cwd=ROOT)
    refused(r, EXIT_SERVER, f"{views}/overview.html is a folder where the file goes")
    _one_line(r)
    assert sorted(p.name for p in views.iterdir()) == ["overview.html"]  # no temporary folder left
    assert (views / "overview.html" / "mine.txt").read_text(encoding="utf-8") == "mine"


def test_files_channelgraph_did_not_write_are_refused_not_deleted(tmp_path):
    out = tmp_path / "out"
    (out / "risk_groups.csv").mkdir(parents=True)  # a folder where a table goes, made by someone else
    r = run_cli("risk", SAMPLE, "--out", out, cwd=ROOT)
    refused(r, EXIT_SERVER, f"{out} holds risk_groups.csv", "no record says channelgraph wrote them", "move them out")
    _one_line(r)
    assert (out / "risk_groups.csv").is_dir()


def test_demo_refuses_data_inside_the_folder_it_replaces(tmp_path):
    r = run_cli("demo", "--out", tmp_path / "d", "--data", tmp_path / "d" / "data", cwd=ROOT)
    refused(r, EXIT_USAGE, "holds the input --data")
    _one_line(r)


def _dataset(folder):
    r = run_cli("generate", folder, "--customers", "10", "--quiet", cwd=ROOT)
    assert r.code == 0, str(r)
    return _tree(folder)


@pytest.mark.parametrize(
    "command",
    [
        ("analyze",),
        ("risk",),
        ("stress", "--default", "E000012"),
        ("caps",),
        ("hubs",),
        ("channels",),
        ("viz",),
    ],
)
def test_an_out_that_is_or_holds_the_dataset_is_refused_and_the_dataset_kept(command, tmp_path):
    data = tmp_path / "g1"
    before = _dataset(data)
    name, *options = command
    for out in (data, tmp_path):  # the dataset folder itself, and a folder holding it
        r = run_cli(name, data, *options, "--out", out, cwd=ROOT)
        refused(r, EXIT_USAGE, f"--out {out}", f"the input DATA {data}", "choose another --out")
        _one_line(r)
    assert _tree(data) == before


def test_an_out_inside_the_dataset_or_on_the_policy_file_is_refused(tmp_path):
    data = tmp_path / "g1"
    before = _dataset(data)
    r = run_cli("risk", data, "--out", data / "results", cwd=ROOT)
    refused(r, EXIT_USAGE, f"lies inside the input DATA {data}", "choose an --out outside it")
    policy = tmp_path / "rules" / "policy.toml"
    policy.parent.mkdir()
    policy.write_bytes((data / "policy.toml").read_bytes())
    r = run_cli("risk", data, "--policy", policy, "--out", policy.parent, cwd=ROOT)
    refused(r, EXIT_USAGE, f"holds the input --policy {policy}")
    r = run_cli("export-neo4j", data, data, cwd=ROOT)
    refused(r, EXIT_USAGE, f"OUT {data} is the input DATA")
    assert _tree(data) == before and policy.exists()
    r = run_cli("demo", "--data", data, "--out", tmp_path, cwd=ROOT)
    refused(r, EXIT_USAGE, "holds the input --data")
    assert _tree(data) == before


def test_a_refused_run_leaves_no_folder_behind(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "entities.csv").write_text("id\n", encoding="utf-8")
    r = run_cli("risk", bad, "--out", tmp_path / "new" / "deep" / "out", cwd=ROOT)
    assert r.code == 1, str(r)
    r = run_cli("viz", SAMPLE, "--view", "ego", "--id", "NOPE", "--out", tmp_path / "views" / "ego", cwd=ROOT)
    refused(r, EXIT_USAGE, "no entity 'NOPE'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]


def _limit_file_size(limit: int):
    def apply():  # in the child, before exec: a real EFBIG on the first write past *limit*
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE and SIGXFSZ as on Linux")
def test_a_disk_that_fills_up_mid_run_keeps_the_previous_outputs(tmp_path):
    out = tmp_path / "out"
    r = run_cli("analyze", SAMPLE, "--out", out, "--lang", "zh", cwd=ROOT)
    assert r.code == 0, str(r)
    before = _tree(out)
    assert max(map(len, before.values())) > 300_000  # hubs.json: a file the limit stops
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="200")
    env.pop("CHANNELGRAPH_DEBUG", None)
    p = subprocess.run(
        [sys.executable, "-m", "channelgraph", "analyze", str(SAMPLE), "--out", str(out), "--lang", "en"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_file_size(300_000),
        check=False,
    )
    assert p.returncode == EXIT_SERVER, p.stderr
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr, p.stderr
    line = p.stderr.strip().splitlines()[-1]
    assert line.startswith(f"✗ could not write {out}/"), line  # names the file, not the staging folder
    assert "File too large" in line and "ulimit -f" in line, line
    assert line.endswith(f"{out} is unchanged (previous outputs kept)"), line
    assert _tree(out) == before
    assert [q.name for q in tmp_path.iterdir() if "staging" in q.name] == []


def test_export_neo4j_never_deletes_your_files_and_names_the_final_files(tmp_path):
    out = tmp_path / "exp"
    out.mkdir()
    (out / "nodes_foo.csv").write_text("mine", encoding="utf-8")
    r = run_cli("export-neo4j", SAMPLE, out, cwd=ROOT)
    refused(r, EXIT_SERVER, f"{out} holds nodes_foo.csv", "move them out or choose another OUT")
    _one_line(r)
    assert sorted(p.name for p in out.iterdir()) == ["nodes_foo.csv"]
    fresh = tmp_path / "fresh"
    for _ in range(2):  # a second export replaces the first as a whole
        r = run_cli("export-neo4j", SAMPLE, fresh, cwd=ROOT)
        assert r.code == 0, str(r)
    args = (fresh / "import.args").read_text(encoding="utf-8")
    named = [p for line in args.splitlines() for p in line.strip('"').split("=")[-1].split(",") if "/" in p]
    assert named and all(p.startswith(f"{fresh}/") and os.path.isfile(p) for p in named), args
    assert "staging" not in args
    assert not [p.name for p in tmp_path.iterdir() if "staging" in p.name]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE and SIGXFSZ as on Linux")
def test_a_failed_export_names_the_file_and_keeps_the_previous_export(tmp_path):
    out = tmp_path / "exp"
    assert run_cli("export-neo4j", SAMPLE, out, cwd=ROOT).code == 0
    before = _tree(out)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="200")
    env.pop("CHANNELGRAPH_DEBUG", None)
    p = subprocess.run(
        [sys.executable, "-m", "channelgraph", "export-neo4j", str(SAMPLE), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_file_size(20_000),
        check=False,
    )
    assert p.returncode == EXIT_SERVER, p.stderr
    line = p.stderr.strip().splitlines()[-1]
    assert line.startswith(f"✗ could not write {out}/") and line.split()[4].endswith(".csv:"), line
    assert "File too large" in line and line.endswith(f"{out} is unchanged (previous outputs kept)"), line
    assert _tree(out) == before


def test_an_output_folder_with_a_line_break_is_refused_in_one_line():
    r = run_cli("analyze", SAMPLE, "--out", "/proc/x\ny", cwd=ROOT)
    refused(r, EXIT_SERVER, "/proc/x")
    _one_line(r)


def test_an_interruption_naming_a_folder_with_a_line_break_is_one_line(tmp_path, capsys):
    from channelgraph import cli

    with pytest.raises(SystemExit) as info, cli._writing(tmp_path / "out\nrisk", "risk"):
        raise KeyboardInterrupt
    err = capsys.readouterr().err
    assert info.value.code == 130 and err.startswith("✗ interrupted") and err.count("\n") == 1, err

"""Outputs appear whole, one run at a time, or not at all (issue 18, part b).

The runs are the real command in a subprocess (``python -m channelgraph``). To stop one at
a known moment they use the test hook ``CHANNELGRAPH_TEST_PAUSE=DIR:point`` (see
:data:`channelgraph.io.outdir.TEST_PAUSE_ENV`): at ``swap`` a run has staged every output
and not swapped them in yet. The process creates ``DIR/<point>-<pid>`` and waits until the test
removes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hostile import ROOT, run_cli

from channelgraph.io.outdir import TEST_PAUSE_ENV

SAMPLE = ROOT / "data" / "sample"
BUSY = "is being written by another channelgraph run"


def _env(pause: str | None = None, flags: Path | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("CHANNELGRAPH_DEBUG", None)
    env.pop(TEST_PAUSE_ENV, None)
    env["COLUMNS"] = "200"
    if pause:
        env[TEST_PAUSE_ENV] = f"{flags}:{pause}"
    return env


def _start(*args, pause: str | None = None, flags: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "channelgraph", *map(str, args)],
        cwd=ROOT,
        env=_env(pause, flags),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def _wait_for_flags(flags: Path, point: str, proc: subprocess.Popen, timeout: float = 120) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(flags.glob(f"{point}-*"))
        if found:
            return found
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended (exit {proc.returncode}) before pausing at {point}:\n{out}{err}")
        time.sleep(0.05)
    pytest.fail(f"no pause at {point} within {timeout} s")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _beside(out: Path) -> list[str]:
    """What channelgraph keeps beside OUT besides its lock and record: staging or aside folders."""
    return sorted(
        p.name
        for p in out.parent.iterdir()
        if p.name.startswith(f".{out.name}.") and not p.name.endswith((".lock", ".json"))
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """The files of an undisturbed ``analyze --lang en`` of the sample."""
    out = tmp_path_factory.mktemp("reference") / "out"
    r = run_cli("analyze", SAMPLE, "--out", out, "--lang", "en", cwd=ROOT)
    assert r.code == 0, str(r)
    return _tree(out)


@pytest.fixture(scope="module")
def reference_zh(tmp_path_factory) -> dict[str, bytes]:
    """The files of an undisturbed ``analyze --lang zh`` of the sample."""
    out = tmp_path_factory.mktemp("reference_zh") / "out"
    r = run_cli("analyze", SAMPLE, "--out", out, "--lang", "zh", cwd=ROOT)
    assert r.code == 0, str(r)
    return _tree(out)


@pytest.fixture
def previous(tmp_path) -> tuple[Path, dict[str, bytes]]:
    """An OUT holding a previous run's outputs (in Chinese, so that they differ from the English run's)."""
    out = tmp_path / "out"
    r = run_cli("analyze", SAMPLE, "--out", out, "--lang", "zh", cwd=ROOT)
    assert r.code == 0, str(r)
    return out, _tree(out)


# ----------------------------------------------------------------------------- exclusive


def test_a_second_run_on_a_busy_out_is_refused_and_the_first_finishes_whole(tmp_path, reference):
    out, flags = tmp_path / "out", tmp_path / "flags"
    flags.mkdir()
    first = _start("analyze", SAMPLE, "--out", out, "--lang", "en", pause="swap", flags=flags)
    try:
        (flag,) = _wait_for_flags(flags, "swap", first)
        second = run_cli("analyze", SAMPLE, "--out", out, "--lang", "en", cwd=ROOT)
        assert second.code == 3 and BUSY in second.stderr and f"process {first.pid}" in second.stderr, str(second)
        assert len(second.stderr.strip().splitlines()) == 1 and "Traceback" not in second.output
        assert "✓" not in second.output
        flag.unlink()
        _, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, stderr
    assert _tree(out) == reference
    assert _beside(out) == []


def test_two_runs_started_together_never_mix(tmp_path, reference, reference_zh):
    out = tmp_path / "out"
    runs = [_start("analyze", SAMPLE, "--out", out, "--lang", lang) for lang in ("en", "zh")]
    streams = [p.communicate(timeout=300) for p in runs]
    ended = [(p.returncode, o, e) for p, (o, e) in zip(runs, streams, strict=True)]
    assert any(code == 0 for code, _, _ in ended), ended
    for code, stdout, stderr in ended:
        assert code == 0 or (code == 3 and BUSY in stderr), (code, stdout, stderr)
        assert "Traceback" not in stderr
    assert reference != reference_zh  # so that files of both runs mixed would match neither
    assert _tree(out) in (reference, reference_zh)
    assert _beside(out) == []


# ----------------------------------------------------------------------------- atomic


def test_ctrl_c_before_the_swap_keeps_the_previous_outputs_byte_for_byte(tmp_path, previous):
    out, before = previous
    flags = tmp_path / "flags"
    flags.mkdir()
    run = _start("analyze", SAMPLE, "--out", out, "--lang", "en", "--timings", pause="swap", flags=flags)
    try:
        _wait_for_flags(flags, "swap", run)
        assert _beside(out), "the run stages its outputs beside OUT"
        run.send_signal(signal.SIGINT)
        stdout, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == f"✗ interrupted: {out} is unchanged (previous outputs kept)"
    assert "Traceback" not in stderr and "✓ analysed" not in stdout
    assert _tree(out) == before
    assert _beside(out) == []  # the staging folder is gone


def test_sigterm_before_the_swap_ends_the_run_as_ctrl_c_does(tmp_path, previous):
    out, before = previous
    flags = tmp_path / "flags"
    flags.mkdir()
    run = _start("risk", SAMPLE, "--out", out, pause="swap", flags=flags)
    try:
        _wait_for_flags(flags, "swap", run)
        run.terminate()
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == f"✗ terminated (SIGTERM): {out} is unchanged (previous outputs kept)"
    assert _tree(out) == before and _beside(out) == []


def test_sighup_before_the_swap_ends_the_run_as_sigterm_does(tmp_path, previous):
    out, before = previous
    flags = tmp_path / "flags"
    flags.mkdir()
    run = _start("risk", SAMPLE, "--out", out, pause="swap", flags=flags)
    try:
        _wait_for_flags(flags, "swap", run)
        run.send_signal(signal.SIGHUP)  # the terminal was closed
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == f"✗ terminated (SIGHUP): {out} is unchanged (previous outputs kept)"
    assert _tree(out) == before and _beside(out) == []


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_the_middle_of_the_swap_waits_and_says_the_new_outputs_are_in(tmp_path, previous, reference, how):
    out, _ = previous
    flags = tmp_path / "flags"
    flags.mkdir()
    run = _start("analyze", SAMPLE, "--out", out, "--lang", "en", pause="swapping", flags=flags)
    try:
        (flag,) = _wait_for_flags(flags, "swapping", run)  # exchanged, the record not yet written
        run.send_signal(how)
        time.sleep(0.5)  # the signal has arrived (and must wait) before the swap goes on
        flag.unlink()
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1].endswith(f": {out} holds this run's complete outputs"), stderr
    assert _tree(out) == reference and _beside(out) == []


def _signal_at(point: str, flags: Path, how: int) -> threading.Thread:
    """A thread that sends this process *how* once it pauses at *point*, then lets it go on."""

    def send() -> None:
        deadline = time.monotonic() + 30
        while not list(flags.glob(f"{point}-*")) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), how)
        time.sleep(0.3)  # the main thread has seen the signal, in the middle of the swap
        for flag in flags.glob(f"{point}-*"):
            flag.unlink()

    thread = threading.Thread(target=send)
    thread.start()
    return thread


@pytest.mark.parametrize("exchange", [True, False])
def test_ctrl_c_between_the_renames_of_the_swap_waits_for_the_swap(tmp_path, monkeypatch, exchange):
    from channelgraph.io import outdir

    out, flags = tmp_path / "out", tmp_path / "flags"
    flags.mkdir()
    _stage_files(out, {"a.csv": "1"})
    if not exchange:
        monkeypatch.setattr(outdir, "_exchange", lambda a, b: False)  # the two renames
    monkeypatch.setenv(TEST_PAUSE_ENV, f"{flags}:swapping")
    sender = _signal_at("swapping", flags, signal.SIGINT)  # another thread alive, as in a real run
    try:
        with pytest.raises(KeyboardInterrupt), outdir.staged_output(out, command="test") as stage:
            (stage.path / "b.csv").write_text("2", encoding="utf-8")
    finally:
        sender.join()
    assert stage.committed and stage.kept() == f"{out} holds this run's complete outputs"
    assert _tree(out) == {"b.csv": b"2"} and _beside(out) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_on_a_first_run_leaves_no_folder(tmp_path):
    out, flags = tmp_path / "new", tmp_path / "flags"
    flags.mkdir()
    run = _start("risk", SAMPLE, "--out", out, pause="swap", flags=flags)
    try:
        _wait_for_flags(flags, "swap", run)
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 130 and f"✗ interrupted: nothing was written to {out}" in stderr, stderr
    assert not out.exists() and _beside(out) == []


def test_kill_9_before_the_swap_keeps_the_previous_outputs_and_the_next_run_tidies(tmp_path, previous, reference):
    out, before = previous
    flags = tmp_path / "flags"
    flags.mkdir()
    run = _start("analyze", SAMPLE, "--out", out, "--lang", "en", pause="swap", flags=flags)
    try:
        _wait_for_flags(flags, "swap", run)
        run.kill()
        run.wait(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert _tree(out) == before
    assert len(_beside(out)) == 1  # the killed run's staging folder, complete but never swapped in
    r = run_cli("analyze", SAMPLE, "--out", out, "--lang", "en", cwd=ROOT)  # the lock died with the process
    assert r.code == 0, str(r)
    assert _tree(out) == reference and _beside(out) == []


# ----------------------------------------------------------------------------- generate


def test_generate_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path):
    data = tmp_path / "bank"
    r = run_cli("generate", data, "--customers", "40", "--seed", "1", "--quiet", cwd=ROOT)
    assert r.code == 0, str(r)
    first = _tree(data)
    assert sorted(first) == ["entities.csv", "exposures.csv", "policy.toml", "relations.csv", "schemes.csv"]
    r = run_cli("generate", data, "--customers", "40", "--seed", "2", "--quiet", cwd=ROOT)
    assert r.code == 2 and "is not empty" in r.stderr and "--force" in r.stderr, str(r)
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert _tree(data) == first
    r = run_cli("generate", data, "--customers", "40", "--seed", "2", "--quiet", "--force", cwd=ROOT)
    assert r.code == 0, str(r)
    second = _tree(data)
    assert sorted(second) == sorted(first) and second != first


def test_generate_force_replaces_a_folder_someone_made_of_dataset_files_only(tmp_path):
    data = tmp_path / "bank"
    data.mkdir()
    (data / "entities.csv").write_text("id,kind\n", encoding="utf-8")  # an older export, say
    r = run_cli("generate", data, "--customers", "20", "--quiet", "--force", cwd=ROOT)
    assert r.code == 0, str(r)
    assert (data / "entities.csv").stat().st_size > 100


def test_generate_force_never_deletes_other_files(tmp_path):
    data = tmp_path / "bank"
    data.mkdir()
    (data / "entities.csv").write_text("id,kind\n", encoding="utf-8")
    (data / "notes.txt").write_text("mine", encoding="utf-8")
    r = run_cli("generate", data, "--customers", "20", "--quiet", "--force", cwd=ROOT)
    assert r.code == 3 and "notes.txt" in r.stderr and "no record says channelgraph wrote them" in r.stderr, str(r)
    assert (data / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (data / "entities.csv").read_text(encoding="utf-8") == "id,kind\n"


def test_generate_into_an_empty_folder_needs_no_force(tmp_path):
    data = tmp_path / "empty"
    data.mkdir()
    r = run_cli("generate", data, "--customers", "20", "--quiet", cwd=ROOT)
    assert r.code == 0, str(r)
    assert (data / "entities.csv").exists()


# ----------------------------------------------------------------------------- what is not ours


def test_files_a_user_put_in_out_are_never_deleted(tmp_path, previous):
    out, before = previous
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    r = run_cli("analyze", SAMPLE, "--out", out, "--lang", "en", cwd=ROOT)
    assert r.code == 3 and "notes.txt" in r.stderr and "does not list" in r.stderr, str(r)
    assert len(r.stderr.strip().splitlines()) == 1
    assert _tree(out) == {**before, "notes.txt": b"mine"}


def test_a_run_into_an_out_another_run_wrote_replaces_it(tmp_path, previous):
    out, _ = previous
    r = run_cli("risk", SAMPLE, "--out", out, cwd=ROOT)
    assert r.code == 0, str(r)
    assert not (out / "hubs.csv").exists() and (out / "risk_groups.csv").exists()


def test_viz_adds_pages_to_a_folder_and_keeps_the_others(tmp_path):
    views = tmp_path / "views"
    views.mkdir()
    (views / "mine.html").write_text("mine", encoding="utf-8")
    for kind in ("overview", "group"):
        r = run_cli("viz", SAMPLE, "--view", kind, "--out", views, cwd=ROOT)
        assert r.code == 0, str(r)
    assert sorted(p.name for p in views.iterdir()) == ["group-top.html", "mine.html", "overview.html"]
    assert f"→ {views}/overview.html" in run_cli("viz", SAMPLE, "--out", views, cwd=ROOT).stdout


def test_pages_viz_wrote_into_an_output_folder_are_refused_not_deleted(tmp_path):
    out = tmp_path / "a1"
    assert run_cli("risk", SAMPLE, "--out", out, cwd=ROOT).code == 0
    for views in (out / "views" / "mine", out):  # inside the folder, and the folder itself
        r = run_cli("viz", SAMPLE, "--view", "ego", "--id", "P000001", "--out", views, cwd=ROOT)
        assert r.code == 0, str(r)
    deeper = out / "newsub" / "deeper"  # folders viz made on the way
    assert run_cli("viz", SAMPLE, "--view", "ego", "--id", "P000001", "--out", deeper, cwd=ROOT).code == 0
    r = run_cli("analyze", SAMPLE, "--out", out, cwd=ROOT)  # the pages are the user's: refused, not deleted
    assert r.code == 3 and "holds pages written by `viz` (ego-P000001.html …)" in r.stderr, str(r)
    assert "move them out or choose another --out" in r.stderr and len(r.stderr.strip().splitlines()) == 1, str(r)
    pages = ["ego-P000001.html", "newsub/deeper/ego-P000001.html", "views/mine/ego-P000001.html"]
    assert all((out / page).is_file() for page in pages)
    for i, page in enumerate(pages):
        (out / page).rename(tmp_path / f"{i}.html")  # moved out: the run goes on
    r = run_cli("analyze", SAMPLE, "--out", out, cwd=ROOT)
    assert r.code == 0, str(r)
    assert (out / "report.html").exists() and not (out / "views" / "mine").exists()
    assert not (out / "newsub").exists() and not (out / "ego-P000001.html").exists()


def test_viz_into_an_output_folder_being_replaced_is_refused(tmp_path, previous):
    out, before = previous
    flags = tmp_path / "flags"
    flags.mkdir()
    run = _start("risk", SAMPLE, "--out", out, pause="swap", flags=flags)
    try:
        (flag,) = _wait_for_flags(flags, "swap", run)
        r = run_cli("viz", SAMPLE, "--out", out / "views", cwd=ROOT)  # the page would go with the old outputs
        assert r.code == 3 and BUSY in r.stderr and len(r.stderr.strip().splitlines()) == 1, str(r)
        assert _tree(out) == before
        flag.unlink()
        _, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, stderr


def test_an_unrecorded_folder_counts_once_in_the_refusal(tmp_path):
    from channelgraph.io.outdir import OutputError

    out = tmp_path / "out"
    for name in ("data/entities.csv", "data/relations.csv", "data/deep/x.csv", "notes.txt"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=f"{out} holds data and 1 more, and no record"):
        _stage_files(out, {"a.csv": "1"})
    assert (out / "data" / "deep" / "x.csv").exists()


def test_a_folder_a_killed_viz_left_inside_out_is_removed_and_a_live_ones_is_busy(tmp_path):
    from channelgraph.io.outdir import OutputBusy

    out = tmp_path / "out"
    _stage_files(out, {"views/v.html": "v"})
    dead = subprocess.Popen(["true"])  # a pid that has ended
    dead.wait()
    left = out / "views" / f".channelgraph-{dead.pid}-abcd"
    left.mkdir()
    (left / "ego-P1.html").write_text("half", encoding="utf-8")
    _stage_files(out, {"views/w.html": "w"})  # the killed viz's folder is no file of the user's
    assert _tree(out) == {"views/w.html": b"w"} and _beside(out) == []
    live = out / "views" / f".channelgraph-{os.getpid()}-efgh"
    live.mkdir()
    with pytest.raises(
        OutputBusy,
        match=f"{out} is being written by another channelgraph run "
        rf"\(process {os.getpid()}\)",
    ):
        _stage_files(out, {"x.csv": "x"})
    assert live.is_dir() and (out / "views" / "w.html").exists()


def test_a_refused_first_run_leaves_no_lock_nor_folders_it_made(tmp_path):
    from channelgraph.io.outdir import staged_output

    out = tmp_path / "np_demo" / "deeper" / "x"
    with pytest.raises(ValueError), staged_output(out, command="test"):
        raise ValueError("bad data")
    assert list(tmp_path.iterdir()) == []
    r = run_cli("demo", "--data", tmp_path / "missing", "--out", tmp_path / "np_demo" / "x", cwd=ROOT)
    assert r.code != 0 and list(tmp_path.iterdir()) == [], str(r)
    out.parent.mkdir(parents=True)  # a folder that was there stays; the lock goes
    with pytest.raises(ValueError), staged_output(out, command="test"):
        raise ValueError("bad data")
    assert list(out.parent.iterdir()) == []


# ----------------------------------------------------------------------------- the swap, in process


def _stage_files(out: Path, files: dict[str, str], **kwargs) -> None:
    from channelgraph.io.outdir import staged_output

    with staged_output(out, command="test", **kwargs) as stage:
        for name, text in files.items():
            (stage.path / name).parent.mkdir(parents=True, exist_ok=True)
            (stage.path / name).write_text(text, encoding="utf-8")


def test_the_swap_without_an_exchange_falls_back_to_two_renames(tmp_path, monkeypatch):
    from channelgraph.io import outdir

    out = tmp_path / "out"
    _stage_files(out, {"a.csv": "1", "views/v.html": "v"})
    monkeypatch.setattr(outdir, "_exchange", lambda a, b: False)  # a file system without RENAME_EXCHANGE
    _stage_files(out, {"b.csv": "2"})
    assert _tree(out) == {"b.csv": b"2"} and _beside(out) == []


def test_a_swap_killed_between_its_two_renames_is_put_back_by_the_next_run(tmp_path):
    from channelgraph.io.outdir import staged_output

    out = tmp_path / "out"
    _stage_files(out, {"a.csv": "1"})
    out.rename(tmp_path / ".out.old-123-abcd")  # killed after the first rename …
    (tmp_path / ".out.staging-123-efgh").mkdir()  # … with its staging folder left
    with pytest.raises(KeyboardInterrupt), staged_output(out, command="test"):
        raise KeyboardInterrupt  # the next run is interrupted: it has put the outputs back first
    assert _tree(out) == {"a.csv": b"1"} and _beside(out) == []
    _stage_files(out, {"b.csv": "2"})
    assert _tree(out) == {"b.csv": b"2"} and _beside(out) == []


def test_a_mount_point_is_refused_with_a_folder_inside_it_to_use(tmp_path, monkeypatch):
    from channelgraph.io.outdir import OutputError

    out = tmp_path / "volume"
    out.mkdir()
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == out or real(p))  # e.g. docker run -v …:/out
    with pytest.raises(OutputError, match=f"is a mount point.*give a folder inside it, e.g. {out}/run"):
        _stage_files(out, {"a.csv": "1"})
    assert list(out.iterdir()) == []


def test_a_run_inside_a_run_on_the_same_out_is_refused(tmp_path):
    from channelgraph.io.outdir import OutputBusy, staged_output

    out = tmp_path / "out"
    with staged_output(out, command="test") as stage:
        (stage.path / "a.csv").write_text("1", encoding="utf-8")
        with pytest.raises(OutputBusy, match="being written by another channelgraph run"):
            _stage_files(out, {"b.csv": "2"})  # flock: a second open file description is refused too
    assert _tree(out) == {"a.csv": b"1"}


def test_two_viz_runs_writing_the_same_page_both_write_it_whole(tmp_path):
    pages = []
    for lang in ("en", "zh"):
        one = tmp_path / lang
        r = run_cli("viz", SAMPLE, "--view", "group", "--lang", lang, "--out", one, cwd=ROOT)
        assert r.code == 0, str(r)
        pages.append(_tree(one))
    assert pages[0] != pages[1]  # so that a page of both runs mixed would match neither
    views = tmp_path / "views"
    runs = [_start("viz", SAMPLE, "--view", "group", "--lang", lang, "--out", views) for lang in ("en", "zh")]
    for p in runs:
        _, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
    assert _tree(views) in pages  # one page, whole, and no temporary name left


def test_a_signal_the_process_ignores_stays_ignored_through_the_swap(tmp_path):
    from channelgraph.io import outdir

    out = tmp_path / "out"
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with outdir.staged_output(out, command="test") as stage:
            (stage.path / "a.csv").write_text("1", encoding="utf-8")
        with outdir._signals_held():
            os.kill(os.getpid(), signal.SIGHUP)  # the terminal closes during a swap: nothing happens
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)
    assert _tree(out) == {"a.csv": b"1"}

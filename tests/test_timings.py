"""`analyze --timings`: every stage is timed and written to timings.json (no time is asserted)."""

import json

from click.testing import CliRunner

from channelgraph.cli import main
from channelgraph.timing import Stopwatch, stage_of


def test_analyze_timings(tmp_path, tiny):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["analyze", str(tiny), "--out", str(out), "--timings"])
    assert r.exit_code == 0, r.output
    t = json.loads((out / "timings.json").read_text(encoding="utf-8"))
    names = [s["stage"] for s in t["stages"]]
    for stage in ("read+validate", "risk", "marketing", "caps", "tables", "views", "report"):
        assert stage in names
    assert names.index("read+validate") < names.index("risk") < names.index("report")
    assert names.index("risk") < names.index("tables")  # summary.json is written at the end
    for s in t["stages"]:
        assert s["wall_s"] >= 0 and s["cpu_s"] >= 0 and s["thread_cpu_s"] >= 0 and s["peak_rss_bytes"] > 0
    peaks = [s["peak_rss_bytes"] for s in t["stages"]]
    assert peaks == sorted(peaks)  # a peak so far never goes down
    assert t["total"]["peak_rss_bytes"] >= peaks[-1]


def test_no_timings_file_without_the_flag(tmp_path, tiny):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["analyze", str(tiny), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert not (out / "timings.json").exists()


def test_stage_of_none_does_nothing():
    with stage_of(None)("x"):
        pass
    sw = Stopwatch()
    with stage_of(sw)("x"):
        pass
    assert [s["stage"] for s in sw.stages] == ["x"]


def test_a_stage_timed_twice_adds_up_where_it_last_ended():
    import time

    sw = Stopwatch()
    for name, secs in (("a", 0.05), ("b", 0.0), ("a", 0.05)):
        with sw.stage(name):
            time.sleep(secs)
    assert [s["stage"] for s in sw.stages] == ["b", "a"]
    assert sw.stages[1]["wall_s"] >= 0.1

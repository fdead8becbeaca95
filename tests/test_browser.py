"""The views and the report in a real browser: headless Chromium, offline, over CDP.

Chromium (Debian's package, installed by ``scripts/install-browser``) is driven over
the Chrome DevTools Protocol through ``--remote-debugging-pipe`` (NUL-separated JSON
on file descriptors 3 and 4: no websocket client needed). The network is made
unreachable three ways — every host name resolves to nothing, every request would
go through a dead proxy on 127.0.0.1:9, and the page's network is emulated offline —
and every request the page *tries* is recorded (``Network.requestWillBeSent`` fires
even for requests that are then blocked). Each page must:

* load from ``file://`` and draw the graph canvas (non-blank pixels);
* log no console error, no exception, no CSP violation;
* try no request other than its own file;
* show a hostile name as text (tooltip via a real mouse hover) and run nothing.

Screenshots go to ``tests/artifacts/`` (git-ignored). Without Chromium these tests
FAIL (they do not skip): the test command installs it.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from channelgraph.graph import build_book
from channelgraph.analyses import run_analyses
from channelgraph.io import load_dataset

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
SAMPLE = ROOT / "data" / "sample"

pytestmark = pytest.mark.browser


def chromium_path() -> str:
    path = os.environ.get("CHANNELGRAPH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("chromium is not installed: run scripts/install-browser (Debian's chromium + fonts-noto-cjk)")
    return path


# ----------------------------------------------------------------------------- CDP over a pipe


class CDPError(RuntimeError):
    pass


class Browser:
    """A headless Chromium driven over ``--remote-debugging-pipe``."""

    FLAGS = [
        "--headless=new",
        "--remote-debugging-pipe",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
        "--mute-audio",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--window-size=1400,900",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ]

    def __init__(self, binary: str | None = None):
        self.profile = tempfile.mkdtemp(prefix="cg-chromium-")
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def child_fds():  # the child reads commands on fd 3 and writes answers on fd 4
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.log_path = Path(self.profile) / "chromium.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary or chromium_path(), *self.FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            preexec_fn=child_fds,
            close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    # -- protocol
    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        return self._id

    def _read(self, timeout: float) -> dict | None:
        end = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._r], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise CDPError(f"chromium closed the pipe; log:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60):
        i = self.send(method, params, session)
        end = time.monotonic() + timeout
        while True:
            msg = self._read(max(0.0, end - time.monotonic()))
            if msg is None:
                raise CDPError(f"no answer to {method} within {timeout}s")
            if msg.get("id") == i:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def pump(self, seconds: float) -> None:
        """Collect events for *seconds*."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            msg = self._read(end - time.monotonic())
            if msg is not None and "method" in msg:
                self.events.append(msg)

    def new_page(self) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page.enable", "Network.enable", "Runtime.enable", "Log.enable"):
            self.call(domain, session=session)
        self.call(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
            session=session,
        )
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        return page

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Browser, session: str):
        self.b = browser
        self.session = session
        self.mark = 0

    def call(self, method: str, params: dict | None = None, timeout: float = 60):
        return self.b.call(method, params, self.session, timeout)

    def events(self, method: str | None = None) -> list[dict]:
        return [
            e
            for e in self.b.events[self.mark :]
            if e.get("sessionId") == self.session and (method is None or e["method"] == method)
        ]

    def open(self, path: Path, ready_timeout: float = 60) -> float:
        """Navigate to *path* (file://) and wait until the page says it drew; returns seconds taken."""
        self.mark = len(self.b.events)
        self.url = Path(path).resolve().as_uri()
        t0 = time.monotonic()
        self.call("Page.navigate", {"url": self.url})
        self.wait_for("document.readyState === 'complete'", ready_timeout)
        return time.monotonic() - t0

    def wait_for(self, expression: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.eval(expression):
                return
            self.b.pump(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {expression}")

    def eval(self, expression: str):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise CDPError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        params = {"format": "png"}
        if full_page:
            size = self.eval("({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})")
            params.update(
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": size["w"], "height": min(size["h"], 12000), "scale": 1},
            )
        data = self.call("Page.captureScreenshot", params)["data"]
        path = ARTIFACTS / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        return path

    def mouse_move(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    # -- what happened
    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events("Network.requestWillBeSent")]

    def foreign_requests(self) -> list[str]:
        """Requests other than the page's own file (data: URLs are not requests)."""
        return [u for u in self.requests() if u != self.url and not u.startswith("data:")]

    def errors(self) -> list[str]:
        out = []
        for e in self.events():
            p = e["params"]
            if e["method"] == "Runtime.exceptionThrown":
                out.append(
                    f"exception: {p['exceptionDetails'].get('text')} "
                    f"{p['exceptionDetails'].get('exception', {}).get('description', '')}"
                )
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                out.append("console.error: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(f"log: {p['entry']['text']}")
        return out


# ----------------------------------------------------------------------------- checks

CANVAS_PIXELS = """(() => {
  const c = document.querySelector('#graph canvas');
  if (!c) return null;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235)) ink++;
  }
  return {w: c.width, h: c.height, ink: ink};
})()"""


def assert_clean_page(page: Page, name: str, *, graph: bool = True) -> dict:
    """The page drew, tried no request, logged no error; a screenshot is kept."""
    info = {}
    if graph:
        page.wait_for("document.documentElement.getAttribute('data-cg-ready') === '1'", 60)
        info = page.eval(CANVAS_PIXELS)
        assert info is not None, "no graph canvas"
        assert info["w"] > 300 and info["h"] > 300, info
        assert info["ink"] > 500, f"the canvas is blank: {info}"
    page.b.pump(0.3)
    shot = page.screenshot(name, full_page=not graph)
    assert shot.stat().st_size > 5000
    assert page.foreign_requests() == [], page.foreign_requests()
    assert page.errors() == [], page.errors()
    assert page.eval("document.querySelectorAll('img, iframe, object, embed, link[rel=stylesheet]').length") == 0
    return info


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """data/sample analysed, with the main views and the report written."""
    from channelgraph.report import write_report
    from channelgraph.viz import write_views

    out = tmp_path_factory.mktemp("sample-run")
    ds = load_dataset(SAMPLE)
    book = build_book(ds)
    results = run_analyses(book)
    views = write_views(book, results, out, lang="zh")
    report = write_report(results, ds, out, "zh", views=views)
    return out, views, report


# ----------------------------------------------------------------------------- tests


def test_main_views_render_offline_without_errors(browser, sample_run):
    _, views, _ = sample_run
    pages = [v for v in views if v.suffix == ".html"]
    assert {p.stem for p in pages} >= {"overview", "channel-1", "group-1", "pattern-1", "ego-1"}
    page = browser.new_page()
    for path in pages:
        page.open(path)
        assert_clean_page(page, f"sample-{path.stem}")


def test_report_renders_offline_and_links_views(browser, sample_run):
    out, _, report = sample_run
    html = next(p for p in report if p.suffix == ".html")
    page = browser.new_page()
    page.open(html)
    assert_clean_page(page, "sample-report", graph=False)
    links = page.eval("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
    view_links = [h for h in links if h.startswith("views/")]
    assert "views/overview.html" in view_links
    for h in view_links:
        assert (out / h).exists(), h
    assert page.eval("document.body.innerText.length") > 500


def test_hostile_names_show_as_text_and_identifiers_are_masked(browser, tmp_path):
    from test_viz import HOSTILE_NAME, hostile_book

    from channelgraph.viz import ego_view, write_html

    book = hostile_book(tmp_path)
    path = write_html(ego_view(book, "E1", hops=2, lang="en"), tmp_path / "hostile.html")
    page = browser.new_page()
    page.open(path)
    assert_clean_page(page, "hostile-ego")
    # hover the hostile node: its tooltip is built from text, not markup
    pos = page.eval("""(() => {
      const ds = cgNetwork.body.data.nodes;
      const n = ds.get().find(n => n.label.indexOf('<img') >= 0);
      const p = cgNetwork.canvasToDOM(cgNetwork.getPositions([n.id])[n.id]);
      const r = document.querySelector('#graph canvas').getBoundingClientRect();
      return {x: p.x + r.left, y: p.y + r.top};
    })()""")
    page.mouse_move(pos["x"] - 30, pos["y"] - 30)
    page.mouse_move(pos["x"], pos["y"])
    page.wait_for(
        "(() => { const t = document.querySelector('div.vis-tooltip');"
        " return t && t.style.visibility === 'visible'; })()",
        10,
    )
    tip = page.eval("document.querySelector('div.vis-tooltip').textContent")
    assert HOSTILE_NAME in tip
    assert "138****5678" in tip and "330602********1234" in tip
    page.screenshot("hostile-ego-tooltip")
    # a click dims everything but the node's neighbourhood; Fit brings the whole view back
    page.click(pos["x"], pos["y"])
    page.wait_for("cgNetwork.body.data.nodes.get().some(n => n.opacity === 0.15)", 10)
    page.screenshot("hostile-ego-clicked")
    page.eval("document.getElementById('fit').click()")
    page.wait_for("cgNetwork.body.data.nodes.get().every(n => n.opacity === 1)", 10)
    # search by name
    page.eval("document.getElementById('q').value = '华丰'; document.getElementById('go').click()")
    assert page.eval("cgNetwork.getSelectedNodes().length") == 1
    page.eval("document.getElementById('q').value = 'no such name'; document.getElementById('go').click()")
    assert page.eval("document.getElementById('msg').textContent") == "not found"
    assert page.eval("typeof window.__xss") == "undefined"
    assert page.eval("document.querySelectorAll('img, [onerror], [onload]').length") == 0
    assert page.eval("document.scripts.length") == 3  # data, vis-network, the page's own
    body = page.eval("document.documentElement.outerHTML")
    assert "13812345678" not in body and "330602199001011234" not in body
    assert page.errors() == [] and page.foreign_requests() == []


def test_a_2000_node_overview_is_usable_within_seconds(browser, tmp_path):
    from channelgraph.generate import generate_dataset
    from channelgraph.viz import overview, write_html

    data = tmp_path / "bank"
    generate_dataset(data, customers=1500, seed=3)
    book = build_book(load_dataset(data))
    t0 = time.monotonic()
    view = overview(book, None, node_budget=2000, lang="en")
    path = write_html(view, tmp_path / "overview-2000.html")
    build = time.monotonic() - t0
    assert len(view.nodes) == 2000 and view.stats["left_out_nodes"] == book.n - 2000
    page = browser.new_page()
    t1 = time.monotonic()
    page.open(path)
    page.wait_for("document.documentElement.getAttribute('data-cg-ready') === '1'", 60)
    draw = time.monotonic() - t1
    assert_clean_page(page, "overview-2000")
    text = page.eval("document.body.innerText")
    assert "left out" in text
    assert build < 30 and draw < 15, (build, draw)  # seconds, on a loaded 2-core CI machine

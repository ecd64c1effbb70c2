"""Benchmark plumbing: one build served on two loopback origins with byte counting, the real
tracker, Chromium processes with their own profiles, and the in-page timing scripts.

The app is served on one origin and the baselines (tests/bench/pages, copied to `bench/` in a
copy of the build) on another, so the two never share a service worker, storage or cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import BrowserContext, CDPSession, Page, Playwright  # noqa: E402

import build  # noqa: E402
from tests.e2e.conftest import chromium_args, heap_nodes  # noqa: E402

PAGES = Path(__file__).resolve().parent / "pages"
# How pages/pyodide.html imports Pyodide, and how its copy on the app's runtime files does.
STOCK_IMPORT = '"./pyodide/pyodide.mjs"'
APP_IMPORT = '"../vendor/pyodide/pyodide.mjs"'
PREFIX = "/seedvox/"
BOOT_TIMEOUT_MS = 60_000
FETCH_TIMEOUT_MS = 120_000


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- serving with a byte count


class Ledger:
    """Every response a server wrote: (path, status, bytes on the wire incl. headers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rows: list[tuple[str, int, int]] = []

    def add(self, path: str, status: int, size: int) -> None:
        with self._lock:
            self.rows.append((path, status, size))

    def mark(self) -> int:
        with self._lock:
            return len(self.rows)

    def since(self, mark: int) -> list[tuple[str, int, int]]:
        with self._lock:
            return list(self.rows[mark:])

    def settle(self, quiet_s: float = 1.0, limit_s: float = 60.0) -> None:
        """Wait until no response has been written for `quiet_s` seconds."""
        deadline = time.monotonic() + limit_s
        last = (self.mark(), time.monotonic())
        while time.monotonic() < deadline:
            time.sleep(0.1)
            count = self.mark()
            if count != last[0]:
                last = (count, time.monotonic())
            elif time.monotonic() - last[1] >= quiet_s:
                return


class _CountingWriter:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return self.inner.write(data)

    def flush(self) -> None:
        self.inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class CountingHandler(build.StaticHandler):
    """build.py's static handler (same MIME types, same Cache-Control) that counts bytes."""

    ledger: Ledger

    def setup(self) -> None:
        super().setup()
        self.wfile = _CountingWriter(self.wfile)

    def handle_one_request(self) -> None:
        self.wfile.count = 0
        self._status = 0
        super().handle_one_request()
        if self.wfile.count:
            self.ledger.add(getattr(self, "path", "?"), self._status, self.wfile.count)

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)


@dataclass
class Origin:
    url: str  # ends with PREFIX
    ledger: Ledger
    server: http.server.ThreadingHTTPServer

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(root: Path) -> Origin:
    ledger = Ledger()
    handler = type(
        "Handler",
        (CountingHandler,),
        {"prefix": PREFIX, "extensions_map": build.StaticHandler.extensions_map, "ledger": ledger},
    )
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(handler, directory=str(root))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Origin(f"http://127.0.0.1:{server.server_address[1]}{PREFIX}", ledger, server)


# ---------------------------------------------------------------- the tracker and the site


@contextlib.contextmanager
def tracker() -> Iterator[str]:
    """The real bittorrent-tracker (WebSocket only) on 127.0.0.1, as the e2e tests start it."""
    port = free_port()
    process = build.start_tracker(port)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def prepare_site(work: Path, tracker_url: str, dist: Path | None) -> Path:
    """A copy of the build pointed at the bench tracker with no ICE servers, plus bench/."""
    site = work / "site"
    if dist is None:
        build.build(site, trackers=[tracker_url], ice=[])
    else:
        shutil.copytree(dist, site)
        config_path = site / "config.json"
        config = json.loads(config_path.read_text())
        config.update(trackers=[tracker_url], iceServers=[])
        config_path.write_text(json.dumps(config, indent=2))
    bench = site / "bench"
    shutil.copytree(PAGES, bench)
    # The boot baseline: Pyodide's runtime files as npm ships them (the app's own differ: a
    # trimmed lockfile, compiled stdlib modules), compressed for the server as the build's are.
    stock = build.fetch_npm(build.PYODIDE)
    (bench / "pyodide").mkdir()
    for name in build.PYODIDE_FILES:
        shutil.copy2(stock / name, bench / "pyodide" / name)
    build.precompress(bench / "pyodide")
    # The same page on the app's runtime files, to show what the app costs over those.
    page = (bench / "pyodide.html").read_text()
    assert STOCK_IMPORT in page
    (bench / "pyodide-app-runtime.html").write_text(page.replace(STOCK_IMPORT, APP_IMPORT))
    return site


# ---------------------------------------------------------------- browsers

# Installed in every page before its own scripts: records performance.now() (ms from navigation
# start) when the page becomes interactive. For the app: <html data-state="ready">, which the
# app sets after the first route has rendered and Record is enabled, and Record enabled; for
# the baselines: data-state="ready" once Python ran / the module loaded.
TIMING_SCRIPT = """(() => {
  const mark = { interactive: null, items: null, failed: null };
  Object.defineProperty(window, "__bench", { value: mark });
  const check = () => {
    if (mark.interactive !== null) return;
    const root = document.documentElement;
    if (root.dataset.state === "failed") mark.failed = performance.now();
    if (root.dataset.state !== "ready") return;
    const record = document.getElementById("record");
    const library = document.getElementById("view-library");
    if (record && record.disabled) return;
    mark.interactive = performance.now();
    mark.items = document.querySelectorAll("#memos > li").length;
    mark.libraryShown = library ? !library.hidden : null;
    observer.disconnect();
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true });
})();"""


@dataclass
class Device:
    """One Chromium process with its own profile (a separate 'device')."""

    name: str
    context: BrowserContext
    profile: Path
    errors: list[str] = field(default_factory=list)
    _cdp: dict[int, CDPSession] = field(default_factory=dict)

    @property
    def page(self) -> Page:
        return self.context.pages[0] if self.context.pages else self.context.new_page()

    def new_page(self) -> Page:
        return self.context.new_page()

    def cdp(self, page: Page) -> CDPSession:
        key = id(page)
        if key not in self._cdp:
            self._cdp[key] = self.context.new_cdp_session(page)
        return self._cdp[key]

    def heap(self, page: Page) -> dict[str, float]:
        """V8 heap of the page after a full GC (Runtime.getHeapUsage), in bytes."""
        session = self.cdp(page)
        for _ in range(2):
            session.send("HeapProfiler.collectGarbage")
        usage = session.send("Runtime.getHeapUsage")
        return {key: float(value) for key, value in usage.items()}

    def heap_by_kind(self, page: Page) -> dict[str, float]:
        """A heap snapshot summed by node type ('object', 'closure', 'native', 'code', ...), in
        bytes, plus 'detached': how many DOM nodes are detached from the document.

        What the page's scripts hold is apart from compiled code (V8 and the wasm tiers keep
        optimising hot functions for many rounds) and from the browser's own bounded buffers
        ('native': history entries, performance entries, DevTools' network records), which
        grow for a while whatever the page does."""
        sizes: dict[str, float] = {"detached": 0.0}
        for node in heap_nodes(self.cdp(page)):
            sizes[node["type"]] = sizes.get(node["type"], 0.0) + node["self_size"]
            if node.get("detachedness") == 2:
                sizes["detached"] += 1
        return sizes

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


class Browsers:
    """Launches Chromium processes, each with a fresh profile under one temporary folder."""

    def __init__(self, playwright: Playwright, work: Path) -> None:
        self.playwright = playwright
        self.work = work
        self.count = 0
        self.executable = shutil.which("chromium")
        if not self.executable:
            raise SystemExit("Debian's chromium is needed: apt-get install chromium")

    def launch(self, name: str, *, service_workers: bool = True) -> Device:
        self.count += 1
        profile = self.work / f"profile-{self.count:03d}-{name}"
        context = self.playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=self.executable,
            headless=True,
            args=chromium_args(None),
            service_workers="allow" if service_workers else "block",
        )
        context.add_init_script(TIMING_SCRIPT)
        context.set_default_timeout(BOOT_TIMEOUT_MS)
        device = Device(name, context, profile)
        context.on("weberror", lambda error: device.errors.append(str(error.error)))
        return device


def goto_interactive(page: Page, url: str) -> dict[str, Any]:
    """Navigate (a full load) and return the page's timing mark once it is interactive.

    From about:blank, so that a URL differing only in its #fragment is a new document too."""
    if page.url != "about:blank":
        page.goto("about:blank")
    page.goto(url, wait_until="commit")
    page.wait_for_function(
        "window.__bench && (window.__bench.interactive !== null || window.__bench.failed)",
        timeout=BOOT_TIMEOUT_MS,
        polling=50,
    )
    mark = page.evaluate("({...window.__bench})")
    if mark.get("interactive") is None:
        raise RuntimeError(f"{url} failed to boot: {mark}")
    return mark


def wait_sw_ready(page: Page, ledger: Ledger) -> None:
    """Wait until a service worker controls the page and its precache traffic has ended."""
    page.wait_for_function(
        "navigator.serviceWorker.controller !== null", timeout=BOOT_TIMEOUT_MS, polling=100
    )
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    ledger.settle(quiet_s=1.0)


# ---------------------------------------------------------------- setup in the app's database

# Setup only (never a measured step): writes memos straight into the app's IndexedDB, as
# tests/e2e/test_scale.py does. Audio is pseudo-random bytes behind a WebM magic number, so
# every memo has distinct bytes (and so a distinct infohash when shared).
POPULATE = """async ({ memos }) => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("seedvox");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const rows = memos.map(({ id, title, size, created }) => {
    const bytes = new Uint8Array(size);
    for (let at = 0; at < size; at += 65536) {
      crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
    }
    bytes.set([0x1a, 0x45, 0xdf, 0xa3]);
    new TextEncoder().encodeInto(` ${id} `, bytes.subarray(4));
    const audio = new Blob([bytes], { type: "audio/webm" });
    return { memo: { id, title, created, duration: 1.5, mime: "audio/webm", size,
                     description: "", recovered: false }, audio };
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction(["memos", "audio"], "readwrite");
    for (const { memo, audio } of rows) {
      tx.objectStore("memos").put(memo);
      tx.objectStore("audio").put({ id: memo.id, blob: audio });
    }
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  return rows.length;
}"""


def memo_rows(prefix: str, count: int, size: int, start: int = 0) -> list[dict[str, Any]]:
    """Memo records titled `{prefix} {i}` with hex ids (as the app's); later ones are newer."""
    base = 1_795_000_000_000
    return [
        {
            "id": hashlib.sha256(f"{prefix}-{i}".encode()).hexdigest()[:16],
            "title": f"{prefix} {i}",
            "size": size,
            "created": base + (start + i) * 60_000,
        }
        for i in range(count)
    ]


def populate(page: Page, rows: list[dict[str, Any]], batch: int = 100) -> None:
    """Write memos to the app's database in batches (large audio in small batches)."""
    per_batch = max(1, min(batch, (64 << 20) // max(1, rows[0]["size"]))) if rows else batch
    for at in range(0, len(rows), per_batch):
        page.evaluate(POPULATE, {"memos": rows[at : at + per_batch]})


# ---------------------------------------------------------------- driving the app

# Press Share in the open memo view; resolves with ms from the click to the link field shown
# (a MutationObserver installed before the click, so no polling delay).
SHARE_TIMED = """async () => {
  const button = [...document.querySelectorAll("#view-memo button")]
    .find((b) => b.textContent.trim() === "Share");
  if (!button) throw new Error("no Share button");
  const visible = () => {
    const field = document.getElementById("share-link");
    return field && field.checkVisibility() && field.value ? field.value : null;
  };
  return new Promise((resolve) => {
    let started;
    const observer = new MutationObserver(() => {
      const link = visible();
      if (link) { observer.disconnect(); resolve({ ms: performance.now() - started, link }); }
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    started = performance.now();
    button.click();
  });
}"""

# The timed snippets below watch as little as they can: a MutationObserver's own work lands on
# the page's main thread, inside the time measured. Reading innerText or checkVisibility() in
# its callback forces a layout at every progress update, and a childList observer over the
# list costs ~15 ms for 1,000 added nodes (measured) that no user pays. So they read
# textContent and `hidden` only, and watch the views' sections, not the whole body.

# Open a share link in the running app (same document: the route is in the #fragment) and
# resolve with ms until the received memo's view shows its title as heading, plus the moments
# the fetch view's text changed (where the time went: connecting, downloading, saving).
RECEIVE_TIMED = """async ({ hash, title }) => {
  const fetchView = document.getElementById("view-fetch");
  const memoView = document.getElementById("view-memo");
  // The router shows a view's section once the view has rendered.
  const shown = () => !memoView.hidden && memoView.querySelector("h1")?.textContent === title;
  const phases = [];
  let last = "";
  return new Promise((resolve) => {
    let started;
    const observer = new MutationObserver(() => {
      const now = performance.now() - started;
      const text = fetchView.hidden ? "" : fetchView.textContent.replace(/\\s+/g, " ").trim();
      if (text !== last) { last = text; phases.push([Math.round(now), text.slice(0, 50)]); }
      if (shown()) { observer.disconnect(); resolve({ ms: now, phases }); }
    });
    for (const view of [fetchView, memoView]) {
      observer.observe(view, { subtree: true, childList: true, attributes: true,
                               characterData: true });
    }
    started = performance.now();
    location.hash = hash;
  });
}"""

# Route to the library and resolve with ms until `count` list items are in the DOM and the
# section is shown, and ms until the frame after that has been produced (style, layout and
# paint included). Only the section's `hidden` is watched (see above); should the list still be
# filling when it shows, frames are polled until it is full.
LIST_TIMED = """async ({ count }) => {
  const list = document.getElementById("memos");
  const section = document.getElementById("view-library");
  const done = () => list.children.length >= count && !section.hidden;
  return new Promise((resolve) => {
    let started;
    const finish = () => {
      const dom = performance.now() - started;
      requestAnimationFrame(() => setTimeout(() => {
        resolve({ dom, frame: performance.now() - started, items: list.children.length });
      }, 0));
    };
    const poll = () => (done() ? finish() : requestAnimationFrame(poll));
    const observer = new MutationObserver(() => {
      if (section.hidden) return;
      observer.disconnect();
      poll();
    });
    observer.observe(section, { attributes: true, attributeFilter: ["hidden"] });
    started = performance.now();
    location.hash = "#/";
  });
}"""


# Press Record and take the ms until the Stop button shows (the recorder has started), then
# press Stop at once (a recording that short is dropped: the library stays as it was); again
# and again for `forMs`. Resolves with every time taken.
RECORD_TIMED = """async ({ forMs }) => {
  const record = document.getElementById("record");
  const stop = document.getElementById("stop");
  const press = () => new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (stop.hidden) return;
      observer.disconnect();
      resolve(performance.now() - t0);
    });
    observer.observe(stop, { attributes: true, attributeFilter: ["hidden"] });
    const t0 = performance.now();
    record.click();
  });
  const ready = () => new Promise((resolve) => {
    const poll = () => (record.hidden || record.disabled ? setTimeout(poll, 20) : resolve());
    poll();
  });
  const times = [];
  const end = performance.now() + forMs;
  while (performance.now() < end) {
    times.push(await press());
    stop.click();
    await ready();
  }
  return times;
}"""


def open_memo(page: Page, memo_id: str, title: str) -> None:
    page.evaluate("(h) => { location.hash = h; }", f"#/memo/{memo_id}")
    page.get_by_role("heading", level=1, name=title, exact=True).wait_for()


def share_memo(page: Page, memo_id: str, title: str) -> dict[str, Any]:
    """Open a memo and press Share; returns {ms, link}."""
    open_memo(page, memo_id, title)
    page.get_by_role("button", name="Share", exact=True).wait_for()
    result = page.evaluate(SHARE_TIMED)
    page.get_by_label("Share link").wait_for()
    return result


def receive(page: Page, link: str, title: str, phases: list | None = None) -> float:
    """Open a share link in the running app; ms until the memo's view shows. The fetch view's
    text changes ([ms, text]) are appended to `phases` when given."""
    hash_ = "#" + link.split("#", 1)[1]
    result = page.evaluate(RECEIVE_TIMED, {"hash": hash_, "title": title})
    if phases is not None:
        phases.append(result["phases"])
    return float(result["ms"])


def infohash_of(link: str) -> str:
    """The 40-hex-digit infohash in a share link, whatever else the link carries."""
    match = re.search(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])", link.split("#", 1)[-1])
    if not match:
        raise ValueError(f"no infohash in {link!r}")
    return match.group(0)


def torrent_list(page: Page) -> list[dict[str, Any]]:
    """The app's own torrent adapter's view: [{infoHash, done, peers, uploaded}]."""
    return page.evaluate(
        """async () => {
          const url = new URL("./js/torrent.js", document.baseURI).href;
          return (await import(url)).list();
        }"""
    )


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


# ---------------------------------------------------------------- the machine


def machine() -> dict[str, Any]:
    version = subprocess.run(
        [shutil.which("chromium") or "chromium", "--version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    memory = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "chromium": version,
        "nproc": int(nproc or 0),
        "cpu": cpu,
        "memory_gib": round(memory / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="seedvox-bench-"))

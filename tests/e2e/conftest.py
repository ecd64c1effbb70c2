"""Fixtures for end-to-end tests: the built site, a static server under a sub-path, the real
bittorrent-tracker on loopback, and separate Chromium processes (one per "device")."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    BrowserContext,
    CDPSession,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

import build

PREFIX = "/seedvox/"
BOOT_TIMEOUT_MS = 30_000
ARTIFACTS = Path("/tmp/seedvox-e2e")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Site:
    """A served copy of a build; `url` ends with the sub-path."""

    root: Path
    url: str
    server: object

    @property
    def origin(self) -> str:
        return self.url.split(PREFIX)[0]

    stopped: bool = False

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.server.shutdown()
        self.server.server_close()

    def deploy(self, build_dir: Path) -> None:
        """Replace the served files with another build, as a host's deployment would.

        Files get the deployment time as mtime (shutil.copy, not copy2): the server's validators
        are 1-second Last-Modified dates, and a copy keeping the build's mtime could answer the
        browser's update check with 304 when both builds were made in the same second."""
        for child in self.root.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        shutil.copytree(build_dir, self.root, dirs_exist_ok=True, copy_function=shutil.copy)


def serve(root: Path, **options) -> Site:
    server = build.make_server(root, prefix=PREFIX, **options)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Site(root, f"http://127.0.0.1:{server.server_address[1]}{PREFIX}", server)


@pytest.fixture(scope="session")
def tracker_url() -> Iterator[str]:
    """The real bittorrent-tracker server (WebSocket only) on 127.0.0.1."""
    port = free_port()
    process = build.start_tracker(port)
    yield f"ws://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory, tracker_url: str) -> Path:
    """One build for the whole session, pointed at the local tracker with no ICE servers
    (an unreachable STUN server delays every connection by 5 s).

    The second build (`dist_two`) is made here too, from the very same sources."""
    out = tmp_path_factory.mktemp("dist") / "site"
    build.build(out, trackers=[tracker_url], ice=[])
    build.build(out.parent / "site-two", trackers=[tracker_url], ice=[], label="two")
    return out


@pytest.fixture(scope="session")
def dist_two(dist: Path) -> Path:
    """A second build of the same sources labelled "two" (version 0.1.0+two): a new deployment."""
    return dist.parent / "site-two"


@pytest.fixture
def site(dist: Path, tmp_path: Path) -> Iterator[Site]:
    """A private copy of the build served on its own port (its own origin, so its own storage)."""
    root = tmp_path / "www"
    shutil.copytree(dist, root)
    served = serve(root)
    yield served
    served.stop()


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real spoken sentence, fed to Chromium's fake microphone."""
    path = tmp_path_factory.mktemp("audio") / "speech.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-s",
            "140",
            "-w",
            str(path),
            "Seedvox keeps this voice memo in the browser and shares it with no server.",
        ],
        check=True,
    )
    return path


def pytest_report_header() -> list[str]:
    """What a renderer needs from the machine, so a CI log explains a crashed page."""
    version = "not found"
    chromium = shutil.which("chromium") or "chromium"
    with contextlib.suppress(OSError):
        version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout
    shm = shutil.disk_usage("/dev/shm") if Path("/dev/shm").is_dir() else None
    meminfo = Path("/proc/meminfo")
    memory = meminfo.read_text().splitlines()[:3] if meminfo.exists() else []
    return [
        f"chromium: {chromium} {version.strip()}",
        f"/dev/shm free: {shm.free // 2**20 if shm else '-'} MiB",
        "memory: " + ", ".join(" ".join(line.split()) for line in memory),
    ]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


def chromium_args(speech: Path | None) -> list[str]:
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # Containers often mount a 64 MB /dev/shm; renderers that run out of it crash
        # ("Page crashed" in a CI run while two Pyodide pages loaded).
        "--disable-dev-shm-usage",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        "--allow-loopback-in-peer-connection",
        "--autoplay-policy=no-user-gesture-required",
    ]
    if speech:
        args.append(f"--use-file-for-fake-audio-capture={speech}")
    return args


@dataclass
class Device:
    """One Chromium process with its own profile, like a separate device."""

    context: BrowserContext
    profile: Path
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def page(self) -> Page:
        return self.context.pages[0] if self.context.pages else self.context.new_page()

    def close(self) -> None:
        self.context.close()


def _watch_page(device: Device, page: Page) -> None:
    page.on("websocket", lambda ws: device.websockets.append(ws.url))
    page.on("crash", lambda _: device.errors.append(f"renderer crashed: {page.url}"))
    page.on("console", lambda msg: device.console.append(f"[{msg.type}] {msg.text}"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def launch(
    request: pytest.FixtureRequest, playwright: Playwright, tmp_path: Path, speech_wav: Path
):
    """launch(name) starts a separate Chromium process; the same name reuses its profile.

    On failure every open page is screenshotted to /tmp/seedvox-e2e/ and the devices' console
    output and page errors are printed (shown in pytest's report of the failure)."""
    devices: list[Device] = []

    def start(name: str = "a") -> Device:
        profile = tmp_path / f"profile-{name}"
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=shutil.which("chromium"),
            headless=True,
            args=chromium_args(speech_wav),
            accept_downloads=True,
        )
        device = Device(context, profile)
        context.on("request", lambda request: device.requests.append(request.url))
        context.on("weberror", lambda error: device.errors.append(str(error.error)))
        for page in context.pages:
            _watch_page(device, page)
        context.on("page", lambda page: _watch_page(device, page))
        devices.append(device)
        return device

    yield start
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        for d, device in enumerate(devices):
            try:
                for p, page in enumerate(device.context.pages):
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{d}-{p}.png"), full_page=True)
            except Exception:  # closed by the test
                pass
            (ARTIFACTS / f"{name}-{d}.log").write_text(
                f"page errors: {device.errors}\nwebsockets: {device.websockets}\n"
                + "\n".join(device.console)
            )
    for device in devices:
        with contextlib.suppress(Exception):  # already closed by the test
            device.close()
    if report is not None and report.passed:
        # Across the whole suite: no Content-Security-Policy violation, no uncaught error.
        problems = [
            f"{name}: {line}"
            for name, device in zip("abcdefghij", devices, strict=False)
            for line in [*device.errors, *filter(is_csp_violation, device.console)]
        ]
        assert not problems, "page errors or CSP violations:\n" + "\n".join(problems)


def heap_nodes(session: CDPSession) -> Iterator[dict[str, Any]]:
    """Every node of a heap snapshot taken after a full garbage collection, as a dict of the
    snapshot's node fields with `type` and `name` resolved to strings."""
    chunks: list[str] = []

    def on_chunk(event: dict) -> None:
        chunks.append(event["chunk"])

    session.on("HeapProfiler.addHeapSnapshotChunk", on_chunk)
    try:
        session.send("HeapProfiler.collectGarbage")
        session.send("HeapProfiler.takeHeapSnapshot", {"reportProgress": False})
    finally:
        session.remove_listener("HeapProfiler.addHeapSnapshotChunk", on_chunk)
    snapshot = json.loads("".join(chunks))
    meta = snapshot["snapshot"]["meta"]
    fields, kinds, strings = meta["node_fields"], meta["node_types"][0], snapshot["strings"]
    nodes, width = snapshot["nodes"], len(fields)
    for i in range(0, len(nodes), width):
        node = dict(zip(fields, nodes[i : i + width], strict=True))
        node["type"] = kinds[node["type"]]
        node["name"] = strings[node["name"]]
        yield node


def mark_status(page: Page) -> None:
    """Tag the status area's current message so a new one can be told from an identical old one."""
    page.evaluate(
        "() => { for (const el of document.querySelectorAll('#status > *')) el.__old = true; }"
    )


def fresh_status(page: Page, timeout: float = 10_000) -> str:
    """The text of the next message shown in the status area (after mark_status)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('#status > *')].some((el) => !el.__old)",
        timeout=timeout,
    )
    return page.locator("#status").inner_text().strip()


def is_csp_violation(console_line: str) -> bool:
    return "Content Security Policy" in console_line


def open_app(page: Page, url: str, route: str = "") -> Page:
    """Navigate and wait until Python is up (Record enabled)."""
    page.goto(url + route)
    return wait_ready(page)


def wait_ready(page: Page) -> Page:
    page.wait_for_function(
        "document.documentElement.dataset.state === 'ready'", timeout=BOOT_TIMEOUT_MS
    )
    return page


def reload_app(page: Page) -> Page:
    """Reload the current route and wait until Python is up again."""
    page.reload()
    return wait_ready(page)


# Setup only: writes memos shared the way the app shares them (SVX1 header + audio, see
# py/seedvox/core/PROTOCOL.md), using the app's own torrent adapter to make the torrent files.
POPULATE_SHARED = r"""async (count) => {
  const config = await (await fetch("./config.json")).json();
  const torrent = await import(new URL("./js/torrent.js", document.baseURI).href);
  const cipher = await import(new URL("./js/crypto.js", document.baseURI).href);
  const pieceLength = 256 * 1024;
  torrent.configure({ trackers: config.trackers, iceServers: [] });
  const records = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < count; i++) {
    const id = (0x1000000000000000n + BigInt(i)).toString(16);
    const audio = new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3]), `memo ${i} `.repeat(200)],
                           { type: "audio/webm" });
    const created = 1795000000000 + i * 60000;
    const memo = { id, title: `Bulk ${i}`, created, duration: 1.5, mime: "audio/webm",
                   size: audio.size, description: "", recovered: false };
    const json = encoder.encode(JSON.stringify({ v: 1, title: memo.title, description: "",
      created, duration: 1.5, mime: "audio/webm", audioSize: audio.size }));
    const header = new Uint8Array(8 + json.length);
    header.set(encoder.encode("SVX1"));
    new DataView(header.buffer).setUint32(4, json.length);
    header.set(json, 8);
    const key = crypto.getRandomValues(new Uint8Array(32));
    const sealed = await cipher.encryptBlob(new Blob([header, audio]), key, pieceLength);
    const seeded = await torrent.seed(sealed, { name: "memo.svx", pieceLength });
    records.push({ memo, audio, key, share: { infoHash: seeded.infoHash, memoId: id,
      role: "sharer", created, torrentFile: seeded.torrentFile, header, key } });
  }
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("seedvox");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction(["memos", "audio", "shares"], "readwrite");
    for (const { memo, audio, share } of records) {
      tx.objectStore("memos").put(memo);
      tx.objectStore("audio").put({ id: memo.id, blob: audio });
      tx.objectStore("shares").put(share);
    }
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  const last = records[records.length - 1];
  const key = btoa(String.fromCharCode(...last.key)).replace(/\+/g, "-").replace(/\//g, "_");
  return `${last.share.infoHash}/${key.replace(/=+$/, "")}`;
}"""


def populate_shared(page: Page, count: int) -> str:
    """Store `count` memos, each shared (its torrent seeded while this runs, and stored); returns
    the newest one's link fragment after #/get/v1/. The page must show the app."""
    return page.evaluate(POPULATE_SHARED, count)


# ---------------------------------------------------------------- driving the UI
# Tests drive the app only through roles and accessible names; IndexedDB is read (never written)
# to check what the app stored.

ISO_SECONDS = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def parse_iso_duration(value: str) -> float:
    """Seconds in an ISO-8601 duration such as PT3.21S or PT1M2.5S."""
    match = ISO_SECONDS.match(value or "")
    assert match and value != "PT", f"not an ISO-8601 duration: {value!r}"
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def memo_list(page: Page) -> Locator:
    return page.get_by_role("list", name="Memos")


def memo_items(page: Page) -> Locator:
    return memo_list(page).get_by_role("listitem")


def item_duration(item: Locator) -> float:
    """The exact duration of a list item, from its <time datetime="PT…S">."""
    for value in item.locator("time").evaluate_all("els => els.map((e) => e.dateTime)"):
        if value.startswith("P"):
            return parse_iso_duration(value)
    raise AssertionError(f"no duration <time> in {item.inner_text()!r}")


def item_title(item: Locator) -> str:
    return item.get_by_role("link").first.inner_text().strip()


def read_value(locator: Locator) -> float:
    return float(locator.evaluate("(el) => el.value"))


def record(page: Page, seconds: float, timeout: float | None = None) -> float:
    """Record for about `seconds` through the UI; returns the highest input level seen.

    Returns once Stop was pressed and a memo was added to the list. `timeout` (ms) for each
    wait on the controls: in a page listing 1,000 memos each of Playwright's role queries walks
    them all, and its polls then hold the page's main thread for much of the wait."""
    before = memo_items(page).count()
    button(page, "Record").click()
    expect(button(page, "Stop")).to_be_visible(timeout=timeout)
    expect(button(page, "Record")).to_be_hidden(timeout=timeout)
    meter = page.get_by_role("meter", name="Input level")
    expect(meter).to_be_visible(timeout=timeout)
    peak = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, read_value(meter))
        time.sleep(0.1)
    button(page, "Stop").click()
    expect(button(page, "Record")).to_be_enabled(timeout=timeout)
    expect(memo_items(page)).to_have_count(before + 1, timeout=max(10_000, timeout or 0))
    return peak


def wait_for_sw_control(page: Page, timeout: float = 30_000) -> None:
    page.wait_for_function("Boolean(navigator.serviceWorker.controller)", timeout=timeout)


def open_memo(page: Page, title: str) -> None:
    """Open a memo from the library by its link and wait for its view."""
    memo_list(page).get_by_role("link", name=title, exact=True).first.click()
    expect(page).to_have_url(re.compile(r"#/memo/.+"))
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def assert_plays(page: Page) -> None:
    """Play the open memo: the button turns to Pause, the Seek slider advances."""
    seek = page.get_by_role("slider", name="Seek")
    expect(seek).to_be_visible()
    button(page, "Play").click()
    expect(button(page, "Pause")).to_be_visible(timeout=5_000)
    # Played time moves forward (polled in the page, so a short memo cannot slip past).
    page.wait_for_function(
        "(el) => parseFloat(el.value) > 0.3", arg=seek.element_handle(), timeout=10_000
    )
    # At the end the button goes back to Play.
    expect(button(page, "Play")).to_be_visible(timeout=30_000)


# One store of the app's database, as its rows. A Blob does not survive page.evaluate, so each
# is handed over as {size, type, base64}: tests hash and slice the bytes in Python.
IDB_ROWS = """async (store) => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("seedvox");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    const rows = await new Promise((resolve, reject) => {
      const request = db.transaction([store], "readonly").objectStore(store).getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const base64 = (blob) => new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result.slice(reader.result.indexOf(",") + 1));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
    return Promise.all(rows.map(async (row) => {
      const out = { ...row };
      for (const [name, value] of Object.entries(row)) {
        if (value instanceof Blob) {
          out[name] = { size: value.size, type: value.type, base64: await base64(value) };
        }
      }
      return out;
    }));
  } finally {
    db.close();
  }
}"""

# Seconds of audio Chromium decodes from the bytes (base64), or the error it gave.
DECODE_JS = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  try {
    return (await new OfflineAudioContext(1, 1, 48000).decodeAudioData(bytes.buffer)).duration;
  } catch (error) {
    return String(error);
  }
}"""


@dataclass(frozen=True)
class StoredBlob:
    data: bytes
    type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def idb_rows(page: Page, store: str) -> list[dict]:
    """Rows of one store of the app's IndexedDB; each Blob in them as a StoredBlob."""
    rows = page.evaluate(IDB_ROWS, store)
    for row in rows:
        for name, value in row.items():
            if isinstance(value, dict) and value.keys() == {"size", "type", "base64"}:
                row[name] = StoredBlob(base64.b64decode(value["base64"]), value["type"])
                assert len(row[name].data) == value["size"]
    return rows


def stored_memos(page: Page) -> list[dict]:
    """Rows of the `memos` store (metadata), as the app stored them."""
    return idb_rows(page, "memos")


def stored_audio(page: Page) -> dict[str, dict]:
    """id -> {size, type, sha256, decoded (seconds, decoded by Chromium)} for the `audio` store."""
    out = {}
    for row in idb_rows(page, "audio"):
        blob: StoredBlob = row["blob"]
        decoded = page.evaluate(DECODE_JS, base64.b64encode(blob.data).decode())
        if isinstance(decoded, int | float):  # JSON turns 3.0 into 3
            decoded = float(decoded)
        out[row["id"]] = {
            "size": len(blob.data),
            "type": blob.type,
            "sha256": blob.sha256,
            "decoded": decoded,
        }
    return out


def stored_chunks(page: Page) -> int:
    """How many recording chunks are waiting in IndexedDB."""
    return len(idb_rows(page, "chunks"))


def memo_id_from_url(page: Page) -> str:
    match = re.search(r"#/memo/(.+)$", page.url)
    assert match, page.url
    return match.group(1)


# The app has no hook into its interpreter; tests take one from PyScript's public hooks.
# Add with context.add_init_script before the app opens.
GRAB_INTERPRETER = """(() => {
  if (!document.baseURI.includes("/seedvox/")) return;
  import(new URL("vendor/pyscript/core.js", document.baseURI).href).then(({ hooks }) => {
    hooks.main.onReady.add((wrap) => { window.__interpreter = wrap.interpreter; });
  });
})();"""

# Modules from python_stdlib.zip that Python compiled in the page: zipimport names the file it
# ran, `x.pyc` (shipped by build.py) or, compiled from source, `x.py`.
COMPILED_STDLIB = """
import sys, zipimport
sorted(
    name for name, module in list(sys.modules.items())
    if isinstance(getattr(getattr(module, "__spec__", None), "loader", None), zipimport.zipimporter)
    and module.__spec__.loader.archive == sys.modules["asyncio"].__spec__.loader.archive
    and not module.__spec__.origin.endswith(".pyc")
)
"""


def compiled_stdlib(page: Page) -> list[str]:
    """Standard-library modules the page's Python compiled from source (see GRAB_INTERPRETER)."""
    return page.evaluate(f"__interpreter.runPython({COMPILED_STDLIB!r}).toJs()")


# Modules from site-packages (the wheels micropip installs, and micropip) that were loaded, and
# those of them Python compiled in the page. Pyodide never writes bytecode, so a checked-hash
# pyc in __pycache__ that matches its source is build.py's, and the import system ran it.
COMPILED_WHEELS = """
import importlib.util, sys
from pathlib import Path

assert sys.dont_write_bytecode


def ran_its_pyc(spec):
    cached = Path(spec.cached)
    if not cached.exists():
        return False
    data, source = cached.read_bytes(), Path(spec.origin).read_bytes()
    checked = data[4:8] == (3).to_bytes(4, "little")
    return checked and data[8:16] == importlib.util.source_hash(source)


site = next(entry for entry in sys.path if entry.endswith("/site-packages"))
specs = {
    name: module.__spec__ for name, module in list(sys.modules.items())
    if (getattr(getattr(module, "__spec__", None), "origin", None) or "").startswith(site + "/")
    and module.__spec__.origin.endswith(".py")
}
[sorted(specs), sorted(name for name, spec in specs.items() if not ran_its_pyc(spec))]
"""


def compiled_wheels(page: Page) -> tuple[list[str], list[str]]:
    """([site-packages modules loaded], [those compiled from source]) (see GRAB_INTERPRETER)."""
    loaded, compiled = page.evaluate(f"__interpreter.runPython({COMPILED_WHEELS!r}).toJs()")
    return loaded, compiled

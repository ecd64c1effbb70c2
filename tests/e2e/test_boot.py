"""Boot: the shell under a sub-path, the ready handshake, and a misconfigured host's error."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import PREFIX, button, open_app, serve

pytestmark = pytest.mark.e2e


class Gate:
    """Holds back the page's requests matching `pattern` until released."""

    def __init__(self, page: Page, pattern: str) -> None:
        self.held: list[Route] = []
        self.open = False
        page.route(pattern, self._hold)

    def _hold(self, route: Route) -> None:
        if self.open:
            route.continue_()
        else:
            self.held.append(route)

    def release(self) -> None:
        self.open = True
        for route in self.held:
            route.continue_()


def test_boots_under_subpath_same_origin_only(launch, site, tracker_url):
    """Record stays disabled while the runtime loads and is enabled once Python is ready; every
    request stays on the site's origin and sub-path; nothing fails, nothing throws."""
    device = launch()
    page = device.page()
    failures: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: failures.append(f"failed {r.url} {r.failure}"))

    # Hold the wasm back so "still loading" is observed for sure, not by winning a race.
    wasm = Gate(page, "**/pyodide.asm.wasm")
    page.goto(site.url, wait_until="domcontentloaded")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Loading Seedvox…")).to_be_visible()
    expect(button(page, "Record")).to_be_disabled()
    page.wait_for_timeout(1000)
    expect(button(page, "Record")).to_be_disabled()
    assert page.evaluate("document.documentElement.dataset.state") != "ready"
    assert wasm.held, "the runtime never asked for pyodide.asm.wasm"

    wasm.release()
    expect(button(page, "Record")).to_be_enabled(timeout=30_000)
    assert page.evaluate("document.documentElement.dataset.state") == "ready"
    expect(page.get_by_text("No memos yet")).to_be_visible()
    # The service worker registers once Python is ready; its precache is part of the run.
    page.wait_for_function("Boolean(navigator.serviceWorker.controller)", timeout=30_000)
    page.wait_for_timeout(500)

    origin = site.origin
    assert device.requests, "no request was recorded"
    foreign = [
        url
        for url in device.requests
        if not url.startswith(("blob:", "data:")) and not url.startswith(origin + "/")
    ]
    assert not foreign, f"requests left the site's origin: {foreign}"
    outside = [
        url
        for url in device.requests
        if url.startswith(origin + "/") and not urlsplit(url).path.startswith(PREFIX)
    ]
    assert not outside, f"requests outside the {PREFIX} sub-path: {outside}"
    sockets = [url for url in device.websockets if not url.startswith(tracker_url)]
    assert not sockets, f"WebSockets to other hosts than the configured tracker: {sockets}"
    assert not failures, failures
    assert not device.errors, device.errors


def test_misconfigured_wasm_type_shows_an_alert(launch, dist: Path, tmp_path: Path):
    """A host serving pyodide.asm.wasm as application/octet-stream gets a plain error, not a
    page that loads forever."""
    root = tmp_path / "bad-host"
    shutil.copytree(dist, root)
    bad = serve(root, mime_overrides={".wasm": "application/octet-stream"})
    try:
        page = launch().page()
        page.goto(bad.url, wait_until="domcontentloaded")
        alert = page.get_by_role("alert")
        expect(alert).to_have_text(re.compile(r"^\s*Seedvox could not start"), timeout=20_000)
        expect(alert).to_contain_text("application/wasm")
        expect(button(page, "Record")).to_be_disabled()
        assert page.evaluate("document.documentElement.dataset.state") != "ready"
    finally:
        bad.stop()


# The app has no hook into its interpreter; the test takes one from PyScript's public hooks.
GRAB_INTERPRETER = """(() => {
  if (!document.baseURI.includes("/seedvox/")) return;
  import(new URL("vendor/pyscript/core.js", document.baseURI).href).then(({ hooks }) => {
    hooks.main.onReady.add((wrap) => { window.__interpreter = wrap.interpreter; });
  });
})();"""
# Each module of our package, PyScript's and the stdlib copies imported by boot: its source file
# (relative to the working folder) and that source's hash, computed by the runtime.
SOURCE_HASHES = """
import importlib.util, sys
from pathlib import Path
[
    (str(Path(module.__file__).relative_to(Path.cwd())),
     importlib.util.source_hash(Path(module.__file__).read_bytes()).hex())
    for name, module in list(sys.modules.items())
    if name.partition(".")[0] in ("seedvox", "pyscript", "html", "secrets", "hmac")
    and str(getattr(module, "__file__", "")).endswith(".py")
]
"""


def test_boot_imports_the_shipped_bytecode(launch, site):
    """Every module of seedvox, of PyScript's own package and the stdlib modules boot adds to
    bare Pyodide's has a pyc in seedvox.zip matching the source the runtime holds, so none is
    compiled in the browser (PyScript writes its package's sources at boot; the rest come from
    the zip)."""
    with zipfile.ZipFile(site.root / "seedvox.zip") as archive:
        shipped = {
            entry.filename: archive.read(entry)[8:16].hex()
            for entry in archive.infolist()
            if entry.filename.endswith(".pyc")
        }
    device = launch()
    device.context.add_init_script(GRAB_INTERPRETER)
    page = open_app(device.page(), site.url)
    modules = page.evaluate(f"__interpreter.runPython({SOURCE_HASHES!r}).toJs()")
    sources = {source for source, _hash in modules}
    assert {"pyscript/display.py", "seedvox/main.py", "seedvox/ui/app.py"} <= sources
    assert {"html/entities.py", "secrets.py"} <= sources, "stdlib modules came from the zip"
    for source, source_hash in modules:
        path = PurePosixPath(source)
        pyc = str(path.parent / "__pycache__" / f"{path.stem}.cpython-314.pyc")
        assert shipped.get(pyc) == source_hash, f"{source} has no matching pyc: compiled at boot"


def test_runtime_and_database_start_before_pyscript(launch, site):
    """js/runtime.js starts Pyodide and opens the app's database while PyScript is still
    loading: with PyScript's code held back, Python already runs and the database is open.
    Once PyScript is let through, the app runs in that very runtime."""
    device = launch()
    page = device.page()
    pyscript = Gate(page, "**/vendor/pyscript/core*.js")
    # Not "domcontentloaded": that waits for PyScript's module, held back here.
    page.goto(site.url, wait_until="commit")
    expect(button(page, "Record")).to_be_disabled()
    # The page itself asks for the runtime (below, the test only looks at it).
    page.wait_for_function(
        "performance.getEntriesByType('resource').some((e) => e.name.endsWith('/js/runtime.js'))"
    )
    runtime = """async (python) => {
      const runtime = await import(new URL("js/runtime.js", document.baseURI).href);
      const store = await import(new URL("js/store.js", document.baseURI).href);
      const db = await store.open();
      return [(await runtime.loadPyodide()).runPython(python), db.name, db.objectStoreNames.length];
    }"""
    booted = "'seedvox.main' in __import__('sys').modules"
    assert page.evaluate(runtime, "6 * 7") == [42, "seedvox", 5]
    assert page.evaluate(runtime, booted) == [False, "seedvox", 5]
    assert pyscript.held, "PyScript was not held back"
    assert page.evaluate("document.documentElement.dataset.state") != "ready"

    pyscript.release()
    expect(button(page, "Record")).to_be_enabled(timeout=30_000)
    assert page.evaluate(runtime, booted) == [True, "seedvox", 5]
    assert not device.errors, device.errors

"""Boot: the shell under a sub-path, the ready handshake, and a misconfigured host's error."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import GRAB_INTERPRETER, PREFIX, button, open_app, serve

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


# Each module imported by boot that Python could have compiled: its file (our package and
# PyScript's relative to the working folder, the stdlib's inside python_stdlib.zip) and its
# source's hash, computed by the runtime. Built-in and frozen modules have no source.
SOURCE_HASHES = """
import importlib.util, sys, zipimport
from pathlib import Path
found = []
stdlib = sys.modules["asyncio"].__spec__.loader.archive
for name, module in list(sys.modules.items()):
    spec = getattr(module, "__spec__", None)
    loader = getattr(spec, "loader", None)
    if isinstance(loader, zipimport.zipimporter) and loader.archive == stdlib:
        # origin: the file zipimport ran, "x.pyc" or, compiled from source, "x.py".
        source = spec.origin.removesuffix("c")
        found.append(("stdlib", spec.origin.removeprefix(loader.archive + "/"),
                      importlib.util.source_hash(loader.get_data(source)).hex()))
    elif name.partition(".")[0] in ("seedvox", "pyscript") and getattr(module, "__file__", None):
        path = Path(module.__file__)
        found.append(("package", str(path.relative_to(Path.cwd())),
                      importlib.util.source_hash(path.read_bytes()).hex()))
found
"""


def shipped_pycs(archive: Path) -> dict[str, str]:
    """Each pyc in a zip: the source hash it was compiled from (hex)."""
    with zipfile.ZipFile(archive) as opened:
        return {
            entry.filename: opened.read(entry)[8:16].hex()
            for entry in opened.infolist()
            if entry.filename.endswith(".pyc")
        }


def test_boot_imports_the_shipped_bytecode(launch, site):
    """Every module boot imports (seedvox, PyScript's own package, and the stdlib, Pyodide's
    start-up included) has a pyc shipped for the very source the runtime holds, so Python
    compiles none in the browser. PyScript writes its package's sources at boot and their pycs
    wait in seedvox.zip's __pycache__; the stdlib's sit beside their sources in
    python_stdlib.zip, where zipimport looks first."""
    package = shipped_pycs(site.root / "seedvox.zip")
    stdlib = shipped_pycs(site.root / "vendor" / "pyodide" / "python_stdlib.zip")
    device = launch()
    device.context.add_init_script(GRAB_INTERPRETER)
    page = open_app(device.page(), site.url)
    modules = page.evaluate(f"__interpreter.runPython({SOURCE_HASHES!r}).toJs()")
    sources = {(kind, source) for kind, source, _hash in modules}
    assert {("package", "pyscript/display.py"), ("package", "seedvox/ui/app.py")} <= sources
    assert {("stdlib", "asyncio/tasks.pyc"), ("stdlib", "html/__init__.pyc")} <= sources
    assert len([kind for kind, _source in sources if kind == "stdlib"]) > 100
    for kind, source, source_hash in modules:
        path = PurePosixPath(source)
        if kind == "stdlib":
            assert source.endswith(".pyc"), f"{source} was compiled at boot"
            assert stdlib.get(source) == source_hash, f"{source} is not the pyc shipped for it"
        else:
            pyc = str(path.parent / "__pycache__" / f"{path.stem}.cpython-314.pyc")
            assert package.get(pyc) == source_hash, f"{source}: no matching pyc, compiled at boot"


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

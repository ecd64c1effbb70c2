#!/usr/bin/env python3
"""Build, serve, test and benchmark Seedvox.

    python build.py                 vendor (pinned, hash-checked) and write dist/
    python build.py serve           build, start the local tracker, serve on 127.0.0.1
    python build.py test            install what the tests need, build, run every test
    python build.py bench           run the benchmark suite (tests/bench)

Third-party files are fetched with their registries' ordinary clients (`npm pack`,
`pip download`) into a cache outside git and checked against the hashes pinned below.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent
WEB = ROOT / "web"
PY = ROOT / "py"
DIST = ROOT / "dist"
CACHE = Path(os.environ.get("SEEDVOX_CACHE", ROOT / ".cache"))
TRACKER_DIR = ROOT / "tests" / "tracker"

# Public WebSocket trackers alive in 2026 (see shared/PEERS.md §4); `--tracker` replaces them.
DEFAULT_TRACKERS = (
    "wss://tracker.webtorrent.dev",
    "wss://tracker.openwebtorrent.com",
    "wss://tracker.btorrent.xyz",
    "wss://open.ftorrent.com",
)
DEFAULT_ICE = ({"urls": "stun:stun.l.google.com:19302"},)


@dataclass(frozen=True)
class NpmPin:
    name: str
    version: str
    sha256: str

    @property
    def tarball(self) -> str:
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


@dataclass(frozen=True)
class WheelPin:
    name: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}-py3-none-any.whl"


PYODIDE = NpmPin(
    "pyodide", "314.0.7", "66b7949e5a0cba2250b586d7e368bf12fb482800748d182c4618254b685ffaa0"
)
PYSCRIPT = NpmPin(
    "@pyscript/core", "0.7.31", "b2ca1a0c0956aebd990a7c8524cca1eb061444a8319a7264d2f31ef30bea276a"
)
WEBTORRENT = NpmPin(
    "webtorrent", "3.0.21", "0d4457087237cd9fed0bd5b6db9c0b85e91b4fe037d4c5b007f4066bee595950"
)
MICROPIP = WheelPin(
    "micropip", "0.11.1", "768de165adb8e66906039d8fec4127a57f522dfdf8e6fbff877a4616941ecfd3"
)
SEGNO = WheelPin(
    "segno", "1.6.6", "28c7d081ed0cf935e0411293a465efd4d500704072cdb039778a2ab8736190c7"
)
PYODIDE_PYTHON = "3.14"
# The wheels' modules compiled (see WARM_UP), for the page to unpack into site-packages.
WHEEL_PYCS = "wheels/compiled.zip"

# The five files a static site needs from the pyodide package (shared/FACTS.md).
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".toml": "text/plain",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".css": "text/css",
    ".html": "text/html",
}


def log(message: str) -> None:
    print(f"[build] {message}", file=sys.stderr, flush=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(partial(handle.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(path: Path, expected: str) -> Path:
    actual = sha256(path)
    if actual != expected:
        path.unlink()
        raise SystemExit(f"hash mismatch for {path.name}: expected {expected}, got {actual}")
    return path


# ---------------------------------------------------------------- vendoring


def fetch_npm(pin: NpmPin) -> Path:
    """The package's files, unpacked from its registry tarball (fetched once, hash-checked)."""
    downloads = CACHE / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    tarball = downloads / pin.tarball
    if not tarball.exists():
        log(f"npm pack {pin.name}@{pin.version}")
        subprocess.run(
            [
                "npm",
                "pack",
                "--silent",
                f"{pin.name}@{pin.version}",
                "--pack-destination",
                downloads,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    verified(tarball, pin.sha256)
    unpacked = CACHE / "npm" / f"{pin.tarball[:-4]}"
    if not (unpacked / "package").is_dir():
        unpacked.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            archive.extractall(unpacked, filter="data")
    return unpacked / "package"


def fetch_wheel(pin: WheelPin) -> Path:
    """A pure wheel for Pyodide's CPython, downloaded with pip (fetched once, hash-checked)."""
    downloads = CACHE / "downloads"
    wheel = downloads / pin.filename
    if not wheel.exists():
        log(f"pip download {pin.name}=={pin.version}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                PYODIDE_PYTHON,
                "--dest",
                downloads,
                f"{pin.name}=={pin.version}",
            ],
            check=True,
        )
    return verified(wheel, pin.sha256)


def vendor(out: Path) -> None:
    """Copy the pinned runtime into out/vendor and out/wheels."""
    pyodide = fetch_npm(PYODIDE)
    target = out / "vendor" / "pyodide"
    target.mkdir(parents=True)
    micropip = fetch_wheel(MICROPIP)
    shutil.copy2(micropip, target / micropip.name)
    for name in PYODIDE_FILES:
        if name == "python_stdlib.zip":
            write_stdlib_zip(target / name)
        elif name == "pyodide-lock.json":
            (target / name).write_text(trimmed_lockfile(pyodide, micropip))
        else:
            shutil.copy2(pyodide / name, target / name)

    pyscript = fetch_npm(PYSCRIPT)
    shutil.copytree(pyscript / "dist", out / "vendor" / "pyscript", ignore=ignore_maps)

    webtorrent = fetch_npm(WEBTORRENT)
    (out / "vendor" / "webtorrent").mkdir(parents=True)
    shutil.copy2(webtorrent / "dist" / "webtorrent.min.js", out / "vendor" / "webtorrent")

    wheels = out / "wheels"
    wheels.mkdir()
    segno = fetch_wheel(SEGNO)
    shutil.copy2(segno, wheels / segno.name)
    write_zip(out / WHEEL_PYCS, pycs_under("site-packages/"))


def ignore_maps(_directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name.endswith(".map")]


def trimmed_lockfile(pyodide: Path, micropip: Path) -> str:
    """Pyodide's lockfile, keeping only the packages we ship, with our wheels' hashes.

    The browser checks each wheel against the lockfile's sha256; PyPI's micropip wheel is not
    byte-identical to the one Pyodide's lockfile names, so the hash is rewritten to what we ship.
    """
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    entry = lock["packages"]["micropip"]
    entry["file_name"] = micropip.name
    entry["sha256"] = sha256(micropip)
    lock["packages"] = {"micropip": entry}
    return json.dumps(lock, separators=(",", ":"))


# ---------------------------------------------------------------- the site


def draw_icon(size: int, maskable: bool) -> bytes:
    """The app icon as PNG: a record dot with sound waves, drawn here so git holds no binaries.

    A maskable icon fills its square (the OS crops it); the plain one is a rounded tile.
    """
    background, accent, wave = (0x12, 0x34, 0x3B), (0xF2, 0x6B, 0x5B), (0xE8, 0xF1, 0xF2)
    c = (size - 1) / 2
    radius = size * (0.22 if maskable else 0.5)  # corner radius of the tile
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            dx, dy = abs(x - c), abs(y - c)
            # rounded-square tile
            ex, ey = max(dx - (c - radius), 0), max(dy - (c - radius), 0)
            inside = maskable or (ex * ex + ey * ey) <= radius * radius
            if not inside:
                row += bytes((0, 0, 0, 0))
                continue
            d = ((x - c) ** 2 + (y - c) ** 2) ** 0.5 / size
            color = background
            if d < 0.13:
                color = accent
            elif any(abs(d - r) < 0.025 and x > c for r in (0.21, 0.3)):
                color = wave
            row += bytes((*color, 255))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def write_icons(out: Path) -> None:
    icons = out / "icons"
    icons.mkdir(exist_ok=True)
    for size in (192, 512):
        (icons / f"icon-{size}.png").write_bytes(draw_icon(size, maskable=False))
    (icons / "maskable-512.png").write_bytes(draw_icon(512, maskable=True))


# Runs Python code (top-level await allowed) in the Pyodide we ship, in node (the host's Python
# is not 3.14): argv is [Pyodide's folder/, a host folder to mount at /build, the code].
IN_PYODIDE = """
import { pathToFileURL } from "node:url";
const [indexURL, root, code] = process.argv.slice(1);
const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs"));
const pyodide = await loadPyodide({ indexURL, stdout: console.error });
pyodide.FS.mkdirTree("/build");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root }, "/build");
await pyodide.runPythonAsync(code);
"""

# Checked-hash pycs: valid whatever the files' mtimes, and when a source differs from what was
# compiled, Python compiles the source instead of running stale code.
COMPILE_CHECKED = """
import importlib.util, marshal, py_compile
from pathlib import Path


def compile_checked(source, cached, dfile):
    py_compile.compile(
        str(source), str(cached), dfile=dfile, doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )
    # What the import system checks before it uses a pyc instead of the source.
    data = cached.read_bytes()
    assert data[:4] == importlib.util.MAGIC_NUMBER, cached
    assert data[4:8] == (3).to_bytes(4, "little"), cached
    assert data[8:16] == importlib.util.source_hash(source.read_bytes()), cached
    marshal.loads(data[16:])
"""

# Every .py under /build, compiled beside its source in __pycache__.
PYC_COMPILER = (
    COMPILE_CHECKED
    + """
for source in sorted(Path("/build").rglob("*.py")):
    cached = Path(importlib.util.cache_from_source(str(source)))
    compile_checked(source, cached, dfile=source.relative_to("/build").as_posix())
"""
)


def compile_pycs(sources: dict[str, bytes], cache: Path = CACHE / "pyc") -> dict[str, bytes]:
    """`{path: source}` -> `{path of its pyc: bytes}`, compiled by the Pyodide we ship (in
    node: the host's Python is not 3.14). Cached by the inputs; the output is deterministic."""
    digest = hashlib.sha256((PYODIDE.sha256 + IN_PYODIDE + PYC_COMPILER).encode())
    for name in sorted(sources):
        digest.update(f"{name}\0{len(sources[name])}\0".encode() + sources[name])

    def compile_into(work: Path) -> None:
        for name, data in sources.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(data)
        log(f"compiling {len(sources)} modules with Pyodide's CPython {PYODIDE_PYTHON}")
        run_in_pyodide(PYC_COMPILER, work)

    return cached_pycs(cache / digest.hexdigest()[:16], compile_into)


def run_in_pyodide(code: str, root: Path) -> None:
    """Run `code` in the Pyodide we ship with `root` at /build (see IN_PYODIDE)."""
    if shutil.which("node") is None:
        raise SystemExit("node is needed to compile Python for the browser: apt-get install nodejs")
    pyodide = fetch_npm(PYODIDE)
    command = ["node", "--input-type=module", "-e", IN_PYODIDE, "--", f"{pyodide}/", str(root)]
    subprocess.run([*command, code], check=True)


def cached_pycs(work: Path, fill: Callable[[Path], None]) -> dict[str, bytes]:
    """The pycs `fill` writes under `work`, by path; made once, kept for later builds."""
    if not (work / ".done").exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        fill(work)
        (work / ".done").touch()
    return {p.relative_to(work).as_posix(): p.read_bytes() for p in sorted(work.rglob("*.pyc"))}


def pyscript_modules(pyscript: Path) -> dict[str, bytes]:
    """The `pyscript` Python package exactly as PyScript writes it to the filesystem at boot.

    It ships inside PyScript's JS as a build artifact (src/stdlib/pyscript.js, a JSON literal);
    each text must appear verbatim in the dist chunks we serve, or their pycs would not match."""
    artifact = (pyscript / "src" / "stdlib" / "pyscript.js").read_text()
    tree = json.loads(artifact.split("export default", 1)[1].strip().rstrip(";"))
    shipped = "".join(path.read_text() for path in (pyscript / "dist").glob("core-*.js"))
    modules: dict[str, bytes] = {}

    def walk(prefix: str, node: dict) -> None:
        for name, value in node.items():
            if isinstance(value, dict):
                walk(f"{prefix}{name}/", value)
                continue
            if json.dumps(value, ensure_ascii=False) not in shipped:
                raise SystemExit(f"{prefix}{name} differs from what PyScript's dist writes")
            modules[prefix + name] = value.encode()

    walk("", tree)
    return modules


# Bare Pyodide compiles ~125 stdlib modules from source at every start (python_stdlib.zip holds
# sources only): asyncio, ast, _pyodide, ... That was ~1.1 s of a ~1.7 s warm boot on this
# machine. Seedvox ships the same zip plus a checked-hash pyc beside each module that boot or
# the first QR code imports, which zipimport runs instead (it tries `x.pyc` before `x.py`; a
# pyc whose hash does not match its source is ignored). Which modules: those loaded from the
# zip once Pyodide has started, in node, and then run WARM_UP. Tests check that the page
# compiles no stdlib module at boot, recording, sharing, receiving or drawing a QR code.
# The wheels' modules WARM_UP imports (micropip's, segno's) are compiled too, for the
# __pycache__ beside their sources in site-packages, where the page unpacks them (WHEEL_PYCS).
WARM_UP = """
# Boot, beyond bare Pyodide: datetime; html (PyScript's pyscript.display); secrets, hmac (ids).
import datetime, html, secrets, hmac

# The first QR code (adapters.packages, core.qr): micropip installs segno's wheel; segno draws.
sys.path.insert(0, str(next(Path("/build/.wheels").glob("micropip-*.whl"))))
import micropip

await micropip.install(f"emfs:{next(Path('/build/.wheels').glob('segno-*.whl'))}", deps=False)
import segno

segno.make("https://example.org/#/get/v1/", error="m", micro=False).svg_data_uri(scale=4)
"""

# Compiles every module that came from python_stdlib.zip to /build/stdlib, as `x.pyc` for
# `x.py` (where zipimport looks), and every module of a wheel (micropip's, on sys.path here,
# and segno's, in site-packages) to /build/site-packages, as the `__pycache__` entry Python
# looks for beside the source once the page has installed it in site-packages.
WARM_UP_COMPILER = (
    COMPILE_CHECKED
    + "import sys, zipimport\n"
    + WARM_UP
    + """
def compile_module(data, name, out, dfile):
    source = Path("/tmp/sources", name)
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(data)
    compile_checked(source, out, dfile=dfile)


stdlib = sys.modules["asyncio"].__spec__.loader.archive
site = next(path for path in sys.path if path.endswith("/site-packages"))
for module in list(sys.modules.values()):
    spec = getattr(module, "__spec__", None)
    loader = getattr(spec, "loader", None)
    origin = getattr(spec, "origin", None) or ""
    if isinstance(loader, zipimport.zipimporter) and loader.archive == stdlib:
        name = origin.removeprefix(stdlib + "/")
        # dfile: the path Python names when it compiles the source in the zip, for tracebacks.
        compile_module(loader.get_data(origin), name, Path(f"/build/stdlib/{name}c"), origin)
    elif origin.endswith(".py") and (".whl/" in origin or origin.startswith(site + "/")):
        if isinstance(loader, zipimport.zipimporter):
            name, data = origin.split(".whl/", 1)[1], loader.get_data(origin)
        else:
            name, data = origin.removeprefix(site + "/"), Path(origin).read_bytes()
        out = Path("/build/site-packages", importlib.util.cache_from_source(name))
        compile_module(data, f"site-packages/{name}", out, f"{site}/{name}")
"""
)


def warm_up_pycs(cache: Path = CACHE / "pyc") -> dict[str, bytes]:
    """The pycs of the modules boot and the first QR code import, compiled by the Pyodide we
    ship: `{"stdlib/<path in python_stdlib.zip>": bytes, "site-packages/<path>": bytes}`.
    Cached by its inputs; deterministic."""
    pins = (MICROPIP, SEGNO)  # the wheels WARM_UP installs
    inputs = [PYODIDE.sha256, IN_PYODIDE, WARM_UP_COMPILER, *(pin.sha256 for pin in pins)]
    key = hashlib.sha256("\0".join(inputs).encode())

    def compile_into(work: Path) -> None:
        log(f"compiling the modules WARM_UP imports with Pyodide's CPython {PYODIDE_PYTHON}")
        (work / ".wheels").mkdir()
        for wheel in map(fetch_wheel, pins):
            shutil.copy2(wheel, work / ".wheels" / wheel.name)
        run_in_pyodide(WARM_UP_COMPILER, work)
        shutil.rmtree(work / ".wheels")

    return cached_pycs(cache / f"warm-up-{key.hexdigest()[:16]}", compile_into)


def pycs_under(prefix: str) -> dict[str, bytes]:
    """warm_up_pycs() under `prefix` ("stdlib/" or "site-packages/"), by their path there."""
    return {
        name.removeprefix(prefix): data
        for name, data in warm_up_pycs().items()
        if name.startswith(prefix)
    }


def write_stdlib_zip(path: Path) -> None:
    """Pyodide's python_stdlib.zip, its entries untouched, with its warm-up pycs appended."""
    shutil.copyfile(fetch_npm(PYODIDE) / "python_stdlib.zip", path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        for name, data in pycs_under("stdlib/").items():
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data, zipfile.ZIP_DEFLATED)


def package_files() -> dict[str, bytes]:
    """What seedvox.zip holds: our package's sources with their pycs, and pycs for PyScript's
    `pyscript` package (PyScript writes its sources at boot; the pycs wait in __pycache__).
    Compiling at boot cost about as much as the rest of our start-up did."""
    ours = {
        path.relative_to(PY).as_posix(): path.read_bytes()
        for path in sorted((PY / "seedvox").rglob("*.py"))
    }
    return {**ours, **compile_pycs({**ours, **pyscript_modules(fetch_npm(PYSCRIPT))})}


class Utf8Entry(zipfile.ZipInfo):
    """A zip entry whose name is flagged UTF-8 even when ASCII: reading any other name makes
    Python import the cp437 codec, compiled from source on the boot path (~5 ms)."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # zipfile's own hook
        return self.filename.encode(), self.flag_bits | 0x800


def write_zip(path: Path, files: dict[str, bytes]) -> None:
    """A reproducible zip: sorted entries with fixed dates."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            entry = Utf8Entry(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, files[name], zipfile.ZIP_DEFLATED)


BOOT_HINTS_MARKER = "<!-- build.py: PyScript chunks -->"


def pyscript_boot_chunks(pyscript_dist: Path) -> list[str]:
    """PyScript's content-hashed chunks that load before it starts Pyodide: what core.js
    imports, and the error plugin (loaded even when excluded, to switch it off)."""
    core = (pyscript_dist / "core.js").read_text()
    chunks = re.findall(r'from\s*"\./([\w-]+\.js)"', core)
    plugins = "".join((pyscript_dist / name).read_text() for name in chunks)
    chunks += re.findall(r'import\("\./(error-[\w-]+\.js)"\)', plugins)
    if len(chunks) != 2:
        raise SystemExit(f"PyScript's boot chunks changed shape: {chunks}; update build.py")
    return chunks


def write_boot_hints(out: Path) -> None:
    """Preload PyScript's hashed chunks, whose names change every release, from index.html."""
    page = out / "index.html"
    links = "\n".join(
        f'  <link rel="modulepreload" href="./vendor/pyscript/{name}">'
        for name in pyscript_boot_chunks(out / "vendor" / "pyscript")
    )
    html = page.read_text()
    if BOOT_HINTS_MARKER not in html:
        raise SystemExit(f"index.html lost its marker {BOOT_HINTS_MARKER}")
    page.write_text(html.replace(f"  {BOOT_HINTS_MARKER}", links))


def site_config(trackers: list[str], ice: list[dict], version: str) -> dict:
    # `wheels`: what seedvox.adapters.packages installs with micropip on first use;
    # `wheelPycs`: the zip of their compiled modules it unpacks into site-packages.
    wheels = {SEGNO.name: f"./wheels/{SEGNO.filename}"}
    return {
        "version": version,
        "trackers": trackers,
        "iceServers": ice,
        "wheels": wheels,
        "wheelPycs": f"./{WHEEL_PYCS}",
    }


def content_hash(out: Path, skip: set[str]) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel in skip:
            continue
        digest.update(rel.encode())
        digest.update(sha256(path).encode())
    return digest.hexdigest()[:16]


# PyScript chunks only its editor, terminal, game and MicroPython plugins load: shipped (their
# names change every release) but not precached, so a first visit does not fetch ~1 MB twice.
NOT_PRECACHED = re.compile(
    r"^vendor/pyscript/(codemirror|xterm|py-editor|py-terminal|py-game|donkey|mpy-|"
    r"pyodide_graph|deprecations-manager|toml-|service-worker)"
    r"|\.gz$"
)
# Worth compressing: text and wasm. python_stdlib.zip, wheels and PNGs are compressed already.
GZIP_SUFFIXES = {".js", ".mjs", ".wasm", ".json", ".css", ".html", ".webmanifest", ".py"}


def write_service_worker(out: Path) -> str:
    """Inject the precache list and a cache name derived from the build's content."""
    files = sorted(
        rel
        for p in out.rglob("*")
        if p.is_file()
        and p.name != "sw.js"
        and not NOT_PRECACHED.search(rel := p.relative_to(out).as_posix())
    )
    source = (WEB / "sw.js").read_text()
    # The cache name covers the files, the list and the worker itself: any change, new cache.
    seed = content_hash(out, skip={"sw.js"}) + json.dumps(files) + source
    build_id = hashlib.sha256(seed.encode()).hexdigest()[:16]
    source = source.replace("__BUILD_ID__", build_id)
    source = source.replace("__PRECACHE__", json.dumps(["./", *files], indent=2))
    (out / "sw.js").write_text(source)
    return build_id


def build(
    out: Path = DIST,
    trackers: list[str] | None = None,
    ice: list[dict] | None = None,
    label: str = "",
) -> str:
    """Write a complete static site to `out`; returns the build id (content hash)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(WEB, out, ignore=shutil.ignore_patterns("sw.js"))
    write_icons(out)
    vendor(out)
    write_boot_hints(out)
    write_zip(out / "seedvox.zip", package_files())
    version = f"{read_version()}{'+' + label if label else ''}"
    config = site_config(
        list(trackers or DEFAULT_TRACKERS), list(DEFAULT_ICE if ice is None else ice), version
    )
    (out / "config.json").write_text(json.dumps(config, indent=2))
    build_id = write_service_worker(out)
    precompress(out)
    log(f"built {out} ({build_id})")
    return build_id


def precompress(out: Path) -> None:
    """Write `name.gz` beside each compressible file, for hosts (and our server) to send.

    Not config.json: a deployment may edit it after the build, and hosts that serve `.gz`
    siblings (ours, nginx's gzip_static) would keep sending the stale copy."""
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in GZIP_SUFFIXES and path.name != "config.json":
            data = path.read_bytes()
            packed = gzip.compress(data, compresslevel=6, mtime=0)
            if len(packed) < len(data) * 0.9:
                path.with_name(path.name + ".gz").write_bytes(packed)


def read_version() -> str:
    for line in (ROOT / "pyproject.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    return "0"


# ---------------------------------------------------------------- serving


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Serves dist/ with the MIME types the runtime needs (wasm!) under an optional sub-path."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **MIME_TYPES,
    }
    prefix = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_prefix__")
        return super().translate_path("/" + path[len(self.prefix) :])

    def send_head(self):
        # Browsers check sw.js for updates; a deploy within the same second as the last one
        # would otherwise get 304 from a Last-Modified comparison and never be found.
        if self.path.split("?", 1)[0].endswith("/sw.js"):
            del self.headers["If-Modified-Since"]
        path = Path(self.translate_path(self.path))
        packed = path.with_name(path.name + ".gz")
        if "gzip" in self.headers.get("Accept-Encoding", "") and packed.is_file():
            return self._send_gzip(path, packed)
        return super().send_head()

    def _send_gzip(self, path: Path, packed: Path):
        """The precompressed sibling, labelled with the original's type."""
        stamp = self.date_time_string(int(path.stat().st_mtime))
        if self.headers.get("If-Modified-Since") == stamp:
            self.send_response(304)
            self.end_headers()
            return None
        handle = packed.open("rb")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(packed.stat().st_size))
        self.send_header("Last-Modified", stamp)
        self.end_headers()
        return handle

    def end_headers(self) -> None:
        # Revalidate every time so a new deployment is seen; unchanged files answer 304.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        if os.environ.get("SEEDVOX_HTTP_LOG"):
            super().log_message(format, *args)


def url_prefix(prefix: str) -> str:
    """'seedvox' or '/seedvox' -> '/seedvox/'; '' or '/' -> '/'."""
    return "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"


def make_server(
    directory: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    prefix: str = "/",
    mime_overrides: dict[str, str] | None = None,
):
    """A threaded static server for `directory`; port 0 picks a free port.

    `mime_overrides` exists so tests can reproduce a misconfigured host (e.g. wasm as
    application/octet-stream) and check that the app says so.
    """
    prefix = url_prefix(prefix)
    types = {**StaticHandler.extensions_map, **(mime_overrides or {})}
    handler = type("Handler", (StaticHandler,), {"prefix": prefix, "extensions_map": types})
    return http.server.ThreadingHTTPServer((host, port), partial(handler, directory=str(directory)))


def start_tracker(port: int = 8000, host: str = "127.0.0.1") -> subprocess.Popen:
    """The real bittorrent-tracker (WebSocket only) from tests/tracker, listening on return."""
    target = install_tracker()
    # ES modules resolve packages beside the script (NODE_PATH is ignored), so run a copy there.
    shutil.copy2(TRACKER_DIR / "tracker.mjs", target / "tracker.mjs")
    process = subprocess.Popen(
        ["node", str(target / "tracker.mjs"), "--host", host, "--port", str(port)]
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"the tracker exited with {process.returncode}") from None
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the tracker did not listen on {host}:{port} within 60 s")


def install_tracker() -> Path:
    """`npm ci` the tracker's pinned dependencies into the cache (lockfile = hashes)."""
    target = CACHE / "tracker"
    stamp = target / ".lock-sha256"
    lock = TRACKER_DIR / "package-lock.json"
    if stamp.exists() and stamp.read_text() == sha256(lock):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(TRACKER_DIR / name, target / name)
    log("npm ci (tracker)")
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"],
        cwd=target,
        check=True,
    )
    stamp.write_text(sha256(lock))
    return target


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> None:
    tracker_url = f"ws://127.0.0.1:{args.tracker_port}"
    trackers = args.tracker or [tracker_url]
    # A loopback tracker needs no STUN: an unreachable STUN server delays every connection 5 s.
    build(args.out, trackers=trackers, ice=[] if not args.tracker else None, label=args.label)
    signal.signal(signal.SIGTERM, _interrupt)  # stop the tracker too when we are terminated
    tracker = start_tracker(args.tracker_port) if not args.tracker else None
    try:
        server = make_server(args.out, port=args.port, prefix=args.prefix)
        host, port = server.server_address[:2]
        print(f"Seedvox on http://{host}:{port}{url_prefix(args.prefix)}", flush=True)
        if tracker:
            print(f"tracker on {tracker_url}", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if tracker:
            tracker.terminate()


# ---------------------------------------------------------------- tests and benchmarks


def ensure_test_tools() -> None:
    """Install what the test suite needs on a fresh Debian machine of this kind."""
    wanted = {"chromium": "chromium", "espeak-ng": "espeak-ng", "node": "nodejs", "npm": "npm"}
    missing = [pkg for binary, pkg in wanted.items() if shutil.which(binary) is None]
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        log(f"apt-get install {' '.join(missing)}")
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    log("pip install test dependencies")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    test_deps = pyproject["project"]["optional-dependencies"]["test"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *test_deps,
        ],
        check=True,
    )
    install_tracker()


def run_tests(no_install: bool, pytest_args: list[str]) -> int:
    if not no_install:
        ensure_test_tools()
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT)
    result = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT)
    return lint.returncode or result.returncode


def run_bench(no_install: bool, bench_args: list[str]) -> int:
    if not no_install:
        ensure_test_tools()
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench" / "run.py"), *bench_args], cwd=ROOT
    ).returncode


def main(argv: list[str] | None = None) -> int:
    site = argparse.ArgumentParser(add_help=False)
    site.add_argument("--tracker", action="append", help="WebSocket tracker URL (repeatable)")
    site.add_argument("--label", default="", help="suffix for the version shown in Settings")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, parents=[site]
    )
    parser.add_argument("--out", type=Path, default=DIST, help="output folder (default dist/)")
    commands = parser.add_subparsers(dest="command")
    serve_cmd = commands.add_parser(
        "serve", parents=[site], help="build and serve on 127.0.0.1 with a local tracker"
    )
    serve_cmd.add_argument("--port", type=int, default=8080)
    serve_cmd.add_argument("--tracker-port", type=int, default=8000)
    serve_cmd.add_argument("--prefix", default="/", help="serve under a sub-path, e.g. /seedvox/")
    for name in ("test", "bench"):
        cmd = commands.add_parser(name, help=f"run the {name} suite (extra args after --)")
        cmd.add_argument("--no-install", action="store_true", help="skip installing tools")
        cmd.add_argument("extra", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    extra = [a for i, a in enumerate(getattr(args, "extra", [])) if not (i == 0 and a == "--")]
    if args.command == "serve":
        serve(args)
        return 0
    if args.command == "test":
        return run_tests(args.no_install, extra)
    if args.command == "bench":
        return run_bench(args.no_install, extra)
    build(args.out, trackers=args.tracker, label=args.label)
    return 0


if __name__ == "__main__":
    sys.exit(main())

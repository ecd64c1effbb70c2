"""build.py's boot path: seedvox.zip carries bytecode compiled by the Pyodide we ship, built
reproducibly, and index.html preloads PyScript's content-hashed chunks."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path, PurePosixPath

import pytest

import build

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node compiles the pycs")


def pyc_of(source: str) -> str:
    path = PurePosixPath(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.cpython-314.pyc")


@pytest.fixture(scope="module")
def package() -> dict[str, bytes]:
    return build.package_files()


CHECKED_HASH = (3).to_bytes(4, "little")  # pyc flags 0b11: hash-based, checked against the source


@needs_node
def test_every_module_ships_a_checked_hash_pyc(package: dict[str, bytes]):
    ours = [name for name in package if name.endswith(".py")]
    assert "seedvox/main.py" in ours
    assert all(name.startswith("seedvox/") for name in ours), "no stdlib copies: see stdlib zip"
    pycs = [pyc_of(name) for name in ours]
    pycs += [pyc_of(name) for name in build.pyscript_modules(build.fetch_npm(build.PYSCRIPT))]
    assert sorted(pycs) == sorted(name for name in package if name.endswith(".pyc"))
    magics = {package[name][:4] for name in pycs}
    assert len(magics) == 1 and magics.pop()[2:] == b"\r\n"
    # Checked: a pyc whose source changed is never run.
    assert {package[name][4:8] for name in pycs} == {CHECKED_HASH}


@needs_node
def test_stdlib_zip_is_pyodides_plus_pycs_of_boot_imports(tmp_path: Path):
    stock = build.fetch_npm(build.PYODIDE) / "python_stdlib.zip"
    build.write_stdlib_zip(tmp_path / "one.zip")
    build.write_stdlib_zip(tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(stock) as original, zipfile.ZipFile(tmp_path / "one.zip") as shipped:
        before = {entry.filename: original.read(entry) for entry in original.infolist()}
        after = {entry.filename: shipped.read(entry) for entry in shipped.infolist()}
    added = {name: data for name, data in after.items() if name not in before}
    assert {name: after[name] for name in before} == before, "Pyodide's entries are untouched"
    assert not [name for name in before if name.endswith(".pyc")], "Pyodide ships sources only"
    # Pyodide's own start-up, then what our boot and the first QR code add (WARM_UP).
    for name in ("asyncio/tasks", "_pyodide/_base", "ast", "datetime", "html/__init__", "secrets"):
        assert f"{name}.pyc" in added
    assert {"email/parser.pyc", "xml/sax/saxutils.pyc"} <= set(added), "micropip and segno's"
    assert "xmlrpc/client.pyc" not in added and "unittest/case.pyc" not in added
    assert all(name.endswith(".pyc") and name[:-1] in before for name in added)
    # Checked-hash pycs; that each hash matches its source takes Python 3.14's source_hash,
    # so test_boot checks it in the browser.
    assert {data[4:8] for data in added.values()} == {CHECKED_HASH}
    assert len({data[:4] for data in added.values()}) == 1


@needs_node
def test_wheel_pycs_are_for_the_wheels_sources_in_site_packages():
    pycs = build.pycs_under("site-packages/")
    sources: set[str] = set()
    for pin in (build.MICROPIP, build.SEGNO):
        with zipfile.ZipFile(build.fetch_wheel(pin)) as wheel:
            sources |= {name for name in wheel.namelist() if name.endswith(".py")}
    # What the first QR code imports: micropip, then segno (WARM_UP), each beside its source.
    first_qr = ("micropip/__init__", "micropip/package_manager", "segno/__init__", "segno/encoder")
    for module in first_qr:
        folder, _, name = module.rpartition("/")
        assert f"{folder}/__pycache__/{name}.cpython-314.pyc" in pycs
    for path in pycs:
        folder, _, name = path.rpartition("/__pycache__/")
        assert f"{folder}/{name.removesuffix('.cpython-314.pyc')}.py" in sources, path
    assert {data[4:8] for data in pycs.values()} == {CHECKED_HASH}
    # None of them in the stdlib zip.
    stdlib = build.pycs_under("stdlib/")
    assert not [name for name in stdlib if name.startswith(("micropip", "segno"))]


@needs_node
def test_compiling_is_reproducible(tmp_path: Path):
    sources = {"pkg/__init__.py": b"", "pkg/mod.py": b"VALUE = {'a': (1, 2.5)}\n"}
    first = build.compile_pycs(sources, cache=tmp_path / "one")
    again = build.compile_pycs(sources, cache=tmp_path / "two")
    assert sorted(first) == [
        "pkg/__pycache__/__init__.cpython-314.pyc",
        "pkg/__pycache__/mod.cpython-314.pyc",
    ]
    assert first == again


@needs_node
def test_zip_is_reproducible_and_names_are_utf8(tmp_path: Path, package: dict[str, bytes]):
    build.write_zip(tmp_path / "a.zip", package)
    build.write_zip(tmp_path / "b.zip", dict(reversed(package.items())))
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        entries = archive.infolist()
        assert [entry.filename for entry in entries] == sorted(package)
        assert all(entry.flag_bits & 0x800 for entry in entries)
        assert archive.read("seedvox/main.py") == package["seedvox/main.py"]


def test_pyscript_modules_must_match_what_pyscript_writes(tmp_path: Path):
    modules = build.pyscript_modules(build.fetch_npm(build.PYSCRIPT))
    assert b"from pyscript" in modules["pyscript/__init__.py"]
    fake = tmp_path / "pyscript"
    (fake / "src" / "stdlib").mkdir(parents=True)
    (fake / "dist").mkdir()
    tree = {"pyscript": {"__init__.py": "x = 1\n"}}
    (fake / "src" / "stdlib" / "pyscript.js").write_text(f"export default {json.dumps(tree)};")
    (fake / "dist" / "core-abc.js").write_text('{"__init__.py":"x = 2\\n"}')
    with pytest.raises(SystemExit, match="differs"):
        build.pyscript_modules(fake)


def test_boot_hints_preload_pyscript_chunks(tmp_path: Path):
    shutil.copy2(build.WEB / "index.html", tmp_path / "index.html")
    dist = build.fetch_npm(build.PYSCRIPT) / "dist"
    shutil.copytree(dist, tmp_path / "vendor" / "pyscript", ignore=build.ignore_maps)
    build.write_boot_hints(tmp_path)
    html = (tmp_path / "index.html").read_text()
    assert build.BOOT_HINTS_MARKER not in html
    chunks = build.pyscript_boot_chunks(dist)
    assert [name.split("-")[0] for name in chunks] == ["core", "error"]
    for name in chunks:
        assert f'<link rel="modulepreload" href="./vendor/pyscript/{name}">' in html
        assert (tmp_path / "vendor" / "pyscript" / name).is_file()
    (tmp_path / "index.html").write_text(html)
    with pytest.raises(SystemExit, match="marker"):
        build.write_boot_hints(tmp_path)


def test_config_json_is_never_precompressed(tmp_path: Path):
    # A host serving a stale config.json.gz would ignore an edited config.json.
    text = json.dumps({"trackers": ["wss://tracker.example"] * 200})
    (tmp_path / "config.json").write_text(text)
    (tmp_path / "app.js").write_text(text)
    build.precompress(tmp_path)
    assert (tmp_path / "app.js.gz").exists()
    assert not (tmp_path / "config.json.gz").exists()

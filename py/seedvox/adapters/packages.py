"""Python packages installed on first use with micropip, from the site's own wheels/ folder
(listed in config.json by build.py): never from a package index, so offline works too."""

from __future__ import annotations

import sys

import js
import pyodide_js
from pyscript import document

from .interop import to_object

_installed: set[str] = set()
_compiled_unpacked = False


class PackageError(Exception):
    pass


async def require(name: str, config: dict) -> None:
    """Make `import name` work; the wheel's path comes from config["wheels"][name]."""
    if name in _installed:
        return
    wheel = (config.get("wheels") or {}).get(name)
    if not wheel:
        raise PackageError(f"{name} is not shipped with this build")
    try:
        await pyodide_js.loadPackage("micropip")  # from our own lockfile, beside Pyodide
        await _unpack_compiled(config.get("wheelPycs"))
        import micropip

        await micropip.install(_url(wheel), deps=False)
    except Exception as error:  # a network or integrity failure, said in the user's words
        raise PackageError(str(error)) from error
    _installed.add(name)


async def _unpack_compiled(path: str | None) -> None:
    """build.py's compiled modules of the wheels (checked-hash pycs, ignored should a source
    differ), into the __pycache__ folders of site-packages, so that importing micropip and
    segno does not compile them: a third of the first QR code's time (464 → 308 ms)."""
    global _compiled_unpacked
    if not path or _compiled_unpacked:
        return
    response = await js.fetch(_url(path))
    if not response.ok:
        raise PackageError(f"{path}: HTTP {response.status}")
    site = next(entry for entry in sys.path if entry.endswith("/site-packages"))
    pyodide_js.unpackArchive(await response.arrayBuffer(), "zip", to_object({"extractDir": site}))
    _compiled_unpacked = True


def _url(path: str) -> str:
    return str(js.URL.new(path, document.baseURI).href)

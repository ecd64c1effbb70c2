"""Python packages installed on first use with micropip, from the site's own wheels/ folder
(listed in config.json by build.py): never from a package index, so offline works too."""

from __future__ import annotations

import js
import pyodide_js
from pyscript import document

_installed: set[str] = set()


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
        import micropip

        await micropip.install(str(js.URL.new(wheel, document.baseURI).href), deps=False)
    except Exception as error:  # a network or integrity failure, said in the user's words
        raise PackageError(str(error)) from error
    _installed.add(name)

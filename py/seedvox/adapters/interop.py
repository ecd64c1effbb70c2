"""Conversions at the Python/JS boundary. Only metadata crosses it; audio stays in Blobs."""

from __future__ import annotations

from typing import Any

import js
from pyodide.ffi import JsProxy, create_proxy, jsnull, to_js


def absent(value: Any) -> bool:
    """JS null/undefined (or None). Never use a JsProxy's truthiness for this: Pyodide takes
    an object with `size: 0` or `length: 0` as false."""
    return value is None or value is jsnull


def to_object(value: Any) -> Any:
    """A Python dict/list as a plain JS object/array (not a Map)."""
    return to_js(value, dict_converter=js.Object.fromEntries)


def to_python(value: Any) -> Any:
    """A JS object/array as Python dicts/lists; JS objects like Blobs stay proxies."""
    if isinstance(value, JsProxy) and hasattr(value, "to_py"):
        return value.to_py(depth=4)
    return value


def callback(function: Any) -> Any:
    """A long-lived JS function for a Python callable (kept alive until destroyed)."""
    return create_proxy(function)


def now_ms() -> float:
    return float(js.Date.now())


def utc_offset_minutes() -> int:
    """Minutes east of UTC, as core.format expects."""
    return -int(js.Date.new().getTimezoneOffset())

"""Browser platform services (web/js/platform.js): boot handshake, service worker, storage."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from pyscript.js_modules import platform as js_platform

from .interop import callback, to_object, to_python


def mark_ready() -> None:
    js_platform.markReady()


def boot_failed(message: str) -> None:
    js_platform.bootFailed(message)


def is_secure_context() -> bool:
    return bool(js_platform.isSecureContext())


async def yield_to_user() -> None:
    """Wait until the page has nothing more urgent to do (between steps of background work)."""
    await js_platform.yieldToUser()


async def load_config() -> dict[str, Any]:
    return to_python(await js_platform.loadConfig())


async def persist_storage() -> bool:
    try:
        return bool(await js_platform.persistStorage())
    except Exception:
        return False


async def register_service_worker(on_update: Callable[[], None]) -> Callable[[], None] | None:
    """Returns a function that applies a waiting update (reloading the page)."""
    apply = await js_platform.registerServiceWorker(callback(on_update))
    return (lambda: apply()) if apply else None


def object_url(blob: Any) -> str:
    return str(js_platform.objectUrl(blob))


def revoke_url(url: str) -> None:
    js_platform.revokeUrl(url)


def join_blobs(parts: list[Any], mime: str = "") -> Any:
    """A Blob of the parts (Uint8Arrays, Blobs); Blob bytes are referenced, not copied."""
    return js_platform.joinBlobs(to_object(parts), mime)


def slice_blob(blob: Any, start: int, end: int, mime: str = "") -> Any:
    return js_platform.sliceBlob(blob, start, end, mime)


async def read_bytes(blob: Any, start: int, end: int) -> bytes:
    """A small slice as Python bytes: headers only, never audio."""
    return bytes((await js_platform.readBytes(blob, start, end)).to_py())


async def copy_text(text: str) -> bool:
    try:
        await js_platform.copyText(text)
        return True
    except Exception:
        return False


def can_share_links() -> bool:
    return bool(js_platform.canShareLinks())


async def share_link(title: str, url: str) -> None:
    with contextlib.suppress(Exception):  # the user closed the share sheet
        await js_platform.shareLink(title, url)


def page_url() -> str:
    return str(js_platform.pageUrl())


async def probe_duration(blob: Any) -> float:
    return float(await js_platform.probeDuration(blob))


def download_blob(blob: Any, filename: str) -> None:
    js_platform.downloadBlob(blob, filename)

"""Browser platform services (web/js/platform.js): boot handshake, service worker, storage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyscript.js_modules import platform as js_platform

from .interop import callback, to_python


def mark_ready() -> None:
    js_platform.markReady()


def boot_failed(message: str) -> None:
    js_platform.bootFailed(message)


def is_secure_context() -> bool:
    return bool(js_platform.isSecureContext())


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

"""MediaRecorder (web/js/recorder.js) seen from Python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyscript.js_modules import recorder as js_recorder

from .interop import callback


class RecorderError(Exception):
    """Why recording could not start; `kind` is one of denied, no_device, unsupported, failed."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind
        self.detail = detail


def _kind(error: Exception) -> str:
    text = str(error)
    if "NotAllowedError" in text or "SecurityError" in text:
        return "denied"
    if "NotFoundError" in text or "OverconstrainedError" in text:
        return "no_device"
    if "NotSupportedError" in text:
        return "unsupported"
    return "failed"


def supported() -> bool:
    return js_recorder.supportedType() is not None


class Microphone:
    """One recording: chunks and levels go to the given callbacks as they arrive."""

    def __init__(self, handle: Any, proxies: list[Any]) -> None:
        self._handle = handle
        self._proxies = proxies
        self.mime: str = str(handle.mimeType)

    @classmethod
    async def start(
        cls,
        session: str,
        on_chunk: Callable[[Any, int, float], None],
        on_level: Callable[[float], None],
    ) -> Microphone:
        proxies = [callback(on_chunk), callback(on_level)]
        try:
            handle = await js_recorder.start(session, *proxies)
        except Exception as error:
            for proxy in proxies:
                proxy.destroy()
            raise RecorderError(_kind(error), str(error)) from error
        return cls(handle, proxies)

    def elapsed(self) -> float:
        return float(self._handle.elapsed())

    async def stop(self) -> float:
        """Stop; returns the measured duration in seconds once the last chunk was handed out."""
        try:
            return float(await self._handle.stop())
        finally:
            for proxy in self._proxies:
                proxy.destroy()
            self._proxies = []


async def active_sessions() -> set[str]:
    return {str(name) for name in await js_recorder.activeSessions()}

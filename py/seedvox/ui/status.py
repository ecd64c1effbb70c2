"""The status area (role=status): transient messages, optionally with one action button."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .dom import Listeners, by_id, clear, h

SHOW_SECONDS = 6.0


class Status:
    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._element = by_id("status")
        self._listeners = Listeners(on_error)
        self._timer: asyncio.TimerHandle | None = None

    def show(
        self,
        text: str,
        action: tuple[str, Callable[[], Any]] | None = None,
        *,
        seconds: float | None = SHOW_SECONDS,
        error: bool = False,
    ) -> None:
        """Show `text`; `action` adds a button (label, handler); `seconds=None` keeps it up."""
        self._cancel_timer()
        self._listeners.clear()
        clear(self._element)
        self._element.classList.toggle("error", error)
        self._element.append(h("span", None, text))
        if action:
            label, handler = action
            button = h("button", {"type": "button"}, label)

            def run(_event: Any) -> Any:
                # Hide after this event: hiding destroys the listener that is running now.
                asyncio.get_event_loop().call_soon(self.hide)
                return handler()

            self._listeners.on(button, "click", run)
            self._element.append(button)
        if seconds:
            self._timer = asyncio.get_event_loop().call_later(seconds, self.hide)

    def hide(self) -> None:
        self._cancel_timer()
        self._listeners.clear()
        clear(self._element)

    def _cancel_timer(self) -> None:
        if self._timer:
            self._timer.cancel()
            self._timer = None

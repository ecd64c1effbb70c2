"""What every view shares: the status area, the confirm dialog, navigation and error reporting."""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

from pyscript import window

from ..adapters import platform
from ..core import routes
from ..core.strings import t
from .dom import Listeners, by_id
from .status import Status


class Shell:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.storage_persisted = False  # the browser granted persistent storage
        self.status = Status(self.report)
        self._dialog = by_id("confirm")
        self._handoff: tuple[str, Any] | None = None

    def report(self, error: BaseException) -> None:
        """Show an unexpected error to the user and keep the app running."""
        traceback.print_exception(error)
        self.status.show(t("error.generic", reason=str(error) or type(error).__name__), error=True)

    def offer_download(self, text: str, blob: Any, filename: str) -> None:
        """Storage refused `blob`: say so and keep it reachable as a file download."""
        action = (t("record.download"), lambda: platform.download_blob(blob, filename))
        self.status.show(text, action, seconds=None, error=True)

    def navigate(self, route: routes.Route, handoff: Any = None) -> None:
        """Go to `route`; `handoff` is data its view would otherwise read again (take_handoff)."""
        href = routes.href(route)
        self._handoff = None if handoff is None else (href, handoff)
        window.location.hash = href

    def take_handoff(self, route: routes.Route) -> Any:
        """What navigate() was handed for this very route, once; None otherwise."""
        handoff, self._handoff = self._handoff, None
        return handoff[1] if handoff and handoff[0] == routes.href(route) else None

    async def confirm(self, text: str, ok_label: str) -> bool:
        """A modal yes/no question; True when the user confirmed."""
        by_id("confirm-text").textContent = text
        by_id("confirm-ok").textContent = ok_label
        by_id("confirm-cancel").textContent = t("dialog.cancel")
        answer: asyncio.Future[bool] = asyncio.get_event_loop().create_future()
        listeners = Listeners(self.report)

        def closed(_event: Any) -> None:
            if not answer.done():
                answer.set_result(self._dialog.returnValue == "ok")

        listeners.on(self._dialog, "close", closed)
        self._dialog.returnValue = ""
        self._dialog.showModal()
        try:
            return await answer
        finally:
            listeners.clear()

"""The router: location.hash -> one view entered, the previous one left."""

from __future__ import annotations

from typing import Any, Protocol

from pyscript import window

from ..adapters import store
from ..adapters.interop import callback
from ..core import routes
from ..core.strings import t
from ..sharing import Sharing
from .dom import Listeners, by_id, show, spawn
from .fetch import FetchView
from .library import LibraryView
from .memo import MemoView
from .settings import SettingsView
from .shell import Shell


class View(Protocol):
    section: Any

    async def enter(self, route: routes.Route) -> None: ...

    def leave(self) -> None: ...

    async def external_change(self) -> None: ...


class App:
    def __init__(self, shell: Shell, sharing: Sharing) -> None:
        self.shell = shell
        self.library = LibraryView(shell, lambda: sharing.settings.max_bytes)
        self.memo = MemoView(shell, sharing, on_change=self.library.refresh)
        self.settings = SettingsView(shell, sharing)
        self.fetch = FetchView(shell, sharing)  # the library reads the store when entered
        self.views: dict[str, View] = {
            "library": self.library,
            "memo": self.memo,
            "settings": self.settings,
            "fetch": self.fetch,
        }
        self.current: View | None = None
        self._listeners = Listeners(shell.report)

    def start(self) -> None:
        self._listeners.on(window, "hashchange", lambda _e: self.route())
        store.on_change(callback(self._changed_elsewhere))

    def _changed_elsewhere(self, kind: str, stores: Any) -> None:
        """Another tab wrote to the database, or upgraded it."""
        if kind == "versionchange":
            reload = (t("update.reload"), lambda: window.location.reload())
            self.shell.status.show(t("store.changed_elsewhere"), reload, seconds=None)
            return
        if {"memos", "shares"} & {str(name) for name in stores} and self.current is not None:
            spawn(self.current.external_change(), self.shell.report)

    async def route(self) -> None:
        route = routes.parse(str(window.location.hash))
        view = self.views.get(route.name, self.library)
        if self.current is not None:
            self.current.leave()
            show(self.current.section, False)
        else:  # first route: the shell shows the library until Python decides
            for other in self.views.values():
                show(other.section, other is view)
        self.current = view
        await view.enter(route)
        show(view.section, True)
        by_id("boot-message").hidden = True
        if route.name == "not_found":
            self.shell.status.show(t("memo.not_found"))

"""The router: location.hash -> one view entered, the previous one left.

Only the library is built at boot. The other views, and sharing with WebTorrent's adapter
behind them, are built (their modules imported) when first needed: the first screen does not
wait for the code of the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from pyscript import window

from ..adapters import store
from ..adapters.interop import callback
from ..core import routes
from ..core.settings import Settings
from ..core.strings import t
from .dom import Listeners, by_id, show, spawn
from .library import LibraryView
from .shell import Shell

if TYPE_CHECKING:
    from ..sharing import Sharing


class View(Protocol):
    section: Any

    async def enter(self, route: routes.Route) -> None: ...

    def leave(self) -> None: ...

    async def external_change(self) -> None: ...


class App:
    def __init__(self, shell: Shell, settings: Settings) -> None:
        self.shell = shell
        self._settings = settings  # until sharing is built; then sharing.settings
        self._sharing: Sharing | None = None
        self.library = LibraryView(shell, lambda: self.sharing.settings.max_bytes)
        self.views: dict[str, View] = {"library": self.library}
        self.current: View | None = None
        self._listeners = Listeners(shell.report)

    @property
    def sharing(self) -> Sharing:
        """Sharing and receiving, built on first use."""
        if self._sharing is None:
            from ..sharing import Sharing

            self._sharing = Sharing(self._settings)
        return self._sharing

    def view(self, name: str) -> View:
        """The view of a route name (the library for any other), built when first entered."""
        if name not in self.views:
            if name == "memo":
                from .memo import MemoView

                self.views[name] = MemoView(self.shell, self.sharing, self.library.refresh)
            elif name == "settings":
                from .settings import SettingsView

                self.views[name] = SettingsView(self.shell, self.sharing)
            elif name == "fetch":
                from .fetch import FetchView

                self.views[name] = FetchView(self.shell, self.sharing)
            else:
                return self.library
        return self.views[name]

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
        view = self.view(route.name)
        if self.current is not None:
            self.current.leave()
            show(self.current.section, False)
        else:  # first route: the shell shows the library (the rest hidden) until Python decides
            show(self.library.section, view is self.library)
        self.current = view
        await view.enter(route)
        self.shell.take_handoff(route)  # unclaimed (another route came first): never kept for later
        show(view.section, True)
        by_id("boot-message").hidden = True
        if route.name == "not_found":
            self.shell.status.show(t("memo.not_found"))

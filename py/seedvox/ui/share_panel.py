"""The Share part of a memo's view: the link, Copy/Share/Stop, and live peer/upload figures."""

from __future__ import annotations

import asyncio
from typing import Any

from ..adapters import packages, platform
from ..core.links import ShareLink
from ..core.memo import Memo
from ..core.qr import qr_data_uri
from ..core.strings import t
from ..core.transfer import Stats, share_summary
from ..sharing import ShareError, Sharing
from .dom import Listeners, clear, h, spawn
from .shell import Shell

STATS_SECONDS = 1.0


class SharePanel:
    def __init__(self, shell: Shell, sharing: Sharing) -> None:
        self.shell = shell
        self.sharing = sharing
        self._listeners = Listeners(shell.report)
        self._ticker: asyncio.Task | None = None
        self.memo: Memo | None = None
        self.link: ShareLink | None = None
        # Made by show() and forgotten by close(): a reference kept here would hold the panel
        # (and the last stats line) alive, detached, for as long as the app runs.
        self.element: Any = None
        self.stats: Any = None
        self.qr_figure: Any = None

    async def show(self, memo: Memo) -> Any:
        self.close()
        element = self.element = h("section", {"class": "share", "aria-label": t("share.button")})
        self.memo = memo
        link = await self.sharing.link_for(memo)
        if self.element is not element:
            return element  # closed meanwhile: left empty
        self.link = link
        self._render()
        return element

    def close(self) -> None:
        if self._ticker:
            self._ticker.cancel()
            self._ticker = None
        self._listeners.clear()
        if self.element is not None:
            clear(self.element)
        self.element = self.stats = self.qr_figure = None
        self.memo = self.link = None

    def _render(self) -> None:
        self._listeners.clear()
        clear(self.element)
        self.stats = self.qr_figure = None
        if self._ticker:
            self._ticker.cancel()
            self._ticker = None
        on = self._listeners.on
        if self.link is None:
            button = h("button", {"type": "button", "class": "primary"}, t("share.button"))
            on(button, "click", lambda _e: self.start())
            self.element.append(button)
            return
        url = self.link.url(platform.page_url())
        field = h("input", {"id": "share-link", "type": "url", "readonly": True, "value": url})
        copy = h("button", {"type": "button"}, t("share.copy"))
        stop = h("button", {"type": "button", "class": "danger"}, t("share.stop"))
        self.stats = h("p", {"class": "share-stats"}, share_summary(Stats()))
        actions = h("div", {"class": "actions"}, copy)
        if platform.can_share_links():
            system = h("button", {"type": "button"}, t("share.system"))
            on(system, "click", lambda _e: platform.share_link(self.memo.title, url))
            actions.append(system)
        qr = h("button", {"type": "button", "aria-expanded": "false"}, t("share.qr"))
        self.qr_figure = h("figure", {"class": "qr", "hidden": True})
        on(qr, "click", lambda _e: self._toggle_qr(qr, url))
        actions.append(qr)
        actions.append(stop)
        self.element.append(
            h("label", {"for": "share-link"}, t("share.link")),
            field,
            actions,
            self.qr_figure,
            h("p", {"class": "note"}, t("share.availability")),
            self.stats,
        )
        on(field, "focus", lambda e: e.target.select())
        on(copy, "click", lambda _e: self._copy(url))
        on(stop, "click", lambda _e: self.stop())
        self._ticker = spawn(self._tick(), self.shell.report)

    async def _share(self) -> ShareLink | None:
        try:
            return await self.sharing.share(self.memo)
        except ShareError as error:
            self.shell.status.show(str(error), error=True, seconds=None)
            return None

    async def start(self) -> None:
        self.shell.status.show(t("share.preparing"))
        element = self.element
        link = await self._share()
        if link:
            self.shell.status.hide()
        if self.element is element:  # still showing this memo: a left view is not drawn again
            self.link = link
            self._render()

    async def stop(self) -> None:
        element = self.element
        await self.sharing.stop(self.memo)
        if self.element is element:
            self.link = None
            self._render()
        self.shell.status.show(t("share.stopped"))

    async def _toggle_qr(self, button: Any, url: str) -> None:
        figure = self.qr_figure
        if not figure.hidden:
            figure.hidden = True
            button.setAttribute("aria-expanded", "false")
            button.textContent = t("share.qr")
            return
        if not figure.firstChild:
            button.disabled = True
            try:
                await packages.require("segno", self.shell.config)
            except packages.PackageError as error:
                self.shell.status.show(t("share.qr_failed", reason=str(error)), error=True)
                return
            finally:
                button.disabled = False
            if self.qr_figure is not figure:
                return  # the panel was closed or drawn again meanwhile
            image = h("img", {"src": qr_data_uri(url), "alt": t("share.qr_alt")})
            figure.append(image)
        figure.hidden = False
        button.setAttribute("aria-expanded", "true")
        button.textContent = t("share.qr_hide")

    async def _copy(self, url: str) -> None:
        copied = await platform.copy_text(url)
        self.shell.status.show(t("share.copied") if copied else t("share.copy_failed"))

    async def _tick(self) -> None:
        while self.link:
            record = self.sharing.stats(self.link.infohash)
            self.stats.textContent = share_summary(Stats.from_record(record or {}))
            await asyncio.sleep(STATS_SECONDS)

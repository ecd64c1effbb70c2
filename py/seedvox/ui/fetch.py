"""Receiving a shared memo: what is fetched, progress, the waiting state, Cancel, then save."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..core import routes
from ..core.format import size_label
from ..core.links import BadLink, ShareLink, parse_fragment
from ..core.payload import BadPayload
from ..core.strings import t
from ..core.transfer import GIVE_UP_S, Fetch, Phase, Stats
from ..sharing import NoRoom, ShareError, Sharing
from .dom import Listeners, append, by_id, clear, h, show, spawn
from .shell import Shell

TICK_SECONDS = 1.0


class FetchView:
    def __init__(self, shell: Shell, sharing: Sharing) -> None:
        self.shell = shell
        self.sharing = sharing
        self.section = by_id("view-fetch")
        self._listeners = Listeners(shell.report)
        self._release: Any = None
        self._ticker: asyncio.Task | None = None
        self.fetch: Fetch | None = None
        self.link: ShareLink | None = None
        self._drop_elements()

    def _drop_elements(self) -> None:
        """Forget the rendered elements: a Python reference to a node keeps its whole detached
        subtree alive in Pyodide's table of JS objects after the view is left."""
        self.what: Any = None
        self.bar: Any = None
        self.line: Any = None
        self.cancel_button: Any = None
        self.after: Any = None

    async def enter(self, route: routes.Route) -> None:
        self._render_frame()
        try:
            link = parse_fragment(route.params["fragment"])
        except BadLink as error:
            self._finish_with(str(error))
            return
        self.link = link
        line = self.line
        known = await self.sharing.known(link.infohash)
        if self.line is not line:
            return  # left meanwhile
        if known:
            self._already(known.id)
            return
        fetch = self.fetch = Fetch(
            link.infohash,
            started=time.monotonic(),
            give_up_s=float(self.shell.config.get("fetchGiveUpSeconds") or GIVE_UP_S),
            max_bytes=self.sharing.settings.max_bytes,
        )
        self._update()
        try:
            release = await self.sharing.start_fetch(
                link, self._metadata, self._progress, self._done, self._error, self._refused
            )
        except ShareError as error:
            fetch.fail(str(error))
            self._update()
            return
        if self.fetch is not fetch:
            # Left while the torrent was being added: leave() could not cancel it yet.
            release()
            await self.sharing.cancel_fetch(link.infohash)
            return
        self._release = release
        self._ticker = spawn(self._tick(), self.shell.report)

    def leave(self) -> None:
        fetch = self.fetch
        if fetch and not fetch.final and fetch.phase is not Phase.SAVING:
            fetch.cancel()
            spawn(self.sharing.cancel_fetch(fetch.infohash), self.shell.report)
        self._stop_ticker()
        self._listeners.clear()
        if self._release:
            self._release()
            self._release = None
        clear(self.section)
        self._drop_elements()
        self.fetch = None

    async def external_change(self) -> None:
        pass  # a fetch in progress is not affected by other tabs' edits

    # ------------------------------------------------------------ rendering

    def _render_frame(self) -> None:
        self._listeners.clear()
        clear(self.section)
        self.what = h("p", {"class": "what"}, "")
        self.bar = h(
            "progress", {"max": "100", "value": "0", "aria-label": t("fetch.progress_label")}
        )
        self.line = h("p", {"class": "fetch-line"}, "")
        self.cancel_button = h("button", {"type": "button"}, t("fetch.cancel"))
        self.after = h("div", {"class": "actions"})
        append(
            self.section,
            h("h1", {"id": "fetch-heading"}, t("fetch.heading")),
            self.what,
            self.bar,
            self.line,
            h("div", {"class": "actions"}, self.cancel_button),
            self.after,
        )
        self._listeners.on(self.cancel_button, "click", lambda _e: self.cancel())

    def _update(self) -> None:
        fetch = self.fetch
        if fetch is None:
            return
        if fetch.size is not None:
            self.what.textContent = t("fetch.size", size=size_label(fetch.size))
        self.bar.value = int(fetch.stats.progress * 100)
        self.line.textContent = fetch.summary()
        show(self.cancel_button, not fetch.final and fetch.phase is not Phase.SAVING)
        if fetch.phase in (Phase.FAILED, Phase.CANCELLED):
            self._stop_ticker()
            show(self.bar, False)
            self.line.setAttribute("role", "alert")
            self.shell.status.show(fetch.summary(), error=fetch.phase is Phase.FAILED, seconds=None)
            retry = h("button", {"type": "button"}, t("fetch.retry"))
            self._listeners.on(retry, "click", lambda _e: self._retry())
            clear(self.after)
            self.after.append(retry)

    def _finish_with(self, message: str) -> None:
        text = t("fetch.invalid", reason=message)
        show(self.bar, False)
        show(self.cancel_button, False)
        self.line.textContent = text
        self.line.setAttribute("role", "alert")
        self.shell.status.show(text, error=True, seconds=None)

    def _already(self, memo_id: str) -> None:
        show(self.bar, False)
        show(self.cancel_button, False)
        self.line.textContent = t("fetch.already")
        self.after.append(h("a", {"href": routes.href(routes.memo(memo_id))}, t("fetch.open")))
        self.shell.status.show(t("fetch.already"))

    # ------------------------------------------------------------ events from the torrent

    def _metadata(self, info: dict) -> None:
        if self.fetch:
            self.fetch.metadata(int(info.get("length") or 0), int(info.get("files") or 0))
            self._update()

    def _progress(self, record: dict) -> None:
        if self.fetch:
            self.fetch.progress(Stats.from_record(record), time.monotonic())
            self._update()

    def _error(self, message: str, detail: dict) -> None:
        if not self.fetch or self.fetch.final:
            return
        code = detail.get("code")
        if code in ("too-big", "files"):
            # Refused before any piece was requested: the same rules as core.transfer's.
            self.fetch.metadata(int(detail.get("length") or 0), int(detail.get("files") or 1))
        elif code == "corrupt":
            message = t("fetch.corrupt")
        self.fetch.fail(message)  # no-op when metadata() already failed with our own words
        self._update()

    def _refused(self, message: str) -> None:
        if self.fetch:
            self._refuse(self.fetch, message)

    def _refuse(self, fetch: Fetch, message: str) -> None:
        """What arrived can never be saved: say so, and stop downloading or seeding it."""
        if fetch.final:
            return
        fetch.fail(t("fetch.invalid", reason=message))
        self._update()
        spawn(self.sharing.cancel_fetch(fetch.infohash), self.shell.report)

    def _done(self, blob: Any) -> None:
        if self.fetch and not self.fetch.final:
            self.fetch.downloaded()
            self._update()
            spawn(self._save(self.fetch, blob), self.shell.report)

    async def _save(self, fetch: Fetch, blob: Any) -> None:
        try:
            received = await self.sharing.save_received(self.link, blob)
        except BadPayload as error:
            self._refuse(fetch, str(error))
            return
        except NoRoom as full:
            fetch.fail(t("fetch.storage_full"))
            self._update()
            self.shell.offer_download(t("fetch.storage_full"), full.audio, full.filename)
            return
        fetch.saved()
        self._update()
        # The memo view is handed what was just saved rather than reading it back (~5 ms).
        handoff = None if received.audio is None else (received.memo, received.audio)
        self.shell.navigate(routes.memo(received.memo.id), handoff)
        self.shell.status.show(t("fetch.already") if received.duplicate else t("fetch.done"))

    # ------------------------------------------------------------ actions

    async def cancel(self) -> None:
        if self.fetch and not self.fetch.final:
            self.fetch.cancel()
            await self.sharing.cancel_fetch(self.fetch.infohash)
            self._update()

    def _retry(self) -> None:
        # Same hash: hashchange would not fire, so re-enter the view ourselves.
        spawn(self._reenter(), self.shell.report)

    async def _reenter(self) -> None:
        fragment = self.link.fragment if self.link else "#/"
        self.leave()
        await self.enter(routes.parse(fragment))

    async def _tick(self) -> None:
        while self.fetch and not self.fetch.final:
            self.fetch.tick(time.monotonic())
            if self.fetch.phase is Phase.FAILED:
                await self.sharing.cancel_fetch(self.fetch.infohash)
            self._update()
            await asyncio.sleep(TICK_SECONDS)

    def _stop_ticker(self) -> None:
        if self._ticker and not self._ticker.done():
            self._ticker.cancel()
        self._ticker = None

"""One memo: play/pause with seek, title and description, download, delete with undo."""

from __future__ import annotations

import asyncio
from typing import Any

from pyscript import document

from ..adapters import interop, platform, store
from ..core import routes
from ..core.format import clock, date_label, iso_instant
from ..core.memo import UNDO_WINDOW_MS, Memo
from ..core.strings import t
from ..sharing import Sharing
from .dom import Listeners, append, by_id, clear, h, spawn
from .share_panel import SharePanel
from .shell import Shell


class MemoView:
    def __init__(self, shell: Shell, sharing: Sharing, on_change: Any) -> None:
        self.shell = shell
        self.sharing = sharing
        self.share_panel = SharePanel(shell, sharing)
        self.section = by_id("view-memo")
        self._on_change = on_change  # called after the library changed (delete, restore)
        self._listeners = Listeners(shell.report)
        self._url: str | None = None
        self.memo: Memo | None = None
        self._saving = asyncio.Lock()
        self._drop_elements()

    def _drop_elements(self) -> None:
        """Forget the rendered elements: a Python reference to a node keeps its whole detached
        subtree alive in Pyodide's table of JS objects after the view is left."""
        self.heading: Any = None
        self.audio: Any = None
        self.play: Any = None
        self.seek: Any = None
        self.position: Any = None
        self.title_field: Any = None
        self.description_field: Any = None

    async def enter(self, route: routes.Route) -> None:
        found = self.shell.take_handoff(route) or await store.open_memo(route.params["id"])
        if found is None:
            self._render_missing()
            return
        memo, blob = found
        self.memo = memo
        self._url = platform.object_url(blob)
        self._render(memo)
        # The memo shows now; its share panel follows once the memo's share has been looked up.
        spawn(self._show_share_panel(memo), self.shell.report)

    async def _show_share_panel(self, memo: Memo) -> None:
        panel = await self.share_panel.show(memo)
        if panel is self.share_panel.element:  # neither left nor entered again meanwhile
            self.section.append(panel)

    def leave(self) -> None:
        self.share_panel.close()
        if self.audio is not None:
            self.audio.pause()
        self._listeners.clear()
        if self._url:
            platform.revoke_url(self._url)
            self._url = None
        clear(self.section)
        self._drop_elements()
        self.memo = None

    async def external_change(self) -> None:
        """Another tab changed the library: follow its edits, leave if the memo went away."""
        current = self.memo
        if current is None:
            return
        memo = await store.get_memo(current.id)
        if self.memo is not current:
            return  # left (its elements are gone) or saved meanwhile
        if memo is None or memo.deleted is not None:
            self.shell.navigate(routes.LIBRARY)
            return
        if memo == current:
            return
        self.memo = self.share_panel.memo = memo
        self.heading.textContent = memo.title
        for field, value in (
            (self.title_field, memo.title),
            (self.description_field, memo.description),
        ):
            if document.activeElement != field:  # never overwrite what the user is typing
                field.value = value

    def _render_missing(self) -> None:
        clear(self.section)
        append(
            self.section,
            h("h1", {"id": "memo-heading"}, t("memo.not_found")),
            h("a", {"href": routes.href(routes.LIBRARY)}, t("memo.back")),
        )

    def _render(self, memo: Memo) -> None:
        on = self._listeners.on
        offset = interop.utc_offset_minutes()
        self.heading = h("h1", {"id": "memo-heading"}, memo.title)
        self.audio = h("audio", {"preload": "auto", "src": self._url})
        self.play = h("button", {"type": "button", "class": "primary"}, t("memo.play"))
        self.seek = h(
            "input",
            {
                "type": "range",
                "min": "0",
                "max": f"{max(memo.duration, 0.01):.2f}",
                "step": "0.01",
                "value": "0",
                "aria-label": t("memo.seek"),
            },
        )
        self.position = h("span", {"class": "position"}, self._position_text(0))
        title = self.title_field = h(
            "input",
            {
                "id": "memo-title",
                "type": "text",
                "maxlength": "200",
                "value": memo.title,
                "autocomplete": "off",
            },
        )
        description = self.description_field = h(
            "textarea",
            {"id": "memo-description", "rows": "4", "maxlength": "5000"},
            memo.description,
        )
        download = h(
            "a",
            {"href": self._url, "download": memo.download_name, "class": "button"},
            t("memo.download"),
        )
        delete = h("button", {"type": "button", "class": "danger"}, t("memo.delete"))

        clear(self.section)
        append(
            self.section,
            h("a", {"href": routes.href(routes.LIBRARY), "class": "back"}, t("memo.back")),
            self.heading,
            h(
                "p",
                {"class": "meta"},
                h(
                    "time",
                    {"datetime": iso_instant(memo.created)},
                    date_label(memo.created, offset),
                ),
            ),
            h("p", {"class": "note"}, t("memo.recovered_note")) if memo.recovered else None,
            h("div", {"class": "player"}, self.play, self.seek, self.position, self.audio),
            h("label", {"for": "memo-title"}, t("memo.title")),
            title,
            h("label", {"for": "memo-description"}, t("memo.description")),
            description,
            h("div", {"class": "actions"}, download, delete),
        )

        on(self.play, "click", lambda _e: self.toggle())
        on(self.audio, "timeupdate", lambda _e: self._sync_position())
        on(self.audio, "ended", lambda _e: self._ended())
        on(self.audio, "pause", lambda _e: self._set_playing(False))
        on(self.audio, "playing", lambda _e: self._set_playing(True))
        on(self.seek, "input", lambda _e: self._seek())
        on(title, "change", lambda _e: self.save())
        on(title, "keydown", lambda e: e.target.blur() if e.key == "Enter" else None)
        on(description, "change", lambda _e: self.save())
        on(delete, "click", lambda _e: self.delete())

    # ------------------------------------------------------------ playback

    def _position_text(self, seconds: float) -> str:
        duration = self.memo.duration if self.memo else 0
        return f"{clock(seconds)} / {clock(duration)}"

    async def toggle(self) -> None:
        if self.audio.paused:
            try:
                await self.audio.play()
            except Exception as error:
                self.shell.status.show(t("memo.play_failed", reason=str(error)), error=True)
        else:
            self.audio.pause()

    def _set_playing(self, playing: bool) -> None:
        self.play.textContent = t("memo.pause") if playing else t("memo.play")

    def _sync_position(self) -> None:
        now = float(self.audio.currentTime)
        self.seek.value = f"{now:.2f}"
        self.position.textContent = self._position_text(now)

    def _ended(self) -> None:
        self._set_playing(False)
        self.seek.value = self.seek.max

    def _seek(self) -> None:
        self.audio.currentTime = float(self.seek.value)
        self.position.textContent = self._position_text(float(self.seek.value))

    # ------------------------------------------------------------ edits

    async def save(self) -> None:
        """Store what the Title and Description fields hold now.

        Saves run one at a time and read both fields when they run, so a rename still in
        flight is never overwritten by a description saved right after it."""
        async with self._saving:
            current = self.memo
            if current is None:
                return
            memo = current.renamed(self.title_field.value).described(self.description_field.value)
            if memo == current:
                return
            await store.put_memo(memo)
            self.shell.status.show(t("memo.saved"))
            if self.memo is not current:
                return  # the view was left meanwhile (a change fires on blur): nothing to update
            self.memo = memo
            self.share_panel.memo = memo  # a share made from now on carries the new title
            self.heading.textContent = memo.title
            self.section.querySelector("a[download]").setAttribute("download", memo.download_name)

    async def delete(self) -> None:
        memo = self.memo
        if memo is None:
            return
        await store.put_memo(memo.mark_deleted(interop.now_ms()))
        await self.sharing.pause(memo.id)
        self.shell.navigate(routes.LIBRARY)
        self.shell.status.show(
            t("memo.deleted"),
            (t("memo.undo"), lambda: self.restore(memo)),
            seconds=UNDO_WINDOW_MS / 1000,
        )
        asyncio.get_event_loop().call_later(
            UNDO_WINDOW_MS / 1000 + 1, lambda: spawn(self._purge(), self.shell.report)
        )

    async def restore(self, memo: Memo) -> None:
        await store.put_memo(memo.restored())
        await self._on_change()
        await self.sharing.reseed_all()
        self.shell.status.show(t("memo.restored"))

    async def _purge(self) -> None:
        await store.purge(deleted_before=interop.now_ms() - UNDO_WINDOW_MS)

"""The library: Record/Stop with a level meter, and the list of memos, newest first."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..adapters import interop, platform, store
from ..adapters.recorder import Microphone, RecorderError
from ..core import routes
from ..core.format import clock, size_label
from ..core.listing import memo_items
from ..core.memo import MAX_TITLE, Memo, new_id, newest_first
from ..core.recording import MIN_DURATION_S, Recording, State
from ..core.sniff import SNIFF_BYTES, audio_type
from ..core.strings import t
from .dom import Listeners, by_id, h, show, spawn
from .shell import Shell

TICK_SECONDS = 0.25


class LibraryView:
    def __init__(self, shell: Shell, max_bytes: Callable[[], int]) -> None:
        self.shell = shell
        self._max_bytes = max_bytes  # imports obey the receive limit, so they can be shared
        self.section = by_id("view-library")
        self.list = by_id("memos")
        self.empty = by_id("empty")
        self.record_button = by_id("record")
        self.stop_button = by_id("stop")
        self.delete_all_button = by_id("delete-all")
        self.level = by_id("level")
        self.elapsed = by_id("elapsed")
        self.memos: list[Memo] = []
        self.recording = Recording(session="")
        self._microphone: Microphone | None = None
        self._writes: set[asyncio.Task] = set()
        # References to this recording's chunk Blobs (not their bytes): if storage refuses
        # them, the recording is still whole and can be downloaded.
        self._chunks: list[Any] = []
        self._storage_full = False
        self._ticker: asyncio.Task | None = None
        self._listeners = Listeners(shell.report)
        self._listeners.on(self.record_button, "click", lambda _e: self.start_recording())
        self._listeners.on(self.stop_button, "click", lambda _e: self.stop_recording())
        self._listeners.on(self.delete_all_button, "click", lambda _e: self.delete_all())
        self.import_input = by_id("import")
        by_id("import-label").textContent = t("import.label")
        self._listeners.on(self.import_input, "change", lambda e: self.import_files(e.target))
        by_id("library-heading").textContent = t("library.heading")
        self.record_button.textContent = t("record.record")
        self.stop_button.textContent = t("record.stop")
        self.level.setAttribute("aria-label", t("record.level"))
        self.delete_all_button.textContent = t("library.delete_all")
        self.section.append(self._open_link_form())

    def _open_link_form(self) -> Any:
        """Where a copied link goes: an installed app is not opened by clicking one."""
        self.link_field = h(
            "input",
            {
                "id": "open-link",
                "type": "url",
                "required": True,
                "autocomplete": "off",
                "aria-describedby": "open-link-hint open-link-error",
            },
        )
        self.link_error = h("p", {"id": "open-link-error", "class": "error", "role": "alert"})
        form = h(
            "form",
            {"class": "open-link", "novalidate": True},
            h("label", {"for": "open-link"}, t("open.label")),
            h("p", {"id": "open-link-hint", "class": "hint"}, t("open.hint")),
            h("div", {"class": "inline"}, self.link_field, h("button", {}, t("open.button"))),
            self.link_error,
        )
        self._listeners.on(form, "submit", self._open_link)
        self._listeners.on(self.link_field, "input", lambda _e: self._link_problem(""))
        return form

    def _open_link(self, event: Any) -> None:
        from ..core.links import BadLink, parse_url  # on first use: off the boot path

        event.preventDefault()
        try:
            link = parse_url(str(self.link_field.value))
        except BadLink as error:
            self._link_problem(str(error))
            self.link_field.focus()
            return
        self._link_problem("")
        self.link_field.value = ""
        self.shell.navigate(routes.fetch(link.fragment))

    def _link_problem(self, message: str) -> None:
        self.link_error.textContent = message
        if message:
            self.link_field.setAttribute("aria-invalid", "true")
        else:
            self.link_field.removeAttribute("aria-invalid")

    def enable(self, recording_possible: bool) -> None:
        self.record_button.disabled = not recording_possible
        self.import_input.disabled = False

    async def enter(self, _route: routes.Route) -> None:
        await self.refresh()

    def leave(self) -> None:
        pass

    async def external_change(self) -> None:
        await self.refresh()

    async def refresh(self) -> None:
        self.memos = newest_first(await store.list_memos())
        self.render()

    def render(self) -> None:
        # One innerHTML for the whole list: a thousand memos cost one call into the DOM, not
        # ten thousand. core.listing escapes every title and attribute.
        self.list.innerHTML = memo_items(
            self.memos, interop.utc_offset_minutes(), t("library.recovered")
        )
        show(self.empty, not self.memos)
        self.empty.textContent = t("library.empty")
        show(self.delete_all_button, bool(self.memos))

    # ------------------------------------------------------------ recording

    async def start_recording(self) -> None:
        if self.recording.busy:
            return
        self.recording = Recording(session=new_id())
        self.recording.to(State.STARTING)
        self._chunks = []
        self._storage_full = False
        self.record_button.disabled = True
        try:
            self._microphone = await Microphone.start(
                self.recording.session, self._on_chunk, self._on_level
            )
        except RecorderError as error:
            self.recording.to(State.IDLE)
            self.record_button.disabled = False
            key = {
                "denied": "record.denied",
                "no_device": "record.no_device",
                "unsupported": "record.unsupported",
            }.get(error.kind)
            text = t(key) if key else t("record.failed", reason=error.detail)
            self.shell.status.show(text, error=True, seconds=None)
            return
        self.recording.started = interop.now_ms()
        self.recording.mime = self._microphone.mime
        self.recording.to(State.RECORDING)
        show(self.record_button, False)
        show(self.stop_button, True)
        show(self.level, True)
        self.stop_button.focus()
        self._ticker = spawn(self._tick(), self.shell.report)

    def _on_chunk(self, blob: Any, seq: int, at: float) -> None:
        # Each chunk is saved as it arrives: a crash loses at most the chunk in flight.
        self._chunks.append(blob)
        task = asyncio.ensure_future(self._save_chunk(blob, int(seq), float(at)))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _save_chunk(self, blob: Any, seq: int, at: float) -> None:
        if self._storage_full:
            return
        try:
            await store.append_chunk(
                self.recording.session, seq, blob, self.recording.mime, self.recording.started, at
            )
        except store.StorageFull:
            self._storage_full = True
            self.shell.status.show(t("record.storage_full_live"), error=True, seconds=None)

    def _on_level(self, value: float) -> None:
        self.level.value = value

    async def _tick(self) -> None:
        while self.recording.state is State.RECORDING and self._microphone:
            self.elapsed.textContent = clock(self._microphone.elapsed())
            await asyncio.sleep(TICK_SECONDS)

    async def stop_recording(self) -> None:
        if self.recording.state is not State.RECORDING or not self._microphone:
            return
        self.recording.to(State.STOPPING)
        self.stop_button.disabled = True
        try:
            duration = await self._microphone.stop()
            results = await asyncio.gather(*list(self._writes), return_exceptions=True)
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise failures[0]
            if self._storage_full:
                raise store.StorageFull("chunks refused")
            await self._save(duration)
        except store.StorageFull:
            await self._offer_download(duration)
        finally:
            self._microphone = None
            self.recording.to(State.IDLE)
            self.stop_button.disabled = False
            show(self.stop_button, False)
            show(self.record_button, True)
            show(self.level, False)
            self.level.value = 0
            self.elapsed.textContent = ""
            self.record_button.disabled = False
            self.record_button.focus()

    async def _save(self, duration: float) -> None:
        session = self.recording.session
        if duration < MIN_DURATION_S:
            await store.drop_session(session)
            self.shell.status.show(t("record.too_short"))
            return
        memo = Memo.new(
            self.recording.started,
            duration,
            self.recording.mime,
            interop.utc_offset_minutes(),
            id=session,
        )
        saved = await store.finish_session(session, memo)
        if saved is None:
            self.shell.status.show(t("record.too_short"))
            return
        await self.refresh()
        self.shell.status.show(t("record.saved"))

    async def _offer_download(self, duration: float) -> None:
        """Storage is full: nothing stored is touched, and the recording is offered as a file."""
        with contextlib.suppress(Exception):  # free what this recording took, if anything
            await store.drop_session(self.recording.session)
        memo = Memo.new(
            self.recording.started, duration, self.recording.mime, interop.utc_offset_minutes()
        )
        blob = platform.join_blobs(self._chunks, self.recording.mime)
        self._chunks = []
        self.shell.offer_download(t("record.storage_full"), blob, memo.download_name)

    # ------------------------------------------------------------ import

    async def import_files(self, input_element: Any) -> None:
        files = list(input_element.files)
        input_element.value = ""  # choosing the same file again must fire change again
        for file in files:
            await self._import(file)

    async def _import(self, file: Any) -> None:
        size = int(file.size)
        if size == 0:
            self.shell.status.show(t("import.empty"), error=True)
            return
        limit = self._max_bytes()
        if size > limit:
            text = t("import.too_big", size=size_label(size), limit=size_label(limit))
            self.shell.status.show(text, error=True)
            return
        mime = audio_type(await platform.read_bytes(file, 0, SNIFF_BYTES))
        duration = await platform.probe_duration(file) if mime else 0.0
        if not mime or duration <= 0:
            self.shell.status.show(t("import.not_audio"), error=True)
            return
        name = str(file.name)
        title = name.rsplit(".", 1)[0] if "." in name else name
        memo = Memo.new(interop.now_ms(), duration, mime, interop.utc_offset_minutes())
        memo = replace(memo.renamed(title[:MAX_TITLE]), size=size)
        try:
            await store.save_memo(memo, platform.slice_blob(file, 0, size, mime))
        except store.StorageFull:
            self.shell.status.show(t("record.storage_full"), error=True, seconds=None)
            return
        await self.refresh()
        self.shell.status.show(t("import.done", title=memo.title))

    # ------------------------------------------------------------ delete all

    async def delete_all(self) -> None:
        count = len(self.memos)
        if not count:
            return
        question = t("library.delete_all.confirm", count=count)
        if not await self.shell.confirm(question, t("library.delete_all.ok")):
            return
        await store.purge(everything=True)
        await self.refresh()
        self.shell.status.show(t("library.deleted_all"))

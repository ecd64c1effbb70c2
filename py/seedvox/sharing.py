"""Sharing and receiving memos: the one place that ties payload, torrents and store together.

Views call `Sharing`; it never touches the DOM. The wire format is in core/PROTOCOL.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyodide.ffi import to_js

from .adapters import crypto, interop, platform, store, torrents
from .core import payload
from .core.links import KEY_BYTES, ShareLink
from .core.memo import Memo, new_id
from .core.settings import Settings
from .core.strings import t

HEAD_READ = 1024  # bytes of a received payload's start read first: a usual header fits
RESEED_BATCH = 20  # shares re-seeded between two yields to the person using the page


class ShareError(Exception):
    """Sharing cannot happen; the message is for the user."""


class NoRoom(Exception):
    """Storage refused a received memo; the audio can still be downloaded as a file."""

    def __init__(self, audio: Any, filename: str) -> None:
        super().__init__(filename)
        self.audio = audio
        self.filename = filename


@dataclass(frozen=True)
class Received:
    """A memo saved from a fetch with its audio Blob as saved; `duplicate` (and no audio) when
    this browser had it already."""

    memo: Memo
    duplicate: bool = False
    audio: Any = None


class Sharing:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.seeding: set[str] = set()  # infohashes seeded in this session
        self._incoming: dict[str, _Incoming] = {}  # infohash -> a fetch under way
        self.apply(settings)

    def apply(self, settings: Settings) -> None:
        self.settings = settings
        torrents.configure(settings.trackers, settings.ice_servers)

    # ------------------------------------------------------------ the sharer

    async def link_for(self, memo: Memo) -> ShareLink | None:
        """The memo's current share, if it is shared."""
        for share in await store.shares_of(memo.id):
            if str(share.role) == "sharer":
                return ShareLink(str(share.infoHash), bytes(share.key.to_py()))
        return None

    async def share(self, memo: Memo) -> ShareLink:
        if not platform.is_secure_context():
            raise ShareError(t("share.insecure"))
        existing = await self.link_for(memo)
        if existing:
            return existing  # re-seeded at start from its stored torrent: same link
        audio = await store.get_audio(memo.id)
        if audio is None:
            raise ShareError(t("memo.not_found"))
        header = payload.Header(
            title=memo.title,
            description=memo.description,
            created=memo.created,
            duration=memo.duration,
            mime=memo.mime,
            audio_size=int(audio.size),
        )
        header_bytes = to_js(payload.encode(header))
        key = secrets.token_bytes(KEY_BYTES)  # fresh per share; it lives only in the link
        plain = platform.join_blobs([header_bytes, audio])
        cipher = await crypto.encrypt_blob(plain, key, payload.PIECE_LENGTH)
        try:
            result = await torrents.seed(cipher, payload.NAME, payload.PIECE_LENGTH)
        except torrents.TorrentError as error:
            raise ShareError(t("share.failed", reason=str(error))) from error
        infohash = str(result.infoHash)
        record = interop.to_object(
            {"infoHash": infohash, "memoId": memo.id, "role": "sharer", "created": interop.now_ms()}
        )
        # What re-seeding needs, and nothing more: the ciphertext is remade from these on demand.
        record.torrentFile = result.torrentFile
        record.header = header_bytes
        record.key = to_js(key)
        await store.put_share(record)
        self.seeding.add(infohash)
        return ShareLink(infohash, key)

    async def stop(self, memo: Memo) -> None:
        for share in await store.shares_of(memo.id):
            infohash = str(share.infoHash)
            await torrents.stop(infohash)
            await store.delete_share(infohash)
            self.seeding.discard(infohash)

    async def pause(self, memo_id: str) -> None:
        """Stop seeding in this session (memo moved to the undo bin); the share is kept."""
        for share in await store.shares_of(memo_id):
            infohash = str(share.infoHash)
            if infohash in self.seeding:
                await torrents.stop(infohash)
                self.seeding.discard(infohash)

    async def reseed_all(self) -> int:
        """Seed again every shared memo not seeding yet: stored torrent files, no re-hashing.

        In small batches, each waiting until the page has nothing more urgent to do: re-seeding
        1,000 shares costs the page's main thread seconds, and a click on Record right after a
        start must not wait behind it."""
        shares = [s for s in await store.shares_to_seed() if str(s.infoHash) not in self.seeding]
        count = 0
        for start in range(0, len(shares), RESEED_BATCH):
            batch = shares[start : start + RESEED_BATCH]
            await platform.yield_to_user()
            blobs = await store.audio_of([str(share.memoId) for share in batch])
            items = []
            for share, audio in zip(batch, blobs, strict=True):
                if audio is None:
                    continue
                # Same header + same audio + same key = the ciphertext the torrent was made from.
                plain = platform.join_blobs([share.header, audio])
                source = crypto.encrypted_source(plain, share.key, payload.PIECE_LENGTH)
                items.append(
                    {"infoHash": share.infoHash, "torrentFile": share.torrentFile, "blob": source}
                )
            seeded = await torrents.reseed_many(interop.to_object(items))
            self.seeding.update(seeded)
            count += len(seeded)
        return count

    def stats(self, infohash: str) -> dict | None:
        return torrents.stats(infohash)

    # ------------------------------------------------------------ the receiver

    async def known(self, infohash: str) -> Memo | None:
        """The memo this share already delivered (or that we shared), if still in the library."""
        return await store.memo_of_share(infohash)

    async def start_fetch(
        self,
        link: ShareLink,
        on_metadata: Callable[[dict], None],
        on_progress: Callable[[dict], None],
        on_done: Callable[[Any], None],
        on_error: Callable[[str, dict], None],
        on_refused: Callable[[str], None],
    ) -> Callable[[], None]:
        """Start fetching `link`. `on_refused(message)` when what arrives can never open (wrong
        key, altered data, not a memo, not audio): known at its first pieces, so the caller can
        stop the download instead of finishing it."""
        if not platform.is_secure_context():
            raise ShareError(t("fetch.insecure"))

        def head_arrived(plain_size: int) -> None:
            if self._incoming.get(link.infohash) is not incoming:
                return  # saving (which opens the payload itself) or released
            try:
                incoming.opened = _open(incoming.decryptor, plain_size)
            except payload.BadPayload as error:
                on_refused(str(error))

        def failed(_message: str) -> None:
            if self._incoming.get(link.infohash) is incoming:
                on_refused(t("fetch.decrypt_failed"))

        incoming = _Incoming(_decryptor(link, head_arrived, failed))
        self._incoming[link.infohash] = incoming  # before any piece or the end can come
        try:
            release = await torrents.fetch(
                link.infohash,
                self.settings.max_bytes,
                on_metadata,
                on_progress,
                on_done,
                on_error,
                on_piece=incoming.decryptor.add,
            )
        except torrents.TorrentError as error:
            self._drop_incoming(link.infohash)
            raise ShareError(t("fetch.invalid", reason=str(error))) from error

        def release_all() -> None:
            self._drop_incoming(link.infohash)  # a failed fetch's pieces are dropped too
            release()

        return release_all

    def _drop_incoming(self, infohash: str) -> None:
        incoming = self._incoming.pop(infohash, None)
        if incoming is not None:
            incoming.decryptor.close()

    async def cancel_fetch(self, infohash: str) -> None:
        self._drop_incoming(infohash)
        await torrents.cancel(infohash)

    async def save_received(self, link: ShareLink, cipher: Any) -> Received:
        """Decrypt and check a downloaded payload, then add its memo to the library.

        Raises BadPayload for a wrong key, altered bytes, a bad header or non-audio content;
        nothing is saved then."""
        incoming = self._incoming.pop(link.infohash, None)
        if incoming is None:  # released meanwhile (the view was left): all is decrypted here
            incoming = _Incoming(_decryptor(link, lambda _size: None, lambda _message: None))
        try:
            blob = await incoming.decryptor.finish(cipher)
            header, offset = incoming.opened or _open(incoming.decryptor, int(blob.size))
        except crypto.DecryptError:
            raise payload.BadPayload(t("fetch.decrypt_failed")) from None
        finally:
            incoming.decryptor.close()
        total = int(blob.size)
        audio = platform.slice_blob(blob, offset, total, header.mime)
        memo = Memo(
            id=new_id(),
            title=header.title.strip() or t("memo.untitled"),
            created=header.created,
            duration=header.duration,
            mime=header.mime,
            size=header.audio_size,
            description=header.description,
        )
        share = {"infoHash": link.infohash, "role": "receiver", "created": interop.now_ms()}
        try:
            saved, duplicate = await store.save_received(memo, audio, share)
        except store.StorageFull as full:
            raise NoRoom(audio, memo.download_name) from full
        self.seeding.add(link.infohash)  # the finished torrent seeds on while the app is open
        return Received(saved, duplicate, None if duplicate else audio)


@dataclass
class _Incoming:
    """A fetch under way: its decryptor, and the payload's header once opened."""

    decryptor: crypto.Decryptor
    opened: tuple[payload.Header, int] | None = None


def _decryptor(
    link: ShareLink, on_head: Callable[[int], None], on_failure: Callable[[str], None]
) -> crypto.Decryptor:
    return crypto.Decryptor(link.key, payload.PIECE_LENGTH, payload.HEAD_MAX, on_head, on_failure)


def _open(decryptor: crypto.Decryptor, plain_size: int) -> tuple[payload.Header, int]:
    """The payload's header and audio offset, once its first HEAD_MAX bytes (all of it, when
    shorter) are decrypted. Raises BadPayload."""
    head = decryptor.head(HEAD_READ)
    if len(head) >= payload.PREFIX.size:
        need = payload.head_needed(head)
        if need > len(head):
            head = decryptor.head(need)
    return payload.open_head(head, plain_size)

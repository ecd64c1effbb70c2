"""The IndexedDB store (web/js/store.js) seen from Python, in terms of core models."""

from __future__ import annotations

from typing import Any

from pyscript.js_modules import store as js_store

from ..core.memo import Memo
from ..core.recording import Session
from .interop import absent, to_object, to_python


class StorageFull(Exception):
    """The browser refused to store more (QuotaExceededError)."""


def _translate(error: Exception) -> Exception:
    if "QuotaExceeded" in str(error):
        return StorageFull(str(error))
    return error


async def _call(promise: Any) -> Any:
    """Await a store promise; JS null comes back as None."""
    try:
        result = await promise
    except Exception as error:  # JsException: map the ones callers act on
        raise _translate(error) from error
    return None if absent(result) else result


async def list_memos() -> list[Memo]:
    rows = to_python(await _call(js_store.listMemos()))
    return [Memo.from_record(row) for row in rows]


async def get_memo(memo_id: str) -> Memo | None:
    row = await _call(js_store.getMemo(memo_id))
    return None if row is None else Memo.from_record(to_python(row))


async def open_memo(memo_id: str) -> tuple[Memo, Any] | None:
    """A memo still in the library with its audio Blob, read in one transaction."""
    row = await _call(js_store.openMemo(memo_id))
    return None if row is None else (Memo.from_record(to_python(row.memo)), row.blob)


async def get_audio(memo_id: str) -> Any:
    """The memo's audio as a JS Blob (never copied into Python)."""
    return await _call(js_store.getAudio(memo_id))


async def put_memo(memo: Memo) -> None:
    await _call(js_store.putMemo(to_object(memo.to_record())))


async def save_memo(memo: Memo, blob: Any) -> None:
    await _call(js_store.saveMemo(to_object(memo.to_record()), blob))


async def purge(*, deleted_before: float | None = None, everything: bool = False) -> list[str]:
    """Remove deleted memos (and their audio and shares) for good; returns their ids."""
    options: dict[str, Any] = {"all": everything}
    if deleted_before is not None:
        options["deletedBefore"] = deleted_before
    return [str(memo_id) for memo_id in await _call(js_store.purge(to_object(options)))]


async def append_chunk(session: str, seq: int, blob: Any, mime: str, started: float, at: float):
    record = {"session": session, "seq": seq, "mime": mime, "started": started, "at": at}
    js_record = to_object(record)
    js_record.blob = blob
    await _call(js_store.appendChunk(js_record))


async def list_sessions() -> list[Session]:
    rows = to_python(await _call(js_store.listSessions()))
    return [Session.from_record(row) for row in rows]


async def finish_session(session: str, memo: Memo) -> Memo | None:
    """Assemble a session's chunks into the memo's audio (one transaction)."""
    row = await _call(js_store.finishSession(session, to_object(memo.to_record())))
    return None if row is None else Memo.from_record(to_python(row))


async def drop_session(session: str) -> None:
    await _call(js_store.dropSession(session))


async def get_setting(key: str) -> Any:
    return to_python(await _call(js_store.getSetting(key)))


async def put_setting(key: str, value: Any) -> None:
    await _call(js_store.putSetting(key, to_object(value)))


def on_change(callback: Any) -> None:
    js_store.onChange(callback)


# ---------------------------------------------------------------- shares
# A share record: {infoHash, memoId, role: "sharer" | "receiver", created, torrentFile, header}
# with the two byte fields kept as JS Uint8Arrays.


async def put_share(share: Any) -> None:
    await _call(js_store.putShare(share))


async def shares_of(memo_id: str) -> Any:
    return await _call(js_store.sharesOf(memo_id))


async def memo_of_share(infohash: str) -> Memo | None:
    """The memo in the library (not deleted) that this share delivered or came from."""
    row = await _call(js_store.memoOfShare(infohash))
    return None if row is None else Memo.from_record(to_python(row))


async def save_received(memo: Memo, blob: Any, share: dict[str, Any]) -> tuple[Memo, bool]:
    """Add a received memo, its audio and its share record in one transaction.

    Returns (memo, duplicate): when the share already delivered a memo still in the library,
    nothing is written and that memo comes back with duplicate=True."""
    row = await _call(js_store.saveReceived(to_object(memo.to_record()), blob, to_object(share)))
    return Memo.from_record(to_python(row.memo)), bool(row.duplicate)


async def delete_share(infohash: str) -> None:
    await _call(js_store.deleteShare(infohash))


async def shares_to_seed() -> list[Any]:
    """The sharer's shares whose memo is in the library (JS records, not converted)."""
    return list(await _call(js_store.sharesToSeed("sharer")))


async def audio_of(memo_ids: list[str]) -> list[Any]:
    """The audio Blobs of these memos, in order; None for one that is gone."""
    blobs = await _call(js_store.audioOf(to_object(memo_ids)))
    return [None if absent(blob) else blob for blob in blobs]

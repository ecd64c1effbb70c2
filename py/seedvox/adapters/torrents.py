"""WebTorrent (web/js/torrent.js) seen from Python. The module is imported on first use, so
WebTorrent stays off the boot path; payload Blobs pass through untouched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyscript import document, js_import

from .interop import absent, callback, to_object, to_python

_module: Any = None
_config: dict[str, Any] = {}


class TorrentError(Exception):
    pass


def configure(trackers: list[str], ice_servers: list[dict]) -> None:
    """Trackers and ICE servers for torrents added from now on."""
    _config.update(trackers=list(trackers), iceServers=list(ice_servers))
    if _module is not None:
        _module.configure(to_object(_config))


async def _torrent() -> Any:
    global _module
    if _module is None:
        # js_import resolves against PyScript's own URL, so hand it an absolute one.
        url = str(js.URL.new("./js/torrent.js", document.baseURI).href)
        (_module,) = await js_import(url)
        _module.configure(to_object(_config))
    return _module


async def seed(blob: Any, name: str, piece_length: int) -> Any:
    """Seed a payload Blob; returns the JS result {infoHash, magnetURI, torrentFile, length}."""
    module = await _torrent()
    try:
        return await module.seed(blob, to_object({"name": name, "pieceLength": piece_length}))
    except Exception as error:
        raise TorrentError(str(error)) from error


async def reseed_many(items: Any) -> list[str]:
    """Re-add stored torrents over their Blobs (a JS array of {infoHash, torrentFile, blob});
    returns the infohashes now seeding."""
    if not items.length:
        return []
    module = await _torrent()
    seeded = []
    for item in items:
        try:
            result = await module.reseed(item.torrentFile, item.blob)
        except Exception as error:  # one bad record must not stop the others
            print(f"seedvox: reseed failed for {item.infoHash}: {error}")
            continue
        if str(result.infoHash) != str(item.infoHash):
            # Not the bytes that were shared (reseed checks only their length): never serve them.
            print(f"seedvox: stored share {item.infoHash} no longer matches its audio")
            await module.stop(result.infoHash)
            continue
        seeded.append(str(item.infoHash))
    return seeded


async def fetch(
    infohash: str,
    max_bytes: int,
    on_metadata: Callable[[dict], None],
    on_progress: Callable[[dict], None],
    on_done: Callable[[Any], None],
    on_error: Callable[[str, dict], None],
    on_piece: Any = None,
) -> Callable[[], None]:
    """Start fetching; returns a function that releases the callbacks. `on_piece(index, bytes,
    payload_size)`, a JS function, gets each verified piece (never through Python)."""
    module = await _torrent()
    proxies = [
        callback(lambda info: on_metadata(to_python(info))),
        callback(lambda stats: on_progress(to_python(stats))),
        callback(on_done),
        callback(lambda message, detail=None: on_error(str(message), to_python(detail) or {})),
    ]
    handlers = to_object({"maxBytes": max_bytes})
    handlers.onMetadata, handlers.onProgress, handlers.onDone, handlers.onError = proxies
    if on_piece is not None:
        handlers.onPiece = on_piece

    def release() -> None:
        for proxy in proxies:
            proxy.destroy()

    try:
        await module.fetch(infohash, handlers)
    except Exception as error:
        release()
        raise TorrentError(str(error)) from error
    return release


async def cancel(infohash: str) -> None:
    if _module is not None:
        await _module.cancel(infohash)


async def stop(infohash: str) -> None:
    if _module is not None:
        await _module.stop(infohash)


def stats(infohash: str) -> dict | None:
    if _module is None:
        return None
    result = _module.stats(infohash)
    return None if absent(result) else to_python(result)

"""Encrypted shares, checked from outside the app: what the tracker, a plain WebTorrent client,
the static host and the browser's other storage ever see of a shared memo.

The key must live only in the link's fragment (and the two libraries); the title and the
description travel only inside the ciphertext; the torrent's one file is called memo.svx.
"""

from __future__ import annotations

import base64
import json
import re
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import Site, idb_rows, open_app, open_memo, wait_for_sw_control
from .test_hostile import raw_device, rename
from .test_sharing import import_file, library, receive, share, tone_wav

pytestmark = pytest.mark.e2e

TITLE = "Secret Title 9f3k"
DESCRIPTION = "Meet at the old mill, 7q2z"

# A plain WebTorrent client that knows only the infohash (no key): it fetches the torrent like
# any peer could, and keeps the bytes for inspection.
PLAIN_FETCH_JS = """async (infoHash) => {
  const client = new WebTorrent({
    tracker: { rtcConfig: { iceServers: [] } }, dht: false, lsd: false, utPex: false,
  });
  const torrent = client.add(infoHash, { announce: config.trackers, store: MemoryStore });
  await new Promise((resolve, reject) => {
    torrent.on('error', (error) => reject(new Error(String(error))));
    torrent.on('done', resolve);
    setTimeout(() => reject(new Error('the plain client got nothing in 45 s')), 45000);
  });
  window.fetched = new Uint8Array(await torrent.files[0].arrayBuffer());
  window.torrentFile = new Uint8Array(torrent.torrentFile);
  const digest = await crypto.subtle.digest('SHA-256', window.fetched);
  return {
    name: torrent.name,
    files: torrent.files.map((f) => f.path),
    length: window.fetched.length,
    sha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join(''),
  };
}"""

# Which of the needles (base64) occur in the fetched bytes and in the torrent file? windows-1252
# decodes every byte to its own code point, so string search is byte search.
FIND_JS = """(needles) => {
  const text = (bytes) => new TextDecoder('windows-1252').decode(bytes);
  const data = text(window.fetched);
  const meta = text(window.torrentFile);
  return needles.map((b64) => {
    const needle = text(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
    return { inData: data.includes(needle), inTorrentFile: meta.includes(needle) };
  });
}"""

# Everything this origin keeps outside the network: Web Storage, cookies, Cache Storage (URLs),
# OPFS names, and every IndexedDB store with bytes shown as hex and base64url.
STORAGE_JS = """async () => {
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const b64url = (bytes) => btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  const plain = (value) => {
    if (value instanceof Blob) return `<blob ${value.size}>`;
    if (value instanceof ArrayBuffer) value = new Uint8Array(value);
    if (ArrayBuffer.isView(value)) {
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      return `<bytes ${hex(bytes)} ${b64url(bytes)}>`;
    }
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    }
    return value;
  };
  const web = (storage) => Object.fromEntries(
    Array.from({ length: storage.length }, (_, i) => storage.key(i))
      .map((key) => [key, storage.getItem(key)]));
  const caches_ = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) caches_.push(request.url);
  }
  const opfs = [];
  for await (const [name] of (await navigator.storage.getDirectory()).entries()) opfs.push(name);
  const idb = {};
  for (const { name } of await indexedDB.databases()) {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    for (const store of db.objectStoreNames) {
      idb[`${name}/${store}`] = plain(await new Promise((resolve, reject) => {
        const request = db.transaction([store], 'readonly').objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      }));
    }
    db.close();
  }
  return {
    localStorage: web(localStorage), sessionStorage: web(sessionStorage),
    cookies: document.cookie, caches: caches_, opfs, idb,
  };
}"""


def capture_frames(page: Page, frames: list[tuple[str, str, str | bytes]], who: str) -> None:
    """Record every WebSocket frame the page sends or receives (attach before it connects)."""

    def on_websocket(ws) -> None:
        ws.on("framesent", lambda payload: frames.append((who, "sent", payload)))
        ws.on("framereceived", lambda payload: frames.append((who, "received", payload)))

    page.on("websocket", on_websocket)


def split_link(link: str) -> tuple[str, str]:
    infohash, key = link.rsplit("/", 2)[1:]
    return infohash, key


def key_forms(key: str) -> dict[str, str]:
    raw = base64.urlsafe_b64decode(key + "=")
    return {
        "key (base64url)": key,
        "key (first half)": key[:22],
        "key (hex)": raw.hex(),
        "key (base64)": base64.b64encode(raw).decode(),
        "key (raw bytes)": raw.decode("latin-1"),
    }


def shared_memo(site: Site, launch, tmp_path: Path, frames: list | None = None):
    """A shares a memo titled TITLE through the UI; returns (a page, link)."""
    a = launch("a").page()
    if frames is not None:
        capture_frames(a, frames, "a")
    open_app(a, site.url)
    import_file(a, tone_wav(tmp_path / "private.wav", seconds=2))
    open_memo(a, "private")
    rename(a, TITLE, DESCRIPTION)
    return a, share(a)


def test_the_tracker_and_a_plain_client_see_only_ciphertext(site: Site, launch, tmp_path: Path):
    frames: list[tuple[str, str, str | bytes]] = []
    a, link = shared_memo(site, launch, tmp_path, frames)
    infohash, key = split_link(link)
    b = launch("b").page()
    capture_frames(b, frames, "b")
    receive(b, link, TITLE)

    # (b) A plain WebTorrent client that learnt the infohash fetches the same torrent.
    c = raw_device(launch, "c", site, before=lambda page: capture_frames(page, frames, "c"))
    got = c.evaluate(PLAIN_FETCH_JS, infohash)
    [memo] = library(a)
    assert got["name"] == "memo.svx" and got["files"] == ["memo.svx"], got
    assert got["sha256"] != memo["sha256"], "the plain client received the audio itself"
    assert got["length"] > memo["size"]  # header and GCM tags, encrypted
    [stored] = idb_rows(a, "audio")
    audio = stored["blob"].data
    starts = (0, 44, 1000, 50_000, len(audio) // 2, len(audio) - 32)
    windows = [audio[at : at + 32] for at in starts]
    needles = {
        "title": TITLE.encode(),
        "title token": b"9f3k",
        "description": DESCRIPTION.encode(),
        "description token": b"7q2z",
        "payload magic SVX1": b"SVX1",
        '"title"': b'"title"',
        "audio magic RIFF": b"RIFF",
        "key": base64.urlsafe_b64decode(key + "="),
        **{f"audio window {i}": window for i, window in enumerate(windows)},
    }
    # Control: the search finds 32 bytes the client did receive.
    received = c.evaluate("() => btoa(String.fromCharCode(...window.fetched.subarray(99, 131)))")
    assert c.evaluate(FIND_JS, [received]) == [{"inData": True, "inTorrentFile": False}]
    found = c.evaluate(FIND_JS, [base64.b64encode(n).decode() for n in needles.values()])
    leaks = [
        f"{name} in the {'data' if hit['inData'] else 'torrent file'}"
        for name, hit in zip(needles, found, strict=True)
        if hit["inData"] or hit["inTorrentFile"]
    ]
    assert leaks == [], f"a plain client that knows only the infohash sees: {leaks}"

    # (a) Every WebSocket frame of A, B and C: no key, no title, no description; names neutral.
    texts = [(who, way, p if isinstance(p, str) else p.decode("latin-1")) for who, way, p in frames]
    assert {who for who, _, _ in texts} >= {"a", "b", "c"}, "frames were not captured"
    announced = set()
    for who, _, text in texts:
        try:
            message = json.loads(text)
        except ValueError:
            continue
        if message.get("action") == "announce" and isinstance(message.get("info_hash"), str):
            announced.add((who, message["info_hash"].encode("latin-1").hex()))
    assert {(who, infohash) for who in "abc"} <= announced, f"announces seen: {announced}"
    secrets = {
        **key_forms(key),
        "title": TITLE,
        "title token": "9f3k",
        "description": DESCRIPTION,
        "description token": "7q2z",
        "Secret": "Secret",
    }
    leaks = [
        f"{name} in a frame {who} {way}: {text[:200]!r}"
        for who, way, text in texts
        for name, secret in secrets.items()
        if secret in text
    ]
    assert leaks == [], "\n".join(leaks)
    names = {m for _, _, text in texts for m in re.findall(r"dn=([^&\"]*)", text)}
    assert names <= {"memo.svx"}, f"torrent names on the wire: {names}"
    print(f"frames checked: {len(texts)}; plain client got {got['length']} B")


def test_the_key_is_kept_only_in_the_two_libraries(site: Site, launch, tmp_path: Path):
    # What the static host is asked for: request targets as its server received them.
    served: list[str] = []
    inner = site.server.RequestHandlerClass

    class Recording(inner.func):
        def send_head(self):
            served.append(self.path)
            return super().send_head()

    site.server.RequestHandlerClass = partial(Recording, *inner.args, **inner.keywords)

    a, link = shared_memo(site, launch, tmp_path)
    infohash, key = split_link(link)
    b = launch("b").page()
    receive(b, link, TITLE)
    wait_for_sw_control(a)
    wait_for_sw_control(b)
    b.goto(link)  # the link opened again, now through the service worker
    expect(b.get_by_role("status")).to_contain_text("already in your library", timeout=15_000)

    secrets = key_forms(key)
    del secrets["key (raw bytes)"]
    raw_hex = base64.urlsafe_b64decode(key + "=").hex()
    for who, page in (("sharer", a), ("receiver", b)):
        stored = page.evaluate(STORAGE_JS)
        idb = stored.pop("idb")
        assert "seedvox/shares" in idb and "seedvox/memos" in idb, idb.keys()
        # Outside the library: nothing holds the key, the title or the description.
        outside = json.dumps(stored, ensure_ascii=False)
        for name, secret in {**secrets, "title": TITLE, "description": DESCRIPTION}.items():
            assert secret not in outside, f"{who}: {name} stored outside the library: {stored}"
        assert stored["caches"], f"{who}: the service worker cached nothing (check is void)"
        # Inside the library, only the sharer's share record holds the key.
        for store, rows in idb.items():
            text = json.dumps(rows, ensure_ascii=False)
            holds = [name for name, secret in secrets.items() if secret.lower() in text.lower()]
            if store == "seedvox/shares":  # the share records: part of each library
                if who == "sharer":
                    [row] = rows
                    assert row["infoHash"] == infohash
                    assert row["key"].split()[1] == raw_hex, "the sharer's key is not stored"
            else:
                assert holds == [], f"{who}: {holds} in IndexedDB {store}: {text[:300]}"
    leaked = [path for path in served if key in path or "9f3k" in path or infohash in path]
    assert served and leaked == [], f"the static host was told: {leaked}"

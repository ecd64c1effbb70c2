"""A library of 1,000 shared memos still boots, re-seeds and shares (Chromium allows 500 peer
connections per page; seeders must not spend one per torrent)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from .conftest import Site, button, memo_items, memo_list, open_app, record

pytestmark = pytest.mark.e2e

COUNT = 1000

# Setup only: writes 1,000 memos shared the way the app shares them (SVX1 header + audio, see
# py/seedvox/core/PROTOCOL.md), using the app's own torrent adapter to make the torrent files.
POPULATE = r"""async (count) => {
  const config = await (await fetch("./config.json")).json();
  const torrent = await import(new URL("./js/torrent.js", document.baseURI).href);
  const cipher = await import(new URL("./js/crypto.js", document.baseURI).href);
  const pieceLength = 256 * 1024;
  torrent.configure({ trackers: config.trackers, iceServers: [] });
  const records = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < count; i++) {
    const id = (0x1000000000000000n + BigInt(i)).toString(16);
    const audio = new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3]), `memo ${i} `.repeat(200)],
                           { type: "audio/webm" });
    const created = 1795000000000 + i * 60000;
    const memo = { id, title: `Bulk ${i}`, created, duration: 1.5, mime: "audio/webm",
                   size: audio.size, description: "", recovered: false };
    const json = encoder.encode(JSON.stringify({ v: 1, title: memo.title, description: "",
      created, duration: 1.5, mime: "audio/webm", audioSize: audio.size }));
    const header = new Uint8Array(8 + json.length);
    header.set(encoder.encode("SVX1"));
    new DataView(header.buffer).setUint32(4, json.length);
    header.set(json, 8);
    const key = crypto.getRandomValues(new Uint8Array(32));
    const sealed = await cipher.encryptBlob(new Blob([header, audio]), key, pieceLength);
    const seeded = await torrent.seed(sealed, { name: "memo.svx", pieceLength });
    records.push({ memo, audio, key, share: { infoHash: seeded.infoHash, memoId: id,
      role: "sharer", created, torrentFile: seeded.torrentFile, header, key } });
  }
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("seedvox");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction(["memos", "audio", "shares"], "readwrite");
    for (const { memo, audio, share } of records) {
      tx.objectStore("memos").put(memo);
      tx.objectStore("audio").put({ id: memo.id, blob: audio });
      tx.objectStore("shares").put(share);
    }
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  const last = records[records.length - 1];
  const key = btoa(String.fromCharCode(...last.key)).replace(/\+/g, "-").replace(/\//g, "_");
  return `${last.share.infoHash}/${key.replace(/=+$/, "")}`;
}"""


def test_a_thousand_shared_memos_boot_reseed_and_share(site: Site, launch):
    a = open_app(launch("a").page(), site.url)
    started = time.monotonic()
    last = a.evaluate(POPULATE, COUNT)
    print(f"setup: {COUNT} memos seeded and stored in {time.monotonic() - started:.1f} s")

    started = time.monotonic()
    open_app(a, site.url)  # fresh page: boot with 1,000 shared memos
    expect(button(a, "Record")).to_be_enabled()
    print(f"boot with {COUNT} shared memos: {time.monotonic() - started:.2f} s")
    # Every memo is listed, newest first, also those far below the screen (not yet laid out).
    titles = [f"Bulk {i}" for i in reversed(range(COUNT))]
    expect(memo_list(a).get_by_role("link")).to_have_text(titles)

    # The newest share is reachable from another device once re-seeding has run.
    b = launch("b").page()
    b.goto(site.url + "#/get/v1/" + last)
    expect(b.get_by_role("heading", level=1, name=f"Bulk {COUNT - 1}")).to_be_visible(
        timeout=60_000
    )
    # ...an old one shows its link, and the sharer can still share something new.
    a.get_by_role("link", name="Bulk 0", exact=True).click()
    expect(a.get_by_label("Share link")).to_have_value(re.compile(r"#/get/v1/[0-9a-f]{40}/"))
    a.get_by_role("link", name="Back to library").click()
    expect(memo_items(a)).to_have_count(COUNT)
    record(a, 1.5)
    memo_items(a).first.get_by_role("link").click()
    button(a, "Share").click()
    expect(a.get_by_label("Share link")).to_be_visible(timeout=15_000)

"""Nothing lost: a full disk keeps the recording, tabs stay in step, upgrades never block, and
a database made by the first released schema opens with everything in it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import (
    Site,
    button,
    idb_rows,
    memo_items,
    memo_list,
    open_app,
    open_memo,
    record,
)

pytestmark = pytest.mark.e2e

QUOTA_REFUSES = """async () => {
  const db = await new Promise((resolve) => {
    const request = indexedDB.open("quota-probe");
    request.onupgradeneeded = () => request.result.createObjectStore("x");
    request.onsuccess = () => resolve(request.result);
  });
  const refused = await new Promise((resolve) => {
    const tx = db.transaction(["x"], "readwrite");
    tx.objectStore("x").put(new Blob([new Uint8Array(4096)]), 1);
    tx.oncomplete = () => resolve(false);
    tx.onabort = () => resolve(tx.error && tx.error.name === "QuotaExceededError");
  });
  db.close();
  return refused;
}"""


def test_full_storage_keeps_the_recording(site: Site, launch):
    """Storage refuses the recording: it goes on in memory and is offered as a download.

    Chromium applies a quota override only while the origin holds no IndexedDB blobs yet, so
    the disk is "full" from the first chunk here; that a failed write leaves stored memos alone
    follows from each write being one atomic transaction that only adds."""
    device = launch("a")
    page = open_app(device.page(), site.url)
    cdp = device.context.new_cdp_session(page)
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": site.origin, "quotaSize": 1_000})
    # The override takes effect a moment later: wait until a write of our own is refused.
    page.wait_for_function(QUOTA_REFUSES, polling=250, timeout=10_000)
    button(page, "Record").click()
    expect(page.get_by_role("status")).to_contain_text("Recording goes on", timeout=15_000)
    page.wait_for_timeout(1_500)  # keep recording past the refusal: nothing may be lost
    button(page, "Stop").click()
    expect(page.get_by_role("status")).to_contain_text("could not be kept here")
    with page.expect_download() as download:
        button(page, "Download recording").click()
    data = download.value.path().read_bytes()
    assert data[:4] == b"\x1a\x45\xdf\xa3" and len(data) > 5_000
    assert download.value.suggested_filename.endswith(".weba")
    decoded = page.evaluate(
        """async (bytes) => (await new OfflineAudioContext(1, 1, 48000)
            .decodeAudioData(new Uint8Array(bytes).buffer)).duration""",
        list(data),
    )
    assert decoded > 2.0
    expect(memo_items(page)).to_have_count(0)  # no half memo
    # With room again, the app records as usual.
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": site.origin})
    record(page, 1.5)


def test_two_tabs_stay_in_step(site: Site, launch):
    device = launch("a")
    one = open_app(device.page(), site.url)
    two = open_app(device.context.new_page(), site.url)
    record(one, 1.5)
    expect(memo_items(two)).to_have_count(1, timeout=5_000)
    title = memo_list(two).get_by_role("link").first.inner_text()
    open_memo(two, title)
    open_memo(one, title)
    one.get_by_label("Title").fill("Renamed in tab one")
    one.get_by_label("Title").press("Tab")
    expect(two.get_by_role("heading", level=1)).to_have_text("Renamed in tab one", timeout=5_000)
    expect(two.get_by_label("Title")).to_have_value("Renamed in tab one")
    button(one, "Delete").click()
    expect(two).to_have_url(re.compile(r"#/$"), timeout=5_000)
    expect(memo_items(two)).to_have_count(0)


def test_an_upgrade_in_another_tab_is_never_blocked(site: Site, launch):
    device = launch("a")
    old = open_app(device.page(), site.url)
    record(old, 1.5)
    newer = device.context.new_page()
    newer.goto(site.url + "js/store.js")  # same origin, no app: stands in for a newer build
    upgraded = newer.evaluate(
        """() => new Promise((resolve, reject) => {
          const probe = indexedDB.open("seedvox");
          probe.onsuccess = () => {
            const version = probe.result.version;
            probe.result.close();
            const request = indexedDB.open("seedvox", version + 1);
            request.onupgradeneeded = () => request.result.createObjectStore("future");
            request.onsuccess = () => { request.result.close(); resolve(version + 1); };
            request.onblocked = () => reject(new Error("blocked by the open tab"));
            request.onerror = () => reject(request.error);
          };
        })"""
    )
    assert upgraded >= 2
    expect(old.get_by_role("status")).to_contain_text("updated in another tab")
    expect(button(old, "Reload")).to_be_visible()


# The first released schema (version 1), frozen here as it shipped: the app must open a
# database written by it with every memo, share and setting intact.
FIRST_RELEASE = """async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("seedvox", 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("memos", { keyPath: "id" }).createIndex("created", "created");
      db.createObjectStore("audio", { keyPath: "id" });
      db.createObjectStore("chunks", { keyPath: ["session", "seq"] })
        .createIndex("session", "session");
      db.createObjectStore("settings", { keyPath: "key" });
      db.createObjectStore("shares", { keyPath: "infoHash" }).createIndex("memoId", "memoId");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const wav = (() => {
    const rate = 8000, samples = rate * 2, buffer = new ArrayBuffer(44 + samples * 2);
    const view = new DataView(buffer);
    const text = (offset, s) =>
      [...s].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
    text(0, "RIFF"); view.setUint32(4, 36 + samples * 2, true); text(8, "WAVE"); text(12, "fmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, samples * 2, true);
    for (let i = 0; i < samples; i++) view.setInt16(44 + i * 2, Math.sin(i / 3) * 8000, true);
    return new Blob([buffer], { type: "audio/wav" });
  })();
  await new Promise((resolve, reject) => {
    const tx = db.transaction(["memos", "audio", "settings"], "readwrite");
    tx.objectStore("memos").put({ id: "00000000000000a1", title: "From version one",
      created: 1790000000000, duration: 2, mime: "audio/wav", size: wav.size,
      description: "kept", recovered: false });
    tx.objectStore("audio").put({ id: "00000000000000a1", blob: wav });
    tx.objectStore("settings").put({ key: "network",
      value: { trackers: ["ws://127.0.0.1:9"], iceServers: [], maxBytes: 5000000 } });
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


def test_a_database_from_the_first_release_opens_intact(site: Site, launch):
    page = launch("a").page()
    page.goto(site.url + "manifest.webmanifest")  # the origin, without starting the app
    page.evaluate(FIRST_RELEASE)
    open_app(page, site.url)
    expect(memo_items(page)).to_have_count(1)
    open_memo(page, "From version one")
    expect(page.get_by_label("Description")).to_have_value("kept")
    button(page, "Play").click()
    expect(button(page, "Pause")).to_be_visible(timeout=5_000)
    page.goto(site.url + "#/settings")
    expect(page.get_by_label("Trackers")).to_have_value("ws://127.0.0.1:9")
    expect(page.get_by_label("Largest memo to receive (MB)")).to_have_value("5")
    audio = {row["id"]: row["blob"] for row in idb_rows(page, "audio")}
    assert len(audio["00000000000000a1"].data) > 0

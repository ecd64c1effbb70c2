"""Sharing through the UI between separate Chromium processes (like separate devices), through
the real bittorrent-tracker on 127.0.0.1 with an empty ICE server list."""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import struct
import time
import wave
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from seedvox.core.qr import qr_data_uri

from .conftest import (
    GRAB_INTERPRETER,
    Site,
    button,
    chromium_args,
    compiled_stdlib,
    compiled_wheels,
    fresh_status,
    heap_nodes,
    idb_rows,
    mark_status,
    memo_items,
    memo_list,
    open_app,
    open_memo,
    parse_iso_duration,
    record,
    wait_for_sw_control,
    wait_ready,
)

pytestmark = pytest.mark.e2e

FETCH_TIMEOUT_MS = 60_000


def tone_wav(path: Path, seconds: float, rate: int = 48_000) -> Path:
    """A stereo 16-bit WAV (~192 KB per second): big memos without minutes of recording."""
    period = [int(12_000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate // 440 * 4)]
    frame = b"".join(struct.pack("<hh", s, s) for s in period)
    frames = int(seconds * rate)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        whole, rest = divmod(frames, len(period))
        out.writeframes(frame * whole + frame[: rest * 4])
    return path


def library(page: Page) -> list[dict]:
    """Title, description, duration, size and SHA-256 of every memo's stored audio."""
    audio = {row["id"]: row["blob"] for row in idb_rows(page, "audio")}
    return [
        {
            "title": memo["title"],
            "description": memo["description"],
            "duration": memo["duration"],
            "mime": memo["mime"],
            "size": len(audio[memo["id"]].data) if memo["id"] in audio else 0,
            "sha256": audio[memo["id"]].sha256 if memo["id"] in audio else None,
        }
        for memo in idb_rows(page, "memos")
        if not memo.get("deleted")
    ]


def share(page: Page) -> str:
    """Press Share in the open memo view; returns the link shown."""
    button(page, "Share").click()
    field = page.get_by_label("Share link")
    expect(field).to_be_visible(timeout=15_000)
    expect(page.get_by_text("available while Seedvox is open on this device")).to_be_visible()
    link = field.input_value()
    assert re.search(r"/seedvox/#/get/v1/[0-9a-f]{40}/[\w-]{43}$", link), link
    return link


def receive(page: Page, link: str, title: str) -> None:
    """Open a share link in a fresh app and wait until the memo is saved and shown."""
    page.goto(link)
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=FETCH_TIMEOUT_MS)
    expect(page.get_by_role("status")).to_contain_text("Memo received.")


def import_file(page: Page, path: Path) -> None:
    before = memo_items(page).count()
    page.get_by_label("Import audio file").set_input_files(str(path))
    expect(memo_items(page)).to_have_count(before + 1, timeout=15_000)


def uploaded_bytes(page: Page) -> float:
    """The sharer's upload figure as the share panel shows it ('… · 3.1 MB uploaded')."""
    text = page.locator(".share-stats").inner_text()
    match = re.search(r"([\d.]+) (B|KB|MB|GB) uploaded", text)
    assert match, text
    factor = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9}[match.group(2)]
    return float(match.group(1)) * factor


def detached_nodes(page: Page) -> list[str]:
    """Names of the DOM nodes kept alive while detached from the document, from a heap snapshot
    taken after a full garbage collection."""
    # Playwright's role queries read `ariaLabelledByElements`, and Blink keeps the array it
    # returned (holding the heading of that moment) until the property is read again: read it
    # now, so that only what the page's own scripts hold is left.
    page.evaluate(
        """() => document.querySelectorAll("[aria-labelledby]")
                    .forEach((element) => element.ariaLabelledByElements)"""
    )
    cdp = page.context.new_cdp_session(page)
    try:
        return [node["name"] for node in heap_nodes(cdp) if node.get("detachedness") == 2]
    finally:
        cdp.detach()


def test_a_recorded_memo_travels_to_another_browser(site: Site, launch):
    a_device = launch("a")
    a_device.context.add_init_script(GRAB_INTERPRETER)
    a = open_app(a_device.page(), site.url)
    record(a, 3)
    open_memo(a, memo_list(a).get_by_role("link").first.inner_text())
    a.get_by_label("Title").fill("Groceries")
    a.get_by_label("Title").press("Tab")
    expect(a.get_by_role("status")).to_contain_text("Saved.")
    # Over 1 KiB of header: the receiver reads past the payload's first bytes for the rest.
    description = "milk, eggs & <b>bread</b>\n" + "brötchen, kaffee; " * 80
    mark_status(a)  # the title's "Saved." may still show: wait for the description's own
    a.get_by_label("Description").fill(description)
    a.get_by_label("Description").press("Tab")
    assert "Saved." in fresh_status(a)
    link = share(a)

    b_device = launch("b")
    b_device.context.add_init_script(GRAB_INTERPRETER)
    b = b_device.page()
    receive(b, link, "Groceries")
    expect(b.get_by_label("Description")).to_have_value(description.strip())
    [sent], [got] = library(a), library(b)
    assert got["sha256"] == sent["sha256"] and got["size"] == sent["size"] > 1000
    # The memo view, shown from what the fetch just saved, offers exactly the sharer's audio.
    href = b.get_by_role("link", name="Download").get_attribute("href")
    offered = b.evaluate(
        "async (url) => [...new Uint8Array(await (await fetch(url)).arrayBuffer())]", href
    )
    assert hashlib.sha256(bytes(offered)).hexdigest() == sent["sha256"]
    assert (got["title"], got["description"], got["mime"]) == (
        sent["title"],
        sent["description"],
        sent["mime"],
    )
    assert got["duration"] == pytest.approx(sent["duration"], abs=0.01)
    # The receiver's library lists it with the same duration, and it plays.
    b.get_by_role("link", name="Back to library").click()
    item = memo_items(b).first
    expect(item).to_contain_text("Groceries")
    duration = item.locator("time.duration").get_attribute("datetime")
    assert parse_iso_duration(duration) == pytest.approx(sent["duration"], abs=0.01)
    # The sharer sees what went up, and lets go of the receiver once it has everything (two
    # complete copies have nothing to trade). The panel's figures refresh once a second, so
    # the one shown may be from during the transfer (17 KB, once, for a memo received whole).
    deadline = time.monotonic() + 5
    while uploaded_bytes(a) < sent["size"] * 0.9 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert uploaded_bytes(a) >= sent["size"] * 0.9
    expect(a.locator(".share-stats")).to_contain_text("0 peer(s) connected")
    # Recording, sharing and receiving ran no stdlib module that build.py had not compiled.
    assert compiled_stdlib(a) == compiled_stdlib(b) == []


TORRENTS_JS = """async () => {
  const url = new URL("./js/torrent.js", document.baseURI).href;
  return (await import(url)).list();  // the app's own adapter: the same module instance
}"""


def test_a_receiver_passes_the_memo_on_after_the_sharer_left(site: Site, launch, tmp_path: Path):
    a_device = launch("a")
    a = open_app(a_device.page(), site.url)
    import_file(a, tone_wav(tmp_path / "relay.wav", seconds=6))  # ~1.2 MB: several pieces
    open_memo(a, "relay")
    link = share(a)
    [sent] = library(a)
    b = launch("b").page()
    receive(b, link, "relay")
    a_device.close()

    # C can only get it from B, which seeds on what it downloaded while the app is open.
    c = launch("c").page()
    receive(c, link, "relay")
    [got] = library(c)
    assert (got["sha256"], got["size"]) == (sent["sha256"], sent["size"])
    [seeding] = b.evaluate(TORRENTS_JS)
    assert seeding["done"] and seeding["uploaded"] >= sent["size"]


def test_three_receivers_at_once_trade_pieces(site: Site, launch, tmp_path: Path):
    a = open_app(launch("a").page(), site.url)
    import_file(a, tone_wav(tmp_path / "swarm.wav", seconds=22))  # ~4.2 MB
    open_memo(a, "swarm")
    link = share(a)
    size = library(a)[0]["size"]

    receivers = [launch(f"r{i}").page() for i in range(3)]
    for page in receivers:
        page.goto(link)
    for page in receivers:
        expect(page.get_by_role("heading", level=1, name="swarm")).to_be_visible(
            timeout=FETCH_TIMEOUT_MS
        )
    sha = library(a)[0]["sha256"]
    assert [library(page)[0]["sha256"] for page in receivers] == [sha] * 3
    time.sleep(1.5)  # let the share panel's once-a-second figures catch up
    uploaded = uploaded_bytes(a)
    print(f"swarm: memo {size} B, sharer uploaded {uploaded:.0f} B = {uploaded / size:.2f}x")
    assert size * 0.5 < uploaded < 3 * size


def test_sharer_leaves_mid_transfer_and_comes_back(site: Site, launch, tmp_path: Path):
    a_device = launch("a")
    a = open_app(a_device.page(), site.url)
    import_file(a, tone_wav(tmp_path / "long.wav", seconds=130))  # ~25 MB
    open_memo(a, "long")
    link = share(a)
    sent = library(a)[0]

    b = launch("b").page()
    b.goto(link)
    bar = b.get_by_role("progressbar", name="Download progress")
    b.wait_for_function(
        "(el) => el.value >= 30", arg=bar.element_handle(timeout=30_000), timeout=FETCH_TIMEOUT_MS
    )
    a_device.close()
    progress_when_left = float(bar.evaluate("(el) => el.value"))
    assert progress_when_left < 100, (
        "transfer finished before the sharer left: make the memo larger"
    )
    expect(b.get_by_text("Waiting for the sharer")).to_be_visible(timeout=30_000)
    assert library(b) == [], "a partial memo was saved"

    a = launch("a").page()  # same profile: the app restarts and seeds the memo again
    open_app(a, site.url)
    expect(b.get_by_role("heading", level=1, name="long")).to_be_visible(timeout=90_000)
    [got] = library(b)
    assert (got["sha256"], got["size"]) == (sent["sha256"], sent["size"])


def test_link_survives_rename_and_restart(site: Site, launch, tmp_path: Path):
    a_device = launch("a")
    a = open_app(a_device.page(), site.url)
    import_file(a, tone_wav(tmp_path / "Original.wav", seconds=2))
    open_memo(a, "Original")
    link = share(a)
    a.get_by_label("Title").fill("Renamed later")
    a.get_by_label("Title").press("Tab")
    expect(a.get_by_role("heading", level=1, name="Renamed later")).to_be_visible()
    expect(a.get_by_label("Share link")).to_have_value(link)

    first = launch("b").page()
    receive(first, link, "Original")  # the title as it was when shared

    a_device.close()
    a = open_app(launch("a").page(), site.url)
    second = launch("c").page()
    receive(second, link, "Original")
    assert library(second)[0]["sha256"] == library(a)[0]["sha256"]


def test_same_link_twice_gives_one_memo(site: Site, launch, tmp_path: Path):
    a = open_app(launch("a").page(), site.url)
    import_file(a, tone_wav(tmp_path / "Once.wav", seconds=1))
    open_memo(a, "Once")
    link = share(a)
    b = launch("b").page()
    receive(b, link, "Once")
    b.goto(site.url + "#/")
    b.goto(link)
    expect(b.get_by_role("status")).to_contain_text("already in your library", timeout=15_000)
    b.get_by_role("link", name="Open it").click()
    expect(b.get_by_role("heading", level=1, name="Once")).to_be_visible()
    assert len(library(b)) == 1
    # The sharer opening its own link does not duplicate either.
    a.goto(link)
    expect(a.get_by_role("status")).to_contain_text("already in your library", timeout=15_000)
    assert len(library(a)) == 1


def test_one_link_in_two_tabs_at_once_gives_one_memo(site: Site, launch, tmp_path: Path):
    a = open_app(launch("a").page(), site.url)
    import_file(a, tone_wav(tmp_path / "Both.wav", seconds=1))
    open_memo(a, "Both")
    link = share(a)
    b = launch("b")
    tabs = [b.page(), b.context.new_page()]
    for tab in tabs:
        tab.goto(link)
    for tab in tabs:
        # Whichever tab saves second finds the memo the first saved (in its check before
        # fetching, or inside the saving transaction) and shows that one.
        shown = tab.get_by_role("heading", level=1, name="Both").or_(
            tab.get_by_role("link", name="Open it")
        )
        expect(shown).to_be_visible(timeout=FETCH_TIMEOUT_MS)
    assert [m["title"] for m in library(tabs[0])] == ["Both"]


def test_a_pasted_link_opens_the_share(site: Site, launch, tmp_path: Path):
    a = open_app(launch("a").page(), site.url)
    import_file(a, tone_wav(tmp_path / "Pasted.wav", seconds=1))
    open_memo(a, "Pasted")
    link = share(a)
    b = open_app(launch("b").page(), site.url)
    field = b.get_by_label("Open a shared link")
    for bad, reason in (
        ("https://example.com/page", "not a Seedvox share link"),
        (link[:-5], "its key is incomplete or invalid"),
    ):
        field.fill(bad)
        b.get_by_role("button", name="Open", exact=True).click()
        expect(b.get_by_role("alert")).to_contain_text(reason)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(b.get_by_role("heading", level=1, name="Voice memos")).to_be_visible()
    field.fill(f"  {link}\n")
    field.press("Enter")
    expect(b.get_by_role("heading", level=1, name="Pasted")).to_be_visible(timeout=FETCH_TIMEOUT_MS)
    expect(b.get_by_role("status")).to_contain_text("Memo received.")


def test_qr_code_of_the_link_works_offline(site: Site, launch, tmp_path: Path):
    """The QR code is made in the browser by segno, installed with micropip from the site's own
    wheels (precached: the network is off): the same image segno makes here for the link. The
    stdlib modules that takes, and micropip's and segno's own, come compiled (build.py's
    WARM_UP)."""
    device = launch("a")
    device.context.add_init_script(GRAB_INTERPRETER)
    a = open_app(device.page(), site.url)
    import_file(a, tone_wav(tmp_path / "Scan me.wav", seconds=1))
    open_memo(a, "Scan me")
    link = share(a)
    wait_for_sw_control(a)
    device.context.set_offline(True)
    show = a.get_by_role("button", name="Show QR code")
    show.click()
    image = a.get_by_role("img", name="QR code of the share link")
    expect(image).to_be_visible(timeout=20_000)
    assert image.get_attribute("src") == qr_data_uri(link)
    assert compiled_stdlib(a) == []
    loaded, compiled = compiled_wheels(a)
    assert {"micropip", "segno", "segno.encoder"} <= set(loaded)
    assert compiled == []
    expect(a.get_by_role("button", name="Hide QR code")).to_have_attribute("aria-expanded", "true")
    a.get_by_role("button", name="Hide QR code").click()
    expect(image).to_be_hidden()
    assert not [r for r in device.requests if "pypi" in r or "jsdelivr" in r], device.requests
    assert not device.errors, device.errors


def test_nobody_seeds_waits_then_says_so(site: Site, launch):
    config_path = site.root / "config.json"
    config = json.loads(config_path.read_text())
    config["fetchGiveUpSeconds"] = 14
    config_path.write_text(json.dumps(config))
    b = open_app(launch("b").page(), site.url)
    b.goto(site.url + "#/get/v1/" + "ab" * 20 + "/" + "A" * 42 + "E")
    expect(b.get_by_text("Looking for the sharer")).to_be_visible(timeout=10_000)
    expect(b.get_by_text("Waiting for the sharer")).to_be_visible(timeout=20_000)
    expect(b.get_by_role("alert")).to_contain_text("Nobody is sharing this memo", timeout=20_000)
    expect(b.get_by_role("button", name="Try again")).to_be_visible()
    assert library(b) == []


def test_cancel_stops_and_saves_nothing(site: Site, launch):
    b = open_app(launch("b").page(), site.url)
    b.goto(site.url + "#/get/v1/" + "cd" * 20 + "/" + "B" * 42 + "E")
    button(b, "Cancel").click()
    expect(b.get_by_role("alert")).to_contain_text("Cancelled. Nothing was saved.")
    assert library(b) == []


def test_stop_sharing_ends_the_share(site: Site, launch, tmp_path: Path):
    a = open_app(launch("a").page(), site.url)
    import_file(a, tone_wav(tmp_path / "Brief.wav", seconds=1))
    open_memo(a, "Brief")
    share(a)
    button(a, "Stop sharing").click()
    expect(a.get_by_role("status")).to_contain_text("Sharing stopped")
    expect(a.get_by_label("Share link")).to_have_count(0)
    expect(button(a, "Share")).to_be_visible()


def test_unshared_memos_are_never_announced(site: Site, launch, tmp_path: Path):
    device = launch("a")
    a = open_app(device.page(), site.url)
    import_file(a, tone_wav(tmp_path / "Private.wav", seconds=1))
    a.reload()
    open_app(a, site.url)
    time.sleep(3)  # re-seeding runs right after boot: give it time to (not) announce
    assert device.websockets == [], "a memo nobody shared was announced to a tracker"
    open_memo(a, "Private")
    share(a)
    deadline = time.monotonic() + 10
    while not device.websockets and time.monotonic() < deadline:
        time.sleep(0.2)
    assert device.websockets and all(url.startswith("ws://127.0.0.1:") for url in device.websockets)


def test_plain_http_says_https_is_required(site: Site, playwright, tmp_path: Path):
    """A non-loopback http:// origin is not a secure context: recording and sharing say so."""
    host = "seedvox.test"
    port = site.url.split(":")[2].split("/")[0]
    browser = playwright.chromium.launch(
        executable_path=shutil.which("chromium"),
        args=[*chromium_args(None), f"--host-resolver-rules=MAP {host} 127.0.0.1"],
    )
    try:
        page = browser.new_page()
        page.goto(f"http://{host}:{port}/seedvox/")
        wait_ready(page)
        expect(page.get_by_role("status")).to_contain_text("needs a secure connection")
        expect(button(page, "Record")).to_be_disabled()
        page.goto(f"http://{host}:{port}/seedvox/#/get/v1/" + "ef" * 20 + "/" + "C" * 42 + "E")
        expect(page.get_by_role("alert")).to_contain_text("HTTPS", timeout=10_000)
    finally:
        browser.close()


def test_views_left_hold_none_of_their_elements(site: Site, launch, tmp_path: Path):
    """Leaving the memo view (with its share panel) and the fetch view leaves no detached DOM
    node alive: each used to keep its last elements through Pyodide's references to them for
    as long as the app ran (issue #5)."""
    a = open_app(launch("a").page(), site.url)
    import_file(a, tone_wav(tmp_path / "Passing.wav", seconds=1))
    open_memo(a, "Passing")
    link = share(a)
    b = launch("b").page()
    receive(b, link, "Passing")  # through the fetch view to the memo view
    for page in (a, b):
        page.get_by_role("link", name="Back to library").click()
        expect(page.get_by_role("heading", level=1, name="Voice memos")).to_be_visible()
        assert detached_nodes(page) == []

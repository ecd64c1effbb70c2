"""Recording from the (fake) microphone: the memo's duration, its download, and recovery of a
recording whose tab was closed."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    assert_plays,
    button,
    item_duration,
    item_title,
    memo_id_from_url,
    memo_items,
    open_app,
    open_memo,
    read_value,
    record,
    stored_audio,
    stored_chunks,
    stored_memos,
)

pytestmark = pytest.mark.e2e


def clock(seconds: float) -> set[str]:
    """How "0:03" may read for a duration (truncated or rounded)."""
    return {f"{int(s) // 60}:{int(s) % 60:02d}" for s in (seconds, round(seconds))}


def test_record_lists_memo_with_true_duration(launch, site):
    """~3 s recorded from the espeak-ng WAV becomes a memo whose listed duration is the real
    length of the stored audio (decoded by Chromium) within 0.5 s; the level meter moves."""
    page = open_app(launch().page(), site.url)
    expect(page.get_by_text("No memos yet")).to_be_visible()

    button(page, "Record").click()
    expect(button(page, "Stop")).to_be_visible()
    expect(button(page, "Record")).to_be_hidden()
    meter = page.get_by_role("meter", name="Input level")
    expect(meter).to_be_visible()
    levels = []
    deadline = time.monotonic() + 3.2
    while time.monotonic() < deadline:
        levels.append(read_value(meter))
        time.sleep(0.1)
    # The elapsed time is shown while recording and has counted past two seconds.
    expect(page.get_by_text(re.compile(r"\b0:0[2-9]\b")).first).to_be_visible()
    button(page, "Stop").click()
    assert max(levels) > 0, f"the input level never moved: {levels}"

    expect(button(page, "Record")).to_be_enabled()
    expect(button(page, "Stop")).to_be_hidden()
    expect(page.get_by_text("No memos yet")).to_be_hidden()
    items = memo_items(page)
    expect(items).to_have_count(1, timeout=10_000)
    item = items.first
    title = item_title(item)
    assert title.startswith("Memo "), title

    listed = item_duration(item)
    [audio] = stored_audio(page).values()
    truth = audio["decoded"]
    assert isinstance(truth, float), f"Chromium could not decode the stored audio: {truth}"
    assert 2.0 < truth < 5.0, f"decoded audio is {truth:.2f} s for a ~3.2 s recording"
    assert abs(listed - truth) <= 0.5, f"listed {listed:.2f} s, audio is {truth:.2f} s"
    assert audio["type"].startswith("audio/webm"), audio["type"]

    # The visible duration reads like 0:03; the date <time> is today's.
    texts = item.locator("time").all_inner_texts()
    assert any(t.strip() in clock(listed) for t in texts), (texts, listed)
    stamps = item.locator("time").evaluate_all("els => els.map((e) => e.dateTime)")
    dates = [s for s in stamps if not s.startswith("P")]
    assert dates, f"no date <time> in the item: {stamps}"
    when = datetime.fromisoformat(dates[0].replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.astimezone()
    assert abs((datetime.now(UTC) - when).total_seconds()) < 600, dates[0]

    [memo] = stored_memos(page)
    assert memo["title"] == title
    assert abs(memo["duration"] - listed) < 0.01
    assert memo["size"] == audio["size"] > 0
    assert not memo.get("recovered")
    assert stored_chunks(page) == 0, "chunks were left behind after Stop"


def test_download_is_the_stored_recording(launch, site):
    """The Download link saves a .weba file whose bytes are exactly the stored audio."""
    page = open_app(launch().page(), site.url)
    record(page, 2.0)
    open_memo(page, item_title(memo_items(page).first))
    memo_id = memo_id_from_url(page)

    link = page.get_by_role("link", name="Download")
    expect(link).to_have_attribute("download", re.compile(r"\.weba$"))
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".weba"), download.suggested_filename
    data = open(download.path(), "rb").read()  # noqa: SIM115
    stored = stored_audio(page)[memo_id]
    assert len(data) == stored["size"] > 0
    assert hashlib.sha256(data).hexdigest() == stored["sha256"]


def test_recording_survives_closed_tab(launch, site):
    """Closing the tab mid-recording loses nothing that was saved: the next start turns the
    saved chunks into a memo marked Recovered, which plays, and no chunks are left."""
    device = launch()
    page = open_app(device.page(), site.url)
    button(page, "Record").click()
    expect(button(page, "Stop")).to_be_visible()
    page.wait_for_timeout(3200)
    deadline = time.monotonic() + 5
    while stored_chunks(page) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored_chunks(page) >= 2, "chunks are not written while recording"

    fresh = device.context.new_page()
    page.close()
    open_app(fresh, site.url)
    items = memo_items(fresh)
    expect(items).to_have_count(1, timeout=10_000)
    item = items.first
    expect(item).to_contain_text("Recovered")
    assert item_duration(item) >= 1.5, item_duration(item)
    deadline = time.monotonic() + 5
    while stored_chunks(fresh) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored_chunks(fresh) == 0, "chunks left after recovery"
    [memo] = stored_memos(fresh)
    assert memo["recovered"]
    decoded = stored_audio(fresh)[memo["id"]]["decoded"]
    assert isinstance(decoded, float) and decoded >= 1.5, decoded

    open_memo(fresh, item_title(item))
    assert_plays(fresh)

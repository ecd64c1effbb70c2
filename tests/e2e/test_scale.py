"""A library of 1,000 shared memos still boots, re-seeds and shares (Chromium allows 500 peer
connections per page; seeders must not spend one per torrent)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from .conftest import Site, button, memo_items, memo_list, open_app, populate_shared, record

pytestmark = pytest.mark.e2e

COUNT = 1000


def test_a_thousand_shared_memos_boot_reseed_and_share(site: Site, launch):
    a = open_app(launch("a").page(), site.url)
    started = time.monotonic()
    last = populate_shared(a, COUNT)
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
    record(a, 1.5, timeout=20_000)
    memo_items(a).first.get_by_role("link").click()
    button(a, "Share").click()
    expect(a.get_by_label("Share link")).to_be_visible(timeout=15_000)

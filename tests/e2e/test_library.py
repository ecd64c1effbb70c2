"""The library: memos persist, edits are saved, delete with undo, delete all."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    button,
    fresh_status,
    item_duration,
    item_title,
    mark_status,
    memo_items,
    open_app,
    open_memo,
    record,
    reload_app,
    stored_audio,
    stored_memos,
)

pytestmark = pytest.mark.e2e


def test_memo_and_edits_survive_reload(launch, site):
    """A memo is still listed after a reload; a new title and description are saved and are
    still there after another reload."""
    page = open_app(launch().page(), site.url)
    record(page, 1.5)
    title = item_title(memo_items(page).first)

    reload_app(page)
    expect(memo_items(page)).to_have_count(1)
    expect(memo_items(page).first.get_by_role("link", name=title, exact=True)).to_be_visible()

    open_memo(page, title)
    status = page.get_by_role("status")
    title_field = page.get_by_label("Title", exact=True)
    expect(title_field).to_have_value(title)
    title_field.fill("Groceries for Sunday")
    title_field.press("Tab")
    expect(status).to_contain_text("Saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Groceries for Sunday")

    description = page.get_by_label("Description", exact=True)
    # The title's "Saved." may still show: wait for the description's own message.
    mark_status(page)
    description.fill("Leeks, lentils and a lemon.\nAsk about the bread.")
    description.press("Tab")
    assert "Saved." in fresh_status(page)

    reload_app(page)
    # Opened straight at #/memo/<id>: only the memo view shows (one h1, no library controls).
    expect(button(page, "Record")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text("Groceries for Sunday")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Groceries for Sunday")
    expect(page.get_by_label("Description", exact=True)).to_have_value(
        "Leeks, lentils and a lemon.\nAsk about the bread."
    )
    page.get_by_role("link", name="Back to library").click()
    expect(page).to_have_url(site.url + "#/")
    expect(memo_items(page).first.get_by_role("link", name="Groceries for Sunday")).to_be_visible()
    [memo] = stored_memos(page)
    assert memo["title"] == "Groceries for Sunday"
    assert memo["description"] == "Leeks, lentils and a lemon.\nAsk about the bread."


def test_delete_undo_and_delete_all(launch, site):
    """Newest first; Delete offers Undo, which brings the memo back; a delete that is not undone
    is gone after a reload; Delete all asks first, then empties the library and its storage."""
    page = open_app(launch().page(), site.url)
    record(page, 1.5)
    record(page, 3.2)
    items = memo_items(page)
    assert item_duration(items.nth(0)) > item_duration(items.nth(1)) + 0.8, "not newest first"
    newest_title = item_title(items.nth(0))
    newest_duration = item_duration(items.nth(0))

    # Delete, then Undo.
    items.nth(0).get_by_role("link").first.click()
    button(page, "Delete").click()
    expect(page).to_have_url(site.url + "#/")
    expect(items).to_have_count(1)
    assert item_duration(items.first) < 2.5, "the wrong memo was deleted"
    status = page.get_by_role("status")
    expect(status).to_contain_text("Memo deleted.")
    status.get_by_role("button", name="Undo").click()
    expect(items).to_have_count(2)
    assert item_title(items.nth(0)) == newest_title
    assert abs(item_duration(items.nth(0)) - newest_duration) < 0.01

    # Delete again and let it go: gone after a reload.
    items.nth(0).get_by_role("link").first.click()
    button(page, "Delete").click()
    expect(items).to_have_count(1)
    reload_app(page)
    expect(items).to_have_count(1)
    assert item_duration(items.first) < 2.5

    # Delete all: Cancel keeps everything, "Delete everything" removes it.
    button(page, "Delete all").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(items).to_have_count(1)
    button(page, "Delete all").click()
    dialog.get_by_role("button", name="Delete everything").click()
    expect(dialog).to_be_hidden()
    expect(items).to_have_count(0)
    expect(page.get_by_text("No memos yet")).to_be_visible()
    expect(button(page, "Delete all")).to_be_hidden()

    reload_app(page)
    expect(page.get_by_text("No memos yet")).to_be_visible()
    expect(items).to_have_count(0)
    assert [m for m in stored_memos(page) if not m.get("deleted")] == []
    assert stored_audio(page) == {}, "Delete everything left audio in storage"

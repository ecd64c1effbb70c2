"""The service worker: the app works offline after one visit, and a new deployment is offered
as "Update available" and taken only when the user presses Reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

import build
from tests.e2e.conftest import (
    assert_plays,
    button,
    item_title,
    memo_items,
    open_app,
    open_memo,
    record,
    reload_app,
    wait_for_sw_control,
    wait_ready,
)

pytestmark = pytest.mark.e2e


def test_offline_after_first_visit(launch, site):
    """Once the service worker controls the page, the app boots with the network off and the
    server gone, lists the memo and plays it."""
    device = launch()
    page = open_app(device.page(), site.url)
    record(page, 2.0)
    title = item_title(memo_items(page).first)
    wait_for_sw_control(page)

    site.stop()
    device.context.set_offline(True)
    reload_app(page)
    expect(button(page, "Record")).to_be_enabled()
    expect(memo_items(page)).to_have_count(1)
    open_memo(page, title)
    assert_plays(page)
    assert not device.errors, device.errors


def open_settings(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()


def test_update_is_offered_and_applied(launch, site, dist_two):
    """A second build deployed to the same URL is announced ("Update available"); the page keeps
    running the first build until Reload is pressed; then the new build runs and the memo is
    still there."""
    version = build.read_version()
    page = open_app(launch().page(), site.url)
    record(page, 1.5)
    title = item_title(memo_items(page).first)
    wait_for_sw_control(page)
    open_settings(page)
    expect(page.get_by_text(re.compile(rf"Version {re.escape(version)}(?!\+)"))).to_be_visible()

    site.deploy(dist_two)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    reload_app(page)
    status = page.get_by_role("status")
    expect(status).to_contain_text("Update available", timeout=30_000)
    # Until the user accepts, the page still runs the build it started with.
    open_settings(page)
    expect(page.get_by_text(re.compile(rf"Version {re.escape(version)}(?!\+)"))).to_be_visible()

    with page.expect_navigation(timeout=30_000):
        button(page, "Reload").click()
    wait_ready(page)
    open_settings(page)
    expect(page.get_by_text(f"Version {version}+two")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    expect(memo_items(page)).to_have_count(1)
    expect(memo_list_link(page, title)).to_be_visible()


def memo_list_link(page: Page, title: str):
    return memo_items(page).first.get_by_role("link", name=title, exact=True)

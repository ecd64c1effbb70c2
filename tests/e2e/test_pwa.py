"""Installability: Chromium finds no installability error, and the manifest's icons load."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import open_app, wait_for_sw_control

pytestmark = pytest.mark.e2e

ICONS = """async () => {
  const link = document.querySelector("link[rel=manifest]");
  const response = await fetch(link.href);
  const manifest = await response.json();
  return Promise.all(manifest.icons.map(async (icon) => {
    const url = new URL(icon.src, link.href);
    const r = await fetch(url);
    let width = 0, height = 0;
    if (r.ok) {
      const bitmap = await createImageBitmap(await r.blob());
      width = bitmap.width;
      height = bitmap.height;
    }
    return {src: url.href, sizes: icon.sizes, purpose: icon.purpose || "any", status: r.status,
            type: r.headers.get("content-type"), width, height};
  }));
}"""


def test_installable_with_icons(launch, site):
    device = launch()
    page = open_app(device.page(), site.url)
    wait_for_sw_control(page)
    cdp = device.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest.get("url", "").startswith(site.url), manifest.get("url")
    assert not manifest.get("errors"), manifest["errors"]
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], errors

    icons = page.evaluate(ICONS)
    for icon in icons:
        assert icon["status"] == 200, icon
        assert icon["type"] == "image/png", icon
        assert icon["src"].startswith(site.url), icon
        assert icon["sizes"] == f"{icon['width']}x{icon['height']}", icon
    found = {(icon["sizes"], purpose) for icon in icons for purpose in icon["purpose"].split()}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= found, found

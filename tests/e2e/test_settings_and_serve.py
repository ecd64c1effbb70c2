"""Settings for trackers, STUN/TURN and the size limit; `build.py serve` with its own tracker."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from build import ROOT

from .conftest import Site, button, free_port, open_app

pytestmark = pytest.mark.e2e


def test_network_settings_are_validated_and_kept(site: Site, launch):
    page = open_app(launch("a").page(), site.url + "#/settings")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    trackers = page.get_by_label("Trackers")
    expect(trackers).to_have_value(
        json.loads((site.root / "config.json").read_text())["trackers"][0]
    )

    for bad, reason in (
        ("https://tracker.example.org", "Not a WebSocket tracker"),
        ("javascript:alert(1)", "Not a WebSocket tracker"),
        ("", "at least one tracker"),
    ):
        trackers.fill(bad)
        button(page, "Save settings").click()
        expect(page.get_by_role("alert")).to_contain_text(reason)
    trackers.fill("wss://tracker.example.org\nws://127.0.0.1:9")
    page.get_by_label("STUN/TURN servers").fill("turn:turn.example.org:3478 only-a-user")
    button(page, "Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("username and a credential")
    page.get_by_label("STUN/TURN servers").fill(
        "stun:stun.example.org:3478\nturn:t.example:3478 u p"
    )
    page.get_by_label("Largest memo to receive (MB)").fill("50")
    button(page, "Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved")

    page.reload()
    open_app(page, site.url + "#/settings")
    expect(page.get_by_label("Trackers")).to_have_value(
        "wss://tracker.example.org\nws://127.0.0.1:9"
    )
    expect(page.get_by_label("STUN/TURN servers")).to_have_value(
        "stun:stun.example.org:3478\nturn:t.example:3478 u p"
    )
    expect(page.get_by_label("Largest memo to receive (MB)")).to_have_value("50")
    button(page, "Restore defaults").click()
    expect(page.get_by_label("Trackers")).not_to_have_value(
        "wss://tracker.example.org\nws://127.0.0.1:9"
    )


def wait_port(port: int, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def test_serve_builds_and_starts_its_own_tracker(tmp_path):
    port, tracker_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "--out",
            str(tmp_path / "site"),
            "serve",
            "--port",
            str(port),
            "--tracker-port",
            str(tracker_port),
            "--prefix",
            "/sub/",
        ],
        cwd=ROOT,
    )
    try:
        wait_port(port, process)
        wait_port(tracker_port, process)
        base = f"http://127.0.0.1:{port}/sub/"
        config = json.loads(urllib.request.urlopen(base + "config.json").read())
        assert config["trackers"] == [f"ws://127.0.0.1:{tracker_port}"]
        assert config["iceServers"] == []
        wasm = urllib.request.urlopen(base + "vendor/pyodide/pyodide.asm.wasm")
        assert wasm.headers["Content-Type"] == "application/wasm"
        assert b"Seedvox" in urllib.request.urlopen(base).read()
    finally:
        process.terminate()
        process.wait(15)

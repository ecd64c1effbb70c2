"""Fixtures for end-to-end tests: the built site, a static server under a sub-path, the real
bittorrent-tracker on loopback, and separate Chromium processes (one per "device")."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

import build

PREFIX = "/seedvox/"
BOOT_TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Site:
    """A served copy of a build; `url` ends with the sub-path."""

    root: Path
    url: str
    server: object

    @property
    def origin(self) -> str:
        return self.url.split(PREFIX)[0]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(root: Path, **options) -> Site:
    server = build.make_server(root, prefix=PREFIX, **options)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Site(root, f"http://127.0.0.1:{server.server_address[1]}{PREFIX}", server)


@pytest.fixture(scope="session")
def tracker_url() -> Iterator[str]:
    """The real bittorrent-tracker server (WebSocket only) on 127.0.0.1."""
    port = free_port()
    process = build.start_tracker(port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("tracker exited") from None
            time.sleep(0.1)
    else:
        raise RuntimeError("tracker did not start")
    yield f"ws://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory, tracker_url: str) -> Path:
    """One build for the whole session, pointed at the local tracker with no ICE servers
    (an unreachable STUN server delays every connection by 5 s)."""
    out = tmp_path_factory.mktemp("dist") / "site"
    build.build(out, trackers=[tracker_url], ice=[])
    return out


@pytest.fixture
def site(dist: Path, tmp_path: Path) -> Iterator[Site]:
    """A private copy of the build served on its own port (its own origin, so its own storage)."""
    root = tmp_path / "www"
    shutil.copytree(dist, root)
    served = serve(root)
    yield served
    served.stop()


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real spoken sentence, fed to Chromium's fake microphone."""
    path = tmp_path_factory.mktemp("audio") / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-s", "140", "-w", str(path),
         "Seedvox keeps this voice memo in the browser and shares it with no server."],
        check=True,
    )
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


def chromium_args(speech: Path | None) -> list[str]:
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        "--allow-loopback-in-peer-connection",
        "--autoplay-policy=no-user-gesture-required",
    ]
    if speech:
        args.append(f"--use-file-for-fake-audio-capture={speech}")
    return args


@dataclass
class Device:
    """One Chromium process with its own profile, like a separate device."""

    context: BrowserContext
    profile: Path
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def page(self) -> Page:
        return self.context.pages[0] if self.context.pages else self.context.new_page()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def launch(playwright: Playwright, tmp_path: Path, speech_wav: Path):
    """launch(name) starts a separate Chromium process; the same name reuses its profile."""
    devices: list[Device] = []

    def start(name: str = "a") -> Device:
        profile = tmp_path / f"profile-{name}"
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=shutil.which("chromium"),
            headless=True,
            args=chromium_args(speech_wav),
            accept_downloads=True,
        )
        device = Device(context, profile)
        context.on("request", lambda request: device.requests.append(request.url))
        context.on("weberror", lambda error: device.errors.append(str(error.error)))
        devices.append(device)
        return device

    yield start
    for device in devices:
        try:
            device.close()
        except Exception:  # already closed by the test
            pass


def open_app(page: Page, url: str, route: str = "") -> Page:
    """Navigate and wait until Python is up (Record enabled)."""
    page.goto(url + route)
    page.wait_for_function(
        "document.documentElement.dataset.state === 'ready'", timeout=BOOT_TIMEOUT_MS
    )
    return page

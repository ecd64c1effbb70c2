"""Hostile and broken input, end to end: share links, fields, payloads, torrents and imports.

Every case must show a clear message (the fetch view's alert and the status area), run no script,
change nothing in the library and leave the app usable. Sharers are either the real app (the UI)
or a plain page of the site driving web/js/torrent.js, web/js/crypto.js and raw WebTorrent, which
can seed what the app never would: tampered ciphertext, bad headers, non-audio, several files.
Receivers are always the real app in a separate Chromium process, through the real tracker.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.hostile_links import HASH, HOSTILE_LINKS, KEY

from .conftest import (
    Site,
    button,
    fresh_status,
    idb_rows,
    mark_status,
    memo_list,
    open_app,
    open_memo,
)
from .test_sharing import import_file, library, share, tone_wav, uploaded_bytes

pytestmark = pytest.mark.e2e

PIECE = 256 * 1024  # torrent piece = one AES-GCM record (PROTOCOL.md)
FETCH_TIMEOUT_MS = 45_000

# Links beyond tests/hostile_links.py, for the live app: fields a browser keeps verbatim in the
# fragment ('?', '#', magnets, data: and javascript: URLs).
EXTRA_LINKS: list[str] = [
    f"#/get/v1/{HASH}/{KEY}?dn=<script>window.__pwned=1</script>",
    f"#/get/v1/{HASH}/{KEY}#<img src=x onerror=window.__pwned=1>",
    f"#/get/magnet:?xt=urn:btih:{HASH}&dn=evil&tr=wss://evil.example",
    f"#/get/v1/magnet:?xt=urn:btih:{HASH}/{KEY}",
    f"#/get/v1/{HASH}/data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    "#/get/v1/data:text/html,<script>window.__pwned=1</script>/" + KEY,
    f"#/get/v1/{HASH}/{KEY}%2F..%2F..",
    "#/get/v1/" + HASH + "/" + KEY + "/" + "javascript:alert(1)",
]

# ---------------------------------------------------------------- page-side probes

# Runs before any page script in every document: records CSP violations (an injected inline
# script or handler the CSP blocked still counts as an injection) and JS dialogs.
WATCH_INIT = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`);
});
"""

# What an injection would leave behind: executable or active elements in the app's markup, and
# any attribute holding a javascript: or data: URL.
INJECTED_JS = """() => {
  const roots = [document.getElementById('app'), document.getElementById('status')];
  const found = [];
  for (const root of roots) {
    const active = 'script, iframe, object, embed, svg, math, img, [onerror], [onload], [srcdoc]';
    for (const el of root.querySelectorAll(active)) {
      found.push(el.outerHTML.slice(0, 120));
    }
  }
  for (const el of document.querySelectorAll('[href], [src], [action], [formaction]')) {
    for (const name of ['href', 'src', 'action', 'formaction']) {
      const value = (el.getAttribute(name) || '').trim().toLowerCase();
      if (value.startsWith('javascript:') || value.startsWith('data:')) {
        found.push(`${el.tagName} ${name}=${value.slice(0, 80)}`);
      }
    }
  }
  return {
    pwned: typeof window.__pwned !== 'undefined',
    violations: window.__violations || [],
    found,
  };
}"""


OPFS_JS = """async () => {
  const names = [];
  const walk = async (dir, prefix) => {
    for await (const [name, handle] of dir.entries()) {
      names.push(prefix + name);
      if (handle.kind === 'directory') await walk(handle, prefix + name + '/');
    }
  };
  await walk(await navigator.storage.getDirectory(), '');
  return names;
}"""


def watch(page: Page) -> list[str]:
    """Fail-safe dialog watcher: any alert/confirm/prompt is dismissed and recorded."""
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.add_init_script(WATCH_INIT)
    return dialogs


def app_page(device) -> tuple[Page, list[str]]:
    page = device.page()
    return page, watch(page)


def injection_problems(page: Page, dialogs: list[str]) -> list[str]:
    state = page.evaluate(INJECTED_JS)
    problems = []
    if state["pwned"]:
        problems.append("window.__pwned was set: injected script ran")
    if dialogs:
        problems.append(f"dialogs opened: {dialogs}")
    if state["violations"]:
        problems.append(f"CSP blocked something injected: {state['violations']}")
    if state["found"]:
        problems.append(f"injected markup: {state['found']}")
    return problems


def assert_clean(page: Page, dialogs: list[str]) -> None:
    problems = injection_problems(page, dialogs)
    assert not problems, "\n".join(problems)


def fetch_region(page: Page):
    return page.get_by_role("region", name="Receiving a memo")


def fetch_alert(page: Page):
    return fetch_region(page).get_by_role("alert")


SENTENCE = re.compile(r"^\S.{8,}[.!?…]$", re.DOTALL)


def go_library(page: Page) -> None:
    page.evaluate("() => { location.hash = '#/' }")
    expect(page.get_by_role("heading", level=1, name="Voice memos")).to_be_visible()
    expect(fetch_alert(page)).to_have_count(0)


def open_fragment(page: Page, fragment: str) -> None:
    """From the library, follow a share link's fragment as a click on the link would."""
    go_library(page)
    mark_status(page)
    page.evaluate("h => { location.hash = h }", fragment)


def refusal(page: Page, timeout: float = FETCH_TIMEOUT_MS) -> str:
    """Wait for the fetch view's alert; returns its text."""
    alert = fetch_alert(page)
    expect(alert).to_have_text(SENTENCE, timeout=timeout)
    return alert.inner_text().strip()


def stored_shares(page: Page) -> list[dict]:
    return [
        {"infoHash": row["infoHash"], "role": row["role"], "memoId": row.get("memoId")}
        for row in idb_rows(page, "shares")
    ]


def check_refused(
    page: Page, dialogs: list[str], expected: str, before: list[dict], timeout=FETCH_TIMEOUT_MS
) -> list[str]:
    """Everything a refusal must be: a clear message here and in the status area, no script,
    nothing stored. Returns the problems found (empty when all is well)."""
    problems = []
    try:
        text = refusal(page, timeout)
    except AssertionError:
        alerts = fetch_alert(page).all_inner_texts()
        line = fetch_region(page).inner_text() if fetch_region(page).count() else ""
        return [f"no refusal shown; alert={alerts!r}, view={line[:300]!r}"]
    if not re.search(expected, text, re.IGNORECASE):
        problems.append(f"message {text!r} does not say {expected!r}")
    try:
        shown = fresh_status(page, 5_000)
        if text not in shown:
            problems.append(f"status area shows {shown!r}, not the refusal {text!r}")
    except PlaywrightError:
        problems.append("the status area showed no new message")
    problems += injection_problems(page, dialogs)
    after = library(page)
    if after != before:
        problems.append(f"library changed: {after}")
    shares = [s for s in stored_shares(page) if s["role"] != "sharer"]
    if shares:
        problems.append(f"share records stored: {shares}")
    return problems


# ---------------------------------------------------------------- 1. hostile links


def test_every_hostile_link_is_refused_safely(site: Site, launch, tmp_path: Path):
    device = launch("b")
    page, dialogs = app_page(device)
    open_app(page, site.url)
    import_file(page, tone_wav(tmp_path / "Original.wav", seconds=1))
    before = library(page)
    assert [m["title"] for m in before] == ["Original"]

    corpus = HOSTILE_LINKS + EXTRA_LINKS
    assert len(corpus) >= 60
    failures: list[str] = []
    for index, fragment in enumerate(corpus):
        open_fragment(page, fragment)
        problems = []
        try:
            text = refusal(page, 10_000)
            if not fetch_region(page).is_visible():
                problems.append("the fetch view is not shown")
            shown = fresh_status(page, 5_000)
            if text not in shown:
                problems.append(f"status area shows {shown!r}, not {text!r}")
        except (AssertionError, PlaywrightError) as error:
            problems.append(f"no clear message: {str(error).splitlines()[0]}")
        problems += injection_problems(page, dialogs)
        go_library(page)
        titles = memo_list(page).get_by_role("link").all_inner_texts()
        if titles != ["Original"]:
            problems.append(f"library shows {titles}")
        if problems:
            shown_fragment = fragment if len(fragment) < 120 else fragment[:100] + "…"
            failures.append(f"[{index}] {shown_fragment!r}: " + "; ".join(problems))

    assert not failures, f"{len(failures)} of {len(corpus)} hostile links:\n" + "\n".join(failures)
    # Nothing was stored, nothing was fetched, and the app still works.
    assert library(page) == before
    assert stored_shares(page) == []
    assert device.websockets == [], f"a hostile link reached the tracker: {device.websockets}"
    expect(button(page, "Record")).to_be_enabled()
    open_memo(page, "Original")
    print(f"hostile links asserted: {len(corpus)}")


# ---------------------------------------------------------------- a sharer that breaks the rules

# A plain page of the site (the Python app is not started): the app's own torrent and crypto
# adapters plus raw WebTorrent, configured with the deployment's trackers and no ICE servers.
RAW_SETUP_JS = """async () => {
  const url = (path) => new URL(path, document.baseURI).href;
  window.t = await import(url('./js/torrent.js'));
  window.c = await import(url('./js/crypto.js'));
  window.config = await (await fetch(url('./config.json'))).json();
  window.t.configure({ trackers: window.config.trackers, iceServers: [] });
  window.WebTorrent = (await import(url('./vendor/webtorrent/webtorrent.min.js'))).default;
  window.fromB64 = (s) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
  window.keyText = (bytes) => btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  // For raw WebTorrent: pieces in memory (its default OPFS store refuses names such as "..").
  window.MemoryStore = class {
    constructor(chunkLength) { this.chunkLength = chunkLength; this.chunks = []; }
    put(i, buf, cb = () => {}) { this.chunks[i] = buf; queueMicrotask(() => cb(null)); }
    get(i, opts, cb) {
      if (typeof opts === 'function') return this.get(i, null, opts);
      const buf = this.chunks[i];
      if (!buf) return queueMicrotask(() => cb(Object.assign(new Error('Chunk not found'),
                                                             { notFound: true })));
      const { offset = 0, length = buf.length - offset } = opts ?? {};
      queueMicrotask(() => cb(null, buf.subarray(offset, offset + length)));
    }
    close(cb = () => {}) { queueMicrotask(() => cb(null)); }
    destroy(cb = () => {}) { this.chunks = []; queueMicrotask(() => cb(null)); }
  };
  window.randomBytes = (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
    return out;
  };
}"""

# Encrypts a plaintext payload (followed by `pad` random bytes) exactly as the app does
# (crypto.encryptBlob, 256 KiB records), then breaks it as told, and seeds it as the app would
# (torrent.seed, one file memo.svx).
SEED_CASE_JS = """async ({plain, pad, mutate}) => {
  const P = 262144;
  const key = crypto.getRandomValues(new Uint8Array(32));
  let linkKey = key;
  const plainBlob = new Blob([fromB64(plain), randomBytes(pad)]);
  let cipher = new Uint8Array(await (await c.encryptBlob(plainBlob, key, P)).arrayBuffer());
  const join = (...parts) => new Uint8Array(
    parts.reduce((all, part) => [...all, ...part], []));
  switch (mutate) {
    case null: break;
    case 'flip-middle': cipher = cipher.slice(); cipher[cipher.length >> 1] ^= 0x01; break;
    case 'flip-tag': cipher = cipher.slice(); cipher[cipher.length - 1] ^= 0x80; break;
    case 'truncate': cipher = cipher.slice(0, cipher.length - 5); break;
    case 'swap-records': cipher = join(cipher.slice(P, 2 * P), cipher.slice(0, P)); break;
    case 'drop-last-record': cipher = cipher.slice(0, P); break;
    case 'repeat-last-record': cipher = join(cipher, cipher.slice(cipher.length - P)); break;
    case 'unencrypted': cipher = fromB64(plain); break;
    case 'wrong-key': linkKey = crypto.getRandomValues(new Uint8Array(32)); break;
    case 'garbage-peer': break;  // below
    default: throw new Error(`unknown mutation ${mutate}`);
  }
  let result = await t.seed(new Blob([cipher]), { name: 'memo.svx' });
  if (mutate === 'garbage-peer') {
    // Same torrent file (same piece hashes), but every piece served is random bytes.
    await t.stop(result.infoHash);
    result = await t.reseed(result.torrentFile, new Blob([randomBytes(cipher.length)]));
  }
  return { infoHash: result.infoHash, key: keyText(linkKey), size: cipher.length };
}"""


@dataclass(frozen=True)
class Payload:
    """One hostile share: a plaintext payload, how its ciphertext is broken, what B must say."""

    name: str
    plain: bytes
    expect: str
    mutate: str | None = None
    pad: int = 0  # random bytes after `plain`, made in the page


TITLE_HTML = '<img src=x onerror="window.__pwned=1">'
DESCRIPTION_HTML = "<script>window.__pwned=1</script>"


def filler(size: int, seed: int = 7) -> bytes:
    out = bytearray()
    x = seed
    while len(out) < size:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out += x.to_bytes(4, "big")
    return bytes(out[:size])


WEBM = bytes.fromhex("1a45dfa3") + filler(3000)
MP4 = b"\x00\x00\x00\x20ftypisom" + filler(3000)
OGG = b"OggS\x00\x02" + filler(3000)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + filler(3000)
HTML = b"<html><script>window.__pwned=1</script></html>"


def header(audio: bytes, **changes) -> dict:
    fields = {
        "v": 1,
        "title": TITLE_HTML,
        "description": DESCRIPTION_HTML,
        "created": 1_790_000_000_000,
        "duration": 1.5,
        "mime": "audio/webm;codecs=opus",
        "audioSize": len(audio),
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not ...}


def svx(head: dict | str | bytes, audio: bytes, *, magic=b"SVX1", length: int | None = None):
    """The plaintext payload of PROTOCOL.md, built here independently of the app's code."""
    if isinstance(head, dict):
        head = json.dumps(head)
    body = head.encode() if isinstance(head, str) else head
    return magic + struct.pack(">I", len(body) if length is None else length) + body + audio


def payload_of_size(total: int) -> bytes:
    """A well-formed WebM-claiming payload of exactly `total` plaintext bytes."""
    audio = WEBM
    for _ in range(4):
        plain = svx(header(audio), audio)
        if len(plain) == total:
            return plain
        audio = WEBM + filler(len(audio) - len(WEBM) + total - len(plain), seed=3)
    raise AssertionError("could not size the payload")


def raw_device(
    launch: Callable, name: str, site: Site, before: Callable[[Page], None] | None = None
) -> Page:
    """A Chromium process on a plain page of the site: adapters loaded, the app not started.
    `before(page)` runs before the page loads (to attach listeners)."""
    page = launch(name).page()
    if before:
        before(page)
    page.route("**/vendor/pyodide/**", lambda route: route.abort())
    page.route("**/vendor/pyscript/**", lambda route: route.abort())
    page.goto(site.url)
    page.evaluate(RAW_SETUP_JS)
    return page


def seed_payloads(page: Page, cases: list[Payload]) -> list[dict]:
    return [
        page.evaluate(
            SEED_CASE_JS,
            {
                "plain": base64.b64encode(case.plain).decode(),
                "pad": case.pad,
                "mutate": case.mutate,
            },
        )
        for case in cases
    ]


def run_payload_cases(site: Site, launch, cases: list[Payload], control: bytes) -> None:
    """Seed every case from a rule-breaking sharer A; receiver B (the app) opens each link in
    turn and must refuse it. Then a well-formed share of `control` from the same A must arrive,
    which shows the refusals came from the breakage and not from the setup."""
    a = raw_device(launch, "a", site)
    seeded = seed_payloads(a, [*cases, Payload("control", control, "")])
    assert len({s["infoHash"] for s in seeded}) == len(seeded)
    b, dialogs = app_page(launch("b"))
    open_app(b, site.url)
    failures = []
    for case, share_ in zip(cases, seeded, strict=False):
        open_fragment(b, f"#/get/v1/{share_['infoHash']}/{share_['key']}")
        problems = check_refused(b, dialogs, case.expect, [])
        if problems:
            failures.append(f"{case.name}: " + "; ".join(problems))
    assert not failures, f"{len(failures)} of {len(cases)} payloads:\n" + "\n".join(failures)
    print(f"hostile payloads asserted: {len(cases)}")
    control_share = seeded[-1]
    b.goto(f"{site.url}#/get/v1/{control_share['infoHash']}/{control_share['key']}")
    expect(b.get_by_role("heading", level=1, name=TITLE_HTML)).to_be_visible(
        timeout=FETCH_TIMEOUT_MS
    )
    [got] = library(b)
    assert (got["title"], got["description"]) == (TITLE_HTML, DESCRIPTION_HTML)
    assert_clean(b, dialogs)


@pytest.fixture
def wav_bytes(tmp_path: Path) -> bytes:
    return tone_wav(tmp_path / "tone.wav", seconds=0.3).read_bytes()


def test_tampered_or_misdecrypted_ciphertext_saves_nothing(site: Site, launch, wav_bytes):
    good = svx(header(wav_bytes, mime="audio/wav"), wav_bytes)
    two = payload_of_size(2 * (PIECE - 16))  # exactly two full records
    cases = [
        Payload("one ciphertext byte flipped", good, "could not be decrypted", "flip-middle"),
        Payload("GCM tag altered", good, "could not be decrypted", "flip-tag"),
        Payload("ciphertext truncated", good, "could not be decrypted", "truncate"),
        Payload("records swapped", two, "could not be decrypted", "swap-records"),
        Payload("last record dropped", two, "could not be decrypted", "drop-last-record"),
        # Record 0 still opens and declares a size the payload no longer has; whichever of that
        # and the repeated record's failing tag comes first is said.
        Payload(
            "a record repeated",
            two,
            "could not be decrypted|incomplete or has extra data",
            "repeat-last-record",
        ),
        Payload("payload sent unencrypted", good, "could not be decrypted", "unencrypted"),
        Payload("link with another key", good, "could not be decrypted", "wrong-key"),
        Payload("nothing but a tag (empty payload)", b"", "could not be decrypted"),
    ]
    run_payload_cases(site, launch, cases, good)


def test_a_peer_sending_garbage_is_rejected_and_reported(site: Site, launch, wav_bytes):
    """The sharer's torrent file (right piece hashes) served over random bytes: every piece fails
    its SHA-1, so nothing may be kept or saved, and the user must be told something is wrong."""
    good = svx(header(wav_bytes, mime="audio/wav"), wav_bytes)
    a = raw_device(launch, "a", site)
    [garbage] = seed_payloads(a, [Payload("garbage peer", good, "", "garbage-peer")])
    b, dialogs = app_page(launch("b"))
    open_app(b, site.url)
    open_fragment(b, f"#/get/v1/{garbage['infoHash']}/{garbage['key']}")
    # Every piece fails its SHA-1: after a few in a row the receiver gives up and says why.
    expect(fetch_alert(b)).to_contain_text("damaged data", timeout=FETCH_TIMEOUT_MS)
    expect(b.get_by_role("status")).to_contain_text("damaged data")
    assert SENTENCE.match(fetch_alert(b).inner_text().strip())
    # The bar is hidden once the fetch failed, so read it directly.
    bar = b.locator("#view-fetch progress")
    assert bar.evaluate("(el) => el.value") == 0, "pieces failing their hash were counted"
    assert library(b) == [] and stored_shares(b) == [], "garbage was saved"
    assert_clean(b, dialogs)


def test_a_share_that_can_never_open_is_refused_at_its_first_pieces(site: Site, launch, wav_bytes):
    """A wrong key, or audio that is not audio, shows in the first pieces: the receiver says so
    then and lets the torrent go, instead of downloading the whole memo first."""
    big = 16 * 1024 * 1024
    wav, png = wav_bytes, PNG[:16]
    cases = [
        Payload(
            "16 MiB, a link with another key",
            svx(header(wav, mime="audio/wav", audioSize=len(wav) + big), wav),
            "could not be decrypted",
            "wrong-key",
            pad=big,
        ),
        Payload(
            "16 MiB, PNG claimed audio/webm",
            svx(header(png, audioSize=len(png) + big), png),
            "not audio",
            pad=big,
        ),
    ]
    a = raw_device(launch, "a", site)
    seeded = seed_payloads(a, cases)
    b, dialogs = app_page(launch("b"))
    open_app(b, site.url)
    for case, share_ in zip(cases, seeded, strict=True):
        open_fragment(b, f"#/get/v1/{share_['infoHash']}/{share_['key']}")
        problems = check_refused(b, dialogs, case.expect, [])
        assert not problems, f"{case.name}: {problems}"
        uploaded = a.evaluate("(hash) => t.stats(hash).uploaded", share_["infoHash"])
        print(f"{case.name}: refused after {uploaded} of {share_['size']} bytes")
        assert uploaded < share_["size"] / 2, f"{case.name}: sent {uploaded} bytes before"
        deadline = time.monotonic() + 10
        while held_by_receiver(b, share_["infoHash"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not held_by_receiver(b, share_["infoHash"]), f"{case.name}: torrent kept"


def held_by_receiver(page: Page, infohash: str) -> bool:
    """Whether the app's torrent adapter still holds this torrent (fetching or seeding it)."""
    return page.evaluate(
        """async (hash) => {
          const t = await import(new URL('./js/torrent.js', document.baseURI).href);
          return t.list().some((torrent) => torrent.infoHash === hash);
        }""",
        infohash,
    )


def test_payloads_that_are_not_audio_are_refused(site: Site, launch, wav_bytes):
    """The audio's own magic bytes decide, never the claimed type."""
    leading_space = b"  " + WEBM
    cases = [
        Payload("HTML with a script, claimed audio/webm", svx(header(HTML), HTML), "not audio"),
        Payload("PNG claimed audio/webm;codecs=opus", svx(header(PNG), PNG), "not audio"),
        Payload("PNG claimed image/png", svx(header(PNG, mime="image/png"), PNG), "not audio"),
        Payload(
            "WebM bytes claimed audio/mp4", svx(header(WEBM, mime="audio/mp4"), WEBM), "not audio"
        ),
        Payload("MP4 bytes claimed audio/webm", svx(header(MP4), MP4), "not audio"),
        Payload(
            "Ogg bytes claimed audio/mp4", svx(header(OGG, mime="audio/mp4"), OGG), "not audio"
        ),
        Payload(
            "WAV bytes claimed audio/ogg",
            svx(header(wav_bytes, mime="audio/ogg"), wav_bytes),
            "not audio",
        ),
        Payload(
            "WebM bytes claimed video/webm", svx(header(WEBM, mime="video/webm"), WEBM), "not audio"
        ),
        Payload("HTML claimed text/html", svx(header(HTML, mime="text/html"), HTML), "not audio"),
        Payload(
            "WebM magic after two spaces", svx(header(leading_space), leading_space), "not audio"
        ),
        Payload("a truncated WebM magic", svx(header(WEBM[:3]), WEBM[:3]), "not audio"),
        Payload(
            "a PDF claimed audio/mpeg",
            svx(header(b"%PDF-1.7" + filler(500), mime="audio/mpeg"), b"%PDF-1.7" + filler(500)),
            "not audio",
        ),
        Payload(
            "SVG with a script claimed audio/webm",
            svx(header(b"<svg onload=window.__pwned=1>"), b"<svg onload=window.__pwned=1>"),
            "not audio",
        ),
    ]
    run_payload_cases(site, launch, cases, svx(header(wav_bytes, mime="audio/wav"), wav_bytes))


def test_broken_headers_inside_valid_encryption_are_refused(site: Site, launch, wav_bytes):
    audio = WEBM
    ok = header(audio)
    damaged, newer = "damaged header", "cannot read"
    cases = [
        Payload("wrong magic SVX0", svx(ok, audio, magic=b"SVX0"), "not a Seedvox memo"),
        Payload("a bare WAV file", wav_bytes, "not a Seedvox memo"),
        Payload("too short for a header", b"SVX", "too short"),
        Payload("header length over 64 KiB", svx(ok, audio, length=64 * 1024 + 1), damaged),
        Payload("header length 2^32-1", svx(ok, audio, length=0xFFFFFFFF), damaged),
        Payload("header length 1", svx(ok, audio, length=1), damaged),
        Payload(
            "header length past the end", svx(ok, audio, length=len(json.dumps(ok)) + 4000), damaged
        ),
        Payload("JSON not an object (array)", svx("[1, 2, 3]", audio), newer),
        Payload("JSON not an object (string)", svx('"SVX1"', audio), newer),
        Payload("version 2", svx(header(audio, v=2), audio), newer),
        Payload("no version", svx(header(audio, v=...), audio), newer),
        Payload("invalid JSON", svx('{"v":1,"title":', audio), damaged),
        Payload("JSON not UTF-8", svx(b'{"v":1,"title":"\xff\xfe"}', audio), damaged),
        Payload(
            "audioSize one more than sent",
            svx(header(audio, audioSize=len(audio) + 1), audio),
            "incomplete or has extra data",
        ),
        Payload(
            "audioSize one less than sent",
            svx(header(audio, audioSize=len(audio) - 1), audio),
            "incomplete or has extra data",
        ),
        Payload("audioSize 0", svx(header(audio, audioSize=0), audio), "holds no audio"),
        Payload("audioSize negative", svx(header(audio, audioSize=-5), audio), damaged),
        Payload(
            "audioSize a string", svx(header(audio, audioSize=str(len(audio))), audio), damaged
        ),
        Payload("duration NaN", svx(header(audio, duration=float("nan")), audio), damaged),
        Payload("created not a number", svx(header(audio, created="yesterday"), audio), damaged),
        Payload("title not a string", svx(header(audio, title=["<b>x</b>"]), audio), damaged),
        Payload("no mime type", svx(header(audio, mime=...), audio), "not audio"),
    ]
    run_payload_cases(site, launch, cases, svx(header(wav_bytes, mime="audio/wav"), wav_bytes))


# ---------------------------------------------------------------- the real app as sharer


def fragment_of(link: str) -> str:
    return "#" + link.split("#", 1)[1]


def other_key(key: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(key + "="))
    raw[0] ^= 0xFF
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def rename(page: Page, title: str, description: str) -> None:
    page.get_by_label("Title").fill(title)
    page.get_by_label("Title").press("Tab")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_label("Description").fill(description)
    page.get_by_label("Description").press("Tab")
    expect(page.get_by_role("status")).to_contain_text("Saved.")


def test_injected_html_in_titles_descriptions_and_file_names_stays_text(
    site: Site, launch, tmp_path: Path
):
    a, a_dialogs = app_page(launch("a"))
    open_app(a, site.url)
    file_title = "<svg onload=window.__pwned=1>"
    import_file(a, tone_wav(tmp_path / f"{file_title}.wav", seconds=1))
    expect(memo_list(a).get_by_role("link", name=file_title, exact=True)).to_have_count(1)
    assert_clean(a, a_dialogs)
    open_memo(a, file_title)
    rename(a, TITLE_HTML, DESCRIPTION_HTML)
    link = share(a)

    b, b_dialogs = app_page(launch("b"))
    b.goto(link)
    heading = b.get_by_role("heading", level=1, name=TITLE_HTML)
    expect(heading).to_be_visible(timeout=FETCH_TIMEOUT_MS)
    assert heading.inner_text() == TITLE_HTML
    expect(b.get_by_label("Title")).to_have_value(TITLE_HTML)
    expect(b.get_by_label("Description")).to_have_value(DESCRIPTION_HTML)
    download = b.get_by_role("link", name="Download", exact=True).get_attribute("download")
    assert download and download.endswith(".wav"), download
    assert not set(download) & set('/\\<>"'), f"unsafe download name {download!r}"
    assert_clean(b, b_dialogs)
    b.get_by_role("link", name="Back to library").click()
    expect(memo_list(b).get_by_role("link", name=TITLE_HTML, exact=True)).to_have_count(1)
    assert [m["description"] for m in library(b)] == [DESCRIPTION_HTML]

    # Link fields: a title and a description that are javascript: and data: URLs stay text.
    a.get_by_role("link", name="Back to library").click()
    import_file(a, tone_wav(tmp_path / "Second.wav", seconds=1))
    open_memo(a, "Second")
    js_title, data_description = "javascript:alert(1)", "data:text/html,<script>alert(1)</script>"
    rename(a, js_title, data_description)
    link = share(a)
    b.goto(link)
    expect(b.get_by_role("heading", level=1, name=js_title)).to_be_visible(timeout=FETCH_TIMEOUT_MS)
    assert_clean(b, b_dialogs)  # includes: no href/src/action holding javascript: or data:
    b.get_by_role("link", name="Back to library").click()
    memo_list(b).get_by_role("link", name=js_title, exact=True).click()
    expect(b.get_by_role("heading", level=1, name=js_title)).to_be_visible()
    expect(b.get_by_label("Description")).to_have_value(data_description)
    assert_clean(b, b_dialogs)
    assert_clean(a, a_dialogs)


def test_a_wrong_key_is_refused_and_the_right_one_works(site: Site, launch, tmp_path: Path):
    a = open_app(launch("a").page(), site.url)
    import_file(a, tone_wav(tmp_path / "Keyed.wav", seconds=1))
    open_memo(a, "Keyed")
    link = share(a)
    infohash, key = link.rsplit("/", 2)[1:]

    b, dialogs = app_page(launch("b"))
    open_app(b, site.url)
    open_fragment(b, f"#/get/v1/{infohash}/{other_key(key)}")
    problems = check_refused(b, dialogs, "could not be decrypted", [])
    assert not problems, problems
    # Same sharer, same infohash, the right key: it arrives (so the refusal was the key's).
    open_fragment(b, fragment_of(link))
    expect(b.get_by_role("heading", level=1, name="Keyed")).to_be_visible(timeout=FETCH_TIMEOUT_MS)
    assert [m["sha256"] for m in library(b)] == [m["sha256"] for m in library(a)]


def test_a_share_over_the_size_limit_is_refused_before_downloading(
    site: Site, launch, tmp_path: Path
):
    b, dialogs = app_page(launch("b"))
    open_app(b, site.url)

    def set_limit(megabytes: str) -> None:
        b.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
        field = b.get_by_label("Largest memo to receive (MB)")
        field.fill(megabytes)
        button(b, "Save settings").click()
        expect(b.get_by_role("status")).to_contain_text("Settings saved")

    set_limit("1")
    a = open_app(launch("a").page(), site.url)
    import_file(a, tone_wav(tmp_path / "Big.wav", seconds=11))  # ~2.1 MB
    open_memo(a, "Big")
    link = share(a)
    size = library(a)[0]["size"]
    assert size > 2_000_000

    open_fragment(b, fragment_of(link))
    problems = check_refused(b, dialogs, "limit", [])
    assert not problems, problems
    message = fetch_alert(b).inner_text()
    print(f"over the limit: {message!r}")
    # Refused from the metadata alone: the sharer sent no piece (its figure updates each second).
    for _ in range(6):
        assert uploaded_bytes(a) < 16 * 1024, f"the sharer uploaded {uploaded_bytes(a)} B"
        a.wait_for_timeout(500)
    assert library(b) == []
    # With the limit raised again, the same link arrives: the refusal was the limit's.
    set_limit("200")
    open_fragment(b, fragment_of(link))
    expect(b.get_by_role("heading", level=1, name="Big")).to_be_visible(timeout=FETCH_TIMEOUT_MS)


# ---------------------------------------------------------------- raw WebTorrent sharer


def bencode(value) -> bytes:
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, dict):
        items = sorted((k.encode(), v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(value)


# Seeds a torrent file made by hand over a piece source that has no data at all: it only counts
# the pieces anybody asks for.
FAKE_SEED_JS = """async ({torrentFile, size}) => {
  window.pieceReads ??= {};
  const source = { size, read: async (index) => {
    window.pieceReads[size] = (window.pieceReads[size] ?? 0) + 1;
    throw new Error('no data here');
  } };
  return (await t.reseed(fromB64(torrentFile), source)).infoHash;
}"""


def test_torrents_declaring_more_than_the_default_limit_are_refused_unread(site: Site, launch):
    """The default limit is 200 MB: torrents that only *declare* more are refused from their
    metadata, so the sharer is never asked for a single piece."""
    sizes = [200_000_001, 5 * 1024**3]
    a = raw_device(launch, "a", site)
    hashes, metadata = [], []
    for size in sizes:
        piece = 256 * 1024 if size < 1024**3 else 4 * 1024**2
        count = -(-size // piece)
        info = {
            "length": size,
            "name": "memo.svx",
            "piece length": piece,
            "pieces": filler(20 * count, seed=size % 1000),
        }
        metadata.append(len(bencode(info)))
        torrent = base64.b64encode(bencode({"info": info})).decode()
        hashes.append(a.evaluate(FAKE_SEED_JS, {"torrentFile": torrent, "size": size}))
    b, dialogs = app_page(launch("b"))
    open_app(b, site.url)
    failures = []
    for size, infohash, info_size in zip(sizes, hashes, metadata, strict=True):
        open_fragment(b, f"#/get/v1/{infohash}/{KEY}")
        problems = check_refused(b, dialogs, r"limit", [])
        if "200" not in fetch_alert(b).inner_text():
            problems.append("the message does not say the limit (200 MB)")
        # B has dropped the sharer: from now on no request can come.
        a.wait_for_function("(h) => t.stats(h)?.peers === 0", arg=infohash, timeout=15_000)
        uploaded, reads = a.evaluate(
            "([h, size]) => [t.stats(h).uploaded, window.pieceReads[size] ?? 0]", [infohash, size]
        )
        # Only the metadata went out: the info dictionary, in ut_metadata messages (16 KiB
        # blocks, each with a small bencoded header).
        if reads or uploaded > info_size + 1024:
            problems.append(f"the sharer sent {uploaded} B and read {reads} piece(s)")
        if problems:
            failures.append(f"{size} B: " + "; ".join(problems))
    assert not failures, "\n".join(failures)
    print(f"over the default limit: {fetch_alert(b).inner_text()!r}")


RAW_SEED_JS = """async ({files, name}) => {
  window.rawClient ??= new WebTorrent({
    tracker: { rtcConfig: { iceServers: [] } }, dht: false, lsd: false, utPex: false,
  });
  const list = files.map((f) => new File([fromB64(f.data)], f.name));
  return new Promise((resolve, reject) => {
    const opts = {
      announce: config.trackers, store: MemoryStore, getAnnounceOpts: () => ({ numwant: 0 }),
    };
    if (name) opts.name = name;
    const torrent = rawClient.seed(list.length === 1 ? list[0] : list, opts, (seeded) => resolve({
      infoHash: seeded.infoHash, name: seeded.name, paths: seeded.files.map((f) => f.path),
    }));
    torrent.on('error', (error) => reject(new Error(String(error))));
    rawClient.once('error', (error) => reject(new Error(String(error))));
    setTimeout(() => reject(new Error(`seeding ${name} did not finish in 20 s`)), 20000);
  });
}"""


def test_multi_file_and_path_traversal_torrents_are_refused(site: Site, launch):
    def file(name: str, data: bytes) -> dict:
        return {"name": name, "data": base64.b64encode(data).decode()}

    files = "files|not point to a Seedvox memo"
    garbage = "could not be decrypted|not a Seedvox memo"

    cases = [
        ("two files", [file("a.weba", WEBM), file("b.weba", WEBM)], None, files),
        (
            "three files, one memo.svx",
            [file("memo.svx", filler(5000)), file("x.weba", WEBM), file("y.m4a", MP4)],
            None,
            files,
        ),
        (
            "two files in a folder named evil/../..",
            [file("evil.weba", WEBM), file("evil2.weba", WEBM)],
            "evil/../..",
            files,
        ),
        (
            "one file named ../../evil.weba",
            [file("x", filler(50_000, 5))],
            "../../evil.weba",
            garbage,
        ),
        (
            "one file named ..\\..\\evil.weba",
            [file("x", filler(50_000, 6))],
            "..\\..\\evil.weba",
            garbage,
        ),
        ("one file named with HTML", [file("x", filler(50_000, 9))], TITLE_HTML + ".svx", garbage),
    ]
    a = raw_device(launch, "a", site)
    seeded = [a.evaluate(RAW_SEED_JS, {"files": f, "name": n}) for _, f, n, _ in cases]
    b, dialogs = app_page(launch("b"))
    open_app(b, site.url)
    failures = []
    for (label, _, _, expected), torrent in zip(cases, seeded, strict=True):
        open_fragment(b, f"#/get/v1/{torrent['infoHash']}/{KEY}")
        problems = check_refused(b, dialogs, expected, [])
        print(
            f"{label}: seeded as {torrent['name']!r} {torrent['paths']}: "
            f"{fetch_alert(b).all_inner_texts()}"
        )
        if problems:
            failures.append(f"{label}: " + "; ".join(problems))
    assert not failures, "\n".join(failures)
    stray = [name for name in b.evaluate(OPFS_JS) if "evil" in name or ".." in name]
    assert stray == [], f"files written by name: {stray}"


# ---------------------------------------------------------------- imports


def test_imports_that_are_not_audio_are_refused(site: Site, launch, tmp_path: Path):
    page, dialogs = app_page(launch("a"))
    open_app(page, site.url)
    import_file(page, tone_wav(tmp_path / "Kept.wav", seconds=1))
    before = library(page)
    wav_header = tone_wav(tmp_path / "h.wav", seconds=1).read_bytes()[:44]
    files = {
        "empty.weba": (b"", "empty; nothing was imported"),
        "memo.weba": (b"just some text, not a recording\n" * 20, "nothing was imported"),
        "x.m4a": (PNG, "nothing was imported"),
        "<img src=x onerror=window.__pwned=1>.mp3": (HTML * 10, "nothing was imported"),
        "header-only.wav": (wav_header, "nothing was imported"),
        "fake.weba": (WEBM, "nothing was imported"),
        "fake.ogg": (OGG, "nothing was imported"),
    }
    failures = []
    for name, (data, expected) in files.items():
        path = tmp_path / "imports" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        mark_status(page)
        page.get_by_label("Import audio file").set_input_files(str(path))
        try:
            said = fresh_status(page)
        except PlaywrightError:
            said = ""
        problems = []
        if expected not in said or not SENTENCE.match(said):
            problems.append(f"status said {said!r}")
        problems += injection_problems(page, dialogs)
        if library(page) != before:
            problems.append(f"library changed: {[m['title'] for m in library(page)]}")
        if problems:
            failures.append(f"{name}: " + "; ".join(problems))
    assert not failures, "\n".join(failures)
    expect(memo_list(page).get_by_role("link")).to_have_text(["Kept"])
    # And a real audio file still imports.
    import_file(page, tone_wav(tmp_path / "Fine.wav", seconds=1))


def test_link_fields_in_settings_refuse_script_and_data_urls(site: Site, launch):
    page, dialogs = app_page(launch("a"))
    open_app(page, site.url, "#/settings")
    settings = page.get_by_role("region", name="Settings")
    trackers, ice = settings.get_by_label("Trackers"), settings.get_by_label("STUN/TURN servers")
    saved_trackers, saved_ice = trackers.input_value(), ice.input_value()
    assert saved_trackers.startswith("ws://127.0.0.1:")
    cases = [
        (trackers, "javascript:alert(1)", "Not a WebSocket tracker address"),
        (trackers, "data:text/html,<script>window.__pwned=1</script>", "Not a WebSocket tracker"),
        (trackers, "https://evil.example/announce", "Not a WebSocket tracker address"),
        (trackers, "<img src=x onerror=window.__pwned=1>", "Not a WebSocket tracker address"),
        (ice, "javascript:alert(1)", "Not a STUN or TURN address"),
        (ice, "data:,stun", "Not a STUN or TURN address"),
    ]
    failures = []
    for field, value, expected in cases:
        trackers.fill(saved_trackers)
        ice.fill(saved_ice)
        field.fill(value)
        button(page, "Save settings").click()
        alert = settings.get_by_role("alert")
        try:
            expect(alert).to_contain_text(expected, timeout=5_000)
        except AssertionError:
            failures.append(f"{value!r}: alert says {alert.all_inner_texts()}")
        problems = injection_problems(page, dialogs)
        if problems:
            failures.append(f"{value!r}: " + "; ".join(problems))
    assert not failures, "\n".join(failures)
    # Nothing was saved: the settings shown afresh are the deployment's.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(settings.get_by_label("Trackers")).to_have_value(saved_trackers)
    expect(settings.get_by_label("STUN/TURN servers")).to_have_value(saved_ice)

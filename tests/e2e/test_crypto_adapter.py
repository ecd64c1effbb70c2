"""web/js/crypto.js in Chromium: records decrypted as pieces arrive, in any order, and joined.

Small records (64-byte pieces) so that a payload of a few hundred bytes spans several of them,
and the header bytes kept by the decryptor span more than one record.
"""

from __future__ import annotations

from collections.abc import Callable
from unittest.mock import ANY

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Site

pytestmark = pytest.mark.e2e

PIECE = 64  # bytes of ciphertext per record: 48 of plaintext plus a 16-byte tag
PLAIN = 5 * 48 - 8  # five records, the last one short

# Encrypts `size` bytes with a fresh key as a share does, then decrypts the ciphertext with a
# pieceDecryptor fed the pieces listed in `fed` (in that order, each as torrent.js hands them:
# index, the piece's bytes, the payload's size). `alterFed` flips a byte of that piece as fed,
# `alterBlob` of that piece in the ciphertext Blob given to finish(). Resolves with the
# plaintext, the ciphertext and the on-demand ciphertext as arrays, what finish() gave or its
# error, the head kept, and the decryptor's calls (onHead, onFailure), each with the phase it
# came in: "download" (after the pieces were fed, before finish) or "finish".
DECRYPT_JS = """async ({ piece, size, fed, headBytes, alterFed, alterBlob }) => {
  const c = await import(new URL('./js/crypto.js', document.baseURI).href);
  const plain = new Uint8Array(size).map((_, i) => (i * 7 + 3) & 255);
  const key = crypto.getRandomValues(new Uint8Array(32));
  const cipherBlob = await c.encryptBlob(new Blob([plain]), key, piece);
  const cipher = new Uint8Array(await cipherBlob.arrayBuffer());
  const source = c.encryptedSource(new Blob([plain]), key, piece);
  const count = Math.ceil(cipher.length / piece);
  const onDemand = [];
  for (let i = 0; i < count; i++) onDemand.push(...(await source.read(i)));
  let phase = 'download';
  const calls = [];
  const decryptor = c.pieceDecryptor(key, piece, {
    headBytes,
    onHead: (plainSize) => calls.push({ phase, call: 'head', plainSize,
                                        head: [...decryptor.head(headBytes)] }),
    onFailure: (message) => calls.push({ phase, call: 'failure', message }),
  });
  for (const index of fed) {
    const bytes = cipher.slice(index * piece, (index + 1) * piece);
    if (index === alterFed) bytes[3] ^= 1;
    decryptor.add(index, bytes, cipher.length);
  }
  // WebCrypto takes well under a millisecond for these records.
  await new Promise((resolve) => setTimeout(resolve, 200));
  phase = 'finish';
  const out = { plain: [...plain], cipher: [...cipher], onDemand, sourceSize: source.size, calls };
  const received = cipher.slice();
  if (alterBlob !== null) received[alterBlob * piece + 3] ^= 1;
  try {
    const blob = await decryptor.finish(new Blob([received]));
    out.blob = [...new Uint8Array(await blob.arrayBuffer())];
    out.head = [...decryptor.head(headBytes)];
  } catch (error) {
    out.error = `${error.constructor.name}: ${error.message}`;
  }
  decryptor.close();
  out.headAfterClose = decryptor.head(headBytes).length;
  return out;
}"""


@pytest.fixture
def page(launch: Callable, site: Site) -> Page:
    """A page of the site without the Python runtime: these tests drive crypto.js directly."""
    page = launch("crypto").page()
    page.route("**/vendor/pyodide/**", lambda route: route.abort())
    page.route("**/vendor/pyscript/**", lambda route: route.abort())
    page.goto(site.url)
    return page


def decrypt(
    page: Page,
    fed: list[int],
    head_bytes: int,
    alter_fed: int | None = None,
    alter_blob: int | None = None,
    size: int = PLAIN,
) -> dict:
    return page.evaluate(
        DECRYPT_JS,
        {
            "piece": PIECE,
            "size": size,
            "fed": fed,
            "headBytes": head_bytes,
            "alterFed": alter_fed,
            "alterBlob": alter_blob,
        },
    )


@pytest.mark.parametrize(
    ("fed", "head_bytes", "head_in"),
    [
        ([3, 0, 4, 2, 1], 100, "download"),  # every piece early, out of order; head: 3 records
        ([0, 2, 1], 100, "download"),  # the head's records came: known before the rest
        ([2, 1, 3], 100, "finish"),  # the first and the last never came through add: finish()
        ([], 10, "finish"),  # nothing early (a torrent that was already complete)
        ([4, 3, 2, 1, 0], 1000, "download"),  # asked for more head than the payload has
        ([0, 1, 2, 3, 4], 0, "download"),  # no head wanted (the first record is kept anyway)
    ],
)
def test_pieces_in_any_order_give_the_plaintext_and_its_head(page, fed, head_bytes, head_in):
    got = decrypt(page, fed, head_bytes)
    assert "error" not in got, got.get("error")
    assert got["blob"] == got["plain"]
    assert got["head"] == got["plain"][:head_bytes]
    # onHead once, as soon as the records holding the head are decrypted, with the head whole.
    head = got["plain"][:head_bytes]
    assert got["calls"] == [{"phase": head_in, "call": "head", "plainSize": PLAIN, "head": head}]
    assert got["headAfterClose"] == 0
    # Re-seeding encrypts on demand: the same ciphertext, piece by piece, and the same size.
    assert got["onDemand"] == got["cipher"]
    assert got["sourceSize"] == len(got["cipher"]) == PLAIN + 5 * 16


LONG = 21 * 48 - 5  # 21 records: two runs the decryptor rolls into Blobs, and five more


@pytest.mark.parametrize(
    "fed",
    [
        [*range(21)],  # in order: each eight records are rolled into a Blob in sequence
        [20, *range(8, 20), 7, 6, 5, 4, 3, 2, 1, 0],  # rolled out of sequence: sliced
        [20, 3, 17, 0, 9, 12, 5, 14, 1, 19, 8, 11, 2, 16, 6, 13, 4, 18, 10, 7, 15],  # rarest-first
        [i for i in range(21) if i not in (0, 9, 20)],  # gaps that finish() fills in and rolls
    ],
)
def test_a_long_payload_comes_out_whole_whatever_the_order(page, fed):
    got = decrypt(page, fed, 100, size=LONG)
    assert "error" not in got, got.get("error")
    assert got["blob"] == got["plain"]
    assert got["head"] == got["plain"][:100]


@pytest.mark.parametrize(("alter_fed", "alter_blob"), [(3, None), (12, None), (None, 20)])
def test_an_altered_piece_fails_a_long_payload_too(page, alter_fed, alter_blob):
    """Altered in the first run of records, in the second, or in the last record, which only
    finish() reads, after both runs were rolled into Blobs."""
    fed = [*range(20)]
    got = decrypt(page, fed, 100, alter_fed, alter_blob, size=LONG)
    assert got.get("error", "").startswith("DecryptError"), got.get("error")
    assert "blob" not in got


@pytest.mark.parametrize(
    ("fed", "alter_fed", "alter_blob", "failure_in"),
    [
        ([0, 1, 2, 3, 4], 2, None, "download"),  # altered in a piece handed over while downloading
        ([0, 1, 3, 4], None, 2, None),  # altered in the received Blob, read by finish()
        ([0, 1, 2, 3, 4], 4, None, "download"),  # the last record (its own associated data)
        ([1, 0, 2], 1, None, "download"),  # in the head: no head, ever
    ],
)
def test_an_altered_piece_fails_the_whole_payload(page, fed, alter_fed, alter_blob, failure_in):
    got = decrypt(page, fed, 100, alter_fed, alter_blob)
    assert got.get("error", "").startswith("DecryptError"), got.get("error")
    assert "blob" not in got
    # A piece added that does not decrypt is reported at once, while the rest downloads.
    failures = [call for call in got["calls"] if call["call"] == "failure"]
    expected = [{"phase": failure_in, "call": "failure", "message": ANY}] if failure_in else []
    assert failures == expected
    if alter_fed is not None and alter_fed < 3:
        assert [call["call"] for call in got["calls"]] == ["failure"]

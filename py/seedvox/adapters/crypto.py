"""AES-GCM encryption of payload Blobs (web/js/crypto.js): bytes stay in JS."""

from __future__ import annotations

from typing import Any

from pyodide.ffi import to_js
from pyscript.js_modules import crypto as js_crypto


class DecryptError(Exception):
    """Wrong key, or bytes altered on the way."""


async def encrypt_blob(plain: Any, key: bytes, piece_length: int) -> Any:
    return await js_crypto.encryptBlob(plain, to_js(key), piece_length)


def encrypted_source(plain: Any, key: bytes, piece_length: int) -> Any:
    """Pieces encrypted on demand, for re-seeding without a stored ciphertext."""
    return js_crypto.encryptedSource(plain, to_js(key), piece_length)


def piece_decryptor(key: bytes, piece_length: int, head_bytes: int) -> Any:
    """A JS decryptor fed each verified piece while a payload downloads (its `add` is handed
    to torrents.fetch as the piece callback, JS to JS); `decrypt` finishes it. It keeps a copy
    of the plaintext's first `head_bytes` bytes, for the header."""
    return js_crypto.pieceDecryptor(to_js(key), piece_length, head_bytes)


async def decrypt(decryptor: Any, cipher: Any) -> tuple[Any, bytes]:
    """The plaintext Blob of a complete payload (pieces not decrypted yet are done now) and
    its first bytes (as many as the decryptor keeps): never the audio as a whole."""
    try:
        result = await decryptor.finish(cipher)
    except Exception as error:
        raise DecryptError(str(error)) from error
    return result.blob, bytes(result.head.to_py())

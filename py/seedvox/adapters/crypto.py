"""AES-GCM encryption of payload Blobs (web/js/crypto.js): bytes stay in JS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyodide.ffi import to_js
from pyscript.js_modules import crypto as js_crypto

from .interop import callback, to_object


class DecryptError(Exception):
    """Wrong key, or bytes altered on the way."""


async def encrypt_blob(plain: Any, key: bytes, piece_length: int) -> Any:
    return await js_crypto.encryptBlob(plain, to_js(key), piece_length)


def encrypted_source(plain: Any, key: bytes, piece_length: int) -> Any:
    """Pieces encrypted on demand, for re-seeding without a stored ciphertext."""
    return js_crypto.encryptedSource(plain, to_js(key), piece_length)


class Decryptor:
    """A JS decryptor (crypto.js pieceDecryptor) of one payload, fed each verified piece while it
    downloads: `add`, a JS function, goes to torrents.fetch as the piece callback (JS to JS).
    It keeps the plaintext's first `head_bytes` bytes, for the header. `on_head(plain_size)` when
    they are decrypted; `on_failure(message)` at the first piece that does not decrypt."""

    def __init__(
        self,
        key: bytes,
        piece_length: int,
        head_bytes: int,
        on_head: Callable[[int], None],
        on_failure: Callable[[str], None],
    ) -> None:
        self._proxies = [
            callback(lambda size: on_head(int(size))),
            callback(lambda message: on_failure(str(message))),
        ]
        options = to_object({"headBytes": head_bytes})
        options.onHead, options.onFailure = self._proxies
        self._js = js_crypto.pieceDecryptor(to_js(key), piece_length, options)
        self.add = self._js.add

    def head(self, n: int) -> bytes:
        """The plaintext's first `n` bytes, as far as decrypted so far: never the audio."""
        return bytes(self._js.head(n).to_py())

    async def finish(self, cipher: Any) -> Any:
        """The plaintext Blob of the complete payload `cipher`; pieces not added are done now."""
        try:
            return await self._js.finish(cipher)
        except Exception as error:
            raise DecryptError(str(error)) from error

    def close(self) -> None:
        """Drop what it holds; no callback is called afterwards."""
        self._js.close()
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies = []

// End-to-end encryption of shared payloads with WebCrypto AES-256-GCM, in records that line
// up with torrent pieces (format in py/seedvox/core/PROTOCOL.md):
//
//   record i = AES-GCM(key, nonce = 4 zero bytes ‖ u64 i, aad = "SVXE1" ‖ u8 last)
//              over plaintext bytes [i·R, (i+1)·R), R = pieceLength − 16
//
// so ciphertext record i is exactly torrent piece i. The key is fresh per share and used for
// one payload only, which is what makes counter nonces safe. Encrypting is deterministic for a
// given key, so a sharer re-seeds after a restart by encrypting pieces on demand from the
// plaintext Blob: nothing but the key is stored, and no second copy of the audio exists.

const TAG = 16;
const AAD_PREFIX = new TextEncoder().encode("SVXE1");

export class DecryptError extends Error {}

/** A promise of the CryptoKey; callers import once per payload and keep it while they need it
 * (no cache: a key outliving its share would stay in memory). */
function cryptoKey(raw) {
  const bytes = new Uint8Array(raw);
  if (bytes.length !== 32) throw new RangeError("An AES-256 key has 32 bytes.");
  return crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
}

function nonce(index) {
  const iv = new Uint8Array(12);
  new DataView(iv.buffer).setBigUint64(4, BigInt(index));
  return iv;
}

function aad(last) {
  const data = new Uint8Array(AAD_PREFIX.length + 1);
  data.set(AAD_PREFIX);
  data[AAD_PREFIX.length] = last ? 1 : 0;
  return data;
}

function records(plainSize, pieceLength) {
  const size = pieceLength - TAG;
  return { size, count: Math.max(1, Math.ceil(plainSize / size)) };
}

/** Size of the ciphertext for `plainSize` bytes. */
export function cipherSize(plainSize, pieceLength) {
  return plainSize + records(plainSize, pieceLength).count * TAG;
}

async function encryptRecord(key, plain, index, pieceLength) {
  const { size, count } = records(plain.size, pieceLength);
  const start = index * size;
  const data = await plain.slice(start, start + size).arrayBuffer();
  const params = { name: "AES-GCM", iv: nonce(index), additionalData: aad(index === count - 1) };
  return new Uint8Array(await crypto.subtle.encrypt(params, await key, data));
}

// WebCrypto works off the main thread: a few records in flight keep both cores busy, while
// bounding how much of a long memo is held twice at once.
const IN_FLIGHT = 4;

// Records a decryptor rolls into one Blob while downloading: 2 MiB of 256 KiB pieces.
const ROLL = 8;

/** parts[i] = await work(i) for i < count, IN_FLIGHT at a time; stops at the first error. */
async function eachRecord(count, work) {
  const parts = new Array(count);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < count && !failed) {
      const i = next++;
      try {
        parts[i] = await work(i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, lane));
  return parts;
}

/** The whole ciphertext, for hashing when a share is made. */
export async function encryptBlob(plain, rawKey, pieceLength) {
  const key = cryptoKey(rawKey);
  const { count } = records(plain.size, pieceLength);
  return new Blob(await eachRecord(count, (i) => encryptRecord(key, plain, i, pieceLength)));
}

/** A piece source for torrent.js that encrypts piece i on demand: {size, read(i)}. */
export function encryptedSource(plain, rawKey, pieceLength) {
  const key = cryptoKey(rawKey);
  return {
    size: cipherSize(plain.size, pieceLength),
    read: (index) => encryptRecord(key, plain, index, pieceLength),
  };
}

function recordCount(cipherSize, pieceLength) {
  const count = Math.ceil(cipherSize / pieceLength);
  if (count === 0 || cipherSize - (count - 1) * pieceLength <= TAG) {
    throw new DecryptError("The received data is truncated.");
  }
  return count;
}

async function decryptRecord(key, data, index, count) {
  const params = { name: "AES-GCM", iv: nonce(index), additionalData: aad(index === count - 1) };
  try {
    return new Uint8Array(await crypto.subtle.decrypt(params, await key, data));
  } catch {
    throw new DecryptError("The key does not fit, or the data was altered.");
  }
}

/**
 * Decrypts a payload while it downloads, so that little is left to do once it is complete and
 * a payload that will never open is refused at its first pieces rather than after all of them:
 * `add(index, bytes, payloadSize)` as each verified piece arrives (torrent.js's onPiece), then
 * `finish(cipher)` decrypts what never came through `add` and resolves with the plaintext Blob.
 * The plaintext is rolled into a Blob ROLL records at a time, as they are decrypted, in any order:
 * a Blob per record cost ~100 ms of the page's main thread during a 10 MiB download (CPU
 * profile), and one Blob of all of them at the end ~27 ms more after it than runs of eight
 * (performance marks). finish() rejects with DecryptError for a wrong key or altered bytes.
 *
 * The records that hold the plaintext's first `headBytes` bytes are kept, for `head(n)`:
 * `onHead(plainSize)` is called once they are all decrypted (during the download, or in
 * finish()), and `onFailure(message)` at the first record added that does not decrypt; after
 * that, pieces added are ignored. `close()` drops everything and calls nothing more.
 */
export function pieceDecryptor(rawKey, pieceLength, { headBytes = 0, onHead, onFailure } = {}) {
  const key = cryptoKey(rawKey);
  key.catch(() => {}); // a bad key is reported by finish(), not as an unhandled rejection
  const early = new Map(); // index -> Promise<void>, rejecting with DecryptError
  const plain = new Map(); // index -> plaintext decrypted and not yet rolled into a Blob
  const placed = new Map(); // index -> {blob, start, end}: where a rolled record's bytes are
  const kept = new Map();  // index -> plaintext of the records holding the first headBytes
  let shape = null;        // {count, plainSize, headCount} once the payload's size is known
  let failure = null;
  let closed = false;
  let callbacks = { onHead, onFailure };
  const notify = (name, ...args) => {
    const callback = callbacks[name];
    callbacks[name] = null; // each is called at most once
    if (typeof callback !== "function") return;
    try { callback(...args); } catch (error) { reportError(error); }
  };
  const measure = (cipherSize) => {
    const count = recordCount(cipherSize, pieceLength);
    const plainSize = Math.max(0, cipherSize - count * TAG);
    const headCount = Math.max(1, Math.ceil(Math.min(headBytes, plainSize) / (pieceLength - TAG)));
    shape ??= { count, plainSize, headCount };
    return shape;
  };
  const isDecrypted = (index) => plain.has(index) || placed.has(index);
  const keep = (index, bytes) => {
    if (closed || isDecrypted(index)) return;
    plain.set(index, bytes);
    if (index < shape.headCount && !kept.has(index)) {
      kept.set(index, bytes);
      if (kept.size === shape.headCount) notify("onHead", shape.plainSize);
    }
    // Every ROLL records decrypted become one Blob, in whatever order they came, so that their
    // bytes leave the page's heap during the download instead of all at its end: from a peer
    // that has every piece, rarest-first asks for them in random order.
    if (plain.size < ROLL) return;
    const indexes = [...plain.keys()].sort((x, y) => x - y);
    const blob = new Blob(indexes.map((i) => plain.get(i)));
    let at = 0;
    for (const i of indexes) {
      const { length } = plain.get(i);
      placed.set(i, { blob, start: at, end: at + length });
      at += length;
      plain.delete(i);
    }
  };
  /** The plaintext in order: whole rolled Blobs where their records are in sequence, slices of
   * them where they are not, and the records not rolled. */
  const join = (count) => {
    const parts = [];
    let run = null; // {blob, start, end}: consecutive records of one rolled Blob
    const flush = () => {
      if (!run) return;
      const whole = run.start === 0 && run.end === run.blob.size;
      parts.push(whole ? run.blob : run.blob.slice(run.start, run.end));
      run = null;
    };
    for (let i = 0; i < count; i++) {
      const at = placed.get(i);
      if (at && run && run.blob === at.blob && run.end === at.start) {
        run.end = at.end;
        continue;
      }
      flush();
      if (at) run = { ...at };
      else parts.push(plain.get(i));
    }
    flush();
    return new Blob(parts);
  };
  return {
    add(index, bytes, payloadSize) {
      if (failure || closed) return;
      const fail = (error) => {
        failure ??= error;
        notify("onFailure", error.message);
        return error;
      };
      let count;
      try {
        ({ count } = measure(payloadSize));
      } catch (error) {
        fail(error); // a size no ciphertext has: truncated
        return;
      }
      const decrypted = decryptRecord(key, bytes, index, count).then(
        (plaintext) => keep(index, plaintext),
        (error) => { throw fail(error); },
      );
      decrypted.catch(() => {}); // reported through onFailure, thrown again by finish()
      early.set(index, decrypted);
    },
    async finish(cipher) {
      if (failure) throw failure;
      const { count } = measure(cipher.size);
      await eachRecord(count, async (i) => {
        if (isDecrypted(i)) return;
        const pending = early.get(i);
        if (pending) return pending;
        const data = await cipher.slice(i * pieceLength, (i + 1) * pieceLength).arrayBuffer();
        keep(i, await decryptRecord(key, data, i, count));
      });
      if (closed) throw new DecryptError("Closed before it finished.");
      early.clear();
      const blob = join(count);
      plain.clear();
      placed.clear();
      return blob;
    },
    /** A copy of the plaintext's first `n` bytes (at most headBytes), as far as decrypted. */
    head(n) {
      const out = [];
      let length = 0;
      for (let i = 0; length < n && kept.has(i); i++) {
        const part = kept.get(i).subarray(0, n - length);
        out.push(part);
        length += part.length;
      }
      const bytes = new Uint8Array(length);
      out.reduce((at, part) => (bytes.set(part, at), at + part.length), 0);
      return bytes;
    },
    close() {
      closed = true;
      callbacks = {};
      early.clear();
      plain.clear();
      placed.clear();
      kept.clear();
    },
  };
}

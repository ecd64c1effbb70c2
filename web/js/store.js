// IndexedDB adapter. The schema is declared once (STORES + MIGRATIONS); every exported
// function is one whole transaction returning a Promise, because a Python `await` resumes in
// a later macrotask and would let a transaction spread over several awaits auto-commit.
// Audio stays in Blobs: records go in and out as plain objects, never as bytes.

const DB_NAME = "seedvox";

/** Object stores: name -> key path and indexes. Migrations below create them. */
export const STORES = {
  memos: { keyPath: "id", indexes: { created: "created" } }, // metadata only
  audio: { keyPath: "id" },                                   // { id, blob }
  chunks: { keyPath: ["session", "seq"], indexes: { session: "session" } }, // recording in progress
  settings: { keyPath: "key" },                               // { key, value }
  // What is needed to seed a shared memo again with no re-hashing: the torrent file and the
  // payload header that goes before the audio (see py/seedvox/core/PROTOCOL.md).
  shares: { keyPath: "infoHash", indexes: { memoId: "memoId" } },
};

/** MIGRATIONS[n] upgrades a database from version n to n + 1. Append; never edit. */
const MIGRATIONS = [
  (db) => {
    for (const name of ["memos", "audio", "chunks", "settings", "shares"]) {
      const { keyPath, indexes = {} } = STORES[name];
      const store = db.createObjectStore(name, { keyPath });
      for (const [index, path] of Object.entries(indexes)) store.createIndex(index, path);
    }
  },
];
export const VERSION = MIGRATIONS.length;

let opening = null;
const listeners = new Set();
// Other tabs of the app hear about every committed write, so their views stay current.
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("seedvox-store") : null;
if (channel) channel.onmessage = (event) => notify(event.data?.type ?? "changed", event.data?.stores ?? []);

function notify(type, stores) {
  for (const callback of listeners) {
    try { callback(type, stores); } catch (error) { reportError(error); }
  }
}

/**
 * `callback(type, stores)`: "changed" after another tab wrote to `stores`; "versionchange"
 * when another tab upgrades the database (ours is closed at once so it never blocks them).
 */
export function onChange(callback) {
  listeners.add(callback);
}

export function open(name = DB_NAME) {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const request = indexedDB.open(name, VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      for (let v = event.oldVersion; v < VERSION; v++) MIGRATIONS[v](db, request.transaction);
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => {
        // Let the other tab's upgrade proceed instead of blocking it forever.
        db.close();
        opening = null;
        notify("versionchange", []);
      };
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
    request.onblocked = () => console.warn("seedvox: database upgrade waits for another tab");
  });
  return opening;
}

/** A plain Error carrying the DOMException's name (QuotaExceededError...) in its message:
 * Python awaiting a promise rejected with a message-less DOMException never resumed. */
function failure(error) {
  const name = error?.name || "AbortError";
  const wrapped = new Error(`${name}: ${error?.message || "the IndexedDB transaction failed"}`);
  wrapped.name = name;
  return wrapped;
}

/** Run `body(stores)` in one transaction; resolve with what it put in `result.value`. */
async function transaction(names, mode, body) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    const result = { value: undefined };
    tx.oncomplete = () => {
      if (mode === "readwrite" && channel) channel.postMessage({ type: "changed", stores: names });
      resolve(result.value);
    };
    tx.onerror = () => reject(failure(tx.error));
    tx.onabort = () => reject(failure(tx.error));
    try {
      body(stores, result, tx);
    } catch (error) {
      tx.abort();
      reject(error);
    }
  });
}

const req = (request, then) => { request.onsuccess = () => then(request.result); };

/** A memo record that is in the library: it exists and is not in the undo bin. */
const inLibrary = (memo) => Boolean(memo) && !memo.deleted;

// ---------------------------------------------------------------- memos

/** All memos not marked deleted, newest first (metadata only, no audio). */
export function listMemos() {
  return transaction(["memos"], "readonly", ({ memos }, result) => {
    req(memos.index("created").getAll(), (rows) => {
      result.value = rows.filter(inLibrary).reverse();
    });
  });
}

export function getMemo(id) {
  return transaction(["memos"], "readonly", ({ memos }, result) => {
    req(memos.get(id), (row) => { result.value = row ?? null; });
  });
}

/** A memo still in the library (not marked deleted) with its audio: {memo, blob} or null. */
export function openMemo(id) {
  return transaction(["memos", "audio"], "readonly", ({ memos, audio }, result) => {
    result.value = null;
    req(memos.get(id), (memo) => {
      if (!inLibrary(memo)) return;
      req(audio.get(id), (row) => { if (row) result.value = { memo, blob: row.blob }; });
    });
  });
}

export function getAudio(id) {
  return transaction(["audio"], "readonly", ({ audio }, result) => {
    req(audio.get(id), (row) => { result.value = row ? row.blob : null; });
  });
}

/** Metadata update (rename, description, delete mark). */
export function putMemo(memo) {
  return transaction(["memos"], "readwrite", ({ memos }) => { memos.put(memo); });
}

/** A new memo with its audio, atomically. */
export function saveMemo(memo, blob) {
  return transaction(["memos", "audio"], "readwrite", ({ memos, audio }) => {
    memos.put(memo);
    audio.put({ id: memo.id, blob });
  });
}

/** Remove for good the memos marked deleted before `deletedBefore` (ms), or all memos,
 * with their audio and share records. Resolves with the purged memos' ids. */
export function purge({ all = false, deletedBefore = Infinity } = {}) {
  return transaction(["memos", "audio", "shares"], "readwrite", ({ memos, audio, shares }, result) => {
    result.value = [];
    req(memos.getAll(), (rows) => {
      for (const memo of rows) {
        if (all || (memo.deleted && memo.deleted <= deletedBefore)) {
          memos.delete(memo.id);
          audio.delete(memo.id);
          shares.index("memoId").getAllKeys(memo.id).onsuccess = (event) => {
            for (const key of event.target.result) shares.delete(key);
          };
          result.value.push(memo.id);
        }
      }
    });
  });
}

// ---------------------------------------------------------------- recording chunks

export function appendChunk(chunk) {
  return transaction(["chunks"], "readwrite", ({ chunks }) => { chunks.put(chunk); });
}

/** Recording sessions that have chunks: [{session, mime, started, count, size, lastAt}]. */
export function listSessions() {
  return transaction(["chunks"], "readonly", ({ chunks }, result) => {
    const sessions = new Map();
    req(chunks.openCursor(), function step(cursor) {
      if (!cursor) {
        result.value = [...sessions.values()];
        return;
      }
      const { session, mime, started, at, blob } = cursor.value;
      const s = sessions.get(session) || { session, mime, started, count: 0, size: 0, lastAt: 0 };
      s.count += 1;
      s.size += blob.size;
      s.lastAt = Math.max(s.lastAt, at);
      sessions.set(session, s);
      cursor.continue();
    });
    // openCursor fires onsuccess repeatedly on the same request; req() set it once.
  });
}

/** Turn a session's chunks into a memo with its audio, and drop the chunks: one transaction. */
export function finishSession(session, memo) {
  return transaction(["chunks", "memos", "audio"], "readwrite", ({ chunks, memos, audio }, result) => {
    const range = IDBKeyRange.bound([session, -Infinity], [session, Infinity]);
    req(chunks.getAll(range), (rows) => {
      if (!rows.length) { result.value = null; return; }
      rows.sort((a, b) => a.seq - b.seq);
      const blob = new Blob(rows.map((r) => r.blob), { type: memo.mime });
      const saved = { ...memo, size: blob.size };
      memos.put(saved);
      audio.put({ id: saved.id, blob });
      chunks.delete(range);
      result.value = saved;
    });
  });
}

export function dropSession(session) {
  return transaction(["chunks"], "readwrite", ({ chunks }) => {
    chunks.delete(IDBKeyRange.bound([session, -Infinity], [session, Infinity]));
  });
}

// ---------------------------------------------------------------- shares

export function putShare(share) {
  return transaction(["shares"], "readwrite", ({ shares }) => { shares.put(share); });
}

export function sharesOf(memoId) {
  return transaction(["shares"], "readonly", ({ shares }, result) => {
    req(shares.index("memoId").getAll(memoId), (rows) => { result.value = rows; });
  });
}

/** The memo in the library (not marked deleted) that a share delivered or came from, or null. */
export function memoOfShare(infoHash) {
  return transaction(["shares", "memos"], "readonly", ({ shares, memos }, result) => {
    result.value = null;
    req(shares.get(infoHash), (share) => {
      if (!share) return;
      req(memos.get(share.memoId), (memo) => { if (inLibrary(memo)) result.value = memo; });
    });
  });
}

/** A received memo with its audio and its share record, atomically. When the share already
 * delivered a memo still in the library (another tab was quicker), nothing is written and that
 * memo is returned: {memo, duplicate}. */
export function saveReceived(memo, blob, share) {
  return transaction(["shares", "memos", "audio"], "readwrite", ({ shares, memos, audio }, result) => {
    const save = () => {
      memos.put(memo);
      audio.put({ id: memo.id, blob });
      shares.put({ ...share, memoId: memo.id });
      result.value = { memo, duplicate: false };
    };
    req(shares.get(share.infoHash), (existing) => {
      if (!existing) return save();
      req(memos.get(existing.memoId), (earlier) => {
        if (inLibrary(earlier)) result.value = { memo: earlier, duplicate: true };
        else save();
      });
    });
  });
}

export function deleteShare(infoHash) {
  return transaction(["shares"], "readwrite", ({ shares }) => { shares.delete(infoHash); });
}

/** Every share of a given role whose memo is in the library. Without the audio: reading a
 * stored Blob costs ~0.4 ms of the page's main thread, so the caller reads them in batches
 * (audioOf) as it re-seeds, rather than a thousand at once at start. */
export function sharesToSeed(role = "sharer") {
  return transaction(["shares", "memos"], "readonly", ({ shares, memos }, result) => {
    result.value = [];
    req(shares.getAll(), (rows) => {
      for (const share of rows) {
        if (share.role !== role) continue;
        req(memos.get(share.memoId), (memo) => { if (inLibrary(memo)) result.value.push(share); });
      }
    });
  });
}

/** The audio Blobs of these memos, in the same order (null for one that is gone). */
export function audioOf(ids) {
  return transaction(["audio"], "readonly", ({ audio }, result) => {
    result.value = ids.map(() => null);
    ids.forEach((id, i) => req(audio.get(id), (row) => { result.value[i] = row ? row.blob : null; }));
  });
}

// ---------------------------------------------------------------- settings

export function getSetting(key) {
  return transaction(["settings"], "readonly", ({ settings }, result) => {
    req(settings.get(key), (row) => { result.value = row ? row.value : null; });
  });
}

export function putSetting(key, value) {
  return transaction(["settings"], "readwrite", ({ settings }) => { settings.put({ key, value }); });
}

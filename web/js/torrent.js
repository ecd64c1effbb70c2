// WebTorrent adapter: seeds, re-seeds and fetches single-file torrents over WebRTC, announcing
// only to the configured WebSocket trackers. No app logic: Python decides what to share and
// when; this module moves bytes and reports. Every export returns a Promise or plain data, and
// torrents are named by their infohash (lowercase hex). WebTorrent is imported on first use so
// it stays off the boot path.
//
// Choices measured in shared/FACTS.md:
// - Audio stays in the app's Blobs: a seed reads straight from its Blob, a fetch keeps pieces in
//   memory and then reads from the Blob it handed out. Nothing is copied to OPFS.
// - Complete torrents announce with numwant 0: no offers, so no RTCPeerConnections (Chromium
//   allows 500 per page) and no announce glare. Incomplete ones announce with offers and
//   re-announce every few seconds while no piece data arrives.
// - bittorrent-tracker reconnects a dropped tracker socket only after 10 s·2^n + up to 5 min;
//   a watchdog reopens it within seconds instead.
// - Connections between complete copies close once no peer lacks a piece (closeWhenAllComplete).
// - A sharer super-seeds (BEP 16's idea): each receiver is told of a few pieces nobody has yet,
//   so the sharer sends each piece about once and receivers trade the rest (SuperSeed).
// - WebTorrent makes each round of block requests in requestIdleCallback (timeout 250 ms). A
//   page that is never idle (the app's, at times) then waits 250 ms per round: a fetch requests
//   in the next task instead (promptRequests).
// - A fetch asks for 64 KiB blocks, not BitTorrent's usual 16 KiB (widenBlocks).

export const DEFAULT_PIECE_LENGTH = 256 * 1024; // 2x the throughput of 16 KiB pieces for 10 MiB
const PROGRESS_MS = 250;                          // onProgress at most 4 times a second
// While a fetch is stalled: announce every 3 s for 30 s, then back off to every 30 s.
const REANNOUNCE = { everyMs: 3000, quick: 10, maxMs: 30000 };
const KICK_MS = [1000, 2000, 4000, 8000, 15000, 30000]; // tracker reconnect backoff
const WATCH_MS = 1000;
const CORRUPT_PIECES = 4; // failed piece hashes in a row before a fetch is given up as damaged
// Bytes asked for per block request; peers accept up to 128 KiB (WebTorrent refuses more).
const BLOCK_LENGTH = 64 * 1024;
// Pieces read from a Blob, kept for the block requests that follow (a piece is asked for in
// blocks: 64 KiB from Seedvox, 16 KiB from WebTorrent as shipped); a read from a Blob takes
// up to READ_SPAN pieces at once.
const STORE_CACHE = 8;
const READ_SPAN = 4;
// Super-seeding: pieces revealed ahead of each receiver (at least `minBytes`, or `aheadMs` at
// the rate it downloads from us), and how long a receiver may go without completing a piece
// before it is also shown pieces that other receivers have or are being sent. WebTorrent keeps
// about a second of its download rate requested, so a lone receiver shown 250 ms ahead waited
// on reveals (a raw receiver took 1.18x as long as from a raw sharer, 1.12x with a second).
const SUPER_SEED = { minBytes: 1024 * 1024, aheadMs: 1000, starveMs: 500 };
// A receiver's connections to complete peers, all complete as well, close after this long.
const RECEIVER_LINGER_MS = 60_000;
// A fetch done drops its unanswered offers this long after, once its memo is saved.
const DROP_OFFERS_AFTER_MS = 2000;

let config = null;
let trackerOptions = null; // shared with the client, so configure() reaches torrents added later
let clientPromise = null;
const entries = new Map(); // infoHash -> {torrent, blob, store, done, callbacks, ...}
const kicks = new Map();   // tracker URL -> {attempt, at}
let watchdog = null;
const ROUTED = Symbol("seedvox: tracker messages routed");
const WIDENED = Symbol("seedvox: blocks widened");
const JOINED = Symbol("seedvox: the socket whose routes a tracker object is in");
const routes = new WeakMap(); // pooled tracker socket -> Map(infoHash as sent -> tracker objects)
const decoder = new TextDecoder();

// ---------------------------------------------------------------- configuration and client

/** {trackers: string[], iceServers: RTCIceServer[]}; applies to torrents added afterwards. */
export function configure(options) {
  const { trackers = [], iceServers = [] } = plain(options) ?? {};
  config = {
    trackers: Array.from(trackers, String),
    iceServers: Array.from(iceServers, plain),
  };
  trackerOptions ??= {};
  trackerOptions.announce = config.trackers;
  trackerOptions.rtcConfig = { iceServers: config.iceServers };
}

function requireSecureContext() {
  if (!globalThis.isSecureContext || !globalThis.crypto?.subtle) {
    throw new Error("Sharing needs a secure connection: HTTPS is required (or localhost).");
  }
}

async function getClient() {
  requireSecureContext();
  if (!config) throw new Error("torrent.configure() must be called before sharing.");
  clientPromise ??= (async () => {
    const url = new URL("../vendor/webtorrent/webtorrent.min.js", import.meta.url);
    const { default: WebTorrent } = await import(url.href);
    const client = new WebTorrent({
      tracker: trackerOptions,
      dht: false, lsd: false, utPex: false, webSeeds: false, natUpnp: false, natPmp: false,
    });
    // Torrent errors go to each torrent's own listener; anything reaching the client is a bug.
    client.on("error", (error) => reportError(error));
    return client;
  })();
  try {
    return await clientPromise;
  } catch (error) {
    clientPromise = null;
    throw error;
  }
}

// ---------------------------------------------------------------- seeding

/** Seed `blob` as one file `name`. Same bytes, name and piece length give the same infohash. */
export async function seed(blob, { name, pieceLength = DEFAULT_PIECE_LENGTH } = {}) {
  const client = await getClient();
  if (!(blob instanceof Blob)) throw new TypeError("seed() needs a Blob.");
  if (!name) throw new TypeError("seed() needs a file name.");
  const powerOfTwo = Number.isInteger(pieceLength) && (pieceLength & (pieceLength - 1)) === 0;
  if (!powerOfTwo || pieceLength < 16384) {
    throw new RangeError("pieceLength must be a power of two of at least 16 KiB.");
  }
  const store = new PieceStore(pieceLength, { blob });
  return new Promise((resolve, reject) => {
    const torrent = client.seed(new File([blob], name, { type: blob.type }), {
      name,
      pieceLength,
      announceList: [], // no trackers in the torrent file: only the configured ones, at add time
      preloadedStore: store,
      storeCacheSlots: 0,
      getAnnounceOpts: () => announceOptions(torrent),
    }, (seeded) => {
      // `seeded` is an older torrent when these bytes were already shared; keep that one.
      if (!entries.has(seeded.infoHash)) track({ torrent: seeded, blob, store, done: true });
      resolve({ ...describe(seeded), torrentFile: withoutTrackers(seeded.torrentFile) });
    });
    superSeed(torrent);
    releaseClosedPeers(torrent);
    closeWhenAllComplete(torrent);
    torrent.on("error", (error) => (entries.get(torrent.infoHash)?.torrent === torrent
      ? forget(entries.get(torrent.infoHash)) : reject(error)));
  });
}

/**
 * Seed a torrent file from seed() again over the same bytes, with no hashing and no copy.
 * `blob` is a Blob, or a piece source {size, read(index) -> Promise<Uint8Array>} that makes
 * piece `index` on demand (crypto.js encrypts that way). Only the length is checked: compare
 * the returned infoHash with the one stored.
 */
export async function reseed(torrentFile, blob) {
  const client = await getClient();
  const isSource = typeof blob?.read === "function" && Number.isInteger(blob?.size);
  if (!(blob instanceof Blob) && !isSource) throw new TypeError("reseed() needs a Blob or a source.");
  const bytes = withoutTrackers(asBytes(torrentFile));
  return new Promise((resolve, reject) => {
    const entry = { blob, done: true };
    const torrent = client.add(bytes, {
      skipVerify: true,
      store: storeFactory(entry, blob),
      storeCacheSlots: 0,
      getAnnounceOpts: () => announceOptions(torrent),
    });
    entry.torrent = torrent;
    superSeed(torrent);
    releaseClosedPeers(torrent);
    closeWhenAllComplete(torrent);
    torrent.on("error", (error) => {
      if (entries.get(torrent.infoHash)?.torrent === torrent) return forget(entry);
      // A duplicate is already being shared: that is what the caller wants.
      if (entries.has(torrent.infoHash)) resolve(describe(entries.get(torrent.infoHash).torrent));
      else reject(error);
    });
    torrent.once("metadata", () => {
      if (torrent.length === blob.size) return;
      torrent.destroy({ destroyStore: true });
      reject(new Error(`The Blob has ${blob.size} bytes but the torrent ${torrent.length}.`));
    });
    torrent.once("ready", () => {
      track(entry);
      resolve(describe(torrent));
    });
  });
}

// ---------------------------------------------------------------- fetching

/**
 * Fetch a one-file torrent by infohash or magnet URI. Resolves to its infohash (the handle for
 * cancel/stats) once added; everything after that arrives through the callbacks:
 * onMetadata({name, length, files, infoHash, torrentFile}), onProgress(stats) at most 4/s,
 * onPiece(index, bytes, length) for each piece once verified (a JS function: the bytes are the
 * store's own, not to be changed), onDone(blob), onError(message). Torrents over `maxBytes` or with more than one file are
 * refused before any piece is requested. After onDone the torrent keeps seeding.
 */
export async function fetch(torrentId, { maxBytes, onMetadata, onProgress, onPiece, onDone, onError } = {}) {
  const client = await getClient();
  const id = String(torrentId ?? "").trim();
  if (!/^([0-9a-f]{40}|[a-z2-7]{32})$/i.test(id) && !/^magnet:\?(.*&)?xt=urn:btih:/i.test(id)) {
    throw new Error("Invalid torrent identifier");
  }
  const entry = {
    done: false,
    maxBytes: maxBytes ?? Infinity,
    callbacks: { onMetadata, onProgress, onPiece, onDone, onError },
    lastProgress: -Infinity,
    downloaded: 0,
    lastData: Date.now(),
    announces: 0,
    nextAnnounce: Date.now() + REANNOUNCE.everyMs,
  };
  return new Promise((resolve, reject) => {
    const torrent = client.add(id, {
      store: storeFactory(entry),
      storeCacheSlots: 0,
      strategy: "rarest", // receivers of one share get different pieces first and trade them
      getAnnounceOpts: () => announceOptions(torrent),
    });
    entry.torrent = torrent;
    promptRequests(torrent);
    releaseClosedPeers(torrent);
    closeWhenAllComplete(torrent, RECEIVER_LINGER_MS);
    torrent.on("error", (error) => {
      if (entries.get(torrent.infoHash) === entry) return fail(entry, error.message);
      const existing = entries.get(torrent.infoHash);
      if (!existing) return reject(error);
      if (!existing.done) return reject(new Error(`Already fetching ${torrent.infoHash}.`));
      // Already here: hand over what we have, as a fresh fetch would.
      resolve(torrent.infoHash);
      queueMicrotask(() => {
        call(onMetadata, info(existing.torrent));
        call(onDone, existing.blob);
      });
    });
    torrent.once("infoHash", () => {
      track(entry);
      entry.tick = setInterval(() => tick(entry), WATCH_MS);
      resolve(torrent.infoHash);
    });
    torrent.once("metadata", () => {
      widenBlocks(torrent); // before the first request, which waits for "ready"
      if (torrent.files.length !== 1) {
        return fail(entry, `This share has ${torrent.files.length} files; Seedvox takes exactly one.`,
          { code: "files", files: torrent.files.length });
      }
      if (torrent.length > entry.maxBytes) {
        return fail(entry, `This share is ${torrent.length} bytes, over the limit of ${entry.maxBytes}.`,
          { code: "too-big", length: torrent.length, maxBytes: entry.maxBytes });
      }
      call(entry.callbacks.onMetadata, info(torrent));
    });
    torrent.once("done", () => {
      entry.done = true;
      clearInterval(entry.tick);
      clearTimeout(entry.progressTimer);
      // Complete: it answers offers and makes none. Closing the unanswered ones costs ~15 ms
      // of the main thread (an RTCPeerConnection each), so not between here and "saved".
      setTimeout(() => torrent.destroyed || dropOffers(torrent), DROP_OFFERS_AFTER_MS);
      // Hand out one Blob and serve the swarm from it, so the pieces are not held twice.
      entry.blob = entry.store.seal(torrent.files[0].type);
      const { onDone: done } = entry.callbacks;
      entry.callbacks = {};
      call(done, entry.blob);
    });
    torrent.on("download", () => progress(entry));
    // WebTorrent drops a piece that fails its hash and asks again, forever, without blaming
    // anyone. Pieces failing one after another with none verified in between mean the only
    // source sends damaged data: stop and say so rather than spin silently.
    let failedInARow = 0;
    torrent.on("verified", (index) => {
      failedInARow = 0;
      const bytes = entry.store?.pieces?.[index];
      if (bytes) call(entry.callbacks.onPiece, index, bytes, torrent.length);
    });
    torrent.on("warning", (warning) => {
      if (!/failed verification/.test(warning?.message ?? "")) return;
      failedInARow += 1;
      if (failedInARow >= CORRUPT_PIECES) {
        fail(entry, "A device sent damaged data for this memo.", { code: "corrupt" });
      }
    });
    torrent.on("wire", () => progress(entry));
  });
}

/** Stop a fetch and free everything it holds (no callback is called afterwards). */
export async function cancel(infoHash) {
  const entry = entries.get(String(infoHash).toLowerCase());
  if (entry) await remove(entry);
}

/** Stop seeding one torrent. */
export async function stop(infoHash) {
  return cancel(infoHash);
}

/**
 * {progress, downloaded, uploaded, downloadSpeed, uploadSpeed, peers, done, cachedPieces} or
 * null; cachedPieces: pieces a seed keeps from its last reads of the Blob.
 */
export function stats(infoHash) {
  const entry = entries.get(String(infoHash).toLowerCase());
  if (!entry) return null;
  return { ...statsOf(entry.torrent), done: entry.done, cachedPieces: entry.store?.reads.size ?? 0 };
}

/** Every torrent held: [{infoHash, done, peers, uploaded}]. */
export function list() {
  return [...entries.values()].map(({ torrent, done }) => ({
    infoHash: torrent.infoHash, done, peers: torrent.numPeers, uploaded: torrent.uploaded,
  }));
}

// ---------------------------------------------------------------- bookkeeping

function track(entry) {
  entries.set(entry.torrent.infoHash, entry);
  routeTrackerMessages(entry.torrent);
  // A seed keeps the pieces it last read for the requests that follow. Once nobody is
  // connected none follow, and each share ever served would hold its last reads (up to
  // STORE_CACHE pieces, 2 MiB) for as long as the page is open.
  entry.torrent.on("wire", (wire) => wire.once("close", () => {
    if (entry.torrent.wires.every((other) => other === wire || other.destroyed)) {
      entry.store?.forgetReads();
    }
  }));
  entry.torrent.once("close", () => forget(entry));
  watchdog ??= setInterval(watchTrackers, WATCH_MS);
}

function forget(entry) {
  clearInterval(entry.tick);
  clearTimeout(entry.progressTimer);
  entry.callbacks = {};
  if (entries.get(entry.torrent.infoHash) === entry) entries.delete(entry.torrent.infoHash);
  if (!entries.size) {
    clearInterval(watchdog);
    watchdog = null;
    kicks.clear();
  }
}

function remove(entry) {
  forget(entry);
  const { torrent } = entry;
  if (torrent.destroyed) return Promise.resolve();
  return new Promise((resolve) => torrent.destroy({ destroyStore: true }, () => resolve()));
}

/** onError(message, detail): `detail.code` is "too-big" or "files" for a refused share. */
function fail(entry, message, detail = { code: "error" }) {
  const { onError } = entry.callbacks;
  remove(entry);
  call(onError, message, detail);
}

function describe(torrent) {
  return { infoHash: torrent.infoHash, magnetURI: torrent.magnetURI, length: torrent.length };
}

function info(torrent) {
  return {
    name: torrent.name,
    length: torrent.length,
    files: torrent.files.length,
    infoHash: torrent.infoHash,
    torrentFile: withoutTrackers(torrent.torrentFile), // for reseed() after a reload
  };
}

function statsOf(torrent) {
  return {
    progress: torrent.progress,
    downloaded: torrent.downloaded,
    uploaded: torrent.uploaded,
    downloadSpeed: torrent.downloadSpeed,
    uploadSpeed: torrent.uploadSpeed,
    peers: torrent.numPeers,
  };
}

function progress(entry) {
  if (entry.done || entry.progressTimer || !entry.callbacks.onProgress) return;
  const wait = Math.max(0, entry.lastProgress + PROGRESS_MS - performance.now());
  entry.progressTimer = setTimeout(() => {
    entry.progressTimer = null;
    if (entry.done || entry.torrent.destroyed) return;
    call(entry.callbacks.onProgress, statsOf(entry.torrent));
    // Counted from after the delivery, so two deliveries are never closer than PROGRESS_MS
    // however long computing the stats or the callback itself took.
    entry.lastProgress = performance.now();
  }, wait);
}

/** Callbacks come from Python: one that raises must not break WebTorrent's event handling. */
function call(callback, ...args) {
  if (typeof callback !== "function") return;
  try {
    callback(...args);
  } catch (error) {
    reportError(error);
  }
}

/** Python may pass a dict (PyProxy, or a Map after to_js): reduce it to plain JS data. */
function plain(value) {
  if (typeof value?.toJs === "function") return value.toJs({ dict_converter: Object.fromEntries });
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

// ---------------------------------------------------------------- announcing

/** Complete torrents ask the tracker for no peers: they answer offers and never make any. */
function announceOptions(torrent) {
  return torrent.progress === 1 ? { numwant: 0 } : {};
}

// The tracker client's internals are used below (webtorrent is pinned, and test_torrent_adapter
// fails if they change): the public API has no way to reconnect or to drop unanswered offers.
function wsTrackers(torrent) {
  const client = torrent.discovery?.tracker;
  return client && !client.destroyed && Array.isArray(client._trackers) ? client._trackers : [];
}

/**
 * bittorrent-tracker shares one WebSocket per tracker among all torrents, and each torrent's
 * tracker object listened to it, decoding and parsing every message to find its own: with
 * 1,000 shared memos, the 1,000 replies to a round of announces cost a million parses, ~2.4 s
 * of the page's main thread after a start (and ~10% of a core while idle, as rounds recur),
 * during which Record took seconds to respond. Instead each socket gets one listener that
 * parses a message once and hands it to the tracker objects of the torrent it names (to all
 * of them when it names none, as before). Patched once, on the library's prototype:
 * `_openSocket` makes a tracker object join its socket's table in place of listening itself,
 * `destroy` takes it out; the message still goes through the library's own `_onSocketData`.
 */
function routeTrackerMessages(torrent) {
  const [tracker] = wsTrackers(torrent);
  const proto = tracker && Object.getPrototypeOf(tracker);
  if (!proto || proto[ROUTED]) return;
  const { _openSocket: openSocket, destroy, _onSocketData: onData } = proto;
  if (![openSocket, destroy, onData].every((f) => typeof f === "function")) return;
  proto[ROUTED] = true;
  proto._openSocket = function (...args) {
    const result = openSocket.apply(this, args);
    joinRoutes(this);
    return result;
  };
  proto.destroy = function (...args) {
    leaveRoutes(this);
    return destroy.apply(this, args);
  };
  // Tracker objects that opened their socket before the patch.
  for (const entry of entries.values()) wsTrackers(entry.torrent).forEach(joinRoutes);
  wsTrackers(torrent).forEach(joinRoutes);
}

function joinRoutes(tracker) {
  const { socket } = tracker;
  if (!socket || tracker.destroyed || tracker[JOINED] === socket) return;
  leaveRoutes(tracker);
  socket.removeListener("data", tracker._onSocketDataBound);
  let table = routes.get(socket);
  if (!table) {
    table = new Map();
    routes.set(socket, table);
    socket.on("data", (data) => routeMessage(table, data));
  }
  const key = tracker.client._infoHashBinary;
  if (!table.has(key)) table.set(key, new Set());
  table.get(key).add(tracker);
  tracker[JOINED] = socket;
}

function leaveRoutes(tracker) {
  const socket = tracker[JOINED];
  if (!socket) return;
  tracker[JOINED] = null;
  const table = routes.get(socket);
  const key = tracker.client?._infoHashBinary;
  table?.get(key)?.delete(tracker);
  if (table?.get(key)?.size === 0) table.delete(key);
}

function routeMessage(table, data) {
  let message = null;
  try {
    message = JSON.parse(typeof data === "string" ? data : decoder.decode(data));
  } catch {
    // Not JSON: every tracker object gets it and reports it, as the library does.
  }
  const named = message?.action === "announce" && typeof message.info_hash === "string";
  const sets = named ? [table.get(message.info_hash) ?? []] : [...table.values()];
  for (const tracker of sets.flatMap((set) => [...set])) tracker._onSocketData(data);
}

/**
 * Drop the offers nobody answered. bittorrent-tracker keeps each one, an RTCPeerConnection,
 * for 50 s; in a page that had just received 10 memos their ~40 idle connections used ~14 ms
 * of CPU a second until then.
 */
function dropOffers(torrent) {
  for (const tracker of wsTrackers(torrent)) {
    for (const [offerId, peer] of Object.entries(tracker.peers ?? {})) {
      clearTimeout(peer.trackerTimeout);
      peer.destroy();
      delete tracker.peers[offerId];
    }
  }
}

/**
 * Each second until done: report progress and, while no piece data arrives, re-announce (see
 * REANNOUNCE). "No data" rather than "no peer": receivers waiting for the same absent sharer
 * connect to each other, and the sharer, announcing with numwant 0, only meets them through a
 * new offer.
 */
function tick(entry) {
  const { torrent } = entry;
  if (entry.done || torrent.destroyed) return clearInterval(entry.tick);
  progress(entry);
  const now = Date.now();
  if (torrent.downloaded !== entry.downloaded) {
    entry.downloaded = torrent.downloaded;
    entry.lastData = now;
  }
  if (now - entry.lastData < REANNOUNCE.everyMs) {
    entry.announces = 0;
    entry.nextAnnounce = entry.lastData + REANNOUNCE.everyMs;
    return;
  }
  if (now < entry.nextAnnounce || !torrent.discovery?.tracker) return;
  dropOffers(torrent); // so that retries do not pile up peer connections
  torrent.discovery.tracker.update();
  entry.announces += 1;
  const slower = Math.max(0, entry.announces - REANNOUNCE.quick);
  entry.nextAnnounce = now + Math.min(REANNOUNCE.everyMs * 1.5 ** slower, REANNOUNCE.maxMs);
}

/** Reopen dropped tracker sockets with a short backoff; each reopen re-announces every torrent. */
function watchTrackers() {
  const down = new Map(); // URL -> trackers waiting for their reconnect timer
  const reconnecting = new Set();
  for (const { torrent } of entries.values()) {
    if (torrent.destroyed) continue;
    for (const tracker of wsTrackers(torrent)) {
      if (!tracker.reconnecting) continue;
      reconnecting.add(tracker.announceUrl);
      // destroyed + reconnecting = socket gone, timer pending; not destroyed = connecting now.
      if (tracker.destroyed && typeof tracker._openSocket === "function") {
        if (!down.has(tracker.announceUrl)) down.set(tracker.announceUrl, []);
        down.get(tracker.announceUrl).push(tracker);
      }
    }
  }
  for (const url of kicks.keys()) if (!reconnecting.has(url)) kicks.delete(url);
  const now = Date.now();
  for (const [url, trackers] of down) {
    const kick = kicks.get(url) ?? { attempt: 0, at: now };
    kicks.set(url, kick);
    if (now < kick.at) continue;
    kick.at = now + KICK_MS[Math.min(kick.attempt, KICK_MS.length - 1)];
    kick.attempt += 1;
    // What the library's own timer does: the first reopens the pooled socket, the rest share it.
    for (const tracker of trackers) {
      clearTimeout(tracker.reconnectTimer);
      tracker._openSocket();
    }
  }
}

// ---------------------------------------------------------------- super-seeding

/**
 * The sharer's side of a share: the idea of BEP 16 (super-seeding) over WebTorrent's wires.
 * Without it the sharer answers each new receiver with "have all", and four receivers that
 * start together fetch the same early pieces from it before they find each other (3.5× the
 * memo's size uploaded; rarest-first alone, 2.3×). Instead it opens each wire with a bitfield
 * of a few pieces nobody has yet and sends a `have` for a fresh one each time the receiver
 * completes one; receivers get the rest from each other, as they announce every piece they
 * complete. It is shown more
 * - while some piece has gone to nobody yet, to keep SUPER_SEED.minBytes (or aheadMs of its
 *   rate) requested from us: a lone receiver is shown every piece in time, at full speed;
 * - once it has nothing shown left to fetch from us and has been idle so for
 *   SUPER_SEED.starveMs with no piece completed (it may not reach the peers that have them, or
 *   the pieces it lacks are still on their way to another receiver): pieces it lacks, those
 *   fewest peers have first, and from then on like a lone receiver, until it completes a piece
 *   it got from someone else.
 * Pieces on their way to another receiver are not shown again at once: with a second's worth
 * shown to the first receiver of several, that sent up to 1.5x the memo (three receivers of
 * 4 MiB); waiting for that receiver to pass them on, 1.00-1.25x.
 * Receivers need nothing special: to them the sharer is a peer that has some pieces, and more
 * later. Uses only the wires' public messages (bitfield, have), but replaces the wire's
 * haveAll/bitfield, which WebTorrent calls once on each new wire.
 */
function superSeed(torrent) {
  const peers = new Map(); // wire -> {open, revealed: Set of piece indexes, lastPiece, fed, timer}
  let queued = false;

  const show = (wire, peer, index) => {
    peer.revealed.add(index);
    if (peer.open) wire.have(index);
  };

  /** Show each receiver what it should fetch from us now; changes are batched per microtask. */
  const update = () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      if (torrent.destroyed || !torrent.ready) return;
      const { holders, pending } = census();
      const now = Date.now();
      for (const [wire, peer] of peers) {
        if (!peer.open || wire.destroyed) continue;
        for (const index of choose(wire, peer, holders, pending, now)) {
          show(wire, peer, index);
          pending[index] = 1;
        }
      }
    });
  };

  /** Per piece: how many peers have it, and whether it is shown to one that does not yet. */
  const census = () => {
    const count = torrent.pieces.length;
    const holders = new Uint16Array(count);
    const pending = new Uint8Array(count);
    for (const [wire, peer] of peers) {
      if (wire.destroyed) continue;
      for (let index = 0; index < count; index++) if (wire.peerPieces.get(index)) holders[index] += 1;
      for (const index of peer.revealed) if (!wire.peerPieces.get(index)) pending[index] = 1;
    }
    return { holders, pending };
  };

  /** Pieces to show `wire` now. Pieces it lacks: the counts are the other peers'. */
  const choose = (wire, peer, holders, pending, now) => {
    clearTimeout(peer.timer);
    const hidden = []; // lacking and not shown
    let outstanding = 0; // shown and not completed yet
    for (let index = 0; index < holders.length; index++) {
      if (wire.peerPieces.get(index)) continue;
      if (peer.revealed.has(index)) outstanding += 1;
      else hidden.push(index);
    }
    const rate = typeof wire.uploadSpeed === "function" ? wire.uploadSpeed() : 0;
    const bytes = Math.max(SUPER_SEED.minBytes, (rate * SUPER_SEED.aheadMs) / 1000);
    const room = Math.ceil(bytes / torrent.pieceLength) - outstanding;
    if (room <= 0 || !hidden.length) return [];
    const fresh = hidden.filter((index) => !holders[index] && !pending[index]);
    if (fresh.length) return fresh.slice(0, room);
    const rarest = () => hidden.sort((x, y) => holders[x] - holders[y] || x - y).slice(0, room);
    if (peer.fed) return rarest();
    if (outstanding > 0) return []; // busy with pieces from us
    const idle = now - peer.lastPiece;
    if (idle >= SUPER_SEED.starveMs) {
      peer.fed = true; // fed like a lone receiver until it completes a piece from someone else
      return rarest();
    }
    peer.timer = setTimeout(update, SUPER_SEED.starveMs - idle);
    return [];
  };

  torrent.on("wire", (wire) => {
    const peer = { open: false, revealed: new Set(), lastPiece: Date.now(), fed: false, timer: null };
    peers.set(wire, peer);
    // WebTorrent opens every wire with have-all (fast extension) or its full bitfield once the
    // torrent is ready: send a bitfield of the first pieces shown instead.
    const sendBitfield = wire.bitfield.bind(wire);
    const open = () => {
      if (peer.open) return;
      peer.lastPiece = Date.now();
      const { holders, pending } = census();
      const bits = new Uint8Array(Math.ceil(torrent.pieces.length / 8));
      for (const index of choose(wire, peer, holders, pending, peer.lastPiece)) {
        show(wire, peer, index);
        bits[index >> 3] |= 0x80 >> (index & 7);
      }
      peer.open = true;
      sendBitfield(bits);
    };
    wire.haveAll = open;
    wire.bitfield = open;
    wire.on("have", (index) => {
      peer.lastPiece = Date.now();
      if (!peer.revealed.has(index)) peer.fed = false; // it came from someone else
      update();
    });
    wire.on("bitfield", update);
    wire.on("have-all", update);
    wire.once("close", () => {
      clearTimeout(peer.timer);
      peers.delete(wire);
      update(); // what it was shown and did not complete can go to the others
    });
  });
  torrent.once("close", () => {
    for (const peer of peers.values()) clearTimeout(peer.timer);
    peers.clear();
  });
}

// ---------------------------------------------------------------- requesting

/**
 * WebTorrent's Torrent._update() runs _updateWireWrapper(), which tops up every wire's block
 * requests, from requestIdleCallback with a 250 ms timeout; it is called after every block,
 * `have`, unchoke and bitfield. In a page with no idle period each request round then waits
 * the full 250 ms: measured, a 1 MiB fetch in the app took 1.5 s instead of 0.3 s, its first
 * request leaving 250 ms after the unchoke. Here the calls made in one task share one run in
 * the next task (setTimeout 0), idle or not. Internals again: test_torrent_adapter checks them.
 */
function promptRequests(torrent) {
  if (typeof torrent._update !== "function" || typeof torrent._updateWireWrapper !== "function") {
    throw new Error("WebTorrent changed: Torrent._update/_updateWireWrapper are gone.");
  }
  let queued = false;
  torrent._update = () => {
    if (queued || torrent.destroyed) return;
    queued = true;
    setTimeout(() => {
      queued = false;
      if (!torrent.destroyed) torrent._updateWireWrapper();
    }, 0);
  };
}

/**
 * Every block request and piece message is a data channel message, and each costs both
 * browsers CPU whatever its size. Asking for 64 KiB blocks instead of 16 KiB, a raw WebTorrent
 * receiver of 10 MiB used 850 ms of CPU instead of 1,065 and its sharer 720 instead of 935,
 * and took 0.84x as long (paired, 14 runs); 32 KiB blocks gained less, 128 KiB less again.
 * The block size is a constant of WebTorrent's Piece class (torrent-piece), which every torrent
 * in the page shares: its static BLOCK_LENGTH, which WebTorrent's request pipelining and
 * hotswapping read, is raised and the methods that use the constant are redone with it, once,
 * at the first fetch's metadata, before any piece in the page has a block requested. A Piece
 * made before then gets its block count when it first takes a request (init). Speed only: if
 * the class is not as expected, nothing is changed (test_torrent_adapter checks the sizes).
 * Exported for the benchmark's raw WebTorrent page, which measures with and without it.
 */
export function widenBlocks(torrent) {
  const Piece = torrent.pieces?.find(Boolean)?.constructor;
  if (!Piece || Piece[WIDENED]) return;
  const proto = Piece.prototype;
  const methods = ["init", "chunkLength", "chunkLengthRemaining", "chunkOffset", "set", "reserve"];
  Piece[WIDENED] = true;
  if (Piece.BLOCK_LENGTH !== 16384 || !methods.every((name) => typeof proto[name] === "function")) {
    return;
  }
  Piece.BLOCK_LENGTH = BLOCK_LENGTH;
  proto.init = function () {
    if (this._flushed) return false;
    if (!this._buffer) {
      this._chunks = Math.ceil(this.length / BLOCK_LENGTH);
      this._remainder = this.length % BLOCK_LENGTH || BLOCK_LENGTH;
      this._buffer = new Array(this._chunks);
      this._cancellations = [];
      this.sources = [];
    }
    return true;
  };
  proto.chunkLength = function (i) {
    return i === this._chunks - 1 ? this._remainder : BLOCK_LENGTH;
  };
  proto.chunkLengthRemaining = function (i) {
    return this.length - i * BLOCK_LENGTH;
  };
  proto.chunkOffset = function (i) {
    return i * BLOCK_LENGTH;
  };
  proto.set = function (i, chunk, wire) {
    if (!this.init()) return false;
    for (let at = 0; at < chunk.length; at += BLOCK_LENGTH, i++) {
      if (this._buffer[i]) continue;
      const block = chunk.subarray(at, at + BLOCK_LENGTH);
      this._buffered += 1;
      this._buffer[i] = block;
      this.missing -= block.length;
      if (!this.sources.includes(wire)) this.sources.push(wire);
    }
    return this._buffered === this._chunks;
  };
}

// ---------------------------------------------------------------- closed connections

let iceTimerReleased = false;

/**
 * Two complete copies have nothing to trade, yet WebTorrent keeps their connection open for as
 * long as both pages are (libtorrent closes such connections). Kept, each one cost ~1 ms of CPU
 * a second on each side (measured: a page holding 10 received memos used 15-16 ms a second
 * idle with them open, 5-6 with them closed) and counted towards Chromium's 500
 * RTCPeerConnections a page.
 * Once this torrent is complete and so is every peer it is connected to, its wires close:
 * at once in a sharer's page, and after `lingerMs` of that in a receiver's. A super-seeding
 * sharer counts the complete receivers it still sees as holders, and shows other receivers
 * what nobody holds; a receiver cannot tell the sharer from a peer, so it waits: the sharer,
 * which knows whether someone still lacks pieces, lets go first.
 */
function closeWhenAllComplete(torrent, lingerMs = 0) {
  let queued = false;
  let timer = null;
  // Not wire.isSeeder: WebTorrent 3's check skips an empty bitfield, so a new wire whose
  // bitfield has not come yet counts as a seeder there.
  const complete = (wire) => {
    for (let index = 0; index < torrent.pieces.length; index++) {
      if (!wire.peerPieces.get(index)) return false;
    }
    return true;
  };
  const quiet = () => !torrent.destroyed && torrent.done && torrent.wires.length > 0
    && torrent.wires.every(complete);
  const check = () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => { // after WebTorrent's own handlers of the same message
      queued = false;
      if (!quiet()) {
        clearTimeout(timer);
        timer = null;
      } else {
        timer ??= setTimeout(() => {
          timer = null;
          if (quiet()) for (const wire of [...torrent.wires]) wire.destroy();
        }, lingerMs);
      }
    });
  };
  torrent.on("wire", (wire) => {
    for (const message of ["bitfield", "have", "have-all"]) wire.on(message, check);
    wire.once("close", check);
  });
  torrent.on("done", check);
  torrent.once("close", () => clearTimeout(timer));
}

/**
 * simple-peer, WebTorrent's WebRTC connection, restarts a timer (iceCompleteTimeout, 5 s) at
 * each ICE candidate, and when destroyed clears its intervals but not that timer: until it
 * fires, the closed connection and the wire piped through it (~10-20 KB a peer, measured in
 * heap snapshots: the retainer path runs DOMTimer -> closure -> connection) stay in memory.
 * Its _destroy, on the class's prototype, is wrapped once, at the first connection seen, to
 * clear the timer too. Memory only: when simple-peer changes, nothing is wrapped.
 */
function releaseClosedPeers(torrent) {
  if (iceTimerReleased) return;
  const onPeer = (conn) => {
    const proto = conn && typeof conn === "object" ? Object.getPrototypeOf(conn) : null;
    if (iceTimerReleased || typeof proto?._destroy !== "function") return;
    if (!("_iceCompleteTimer" in conn)) return;
    iceTimerReleased = true;
    const destroy = proto._destroy;
    // _destroy(done, error) tears down in a later task; a candidate may come before that.
    proto._destroy = function (done, ...rest) {
      const release = () => {
        clearTimeout(this._iceCompleteTimer);
        this._iceCompleteTimer = null;
      };
      release();
      const finish = typeof done === "function" ? (...a) => (release(), done(...a)) : done;
      return destroy.call(this, finish, ...rest);
    };
  };
  torrent.on("peer", onPeer);
}

// ---------------------------------------------------------------- storage

function storeFactory(entry, blob = null) {
  // WebTorrent calls `new store(pieceLength, {length, ...})`; returning an object from a
  // constructor function makes `new` yield it, so the entry keeps a handle on its store.
  return function Store(chunkLength, { length }) {
    entry.store = new PieceStore(chunkLength, { length, blob });
    return entry.store;
  };
}

/**
 * An abstract-chunk-store that holds pieces in memory while downloading and, once sealed (or
 * from the start, when given a Blob), serves them read-only from a Blob.
 */
class PieceStore {
  constructor(chunkLength, { length = 0, blob = null } = {}) {
    this.chunkLength = chunkLength;
    this.length = blob ? blob.size : length;
    this.blob = blob;
    this.pieces = blob ? null : [];
    this.reads = new Map(); // index -> Promise<Uint8Array>, the few pieces last read from the Blob
    this.closed = false;
  }

  put(index, buf, cb = noop) {
    if (this.closed || !this.pieces) {
      return queueMicrotask(() => cb(new Error("Store is read-only")));
    }
    this.pieces[index] = buf;
    queueMicrotask(() => cb(null));
  }

  get(index, opts, cb) {
    if (typeof opts === "function") return this.get(index, null, opts);
    const { offset = 0, length } = opts ?? {};
    this.piece(index).then((piece) => {
      const end = length == null ? piece.length : offset + length;
      cb(null, offset === 0 && end === piece.length ? piece : piece.subarray(offset, end));
    }, (error) => cb(error));
  }

  piece(index) {
    if (this.closed) return Promise.reject(new Error("Store is closed"));
    if (this.pieces) {
      const piece = this.pieces[index];
      if (piece) return Promise.resolve(piece);
      return Promise.reject(Object.assign(new Error("Chunk not found"), { notFound: true }));
    }
    const cached = this.reads.get(index);
    if (cached) {
      this.reads.delete(index); // re-insert: most recent last
      this.reads.set(index, cached);
      return cached;
    }
    if (!(this.blob instanceof Blob)) {
      const made = this.blob.read(index); // a piece source makes the piece itself
      this.remember(index, made);
      return made;
    }
    // Blob.slice costs ~1 ms of the main thread (measured, a 10 MiB ciphertext of 41 parts)
    // and a receiver asks for the next pieces right after this one: one slice reads
    // READ_SPAN pieces (those not read yet), each then served from memory.
    const count = Math.ceil(this.length / this.chunkLength);
    let end = index + 1;
    while (end < Math.min(count, index + READ_SPAN) && !this.reads.has(end)) end += 1;
    const span = this.blob.slice(index * this.chunkLength, end * this.chunkLength).arrayBuffer();
    for (let i = end - 1; i >= index; i--) {
      const at = (i - index) * this.chunkLength;
      const length = (buffer) => Math.min(this.chunkLength, buffer.byteLength - at);
      this.remember(i, span.then((buffer) => new Uint8Array(buffer, at, length(buffer))));
    }
    return this.reads.get(index);
  }

  forgetReads() {
    this.reads.clear();
  }

  remember(index, read) {
    read.catch(() => { if (this.reads.get(index) === read) this.reads.delete(index); });
    this.reads.set(index, read);
    if (this.reads.size > STORE_CACHE) this.reads.delete(this.reads.keys().next().value);
  }

  /**
   * All pieces as one Blob, which this store then reads from instead of its own copies. Made
   * once, at the end: a Blob per piece as it arrived saved ~7 ms after a 10 MiB download but
   * cost ~100 ms of the page's main thread during it (CPU profile).
   */
  seal(type) {
    this.blob = new Blob(this.pieces, { type });
    this.pieces = null;
    return this.blob;
  }

  close(cb = noop) {
    this.closed = true;
    this.pieces = null;
    this.blob = null;
    this.reads.clear();
    queueMicrotask(() => cb(null));
  }

  destroy(cb = noop) {
    this.close(cb);
  }
}

function noop() {}

// ---------------------------------------------------------------- torrent files

function asBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("A torrent file must be a Uint8Array.");
}

/**
 * The torrent file minus its tracker lists, so a re-seed announces only to the trackers
 * configured now. The info dictionary is kept byte for byte: the infohash cannot change.
 */
function withoutTrackers(file) {
  const bytes = asBytes(file);
  if (bytes[0] !== 0x64) throw new Error("Not a torrent file");
  const keep = [bytes.subarray(0, 1)];
  let i = 1;
  while (bytes[i] !== 0x65) {
    const keyEnd = skipValue(bytes, i);
    const valueEnd = skipValue(bytes, keyEnd);
    const key = new TextDecoder().decode(bytes.subarray(i, keyEnd));
    if (key !== "8:announce" && key !== "13:announce-list") keep.push(bytes.subarray(i, valueEnd));
    i = valueEnd;
  }
  keep.push(bytes.subarray(i, i + 1));
  const out = new Uint8Array(keep.reduce((n, part) => n + part.length, 0));
  keep.reduce((at, part) => (out.set(part, at), at + part.length), 0);
  return out;
}

/** Offset just past the bencoded value that starts at `i`. */
function skipValue(bytes, i) {
  const fail = () => { throw new Error("Malformed torrent file"); };
  if (i >= bytes.length) fail();
  const c = bytes[i];
  if (c === 0x69) { // i<digits>e
    const end = bytes.indexOf(0x65, i);
    return end < 0 ? fail() : end + 1;
  }
  if (c === 0x6c || c === 0x64) { // l...e, d...e
    i += 1;
    while (bytes[i] !== 0x65) i = skipValue(bytes, i);
    return i + 1;
  }
  const colon = bytes.indexOf(0x3a, i); // <length>:<bytes>
  if (colon <= i) fail();
  const size = Number(new TextDecoder().decode(bytes.subarray(i, colon)));
  if (!Number.isInteger(size) || size < 0 || colon + 1 + size > bytes.length) fail();
  return colon + 1 + size;
}

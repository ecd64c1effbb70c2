// MediaRecorder adapter: negotiates a format, hands out ~1 s chunks as they arrive, reports an
// input level, and holds a Web Lock for the session so another tab never "recovers" a
// recording that is still in progress.

export const PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/mp4", "audio/ogg;codecs=opus", "audio/webm"];
export const CHUNK_MS = 1000;
const LEVEL_MS = 100;
const LOCK_PREFIX = "seedvox-recording-";

export function supportedType() {
  if (typeof MediaRecorder === "undefined") return null;
  return PREFERRED_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) ?? "";
}

export function lockName(session) {
  return LOCK_PREFIX + session;
}

/** Sessions whose recording is still running in some tab of this browser. */
export async function activeSessions() {
  if (!navigator.locks) return [];
  const { held = [] } = await navigator.locks.query();
  return held.map((lock) => lock.name).filter((n) => n.startsWith(LOCK_PREFIX)).map((n) => n.slice(LOCK_PREFIX.length));
}

/**
 * Start recording. `onChunk(blob, seq, atMs)` gets each chunk; `onLevel(0..1)` ten times a second.
 * Resolves to a handle {mimeType, startedAt, stop(): Promise<durationSeconds>, cancel()}.
 */
export async function start(session, onChunk, onLevel) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const mimeType = supportedType();
  let recorder;
  try {
    recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
  } catch (error) {
    stream.getTracks().forEach((t) => t.stop());
    throw error;
  }
  const meter = levelMeter(stream, onLevel);
  let seq = 0;
  let startedAt = 0;
  let stoppedAt = 0;
  let releaseLock;
  const lockHeld = new Promise((resolve) => { releaseLock = resolve; });
  if (navigator.locks) navigator.locks.request(lockName(session), () => lockHeld);

  recorder.ondataavailable = (event) => {
    if (event.data && event.data.size) onChunk(event.data, seq++, performance.now() - startedAt);
  };
  const stopped = new Promise((resolve, reject) => {
    recorder.onstop = () => {
      stoppedAt = performance.now();
      meter.close();
      stream.getTracks().forEach((t) => t.stop());
      releaseLock();
      resolve((stoppedAt - startedAt) / 1000);
    };
    recorder.onerror = (event) => reject(event.error || new Error("Recording failed"));
  });
  await new Promise((resolve, reject) => {
    recorder.onstart = () => { startedAt = performance.now(); resolve(); };
    try { recorder.start(CHUNK_MS); } catch (error) { reject(error); }
  });

  return {
    mimeType: recorder.mimeType || mimeType || "audio/webm",
    elapsed: () => (performance.now() - startedAt) / 1000,
    stop() {
      if (recorder.state !== "inactive") recorder.stop();
      return stopped;
    },
  };
}

function levelMeter(stream, onLevel) {
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    // RMS scaled so speech sits mid-range.
    onLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4));
  }, LEVEL_MS);
  return {
    close() {
      clearInterval(timer);
      context.close();
    },
  };
}

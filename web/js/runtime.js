// Starts the slow parts of boot the moment the page runs, instead of when PyScript gets to
// them: Pyodide (download, compile, interpreter start) and the app's database. PyScript's
// `interpreter` setting points at this module, so its loadPyodide() is handed the runtime
// that is already on its way; PyScript still runs every Python file as before.
import { loadPyodide as load, version } from "../vendor/pyodide/pyodide.mjs";
import { open } from "./store.js";

export { version };

// Python's output goes to PyScript's handlers once PyScript asks; the console until then.
const output = { stdout: (line) => console.log(line), stderr: (line) => console.error(line) };
const started = load({
  indexURL: new URL("../vendor/pyodide/", import.meta.url).href,
  stdout: (line) => output.stdout(line),
  stderr: (line) => output.stderr(line),
});
// A failure is PyScript's to report when it asks (and js/boot.js explains it); catching here
// only keeps it from surfacing twice, as an unhandled rejection first.
started.catch(() => {});
// Creating the database on a first visit costs disk work that can overlap the runtime's.
open().catch(() => {});

/** PyScript's call: route Python's output to its handlers and hand over the runtime. */
export async function loadPyodide({ stdout, stderr } = {}) {
  if (stdout) output.stdout = stdout;
  if (stderr) output.stderr = stderr;
  return started;
}

// The real bittorrent-tracker as a WebSocket-only tracker on loopback, for tests and
// `python build.py serve`. Only `bittorrent-tracker/server` is imported: the package's CLI
// pulls in a native WebRTC addon that cannot be installed here.
//
//   node tracker.mjs --host 127.0.0.1 --port 8000 [--interval-ms 10000]
import { parseArgs } from "node:util";
import Server from "bittorrent-tracker/server";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8000" },
    "interval-ms": { type: "string", default: "120000" },
  },
});

const server = new Server({
  http: false,
  udp: false,
  ws: true,
  stats: false,
  interval: Number(values["interval-ms"]),
});
server.on("error", (error) => {
  console.error(`tracker error: ${error.message}`);
});
server.on("warning", (error) => {
  console.error(`tracker warning: ${error.message}`);
});
server.listen(Number(values.port), values.host, () => {
  console.log(`tracker listening on ws://${values.host}:${values.port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

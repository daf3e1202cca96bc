/**
 * A stand-in OpenClaw gateway for the gateway-control unit tests: `node fake-gateway.js PORT`
 * serves /readyz on 127.0.0.1 — 503 with a failing check for its first second, then 200 — so a
 * test sees the "started but not ready yet" phase the real gateway has.
 */
export const STAND_IN_GATEWAY = `
const http = require('node:http');
const started = Date.now();
http.createServer((req, res) => {
  const up = Date.now() - started;
  const ready = up > 1000;
  res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ready, failing: ready ? [] : ['channels'], uptimeMs: up }));
}).listen(Number(process.argv[2]), '127.0.0.1');
`;

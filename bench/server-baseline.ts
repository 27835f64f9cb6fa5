/**
 * The raw baseline: a WebSocket server written with `ws` alone, configured like the gateway's
 * (no permessage-deflate, no client tracking, same max payload), doing the least a server can:
 *
 * - every binary frame is echoed back as it is (the round-trip baseline);
 * - `POST /broadcast` carries up to four pre-encoded frames (one per (codec, gzip) variant, as the
 *   gateway would encode them); each connection gets its variant's bytes with one `ws.send` per
 *   connection per message (the per-message broadcast baseline);
 * - `POST /broadcast?coalesce=1` is the same broadcast allowed the gateway's coalescing: the
 *   broadcasts that arrive in one loop iteration (the pushes in flight) are sent together, each
 *   connection's socket corked around its frames so that they leave in one `writev` (the
 *   coalescing baseline).
 *
 * A connection's variant comes from the same handshake query the gateway reads (`sdkType`,
 * `compression`), so both servers send identical bytes to identical clients.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { writeHeapSnapshot } from 'node:v8';
import { serveIpc } from './lib/ipc.js';
import { procStats } from './lib/server-stats.js';

const VARIANT = Symbol('variant');
type VWebSocket = WebSocket & { [VARIANT]?: number };

const conns = new Set<VWebSocket>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 51_200, clientTracking: false });
const http = createServer(onRequest);
// The load keeps its broadcast connection alive across runs; Node's 5 s default would race it.
http.keepAliveTimeout = 600_000;
http.headersTimeout = 601_000;
http.on('upgrade', onUpgrade);

function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', ignore);
  const q = new URL(req.url ?? '/', 'http://baseline').searchParams;
  const variant = (q.get('sdkType') === 'js' ? 2 : 0) + ((q.get('compression') ?? req.headers['compression']) === 'gzip' ? 1 : 0);
  wss.handleUpgrade(req, socket, head, (ws) => {
    const v = ws as VWebSocket;
    v[VARIANT] = variant;
    conns.add(v);
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', ignore);
  });
}

function onMessage(this: VWebSocket, data: RawData, isBinary: boolean): void {
  this.send(data as Buffer, { binary: isBinary });
}

function onClose(this: VWebSocket): void {
  conns.delete(this);
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  const coalesce = req.url === '/broadcast?coalesce=1';
  if (req.method !== 'POST' || (req.url !== '/broadcast' && !coalesce)) {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const frames = splitFrames(Buffer.concat(chunks));
    if (coalesce) {
      pending.push({ frames, res });
      if (pending.length === 1) setImmediate(flushCoalesced);
      return;
    }
    let sent = 0;
    for (const ws of conns) {
      const f = frames[ws[VARIANT] ?? 0];
      if (!f) continue;
      ws.send(f, { binary: true });
      sent++;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(`{"sent":${sent}}`);
  });
}

/** Coalesced broadcasts waiting for the end of this loop iteration. */
let pending: { frames: (Buffer | undefined)[]; res: ServerResponse }[] = [];

function flushCoalesced(): void {
  const batch = pending;
  pending = [];
  const sent = batch.map(() => 0);
  for (const ws of conns) {
    const socket = (ws as unknown as { _socket: Duplex })._socket;
    const v = ws[VARIANT] ?? 0;
    socket.cork();
    for (let i = 0; i < batch.length; i++) {
      const f = batch[i]!.frames[v];
      if (!f) continue;
      ws.send(f, { binary: true });
      sent[i]!++;
    }
    socket.uncork();
  }
  batch.forEach((b, i) => b.res.writeHead(200, { 'Content-Type': 'application/json' }).end(`{"sent":${sent[i]}}`));
}

/** Body layout: four (u32 big-endian length, bytes) records, one per variant 0..3; length 0 = none. */
function splitFrames(body: Buffer): (Buffer | undefined)[] {
  const out: (Buffer | undefined)[] = [];
  let off = 0;
  for (let v = 0; v < 4 && off + 4 <= body.length; v++) {
    const n = body.readUInt32BE(off);
    off += 4;
    out.push(n > 0 ? body.subarray(off, off + n) : undefined);
    off += n;
  }
  return out;
}

function ignore(): void {}

serveIpc({
  // Diagnostic: where per-connection memory goes (not used by run.ts).
  heapSnapshot: (arg) => writeHeapSnapshot((arg as { file: string }).file),
  start: async () => {
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { ws: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, http: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
  },
  stats: async (arg) => {
    let queuedBytes = 0;
    for (const ws of conns) queuedBytes += ws.bufferedAmount;
    return { ...(await procStats(conns.size, (arg as { gc?: boolean } | null)?.gc === true)), queuedBytes };
  },
  stop: () => {
    for (const ws of conns) ws.terminate();
    http.close();
    setImmediate(() => process.exit(0));
    return true;
  },
});

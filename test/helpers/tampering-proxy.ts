import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { codecFor, parseSdkType } from '../../src/protocol/codecs.js';
import { gunzipFrame } from '../../src/protocol/gzip.js';

/**
 * A WebSocket proxy between the sim's clients and a real gateway that tampers with the 2001
 * pushes of one user's connection: drops its 2nd, sends its 4th twice, and swaps its 6th and
 * 7th. Everything else passes through untouched.
 */
export class TamperingProxy {
  readonly wss: WebSocketServer;
  readonly tampered = { dropped: 0, duplicated: 0, swapped: 0 };

  constructor(
    private readonly upstream: string,
    private readonly victim: string,
  ) {
    this.wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    this.wss.on('connection', (client, req) => this.bridge(client, req));
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/`;
  }

  private bridge(client: WebSocket, req: IncomingMessage): void {
    const q = new URL(req.url ?? '/', 'ws://x').searchParams;
    const gzip = q.get('compression') === 'gzip';
    const codec = codecFor(parseSdkType(q.get('sdkType') ?? '') ?? 'go', 'sdk');
    const isVictim = q.get('sendID') === this.victim;
    const up = new WebSocket(this.upstream.replace(/\/$/, '') + (req.url ?? '/'), { perMessageDeflate: false });
    const early: [RawData, boolean][] = [];
    client.on('message', (data, isBinary) => (up.readyState === WebSocket.OPEN ? up.send(data, { binary: isBinary }) : early.push([data, isBinary])));
    up.on('open', () => {
      for (const [d, b] of early.splice(0)) up.send(d, { binary: b });
    });
    let pushes = 0;
    let held: RawData | undefined;
    up.on('message', (data, isBinary) => {
      if (!isBinary || !isVictim || codec.decodeResp(gzip ? gunzipFrame(data as Buffer) : (data as Buffer)).reqIdentifier !== 2001) {
        client.send(data, { binary: isBinary });
        return;
      }
      pushes++;
      if (pushes === 2) {
        this.tampered.dropped++;
        return;
      }
      if (pushes === 4) {
        this.tampered.duplicated++;
        client.send(data, { binary: true });
      }
      if (pushes === 6) {
        held = data;
        return;
      }
      client.send(data, { binary: true });
      if (pushes === 7 && held !== undefined) {
        this.tampered.swapped++;
        client.send(held, { binary: true });
        held = undefined;
      }
    });
    const closeBoth = (): void => {
      if (client.readyState === WebSocket.OPEN) client.close();
      if (up.readyState === WebSocket.OPEN || up.readyState === WebSocket.CONNECTING) up.terminate();
    };
    client.on('close', closeBoth);
    up.on('close', closeBoth);
    client.on('error', closeBoth);
    up.on('error', closeBoth);
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

/** A started {@link TamperingProxy} in front of `upstream`. */
export async function startTamperingProxy(upstream: string, victim: string): Promise<TamperingProxy> {
  const proxy = new TamperingProxy(upstream, victim);
  await new Promise<void>((r) => proxy.wss.once('listening', () => r()));
  return proxy;
}

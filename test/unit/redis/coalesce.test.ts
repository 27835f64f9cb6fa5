import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from '../../../src/redis/coalesce.js';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A loopback server that records what it receives; resolves with a connected, coalesced client. */
async function pair(): Promise<{ client: Socket; received: () => string }> {
  let got = '';
  server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => (got += d.toString('latin1')));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  sockets.push(client);
  await new Promise<void>((r) => client.once('connect', r));
  coalesceWrites(client);
  return { client, received: () => got };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('coalesceWrites', () => {
  it('holds the writes of one loop iteration and sends them, in order, at its end', async () => {
    const { client, received } = await pair();
    client.write('*1\r\n$4\r\nPING\r\n');
    client.write(Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'));
    expect(client.writableCorked).toBe(1);
    await turn();
    expect(client.writableCorked).toBe(0);
    const t0 = Date.now();
    while (received().length < 37 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 5));
    expect(received()).toBe('*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
  });

  it('corks once per iteration, again in the next one, and wraps a socket only once', async () => {
    const { client } = await pair();
    coalesceWrites(client);
    client.write('a');
    client.write('b');
    expect(client.writableCorked).toBe(1);
    await turn();
    client.write('c');
    expect(client.writableCorked).toBe(1);
    await turn();
    expect(client.writableCorked).toBe(0);
  });

  it('leaves a missing socket alone', () => {
    expect(() => coalesceWrites(undefined)).not.toThrow();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pb } from '../../src/protocol/pb.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, connectRaw, eventually, startNode } from '../helpers/gateway.js';

/** Reads one sample value from Prometheus text exposition. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[2] ?? '').slice(1, -1).split(/,(?=[a-zA-Z_]+=)/).filter(Boolean)) {
      const i = kv.indexOf('=');
      got[kv.slice(0, i)] = JSON.parse(kv.slice(i + 1));
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics of a live node after traffic', () => {
  let node: Harness;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(async () => {
    await node.close();
  });

  it('exposes online users, connections, frames, rpc_count, push results and handshake failures', async () => {
    const a = await connectOk(node, { user: 'ma', platform: 1 });
    const b = await connectOk(node, { user: 'mb', platform: 5 });
    const b2 = await connectOk(node, { user: 'mb', platform: 3 });
    await connectRaw(node, { user: 'bad', platform: 5, token: 'garbage' });
    await a.request(1003, pb.sdkws.MsgData.encode({ sendID: 'ma', recvID: 'mb', sessionType: 1, contentType: 101, content: Buffer.from('{}') }));
    await b.waitFor((f) => f.reqIdentifier === 2001);
    await b2.waitFor((f) => f.reqIdentifier === 2001);
    const scrape = async () => (await fetch(`http://${node.addresses.metrics}/metrics`)).text();
    let text = await scrape();
    expect(sample(text, 'online_user_num')).toBe(2);
    expect(sample(text, 'msggw_connections')).toBe(3);
    expect(sample(text, 'msggw_frames_in_total', { req_identifier: '1003' })).toBe(1);
    expect(sample(text, 'msggw_frames_out_total')).toBeGreaterThanOrEqual(4);
    expect(sample(text, 'msggw_push_results_total', { code: '0' })).toBe(3);
    expect(sample(text, 'msggw_handshake_failures_total', { code: '1503' })).toBe(1);
    expect(sample(text, 'rpc_count', { path: '/openim.msg.msg/SendMsg', code: '0' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'rpc_count', { path: '/openim.msggateway.msgGateway/SuperGroupOnlineBatchPushOneMsg', code: '0' })).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_cpu_seconds_total');
    b2.close();
    await eventually(async () => sample((text = await scrape()), 'msggw_connections') === 2, 3000, 'gauge drop');
    expect(sample(text, 'msggw_disconnects_total', { reason: 'peer closed' })).toBe(1);
    a.close();
    b.close();
  });
});

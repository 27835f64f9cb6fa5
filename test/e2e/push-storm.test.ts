/**
 * A push storm past the hub's concurrency bound over real gRPC, with real WebSocket clients:
 * nothing may be lost silently. Every push either reaches every online user it names, or the
 * users it did not reach are answered 1603 and the push is counted in msggw_push_drops_total
 * and announced as a `push-dropped` event on the admin stream. A push the caller got no answer
 * for (its own deadline fired first) must still be either delivered in full or counted.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminMessage } from '../../src/admin/schema.js';
import { CodeError } from '../../src/protocol/errors.js';
import { pb } from '../../src/protocol/pb.js';
import type { msggateway } from '../../src/protocol/pb-types.js';
import { createClient, type RpcClient } from '../../src/rpc/grpc-client.js';
import { msgGatewayService, type MsgGatewayMethods } from '../../src/rpc/services.js';
import { eventLine } from '../../simulators/tui/event-line.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, eventually, startNode, type RawClient } from '../helpers/gateway.js';

const TOKEN = 'storm-admin-token';
const ONLINE = 12;
/** Offline IDs per push: enough slices (256 users each) that a push keeps its slot across loop turns. */
const FILLER = 1500;
const PUSHES = 40;
const ANDROID = 2;

/** Sum of a counter's samples over its labels, or of those with `reason`. */
function counterSum(text: string, name: string, reason?: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (reason && !(m[2] ?? '').includes(`reason="${reason}"`)) continue;
    n += Number(m[3]);
  }
  return n;
}

/** Seqs of the 2001 pushes a client received. */
function seqsOf(c: RawClient): Set<number> {
  const out = new Set<number>();
  for (const f of c.frames) {
    if (f.reqIdentifier !== 2001 || !f.data) continue;
    for (const pulled of Object.values(pb.sdkws.PushMessages.decode(f.data).msgs)) for (const m of pulled.Msgs) out.add(m.seq);
  }
  return out;
}

describe('push storm past the concurrency bound (real gRPC, real sockets)', () => {
  let node: Harness;
  let hub: RpcClient<MsgGatewayMethods>;
  let admin: WebSocket;
  const adminMsgs: AdminMessage[] = [];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    node = await startNode({ pushQueue: { concurrency: 2, queued: 4 }, admin: { enable: true, port: 0, token: TOKEN } });
    hub = createClient(msgGatewayService, node.addresses.hub!);
    admin = new WebSocket(`ws://${node.addresses.admin}/?token=${TOKEN}`);
    admin.on('message', (d) => adminMsgs.push(JSON.parse(d.toString()) as AdminMessage));
    await new Promise<void>((resolve, reject) => {
      admin.once('open', () => resolve());
      admin.once('error', reject);
    });
    for (let i = 0; i < ONLINE; i++) clients.push(await connectOk(node, { user: `storm${i}`, platform: ANDROID }));
    await eventually(() => adminMsgs.some((m) => m.type === 'snapshot' && m.done), 5000, 'admin snapshot');
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    admin?.terminate();
    hub?.close();
    await node?.close();
  });

  it('every push is delivered to every online user, or its undelivered users are answered 1603, counted and announced', async () => {
    const online = clients.map((_, i) => `storm${i}`);
    const filler = Array.from({ length: FILLER }, (_, i) => `storm-offline-${i}`);
    const ctx = { operationID: 'op-storm', opUserID: 'imAdmin' };
    // Half the pushes give the hub little time: they may run out of it in the queue, or even in transit.
    const calls = Array.from({ length: PUSHES }, (_, k) => {
      const seq = k + 1;
      const pushToUserIDs = k % 2 === 0 ? [...online, ...filler] : [...filler, ...online];
      const msgData = { sendID: 'storm-sender', groupID: 'gstorm', sessionType: 3, contentType: 101, seq, content: Buffer.from(`{"n":${seq}}`) };
      return hub
        .SuperGroupOnlineBatchPushOneMsg({ msgData, pushToUserIDs }, ctx, { timeoutMs: k % 2 === 0 ? 10_000 : 1500 })
        .then((r) => ({ seq, results: r.singlePushResult as msggateway.SingleMsgToUserResults[] | undefined, error: undefined }))
        .catch((e: unknown) => ({ seq, results: undefined, error: e }));
    });
    const outcomes = await Promise.all(calls);

    // Whatever was reported delivered arrives; give the sockets a moment for the rest too.
    await new Promise((r) => setTimeout(r, 300));
    const scrape = await (await fetch(`http://${node.addresses.metrics}/metrics`)).text();
    await eventually(() => adminMsgs.filter((m) => m.type === 'push-dropped').length >= counterSum(scrape, 'msggw_push_drops_total'), 5000, 'drop events');
    const dropEvents = adminMsgs.filter((m): m is Extract<AdminMessage, { type: 'push-dropped' }> => m.type === 'push-dropped');
    const droppedSeqs = new Set(dropEvents.map((e) => e.msg!.seq));
    const received = clients.map(seqsOf);

    let answered = 0;
    let delivered = 0;
    for (const { seq, results, error } of outcomes) {
      const got = received.map((s) => s.has(seq));
      if (!results) {
        // The caller's own deadline fired first (grpc-js refuses a call that arrives after its
        // deadline, before any handler runs): the caller got an error, never an empty success,
        // and what the hub did with it is all or nothing, or counted.
        expect(CodeError.is(error, GrpcStatus.DEADLINE_EXCEEDED), `push ${seq}: ${String(error)}`).toBe(true);
        expect(got.every(Boolean) || !got.some(Boolean) || droppedSeqs.has(seq), `push ${seq}: unanswered, partly delivered, not counted`).toBe(true);
        continue;
      }
      answered++;
      expect(results).toHaveLength(ONLINE + FILLER);
      const byUser = new Map(results.map((r) => [r.userID, r]));
      let undelivered = 0;
      online.forEach((userID, i) => {
        const r = byUser.get(userID)!;
        expect(r.resp, `push ${seq} to ${userID}`).toHaveLength(1);
        const code = r.resp[0]!.ResultCode;
        // Honest both ways: 0 means the frame arrived, 1603 means it never did.
        if (code === 0) {
          expect(got[i], `push ${seq}: ${userID} reported delivered`).toBe(true);
          expect(r.onlinePush).toBe(true);
          delivered++;
        } else {
          expect(code).toBe(1603);
          expect(got[i], `push ${seq}: ${userID} reported 1603 yet got the frame`).toBe(false);
          undelivered++;
        }
      });
      if (undelivered > 0) expect(droppedSeqs.has(seq), `push ${seq} answered 1603 but not counted`).toBe(true);
      else expect(droppedSeqs.has(seq)).toBe(false);
    }
    // Past the bound (2 delivering + 4 waiting) some pushes were refused, and some got through.
    expect(dropEvents.length).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(0);
    expect(answered).toBeGreaterThanOrEqual(PUSHES / 2);
    expect(counterSum(scrape, 'msggw_push_drops_total', 'queue_full')).toBeGreaterThan(0);
    // One event per counted drop, one counted drop per push at most.
    expect(dropEvents).toHaveLength(counterSum(scrape, 'msggw_push_drops_total'));
    expect(droppedSeqs.size).toBe(dropEvents.length);
    for (const e of dropEvents) {
      expect(['queue_full', 'deadline']).toContain(e.reason);
      expect(e.userIDs).toBe(ONLINE + FILLER);
      expect(e.undeliveredConns).toBeLessThanOrEqual(ONLINE);
    }
    // The TUI's event pane shows each as a red push-drop line.
    const line = eventLine(dropEvents.find((e) => e.reason === 'queue_full')!);
    expect(line).toMatchObject({ kind: 'push-drop', color: 'red' });
    expect(line.text).toMatch(new RegExp(`^storm-sender→group gstorm seq \\d+: push queue full: \\d+/${ONLINE + FILLER} user\\(s\\) not pushed, \\d+ conn\\(s\\) answered 1603$`));
    // The 1603 answers are in the per-connection results counter as well.
    const refusedConns = dropEvents.reduce((n, e) => n + e.undeliveredConns, 0);
    expect(counterSum(scrape, 'msggw_push_results_total').valueOf()).toBeGreaterThanOrEqual(refusedConns);
    expect(scrape).toMatch(/^msggw_push_queue_depth 0$/m);
  });
});

/**
 * `msggw client` by hand: every request identifier as a one-shot flag, the interactive mode
 * (lines on stdin), the raw frame view, and how presence and times are shown. The real binary
 * against a real node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../../harness/harness.js';
import { runCli } from '../helpers/cli.js';
import { connectOk, startNode } from '../helpers/gateway.js';

let node: Harness;
let ws: string;
beforeAll(async () => {
  node = await startNode();
  ws = node.addresses.ws!;
});
afterAll(async () => {
  await node.close();
});

const jsonLines = (out: string) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('msggw client one-shot requests', () => {
  it('1003 then 1001, 1002 and 1005: replies decoded with seqs and text, times rounded', async () => {
    const peer = await connectOk(node, { user: 'oc-b', platform: 5 });
    const r = await runCli(['client', '--url', ws, '--user', 'oc-a', '--send', 'oc-b', '--text', 'one', '--seq', '--pull', 'si_oc-a_oc-b:1-5', '--pull-msg', 'si_oc-a_oc-b:1-1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ev = jsonLines(r.stdout);
    const sent = ev.find((e) => e.event === 'sent')!;
    expect(sent).toMatchObject({ reqIdentifier: 1003, serverMsgID: expect.stringMatching(/^[0-9a-f]{32}$/) });
    // Rounded to 0.1 ms: never 1.2345678 in JSON.
    for (const e of ev.filter((x) => 'rttMs' in x)) expect(String(e.rttMs)).toMatch(/^\d+(\.\d)?$/);
    expect(String(ev.find((e) => e.event === 'open')!.handshakeMs)).toMatch(/^\d+(\.\d)?$/);
    expect(ev.find((e) => e.event === 'seq')).toMatchObject({ reqIdentifier: 1001, maxSeqs: { 'si_oc-a_oc-b': 1 } });
    const pulls = ev.filter((e) => e.event === 'pull');
    expect(pulls.map((p) => p.reqIdentifier)).toEqual([1002, 1005]);
    for (const p of pulls) {
      expect(p).toMatchObject({ messages: 1, conversations: [{ conversationID: 'si_oc-a_oc-b', msgs: [{ seq: 1, sendID: 'oc-a', text: 'one' }] }] });
    }
    // Only requests: it leaves once they are answered.
    expect(ev.at(-1)).toMatchObject({ event: 'close' });
    await peer.waitFor((f) => f.reqIdentifier === 2001);
    peer.close();
  });

  it('1004, 2004 and 2003 by flag; human output names each request', async () => {
    const r = await runCli(['client', '--url', ws, '--user', 'oc-c', '--send', 'oc-d', '--signal', '--text', 'ring', '--background', '--logout']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/background on \(2004 WsSetBackgroundStatus, [\d.]+ ms\)/);
    // Upstream's answer to every 1004, printed as such; the later requests still run (exit 0).
    expect(r.stdout).toMatch(/signal answered errCode=1001 ArgsError \(1004 SendSignalMsg, [\d.]+ ms\): not delivered\. OpenIM's gateway answers every 1004 so/);
    expect(r.stdout).not.toMatch(/sent {2}serverMsgID/);
    const j = await runCli(['client', '--url', ws, '--user', 'oc-c', '--send', 'oc-d', '--signal', '--json']);
    expect(j.code).toBe(0);
    expect(jsonLines(j.stdout).find((e) => e.event === 'signal')).toMatchObject({ reqIdentifier: 1004, delivered: false, errCode: 1001, errMsg: 'ArgsError' });
    expect(r.stdout).toMatch(/logged out \(2003 WsLogoutMsg/);
    expect(r.stdout).toContain('closed code=1000 reason=logout');
  });

  it('shows a watched user who is not online as "offline", and a raw request with --frames', async () => {
    const r = await runCli(['client', '--url', ws, '--user', 'oc-e', '--subscribe', 'oc-nobody', '--raw', '{"reqIdentifier":1001,"data":{"userID":"oc-e"}}', '--frames', '--stay', '200ms']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('presence oc-nobody offline (current)');
    expect(r.stdout).not.toContain('online on []');
    expect(r.stdout).toMatch(/^> 2005 WsSubUserOnlineStatus msgIncr=oc-e_1 op=\d+ \d+ B \{"subscribeUserID":\["oc-nobody"\]/m);
    expect(r.stdout).toMatch(/^< 2005 WsSubUserOnlineStatus msgIncr=oc-e_1 errCode=0/m);
    expect(r.stdout).toMatch(/^> 1001 GetNewestSeq msgIncr=oc-e_2 .* \{"userID":"oc-e"\}$/m);
    expect(r.stdout).toMatch(/^reply 1001 GetNewestSeq errCode=0 [\d.]+ ms: \{"maxSeqs":\{\},"minSeqs":\{\}\}$/m);
  });

  it('refuses bad ranges and raw requests with a coded error before connecting', async () => {
    const a = await runCli(['client', '--url', ws, '--user', 'oc-f', '--pull', 'si_x:9-1']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('MSGGW_CLIENT_ARGS');
    expect(a.stderr).toContain('ends before it begins');
    const b = await runCli(['client', '--url', ws, '--user', 'oc-f', '--raw', '{"data":{}}']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('needs a numeric reqIdentifier');
  });

  it('a request the gateway refuses exits 1 with its errCode', async () => {
    // 1002 for a range the user is not in is fine; an unknown field type is not: Data that is not PullMessageBySeqsReq.
    const r = await runCli(['client', '--url', ws, '--user', 'oc-g', '--raw', '{"reqIdentifier":1002,"data":"/////w=="}', '--json']);
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).find((e) => e.event === 'error')).toMatchObject({ stage: 'request', errCode: 500 });
  });
});

describe('msggw client --interactive', () => {
  it('sends typed lines to the peer and runs /commands, reporting bad lines and going on', async () => {
    const peer = await connectOk(node, { user: 'oi-b', platform: 5 });
    const input = ['hello there', '/seq', '/pull si_oi-a_oi-b 1-2', '/sub oi-b', '/bg', '/bogus', '/raw {"reqIdentifier":1001,"data":{"userID":"oi-a"}}', '/help', '/logout', ''].join('\n');
    const r = await runCli(['client', '--url', ws, '--user', 'oi-a', '--send', 'oi-b', '--interactive'], 20_000, input);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain('interactive: lines are sent to oi-b; /help lists the commands');
    expect(out).toMatch(/sent {2}serverMsgID=\w+ clientMsgID=\w+ \(1003 SendMsg/);
    expect(out).toMatch(/seq {3}1 conversation\(s\) \(1001 GetNewestSeq.*\n {2}si_oi-a_oi-b {2}max 1 {2}min 0/);
    expect(out).toMatch(/pull {2}1 message\(s\) \(1002 PullMsgBySeqList.*\n {2}si_oi-a_oi-b: 1 message\(s\), end\n {2}seq 1 from oi-a \[101\]: hello there/);
    expect(out).toContain('presence oi-b online on Web (current)');
    expect(out).toContain('background on (2004');
    expect(out).toContain('✗ unknown command /bogus: /help lists them');
    expect(out).toMatch(/reply 1001 GetNewestSeq errCode=0 [\d.]+ ms: \{"maxSeqs":\{"si_oi-a_oi-b":1\}/);
    expect(out).toMatch(/\/pull <conv> <from>-<to> +pull a range by seq list \(1002\)/);
    expect(out).toContain('logged out (2003');
    const pushed = await peer.waitFor((f) => f.reqIdentifier === 2001);
    expect(pushed.errCode).toBe(0);
    peer.close();
  });

  it('plain text with no peer says what to do', async () => {
    const r = await runCli(['client', '--url', ws, '--user', 'oi-c', '--interactive', '--json'], 20_000, 'hi\n/quit\n');
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).find((e) => e.event === 'error')).toMatchObject({ stage: 'input', message: expect.stringContaining('start with --send USER') });
  });
});

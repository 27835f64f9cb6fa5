/**
 * The real OpenIM JS SDK (@openim/client-sdk from npm) against msggw alone: one harness (what
 * `msggw serve` runs) with both the REST API and the gateway, strict tokens (upstream's rule, so
 * every token is one get_user_token issued). apiAddr and wsAddr point at it; nothing else runs.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CbEvents, getSDK } from '@openim/client-sdk';
import type { Harness } from '../../harness/harness.js';
import { API_PATHS } from '../../simulators/api/contract.js';
import { ApiCallError } from '../../simulators/provision/client.js';
import { Provisioner } from '../../simulators/provision/provisioner.js';
import { startNode } from '../helpers/gateway.js';
import { eventuallyPasses } from '../helpers/wait.js';

/** Node 20 has no global WebSocket; the SDK (platform "web") needs one that yields ArrayBuffers like a browser's. */
class BrowserLikeWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    this.binaryType = 'arraybuffer';
  }
}
const g = globalThis as { WebSocket?: unknown };
const hadWebSocket = g.WebSocket;

interface SdkEvent {
  event: string;
  data: unknown;
  errCode: number;
  errMsg: string;
}
/** The SDK's instance is an event emitter too (its published type leaves on/off out). */
type SDK = ReturnType<typeof getSDK> & { on(event: string, fn: (e: SdkEvent) => void): unknown; off(event: string, fn: (e: SdkEvent) => void): unknown };

/** Resolves with the first event of that name matching `pred`, rejects after `ms`. */
function next(sdk: SDK, event: string, pred: (e: SdkEvent) => boolean = () => true, ms = 8000): Promise<SdkEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      sdk.off(event, on);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const on = (e: SdkEvent) => {
      if (!pred(e)) return;
      clearTimeout(t);
      sdk.off(event, on);
      resolve(e);
    };
    sdk.on(event, on);
  });
}

const WEB = 5;
const tag = Math.random().toString(36).slice(2, 7);
const [A, B, C] = [`sdk_a_${tag}`, `sdk_b_${tag}`, `sdk_c_${tag}`];

describe('the OpenIM JS SDK on msggw alone', () => {
  let h: Harness;
  let apiAddr: string;
  let wsAddr: string;
  let prov: Provisioner;
  let tokens: Map<string, string>;
  const sdks: SDK[] = [];

  const login = async (userID: string): Promise<SDK> => {
    const sdk = getSDK() as SDK;
    sdks.push(sdk);
    const synced = next(sdk, CbEvents.OnSyncServerFinish);
    const failed = next(sdk, CbEvents.OnSyncServerFailed, () => true, 10_000).then((e) => {
      throw new Error(`sync failed: ${e.errCode} ${e.errMsg}`);
    });
    failed.catch(() => undefined);
    const r = await sdk.login({ userID, token: tokens.get(`${userID}:${WEB}`)!, wsAddr, apiAddr, platformID: WEB, logLevel: 5 as never });
    expect(r.errCode).toBe(0);
    await Promise.race([synced, failed]);
    return sdk;
  };

  const warn = console.warn;
  beforeAll(async () => {
    g.WebSocket = BrowserLikeWebSocket;
    // The SDK prints every get_active_conversations answer with console.warn; keep the output readable.
    console.warn = (...args: unknown[]) => {
      if (!(args.length === 1 && typeof args[0] === 'object' && args[0] !== null && 'conversations' in args[0])) warn(...args);
    };
    h = await startNode({ api: { enable: true, port: 0, strictTokens: true }, presence: { mergeIntervalMs: 100 } });
    apiAddr = `http://${h.addresses.api}`;
    wsAddr = h.addresses.ws!;
    prov = new Provisioner({ api: apiAddr, secret: h.cfg.secret });
    await prov.registerUsers([A, B, C]);
    tokens = await prov.userTokens([A, B, C].map((userID) => ({ userID, platformID: WEB })));
  });

  afterAll(async () => {
    for (const s of sdks) await s.logout().catch(() => undefined);
    await h?.close();
    g.WebSocket = hadWebSocket;
    console.warn = warn;
  });

  let a: SDK;
  let b: SDK;
  let c: SDK;

  it('two users log in and their sync finishes', async () => {
    [a, b] = await Promise.all([login(A), login(B)]);
    const self = await a.getSelfUserInfo();
    expect(self.data).toMatchObject({ userID: A, nickname: A });
  });

  it('A sends a single-chat text and B receives it', async () => {
    const got = next(b, CbEvents.OnRecvNewMessages);
    const msg = (await a.createTextMessage('hello B')).data;
    const sent = await a.sendMessage({ recvID: B, groupID: '', message: msg });
    expect(sent.errCode).toBe(0);
    const e = await got;
    const [m] = e.data as { sendID: string; textElem?: { content: string }; seq: number }[];
    expect(m).toMatchObject({ sendID: A, textElem: { content: 'hello B' } });
    expect(m!.seq).toBeGreaterThan(0);
  });

  it('a group created over REST gets a message to every member', async () => {
    c = await login(C);
    const groupID = `sdkgroup_${tag}`;
    await prov.createGroup(groupID, [A, B, C]);
    const toB = next(b, CbEvents.OnRecvNewMessages, (e) => (e.data as { groupID: string }[]).some((m) => m.groupID === groupID));
    const toC = next(c, CbEvents.OnRecvNewMessages, (e) => (e.data as { groupID: string }[]).some((m) => m.groupID === groupID));
    const msg = (await a.createTextMessage('hello group')).data;
    const sent = await a.sendMessage({ recvID: '', groupID, message: msg });
    expect(sent.errCode).toBe(0);
    for (const e of await Promise.all([toB, toC])) {
      expect((e.data as { sendID: string; textElem?: { content: string } }[])[0]).toMatchObject({ sendID: A, textElem: { content: 'hello group' } });
    }
  });

  it('A subscribes to B and sees B go offline', async () => {
    const sub = await a.subscribeUsersStatus([B]);
    expect(sub.errCode).toBe(0);
    expect((sub.data as { userID: string; status: number }[])[0]).toMatchObject({ userID: B, status: 1 });
    const offline = next(a, CbEvents.OnUserStatusChanged, (e) => (e.data as { userID: string; status: number }).userID === B && (e.data as { status: number }).status === 0);
    await b.logout();
    await offline;
  });

  it('/auth/force_logout kicks B: the SDK reports the kick and the token is refused after', async () => {
    b = await login(B);
    const kicked = next(b, CbEvents.OnKickedOffline);
    const admin = await prov.adminToken();
    await prov.client.call(API_PATHS.auth.forceLogout, { userID: B, platformID: WEB }, admin);
    await kicked;
    const again = await prov.client.call(API_PATHS.auth.parseToken, { token: tokens.get(`${B}:${WEB}`)! }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ApiCallError);
    expect((again as ApiCallError).errCode).toBe(1506);
  });

  it('both log out', async () => {
    expect((await a.logout()).errCode).toBe(0);
    expect((await c.logout()).errCode).toBe(0);
    await eventuallyPasses(() => expect(h.view().counts().conns).toBe(0), 5000);
  });
});

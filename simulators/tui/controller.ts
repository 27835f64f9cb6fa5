/**
 * The TUI's behaviour, without React: keys -> UI state and actions. Actions do the I/O the
 * components never do: spawning simulated clients, sending through them, kicking through the
 * hub's gRPC, dropping connections through the admin stream.
 */
import type { Key } from 'ink';
import type { AdminSource, AdminSourceState } from '../../src/admin/admin-client.js';
import type { ConnInfo } from '../../src/admin/schema.js';
import { isValidPlatform, Platform, platformIdOf } from '../../src/protocol/platforms.js';
import { createClient, type RpcClient } from '../../src/rpc/grpc-client.js';
import { msgGatewayService, type MsgGatewayMethods } from '../../src/rpc/services.js';
import { ClientPool, tokenFor, type OpenIMClient, type OpenIMClientOptions } from '../client/index.js';
import { parseConvRange } from '../client/actions.js';
import { msgText } from '../client/print.js';
import { short } from './event-line.js';
import { platLabel } from './format.js';
import { kickUser, multiLoginCheck, onlineStatus, pushText, type HubResult } from './hub-actions.js';
import { editPrompt, splitChunk } from './prompt-input.js';
import type { TuiStore } from './store.js';
import { buildView, connBodyLines, eventBodyLines, initialUi, layout, presenceUserOf, type AppView, type PromptKind, type UiState } from './view.js';

/** Options of a {@link TuiController}. */
export interface TuiControllerOptions {
  store: TuiStore;
  source: AdminSource;
  mode: 'embedded' | 'attached';
  /** Token secret for simulated clients' tokens. */
  secret: string;
  /** Overrides the addresses the node reports in `hello` (e.g. when attaching through a tunnel). */
  wsURL?: string;
  hubAddr?: string;
  /** Called when the user quits. */
  onQuit: () => void;
  /** Most handshakes in flight while spawning. Default 128. */
  spawnConcurrency?: number;
}

/** A parsed spawn request. */
export interface SpawnSpec {
  count: number;
  platforms: number[];
  enc: 'go' | 'js' | 'mix';
  gzip: 'on' | 'off' | 'mix';
  prefix: string;
  /** Users the clients are spread over (default: one user per client). */
  users: number;
}

/** The platform mix: Web, iOS, Android, Windows (Web clients speak JSON as the JS SDK does). */
const MIX = [5, 1, 2, 3];

/** Parses `10 plat=mix enc=mix gzip=mix user=u users=5`; returns an error string when invalid. */
export function parseSpawn(text: string): SpawnSpec | string {
  const spec: SpawnSpec = { count: 0, platforms: MIX, enc: 'mix', gzip: 'mix', prefix: 'u', users: 0 };
  for (const tok of text.trim().split(/\s+/).filter(Boolean)) {
    const [k, v] = tok.includes('=') ? (tok.split('=', 2) as [string, string]) : ['count', tok];
    switch (k) {
      case 'count':
      case 'n':
        spec.count = Number(v);
        break;
      case 'plat':
      case 'platform':
        if (v === 'mix') spec.platforms = MIX;
        else {
          const ids = v.split(',').map((p) => platformIdOf(p));
          if (ids.some((id) => !isValidPlatform(id))) return `unknown platform in ${v}: use IDs 1-11 or names in any case (ios, android, web...)`;
          spec.platforms = ids;
        }
        break;
      case 'enc':
        if (v !== 'go' && v !== 'js' && v !== 'mix') return 'enc is go (gob), js (JSON) or mix';
        spec.enc = v;
        break;
      case 'gzip':
        if (v !== 'on' && v !== 'off' && v !== 'mix') return 'gzip is on, off or mix';
        spec.gzip = v;
        break;
      case 'user':
        if (!/^[\w.-]+$/.test(v)) return 'user prefix: letters, digits, _ . -';
        spec.prefix = v;
        break;
      case 'users':
        spec.users = Number(v);
        break;
      default:
        return `unknown option ${k}`;
    }
  }
  if (!Number.isInteger(spec.count) || spec.count < 1 || spec.count > 100_000) return 'count: 1..100000 clients';
  if (spec.users === 0) spec.users = spec.count;
  if (!Number.isInteger(spec.users) || spec.users < 1) return 'users: a positive number';
  return spec;
}

/** The client options for the i-th client of a spawn, with user IDs numbered from `base`. */
export function spawnOptions(spec: SpawnSpec, i: number, base: number, url: string, secret: string): OpenIMClientOptions {
  const userID = `${spec.prefix}${base + (i % spec.users)}`;
  // Each round over the users shifts the platform, so a user's clients land on different platforms.
  const platformID = spec.platforms[(i + Math.floor(i / spec.users)) % spec.platforms.length]!;
  // "mix" follows the SDKs: Web and MiniWeb use the JS SDK (JSON), the rest the Go SDK (gob, gzip).
  const sdkType = spec.enc === 'mix' ? (platformID === Platform.Web || platformID === Platform.MiniWeb ? 'js' : 'go') : spec.enc;
  const gzip = spec.gzip === 'mix' ? sdkType === 'go' : spec.gzip === 'on';
  return { url, userID, platformID, sdkType, gzip, token: tokenFor(userID, platformID, { secret }), operationIDPrefix: 'tui-' };
}

/** See the module comment. */
export class TuiController {
  readonly ui: UiState = initialUi();
  readonly pool: ClientPool;
  /** Called whenever UI state changed (the runner redraws). */
  onChange: () => void = () => undefined;
  sourceState: AdminSourceState = { kind: 'open' };
  cols = 120;
  rows = 40;

  private readonly store: TuiStore;
  private readonly bySlot = new Map<string, OpenIMClient[]>();
  private readonly nextIndex = new Map<string, number>();
  private hub: RpcClient<MsgGatewayMethods> | undefined;
  private hubFor = '';
  private filterBefore = '';
  private rateMark = { at: Date.now(), received: 0 };
  /** The conversation with the highest seq each client saw in its last 1001 (prefills the pull prompt). */
  private readonly lastSeqs = new WeakMap<OpenIMClient, { conv: string; max: number }>();
  private evRate = 0;

  constructor(private readonly opts: TuiControllerOptions) {
    this.store = opts.store;
    this.pool = new ClientPool({ concurrency: opts.spawnConcurrency ?? 128 });
  }

  /** Simulated clients created so far. */
  get simClients(): number {
    return this.pool.clients.length;
  }

  /** The props of the whole screen for the current state. */
  view(now = Date.now()): AppView {
    if (now - this.rateMark.at >= 1000) {
      this.evRate = ((this.store.received - this.rateMark.received) * 1000) / (now - this.rateMark.at);
      this.rateMark = { at: now, received: this.store.received };
    }
    return buildView(this.store, this.ui, {
      cols: this.cols,
      rows: this.rows,
      now,
      mode: this.opts.mode,
      state: this.sourceState,
      isSim: (c) => this.simFor(c) !== undefined,
      simClients: this.pool.openCount,
      eventsPerSec: this.evRate,
    });
  }

  /**
   * The open simulated client behind a connection: the one whose socket is the connection's
   * remote address, so two clients of one user on one platform are told apart. When no address
   * matches (attached through a proxy), the only open client of the user and platform, if the
   * node has only one such connection.
   */
  simFor(c: ConnInfo): OpenIMClient | undefined {
    const list = this.bySlot.get(`${c.userID}/${c.platformID}`);
    if (!list) return undefined;
    let only: OpenIMClient | undefined;
    let open = 0;
    for (const x of list) {
      if (x.state !== 'open') continue;
      if (x.localAddress === c.remoteAddr) return x;
      open++;
      only = x;
    }
    if (open !== 1 || only === undefined) return undefined;
    // Its address is another connection's: that one is it, not this one.
    const addr = only.localAddress;
    if (this.store.connsOf(c.userID).some((o) => o.remoteAddr === addr)) return undefined;
    const same = this.store.connsOf(c.userID).filter((o) => o.platformID === c.platformID).length;
    return same === 1 ? only : undefined;
  }

  /** Handles one key press (wired to Ink's useInput). */
  readonly onKey = (input: string, key: Key): void => {
    if (key.ctrl && input === 'c') {
      this.opts.onQuit();
      return;
    }
    // Fast typing, pastes and tmux send-keys arrive as one chunk: replay it key by key, control
    // keys (Enter, Backspace, Ctrl-U...) included wherever they are in it.
    for (const [ch, k] of splitChunk(input, key)) this.dispatch(ch, k);
    this.onChange();
  };

  private dispatch(input: string, key: Key): void {
    if (this.ui.prompt) this.promptKey(input, key);
    else if (this.ui.hubMenu) this.hubMenuKey(input, key);
    else this.commandKey(input, key);
  }

  /** Closes the simulated clients and the hub client. */
  async close(): Promise<void> {
    this.pool.terminateAll();
    await this.pool.close();
    this.hub?.close();
  }

  // ---- keys ----

  private commandKey(input: string, key: Key): void {
    const ui = this.ui;
    const l = layout(this.cols, this.rows);
    if (key.tab) {
      ui.focus = ui.focus === 'conns' ? 'events' : 'conns';
      return;
    }
    if (key.escape) {
      if (ui.detail !== undefined) ui.detail = undefined;
      else if (ui.help) ui.help = false;
      else if (ui.filter) ui.filter = '';
      return;
    }
    if (key.return && ui.focus === 'events') {
      this.toggleDetail();
      return;
    }
    if (key.upArrow || key.downArrow || key.pageUp || key.pageDown || key.home || key.end) {
      if (ui.focus === 'conns') this.moveSelection(key, connBodyLines(l));
      else this.scrollEvents(key, eventBodyLines(l));
      return;
    }
    switch (input) {
      case 'q':
        this.opts.onQuit();
        return;
      case '?':
        ui.help = !ui.help;
        return;
      case 'v':
        this.store.verbose = !this.store.verbose;
        this.status(`successful requests are ${this.store.verbose ? 'listed' : 'hidden (errors still show)'}`);
        return;
      case 'c':
        this.store.clearEvents();
        ui.eventsAnchor = undefined;
        return;
      case '/':
        this.filterBefore = ui.filter;
        this.prompt('filter', 'filter users', ui.filter, 'part of a user ID, live');
        return;
      case 'n':
        this.prompt('spawn', 'spawn', '10 plat=mix enc=mix gzip=mix', 'count plat=mix|1,5|Web enc=go|js|mix gzip=on|off|mix user=u users=N');
        return;
      case 'p':
        this.prompt('presence', 'presence of', presenceUserOf(this.store, ui) ?? '', 'a user ID; empty follows the selection');
        return;
      case 'k': {
        const c = this.selected();
        this.prompt('kick', 'kick (hub)', c ? `${c.userID} ${c.platformID}` : '', 'userID platform (ID or name), via KickUserOffline');
        return;
      }
      case 'm': {
        const c = this.selectedSim('message');
        if (!c) return;
        this.prompt('message', `message from ${this.simName(c)}`, `${this.otherUser(c.userID) ?? 'u2'} hello from ${c.userID}`, 'recvID text, or g:groupID text');
        return;
      }
      case 's': {
        const c = this.selectedSim('subscribe');
        if (!c) return;
        this.prompt('subscribe', `${c.userID}@${platLabel(c.platformID)} watches`, this.otherUser(c.userID) ?? '', 'user IDs to watch; -u3 stops watching u3');
        return;
      }
      case 'b':
        this.toggleBackground();
        return;
      case 'g':
        this.newestSeq();
        return;
      case 'r':
      case 'R': {
        const c = this.selectedSim('pull');
        if (!c) return;
        const last = this.lastSeqs.get(c);
        const text = last ? `${last.conv} ${Math.max(1, last.max - 19)}-${last.max}` : '';
        if (input === 'r') this.prompt('pull', `pull (1002) for ${this.simName(c)}`, text, 'conversationID from-to, e.g. si_u1_u2 1-20 (g shows the newest seqs; R pulls by seqs, 1005)');
        else this.prompt('pullmsg', `pull by seqs (1005) for ${this.simName(c)}`, text, 'conversationID from-to or seq,seq,..., e.g. si_u1_u2 1-20 or si_u1_u2 2,5 (g shows the newest seqs)');
        return;
      }
      case 'h':
        this.ui.hubMenu = true;
        this.ui.help = false;
        this.status('hub: o online status · t push a text · c multi-login check · k kick · Esc back', 'busy');
        return;
      case 'e':
        this.toggleDetail();
        return;
      case 'l':
        this.logout();
        return;
      case 'x':
        this.drop();
        return;
      default:
    }
  }

  private promptKey(input: string, key: Key): void {
    const p = this.ui.prompt!;
    const outcome = editPrompt(p, input, key);
    if (outcome === 'cancel') {
      if (p.kind === 'filter') this.ui.filter = this.filterBefore;
      this.ui.prompt = undefined;
      return;
    }
    if (outcome === 'submit') {
      this.ui.prompt = undefined;
      this.submit(p.kind, p.text.trim());
      return;
    }
    if (p.kind === 'filter') this.ui.filter = p.text.trim();
  }

  private hubMenuKey(input: string, key: Key): void {
    this.ui.hubMenu = false;
    const c = this.selected();
    switch (key.escape ? '' : input) {
      case 'o':
        this.prompt('online', 'GetUsersOnlineStatus of', c?.userID ?? '', 'user IDs (space separated)');
        return;
      case 't':
        this.prompt('push', 'push (hub)', `${c?.userID ?? 'u1'} hello from the hub`, 'userIDs,comma,separated text: SuperGroupOnlineBatchPushOneMsg');
        return;
      case 'c':
        this.prompt('mlcheck', 'MultiTerminalLoginCheck', c ? `${c.userID} ${c.platformID}` : '', 'userID platform: a login elsewhere, the policy may kick here');
        return;
      case 'k':
        this.prompt('kick', 'kick (hub)', c ? `${c.userID} ${c.platformID}` : '', 'userID platform (ID or name), via KickUserOffline');
        return;
      default:
        this.ui.status = undefined;
    }
  }

  /** Shows the event at the bottom of the Events pane in full (Enter or e again closes it). */
  private toggleDetail(): void {
    if (this.ui.detail !== undefined) {
      this.ui.detail = undefined;
      return;
    }
    const seq = this.ui.eventsAnchor ?? this.store.newestSeq;
    if (seq < this.store.oldestSeq || seq === 0) {
      this.status('no event to show', 'error');
      return;
    }
    this.ui.detail = seq;
    this.ui.help = false;
  }

  private moveSelection(key: Key, page: number): void {
    const rows = this.store.connRows(this.ui.filter);
    if (rows.length === 0) return;
    let i = this.ui.selectedIndex;
    if (key.upArrow) i--;
    else if (key.downArrow) i++;
    else if (key.pageUp) i -= page;
    else if (key.pageDown) i += page;
    else if (key.home) i = 0;
    else if (key.end) i = rows.length - 1;
    i = Math.max(0, Math.min(rows.length - 1, i));
    this.ui.selectedIndex = i;
    this.ui.selectedConnID = rows[i]!.conn.connID;
  }

  private scrollEvents(key: Key, page: number): void {
    const s = this.store;
    const ui = this.ui;
    if (key.end) {
      ui.eventsAnchor = undefined;
      return;
    }
    const lowest = Math.min(s.newestSeq, s.oldestSeq + page - 1);
    let a = ui.eventsAnchor ?? s.newestSeq;
    if (key.upArrow) a--;
    else if (key.downArrow) a++;
    else if (key.pageUp) a -= page;
    else if (key.pageDown) a += page;
    else if (key.home) a = lowest;
    a = Math.max(lowest, a);
    ui.eventsAnchor = a >= s.newestSeq ? undefined : a;
  }

  /** Opens a prompt; a default `text` is selected, so typing replaces it and Enter takes it. */
  private prompt(kind: PromptKind, label: string, text: string, hint: string): void {
    this.ui.prompt = { kind, label, text, hint, selected: text !== '' };
    this.ui.help = false;
  }

  private submit(kind: PromptKind, text: string): void {
    switch (kind) {
      case 'filter':
        this.ui.filter = text;
        return;
      case 'presence':
        this.ui.presenceUser = text || undefined;
        return;
      case 'spawn':
        void this.run(() => this.spawn(text));
        return;
      case 'message':
        void this.run(() => this.message(text));
        return;
      case 'subscribe':
        void this.run(() => this.subscribe(text));
        return;
      case 'kick':
        void this.run(() => this.kick(text));
        return;
      case 'pull':
        void this.run(() => this.pull(text));
        return;
      case 'pullmsg':
        void this.run(() => this.pullMsg(text));
        return;
      case 'online':
        void this.run(() => this.hubCall((hub) => onlineStatus(hub, text.split(/[\s,]+/).filter(Boolean))));
        return;
      case 'push': {
        const m = /^(\S+)\s+(.+)$/.exec(text);
        if (!m) {
          this.status('push: "u1,u2 some text"', 'error');
          return;
        }
        void this.run(() => this.hubCall((hub) => pushText(hub, m[1]!.split(',').filter(Boolean), m[2]!)));
        return;
      }
      case 'mlcheck': {
        const t = this.userPlatform(text, 'MultiTerminalLoginCheck');
        void this.run(() => this.hubCall((hub) => multiLoginCheck(hub, t.user, t.platformID, this.opts.secret)));
        return;
      }
    }
  }

  // ---- actions ----

  /** Runs an action; its failure becomes the status line (and an event line). */
  private async run(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (e) {
      this.status((e as Error).message, 'error');
    }
  }

  private status(text: string, level: 'info' | 'error' | 'busy' = 'info'): void {
    this.ui.status = { text, level, at: Date.now() };
    if (level !== 'busy') this.store.log(text, level === 'error' ? 'error' : 'info');
    this.onChange();
  }

  private selected(): ConnInfo | undefined {
    return this.ui.selectedConnID ? this.store.conn(this.ui.selectedConnID) : undefined;
  }

  private selectedSim(what: string): OpenIMClient | undefined {
    const c = this.selected();
    if (!c) {
      this.status(`select a connection first (↑↓) to ${what}`, 'error');
      return undefined;
    }
    const sim = this.simFor(c);
    if (!sim) this.status(`${c.userID}@${platLabel(c.platformID)} conn ${short(c.connID)} is not one of this TUI's simulated clients (* rows are)`, 'error');
    return sim;
  }

  /** A simulated client as the status line names it: user, platform and its connection. */
  private simName(c: OpenIMClient): string {
    const conn = this.store.connsOf(c.userID).find((x) => x.remoteAddr === c.localAddress);
    return `${c.userID}@${platLabel(c.platformID)}${conn ? ` conn ${short(conn.connID)}` : ''}`;
  }

  /** Another online user, to prefill targets. */
  private otherUser(self: string): string | undefined {
    for (const u of this.store.users()) if (u !== self) return u;
    return undefined;
  }

  private wsURL(): string {
    const url = this.opts.wsURL ?? this.store.node?.ws;
    if (!url) throw new Error('the node reported no WebSocket address (started with --no-gateway?)');
    return url;
  }

  /** Spawns simulated clients as the spec says. */
  async spawn(text: string): Promise<void> {
    const spec = parseSpawn(text);
    if (typeof spec === 'string') throw new Error(`spawn: ${spec}`);
    const url = this.wsURL();
    const base = this.nextIndex.get(spec.prefix) ?? 1;
    this.nextIndex.set(spec.prefix, base + spec.users);
    this.status(`spawning ${spec.count} client(s) as ${spec.prefix}${base}..${spec.prefix}${base + spec.users - 1}`, 'busy');
    let lastShown = 0;
    const r = await this.pool.open(
      spec.count,
      (i) => spawnOptions(spec, i, base, url, this.opts.secret),
      (done, opened, failed) => {
        const now = Date.now();
        if (now - lastShown < 200) return;
        lastShown = now;
        this.status(`spawning: ${done}/${spec.count} (${opened} open, ${failed} failed)`, 'busy');
      },
    );
    for (const c of r.clients) {
      if (!c) continue;
      const slot = `${c.userID}/${c.platformID}`;
      const list = this.bySlot.get(slot) ?? [];
      list.push(c);
      // Old closed clients of the slot are of no use to the actions.
      this.bySlot.set(slot, list.filter((x) => x.state === 'open' || x === c));
    }
    const reasons = this.pool.counts().failedByReason;
    const why = r.failed > 0 ? ` (${Object.entries(reasons).map(([k, n]) => `${k}: ${n}`).join(', ')})` : '';
    this.status(`spawned ${spec.count} client(s): ${r.opened} open, ${r.failed} failed${why} in ${Math.round(r.durationMs)} ms`, r.failed > 0 ? 'error' : 'info');
  }

  private async message(text: string): Promise<void> {
    const c = this.selectedSim('message');
    if (!c) return;
    const m = /^(\S+)\s*(.*)$/.exec(text);
    if (!m) throw new Error('message: "recvID text" or "g:groupID text"');
    const [, target, body] = m as unknown as [string, string, string];
    const group = target.startsWith('g:') ? target.slice(2) : undefined;
    const r = await c.sendMsg(group ? { groupID: group, sessionType: 3, text: body } : { recvID: target, text: body });
    this.status(`sent 1003 ${c.userID}→${group ? `group ${group}` : target}: serverMsgID ${r.data.serverMsgID.slice(0, 8)} (${r.rttMs.toFixed(1)} ms)`);
  }

  private async subscribe(text: string): Promise<void> {
    const c = this.selectedSim('subscribe');
    if (!c) return;
    const toks = text.split(/[\s,]+/).filter(Boolean);
    const add = toks.filter((t) => !t.startsWith('-'));
    const del = toks.filter((t) => t.startsWith('-')).map((t) => t.slice(1));
    const r = await c.subscribe(add, del);
    const now = r.data.subscribers.map((s) => `${s.userID} [${s.onlinePlatformIDs.map(platLabel).join(',') || 'offline'}]`).join(', ');
    this.status(`${c.userID}@${platLabel(c.platformID)} watches ${add.join(' ') || '-'}${del.length ? `, stopped ${del.join(' ')}` : ''}${now ? `: ${now}` : ''}`);
    if (add[0]) this.ui.presenceUser = add[0];
  }

  /** 1001 on the selected client: the newest seq of each conversation (remembered for the pull prompt). */
  private newestSeq(): void {
    const c = this.selectedSim('ask its newest seqs');
    if (!c) return;
    void this.run(async () => {
      const r = await c.getNewestSeq();
      const convs = Object.keys(r.data.maxSeqs).sort();
      const top = convs.reduce<string | undefined>((a, k) => (a === undefined || r.data.maxSeqs[k]! > r.data.maxSeqs[a]! ? k : a), undefined);
      if (top !== undefined) this.lastSeqs.set(c, { conv: top, max: r.data.maxSeqs[top]! });
      for (const k of convs) this.store.log(`1001 ${this.simName(c)}: ${k} max ${r.data.maxSeqs[k]} min ${r.data.minSeqs[k] ?? 0}`);
      this.status(`1001 GetNewestSeq ${this.simName(c)}: ${convs.length} conversation(s)${convs.length ? `: ${convs.map((k) => `${k} ${r.data.maxSeqs[k]}`).join(', ')}` : ''} (${r.rttMs.toFixed(1)} ms)`);
    });
  }

  /** 1002 on the selected client: the messages of a range, one event line each. */
  private async pull(text: string): Promise<void> {
    const c = this.selectedSim('pull');
    if (!c) return;
    const m = /^(\S+)\s+(\d+(?:-\d+)?)$/.exec(text) ?? /^(\S+):(\d+(?:-\d+)?)$/.exec(text);
    if (!m) throw new Error('pull: "conversationID from-to", e.g. si_u1_u2 1-20');
    const range = parseConvRange(`${m[1]}:${m[2]}`);
    const r = await c.pullBySeqList([range]);
    let n = 0;
    for (const [conv, p] of Object.entries(r.data.msgs)) {
      for (const msg of p.Msgs) {
        n++;
        this.store.log(`1002 ${conv} seq ${msg.seq} from ${msg.sendID}: ${msgText(msg)}`);
      }
    }
    this.status(`1002 PullMsgBySeqList ${this.simName(c)} ${range.conversationID} ${range.begin}-${range.end}: ${n} message(s) (${r.rttMs.toFixed(1)} ms)`);
  }

  /** 1005 (PullMsg, msg's GetSeqMessage) on the selected client: a range or a list of seqs, one event line per message. */
  private async pullMsg(text: string): Promise<void> {
    const c = this.selectedSim('pull');
    if (!c) return;
    const m = /^(\S+?)(?:\s+|:)(\d+(?:-\d+)?|\d+(?:,\d+)+)$/.exec(text);
    if (!m) throw new Error('pull by seqs: "conversationID from-to" or "conversationID 2,5,9", e.g. si_u1_u2 1-20');
    const conv = m[1]!;
    const ask = m[2]!.includes(',') ? { conversationID: conv, seqs: m[2]!.split(',').map(Number) } : parseConvRange(`${conv}:${m[2]}`);
    const r = await c.pullMsg([ask]);
    let n = 0;
    for (const [byConv, kind] of [
      [r.data.msgs, ''],
      [r.data.notificationMsgs, ' notification'],
    ] as const) {
      for (const [cv, p] of Object.entries(byConv)) {
        for (const msg of p.Msgs) {
          n++;
          this.store.log(`1005 ${cv}${kind} seq ${msg.seq} from ${msg.sendID}: ${msgText(msg)}`);
        }
      }
    }
    this.status(`1005 PullMsg ${this.simName(c)} ${conv} ${m[2]}: ${n} message(s) (${r.rttMs.toFixed(1)} ms)`);
  }

  private toggleBackground(): void {
    const c = this.selectedSim('toggle background');
    if (!c) return;
    const to = !c.isBackground;
    void this.run(async () => {
      await c.setBackground(to);
      this.status(`${c.userID}@${platLabel(c.platformID)} is now in the ${to ? 'background' : 'foreground'} (2004)`);
    });
  }

  private logout(): void {
    const c = this.selectedSim('log out');
    if (!c) return;
    const name = this.simName(c);
    void this.run(async () => {
      await c.logout();
      this.status(`${name} logged out (2003)`);
    });
  }

  /** Parses "userID platform" (platform as ID or name). */
  private userPlatform(text: string, what: string): { user: string; platformID: number } {
    const [user, plat] = text.split(/\s+/);
    const platformID = plat === undefined ? Number.NaN : platformIdOf(plat);
    if (!user || !isValidPlatform(platformID)) throw new Error(`${what}: "userID platform", e.g. "u1 5" or "u1 Web"`);
    return { user, platformID };
  }

  private async kick(text: string): Promise<void> {
    const t = this.userPlatform(text, 'kick');
    await this.hubCall((hub, addr) => kickUser(hub, t.user, t.platformID, addr));
  }

  /** Runs a hub RPC: its details as event lines, its summary on the status line. */
  private async hubCall(call: (hub: RpcClient<MsgGatewayMethods>, addr: string) => Promise<HubResult>): Promise<void> {
    const addr = this.opts.hubAddr ?? this.store.node?.hub;
    if (!addr) throw new Error('the node reported no hub address');
    if (!this.hub || this.hubFor !== addr) {
      this.hub?.close();
      this.hub = createClient(msgGatewayService, addr);
      this.hubFor = addr;
    }
    const r = await call(this.hub, addr);
    for (const l of r.lines) this.store.log(l);
    this.status(r.summary);
  }

  private drop(): void {
    const c = this.selected();
    if (!c) {
      this.status('select a connection first (↑↓) to drop it', 'error');
      return;
    }
    const sim = this.simFor(c);
    if (sim) {
      sim.terminate();
      this.status(`${c.userID}@${platLabel(c.platformID)} dropped by the client: TCP reset, no close frame`);
      return;
    }
    void this.run(async () => {
      const r = await this.opts.source.command({ cmd: 'terminate', connID: c.connID, userID: c.userID });
      if (!r.ok) throw new Error(`drop: ${r.error}`);
      this.status(`${c.userID}@${platLabel(c.platformID)} dropped by the gateway: socket destroyed, no close frame`);
    });
  }
}

/**
 * From the store and the UI state to the props of every pane: the layout for the terminal size,
 * and only the rows that fit (the lists are virtualised here, so a pane never receives more
 * than its height of rows, whatever the node holds).
 */
import type { AdminSourceState } from '../../src/admin/admin-client.js';
import type { ConnInfo, NodeInfo } from '../../src/admin/schema.js';
import type { ConnRowRef, EventRow, PresenceChange, RateKey, TuiStore } from './store.js';

/** The panes that take the arrow keys. */
export type PaneID = 'conns' | 'events';

/** What a prompt asks for. */
export type PromptKind = 'filter' | 'spawn' | 'message' | 'subscribe' | 'kick' | 'presence' | 'pull' | 'pullmsg' | 'online' | 'push' | 'mlcheck';

/** UI state (selection, scrolling, prompt): owned by the controller, plain data. */
export interface UiState {
  focus: PaneID;
  filter: string;
  selectedConnID: string | undefined;
  selectedIndex: number;
  /** Index of the first visible connection row. */
  connTop: number;
  /** Seq of the bottom visible event; undefined = follow the newest. */
  eventsAnchor: number | undefined;
  /** Pinned Presence user; undefined = the selected connection's user. */
  presenceUser: string | undefined;
  /** `selected`: the default text is selected (typing replaces it). */
  prompt: { kind: PromptKind; label: string; text: string; hint: string; selected: boolean } | undefined;
  status: { text: string; level: 'info' | 'error' | 'busy'; at: number } | undefined;
  help: boolean;
  /** The hub menu is open: the next key picks the RPC. */
  hubMenu: boolean;
  /** Seq of the event shown in full (replaces the bottom panes). */
  detail: number | undefined;
}

/** A fresh UI state. */
export function initialUi(): UiState {
  return {
    focus: 'conns',
    filter: '',
    selectedConnID: undefined,
    selectedIndex: 0,
    connTop: 0,
    eventsAnchor: undefined,
    presenceUser: undefined,
    prompt: undefined,
    status: undefined,
    help: false,
    hubMenu: false,
    detail: undefined,
  };
}

/** Pane sizes for a terminal. */
export interface Layout {
  width: number;
  /** Lines drawn: one less than the terminal so Ink never switches to clear-and-redraw. */
  height: number;
  topH: number;
  bottomH: number;
  connW: number;
  eventsW: number;
  presenceW: number;
  ratesW: number;
}

/** Lines outside the panes: header, status/prompt line, key bar. */
const CHROME_LINES = 3;

/** Splits the terminal: Connections | Events on top (60%), Presence | Rates below. */
export function layout(cols: number, rows: number): Layout {
  const width = Math.max(40, cols);
  const height = Math.max(14, rows - 1);
  const area = height - CHROME_LINES;
  const topH = Math.max(6, Math.round(area * 0.6));
  const bottomH = Math.max(5, area - topH);
  // Narrower terminals give Connections a little more, so the remote address column survives longer.
  const connW = Math.round(width * (width >= 150 ? 0.48 : 0.5));
  const presenceW = Math.round(width * 0.4);
  return { width, height, topH, bottomH, connW, eventsW: width - connW, presenceW, ratesW: width - presenceW };
}

/** A row of the Connections pane. */
export interface ConnLine extends ConnRowRef {
  /** A simulated client of this TUI owns the connection (the actions work on it). */
  sim: boolean;
}

/** Props of the Connections pane. */
export interface ConnectionsView {
  width: number;
  height: number;
  rows: ConnLine[];
  /** Index (into rows) of the selected row, -1 when it is off screen. */
  selected: number;
  /** Index of rows[0] among all matching rows. */
  first: number;
  /** Matching rows (connections) and users. */
  total: number;
  users: number;
  filter: string;
  focused: boolean;
  synced: boolean;
  now: number;
}

/** Props of the Events pane. */
export interface EventsView {
  width: number;
  height: number;
  rows: EventRow[];
  focused: boolean;
  following: boolean;
  /** Events after the bottom row (while scrolled back). */
  newer: number;
  held: number;
  capacity: number;
  verbose: boolean;
}

/** Props of the Presence pane. */
export interface PresenceView {
  width: number;
  height: number;
  userID: string | undefined;
  pinned: boolean;
  /** The user's connections on this node. */
  here: readonly ConnInfo[];
  last: PresenceChange | undefined;
  /** Connections subscribed to the user (2005). */
  watchers: ConnInfo[];
  /** The last change is fresh: highlight the fan-out. */
  highlight: boolean;
  /** The user's latest presence events still in the event ring, newest first. */
  recent: EventRow[];
  now: number;
}

/** One sparkline of the Rates pane. */
export interface RateLine {
  key: RateKey;
  label: string;
  values: readonly number[];
  unit: string;
}

/** Props of the Rates pane. */
export interface RatesView {
  width: number;
  height: number;
  lines: RateLine[];
  /** Push results per second and in total, by OpenIM code. */
  pushCodes: Record<string, number>;
  pushTotals: Record<string, number>;
  subscriptions: number;
}

/** Props of the header line. */
export interface HeaderView {
  width: number;
  mode: 'embedded' | 'attached';
  node: NodeInfo | undefined;
  state: AdminSourceState;
  users: number;
  conns: number;
  simClients: number;
  eventsPerSec: number;
}

/** Everything the App component renders. */
export interface AppView {
  layout: Layout;
  header: HeaderView;
  conns: ConnectionsView;
  events: EventsView;
  presence: PresenceView;
  rates: RatesView;
  prompt: UiState['prompt'];
  status: UiState['status'];
  help: boolean;
  /** The event shown in full, when one is. */
  detail: EventRow | undefined;
  focus: PaneID;
}

/** What the view needs besides the store and UI state. */
export interface ViewContext {
  cols: number;
  rows: number;
  now: number;
  mode: 'embedded' | 'attached';
  state: AdminSourceState;
  /** Is this connection one of our simulated clients? */
  isSim: (c: ConnInfo) => boolean;
  simClients: number;
  eventsPerSec: number;
}

/** How long a presence change stays highlighted. */
const HIGHLIGHT_MS = 3000;

const RATE_LINES: RateLine[] = [
  { key: 'framesIn', label: 'frames in', values: [], unit: '/s' },
  { key: 'framesOut', label: 'frames out', values: [], unit: '/s' },
  { key: 'pushes', label: 'pushes', values: [], unit: '/s' },
  { key: 'handshakes', label: 'handshakes', values: [], unit: '/s' },
  { key: 'users', label: 'online users', values: [], unit: '' },
  { key: 'conns', label: 'connections', values: [], unit: '' },
];

/** Rows of the Connections pane that show connections (title border, column header and bottom border excluded). */
export function connBodyLines(l: Layout): number {
  return Math.max(1, l.topH - 3);
}

/** Rows of the Events pane that show events. */
export function eventBodyLines(l: Layout): number {
  return Math.max(1, l.topH - 2);
}

/**
 * Keeps the selection on the same connection while rows come and go (falls back to the same
 * index when it left), and scrolls so it stays visible. Mutates `ui`.
 */
export function reconcileSelection(store: TuiStore, ui: UiState, l: Layout): readonly ConnRowRef[] {
  const rows = store.connRows(ui.filter);
  let idx = -1;
  if (ui.selectedConnID !== undefined) {
    const at = rows[ui.selectedIndex];
    idx = at && at.conn.connID === ui.selectedConnID ? ui.selectedIndex : rows.findIndex((r) => r.conn.connID === ui.selectedConnID);
  }
  if (idx < 0) idx = Math.min(Math.max(0, ui.selectedIndex), rows.length - 1);
  ui.selectedIndex = Math.max(0, idx);
  ui.selectedConnID = rows[ui.selectedIndex]?.conn.connID;
  const body = connBodyLines(l);
  if (ui.selectedIndex < ui.connTop) ui.connTop = ui.selectedIndex;
  if (ui.selectedIndex >= ui.connTop + body) ui.connTop = ui.selectedIndex - body + 1;
  ui.connTop = Math.max(0, Math.min(ui.connTop, Math.max(0, rows.length - body)));
  return rows;
}

/** The user the Presence pane shows. */
export function presenceUserOf(store: TuiStore, ui: UiState): string | undefined {
  if (ui.presenceUser !== undefined) return ui.presenceUser;
  return ui.selectedConnID ? store.conn(ui.selectedConnID)?.userID : undefined;
}

/** Builds every pane's props. Calls {@link reconcileSelection} (so `ui` may change). */
export function buildView(store: TuiStore, ui: UiState, ctx: ViewContext): AppView {
  const l = layout(ctx.cols, ctx.rows);
  const rows = reconcileSelection(store, ui, l);
  const body = connBodyLines(l);
  const visible: ConnLine[] = [];
  for (let i = ui.connTop; i < rows.length && visible.length < body; i++) {
    const r = rows[i]!;
    visible.push({ conn: r.conn, first: r.first || i === ui.connTop, sim: ctx.isSim(r.conn) });
  }

  const evLines = eventBodyLines(l);
  const anchor = ui.eventsAnchor;
  const end = anchor === undefined ? store.newestSeq : Math.max(Math.min(anchor, store.newestSeq), Math.min(store.newestSeq, store.oldestSeq + evLines - 1));
  const evRows = store.eventsEndingAt(evLines, end);

  const pUser = presenceUserOf(store, ui);
  const last = pUser !== undefined ? store.lastPresence(pUser) : undefined;

  return {
    layout: l,
    focus: ui.focus,
    header: {
      width: l.width,
      mode: ctx.mode,
      node: store.node,
      state: ctx.state,
      users: store.userCount,
      conns: store.connCount,
      simClients: ctx.simClients,
      eventsPerSec: ctx.eventsPerSec,
    },
    conns: {
      width: l.connW,
      height: l.topH,
      rows: visible,
      selected: ui.selectedIndex - ui.connTop < visible.length ? ui.selectedIndex - ui.connTop : -1,
      first: ui.connTop,
      total: rows.length,
      users: store.userCount,
      filter: ui.filter,
      focused: ui.focus === 'conns',
      synced: store.synced,
      now: ctx.now,
    },
    events: {
      width: l.eventsW,
      height: l.topH,
      rows: evRows,
      focused: ui.focus === 'events',
      following: anchor === undefined,
      newer: store.newestSeq - end,
      held: store.eventCount,
      capacity: store.eventCapacity,
      verbose: store.verbose,
    },
    presence: {
      width: l.presenceW,
      height: l.bottomH,
      userID: pUser,
      pinned: ui.presenceUser !== undefined,
      here: pUser !== undefined ? store.connsOf(pUser) : [],
      last,
      watchers: pUser !== undefined ? store.watchersOf(pUser) : [],
      highlight: last !== undefined && ctx.now - last.at < HIGHLIGHT_MS,
      recent: pUser !== undefined ? store.findRecent((e) => e.type === 'presence' && e.userID === pUser, Math.max(0, l.bottomH - 4)) : [],
      now: ctx.now,
    },
    rates: {
      width: l.ratesW,
      height: l.bottomH,
      lines: RATE_LINES.map((r) => ({ ...r, values: store.series(r.key) })),
      pushCodes: store.pushCodesPerSec,
      pushTotals: store.pushCodesTotal,
      subscriptions: store.gauges.subscriptions,
    },
    prompt: ui.prompt,
    status: ui.status,
    help: ui.help,
    detail: ui.detail !== undefined ? store.eventsEndingAt(1, ui.detail).find((r) => r.seq === ui.detail) : undefined,
  };
}

import { Box, Text } from 'ink';
import { Pane } from './Pane.js';
import { fit } from '../format.js';
import { eventLine } from '../event-line.js';
import type { EventRow } from '../store.js';
import type { AppView, HeaderView } from '../view.js';

/** `host:port` as the header shows it when room is short: just `:port` on loopback. */
function portOf(addr: string): string {
  const m = /^(?:\w+:\/\/)?([^/]*):(\d+)\/?$/.exec(addr);
  if (!m) return addr;
  return /^(127\.0\.0\.1|localhost|\[::1\])$/.test(m[1]!) ? `:${m[2]}` : `${m[1]}:${m[2]}`;
}

/**
 * The header's two halves for a width: the most detailed form that fits, down to ports only and
 * short counts, so the ports stay visible on an 80-column terminal.
 */
export function headerParts(v: HeaderView): { left: string; counts: string } {
  const n = v.node;
  const mode = v.mode === 'embedded' ? 'embedded' : 'attached';
  const addrs: [string, string | undefined][] = [
    ['ws', n?.ws],
    ['hub', n?.hub],
    ['admin', n?.admin],
  ];
  const full = [mode, ...addrs.filter(([, a]) => a).map(([k, a]) => `${k} ${a}`)];
  const ports = [mode, ...addrs.filter(([, a]) => a).map(([k, a]) => `${k} ${portOf(a!)}`)];
  const longCounts = `${v.users} users · ${v.conns} conns · ${v.simClients} sim · ${Math.round(v.eventsPerSec)} ev/s`;
  const shortCounts = `${v.users}u ${v.conns}c ${v.simClients}sim ${Math.round(v.eventsPerSec)}ev/s`;
  const forms = [
    { left: ` msggw tui │ ${full.join(' │ ')}`, counts: longCounts },
    { left: ` msggw tui │ ${ports.join(' │ ')}`, counts: longCounts },
    { left: ` msggw tui │ ${ports.join(' │ ')}`, counts: shortCounts },
    { left: ` ${ports.join(' ')}`, counts: shortCounts },
  ];
  return forms.find((f) => f.left.length + f.counts.length + 3 <= v.width) ?? forms[forms.length - 1]!;
}

/** The top line: mode, addresses, counts, and the admin stream's state when it is not open. */
export function Header(v: HeaderView) {
  const { left, counts } = headerParts(v);
  const down = v.state.kind === 'down' ? `admin stream down: ${v.state.error}${v.state.retrying ? ' (retrying)' : ''}` : v.state.kind === 'connecting' ? 'connecting…' : '';
  const room = Math.max(0, v.width - counts.length - 2);
  return (
    <Box width={v.width} height={1}>
      <Text wrap="truncate" backgroundColor="blue" color="whiteBright">
        <Text bold>{fit(down ? ` msggw tui │ ` : left, down ? 13 : room)}</Text>
        {down ? <Text color="redBright">{fit(down, Math.max(0, room - 13))}</Text> : null}
        {` ${counts} `}
      </Text>
    </Box>
  );
}

/** The keys, as the bottom line shows them: key, label, short label for narrow terminals. */
export const KEYS: [string, string, string][] = [
  // Help and quit first: on narrow terminals the bar keeps what fits from the left.
  ['?', 'help', 'help'],
  ['q', 'quit', 'quit'],
  ['Tab', 'pane', 'pane'],
  ['n', 'spawn', 'spawn'],
  ['m', 'message', 'msg'],
  ['s', 'subscribe', 'sub'],
  ['g', 'seq', 'seq'],
  ['r', 'pull', 'pull'],
  ['R', 'pull 1005', 'p1005'],
  ['b', 'background', 'bg'],
  ['l', 'logout', 'out'],
  ['h', 'hub', 'hub'],
  ['k', 'kick', 'kick'],
  ['x', 'drop', 'drop'],
  ['e', 'event', 'ev'],
  ['/', 'filter', 'find'],
  ['p', 'presence', 'pres'],
  ['↑↓', 'move', 'move'],
  ['v', 'verbose', 'verb'],
  ['c', 'clear', 'clr'],
];

/** The keys that fit a width: full labels, else short ones, else the first that fit. */
export function keyBarItems(width: number): [string, string][] {
  const len = (items: [string, string][]) => items.reduce((a, [k, l]) => a + k.length + l.length + 3, 0);
  const full = KEYS.map(([k, l]) => [k, l] as [string, string]);
  if (len(full) <= width) return full;
  const short = KEYS.map(([k, , sl]) => [k, sl] as [string, string]);
  const out: [string, string][] = [];
  for (const item of short) {
    if (len([...out, item]) > width) break;
    out.push(item);
  }
  return out;
}

/** The key bar (bottom line), adapted to the width. */
export function KeyBar({ width }: { width: number }) {
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate">
        {keyBarItems(width).map(([k, label]) => (
          <Text key={k}>
            <Text bold color="cyanBright">{` ${k}`}</Text>
            <Text>{` ${label} `}</Text>
          </Text>
        ))}
      </Text>
    </Box>
  );
}

/** The line above the key bar: the open prompt (a selected default shown inverted), else the last action's outcome. */
export function StatusBar({ width, prompt, status }: { width: number; prompt: AppView['prompt']; status: AppView['status'] }) {
  if (prompt) {
    return (
      <Box width={width} height={1}>
        <Text wrap="truncate">
          <Text backgroundColor="cyan" color="black" bold>{` ${prompt.label} `}</Text>
          <Text> </Text>
          {prompt.selected ? <Text inverse>{prompt.text}</Text> : <Text>{prompt.text}</Text>}
          <Text inverse> </Text>
          <Text dimColor>{`   ${prompt.hint} · Enter ok · Esc cancel · ^U clear${prompt.selected ? ' · typing replaces' : ''}`}</Text>
        </Text>
      </Box>
    );
  }
  const color = status?.level === 'error' ? 'red' : status?.level === 'busy' ? 'yellow' : 'green';
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate" color={status ? color : 'gray'}>
        {fit(status ? ` ${status.level === 'busy' ? '…' : status.level === 'error' ? '✗' : '✓'} ${status.text}` : ' ready: n spawns simulated clients, ? lists every key', width)}
      </Text>
    </Box>
  );
}

/** Every key with what it does (replaces the bottom panes while open). */
export const HELP: [string, string][] = [
  ['Tab', 'switch the focused pane (Connections / Events)'],
  ['↑ ↓ PgUp PgDn Home End', 'move the selection / scroll the events (End = follow live)'],
  ['/', 'filter connections by user ID (Esc clears)'],
  ['n', 'spawn N simulated clients: "10 plat=mix enc=mix gzip=mix user=u"'],
  ['m', 'send a message from the selected client: "u2 hello" or "g:team hi"'],
  ['s', 'subscribe the selected client: "u2 u3 -u4" (- unsubscribes)'],
  ['g', 'GetNewestSeq (1001) on the selected client: max seq per conversation'],
  ['r', 'pull a range (1002 PullMsgBySeqList) on the selected client: "si_u1_u2 1-20"'],
  ['R', 'pull by seqs (1005 PullMsg) on the selected client: "si_u1_u2 1-20" or "si_u1_u2 2,5"'],
  ['b', 'toggle background (2004) on the selected client'],
  ['l', 'log the selected client out (2003)'],
  ['k', 'kick a user on a platform via hub KickUserOffline: "u1 5"'],
  ['h', 'hub menu: o GetUsersOnlineStatus · t push a text · c MultiTerminalLoginCheck · k kick'],
  ['e / Enter', 'show the newest (or scrolled-to) event in full; Esc closes'],
  ['x', 'drop the selected connection abruptly (no close frame)'],
  ['p', 'pin the Presence pane to a user (empty = follow selection)'],
  ['v / c', 'show successful requests too / clear the events'],
  ['q  Ctrl-C', 'quit (closes the simulated clients, stops an embedded node)'],
];

/** The help pane. */
export function HelpPane({ width, height }: { width: number; height: number }) {
  return (
    <Pane title="Keys" info="? closes" width={width} height={height} focused>
      {HELP.slice(0, Math.max(0, height - 2)).map(([k, d]) => (
        <Text key={k} wrap="truncate">
          <Text bold color="cyan">
            {fit(k, 24)}
          </Text>
          {d}
        </Text>
      ))}
    </Pane>
  );
}

/** One event in full (replaces the bottom panes): its line, then every field, wrapped. */
export function DetailPane({ width, height, row }: { width: number; height: number; row: EventRow }) {
  const line = eventLine(row.ev);
  const inner = Math.max(10, width - 2);
  const text = [`${line.kind}: ${line.text}`, ...JSON.stringify(row.ev, null, 1).split('\n').map((l) => l.replace(/^ +/, (m) => m.replace(/ /g, '  ')))];
  const wrapped: string[] = [];
  for (const t of text) for (let i = 0; i < Math.max(1, t.length); i += inner) wrapped.push(t.slice(i, i + inner));
  return (
    <Pane title={`Event #${row.seq}`} info="e or Esc closes" width={width} height={height} focused>
      {wrapped.slice(0, Math.max(0, height - 2)).map((l, i) => (
        <Text key={i} wrap="truncate" color={i === 0 ? line.color : undefined}>
          {l}
        </Text>
      ))}
    </Pane>
  );
}

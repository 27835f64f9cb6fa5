import { Box, Text } from 'ink';
import { Pane } from './Pane.js';
import { fit } from '../format.js';
import type { AppView, HeaderView } from '../view.js';

/** The top line: mode, addresses, counts, and the admin stream's state when it is not open. */
export function Header(v: HeaderView) {
  const n = v.node;
  const parts = [v.mode === 'embedded' ? 'embedded' : 'attached', n?.ws ? `ws ${n.ws}` : '', n?.hub ? `hub ${n.hub}` : '', n?.admin ? `admin ${n.admin}` : ''].filter(Boolean);
  const counts = `${v.users} users · ${v.conns} conns · ${v.simClients} sim · ${Math.round(v.eventsPerSec)} ev/s`;
  const down = v.state.kind === 'down' ? `admin stream down: ${v.state.error}${v.state.retrying ? ' (retrying)' : ''}` : v.state.kind === 'connecting' ? 'connecting…' : '';
  const left = ` msggw tui │ ${parts.join(' │ ')}`;
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

/** The keys, as the bottom line shows them. */
export const KEYS: [string, string][] = [
  // Help and quit first: the bar is cut at the right edge on narrow terminals.
  ['?', 'help'],
  ['q', 'quit'],
  ['Tab', 'pane'],
  ['↑↓', 'move'],
  ['/', 'filter'],
  ['n', 'spawn'],
  ['m', 'message'],
  ['s', 'subscribe'],
  ['b', 'background'],
  ['l', 'logout'],
  ['k', 'kick'],
  ['x', 'drop'],
  ['p', 'presence'],
  ['v', 'verbose'],
  ['c', 'clear'],
];

/** The key bar (bottom line). */
export function KeyBar({ width }: { width: number }) {
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate">
        {KEYS.map(([k, label]) => (
          <Text key={k}>
            <Text bold color="cyanBright">{` ${k}`}</Text>
            <Text>{` ${label} `}</Text>
          </Text>
        ))}
      </Text>
    </Box>
  );
}

/** The line above the key bar: the open prompt, else the last action's outcome. */
export function StatusBar({ width, prompt, status }: { width: number; prompt: AppView['prompt']; status: AppView['status'] }) {
  if (prompt) {
    return (
      <Box width={width} height={1}>
        <Text wrap="truncate">
          <Text backgroundColor="cyan" color="black" bold>{` ${prompt.label} `}</Text>
          <Text> {prompt.text}</Text>
          <Text inverse> </Text>
          <Text dimColor>{`   ${prompt.hint} · Enter ok · Esc cancel · ^U clear`}</Text>
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
  ['b', 'toggle background (2004) on the selected client'],
  ['l', 'log the selected client out (2003)'],
  ['k', 'kick a user on a platform via hub KickUserOffline: "u1 5"'],
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

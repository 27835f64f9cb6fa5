import { Box, Text } from 'ink';
import { Pane } from './Pane.js';
import { age, encLabel, fit, platLabel } from '../format.js';
import { short } from '../event-line.js';
import type { ConnectionsView } from '../view.js';

/** Column widths for an inner width (0 = column dropped). */
export interface ConnColumns {
  user: number;
  plat: number;
  enc: number;
  bg: number;
  conn: number;
  remote: number;
  q: number;
  age: number;
}

/**
 * Fits the columns to an inner width: the remote address gets 15 columns (loopback with a port)
 * and grows to 21 (any IPv4), user IDs get 6 to 16; on narrow panes the remote address goes
 * first, then the age, then the queue.
 */
export function connColumns(inner: number): ConnColumns {
  const col: ConnColumns = { user: 0, plat: 9, enc: 7, bg: 2, conn: 8, remote: 15, q: 5, age: 6 };
  // The selection and sim markers take 2 columns; one space separates each present column.
  const used = () => 2 + Object.values(col).reduce((a, w) => a + (w > 0 ? w + 1 : 0), 0) - 1;
  for (const drop of ['remote', 'age', 'q'] as const) {
    if (inner - used() - 1 >= 6) break;
    col[drop] = 0;
  }
  let rest = inner - used() - 1;
  // Without the remote column nothing else can use the room, so user IDs may take up to 24.
  col.user = Math.max(4, Math.min(col.remote > 0 ? 12 : 24, rest));
  rest -= col.user;
  if (col.remote > 0 && rest > 0) {
    const toAny = Math.min(rest, 6);
    const moreUser = Math.min(rest - toAny, 4);
    col.user += moreUser;
    col.remote += rest - moreUser;
  }
  return col;
}

/**
 * Users and their connections: one row per connection, the user named on the first row of its
 * group. Receives only the visible rows (see view.ts); `*` marks the TUI's simulated clients.
 */
export function ConnectionsPane(v: ConnectionsView) {
  const inner = v.width - 2;
  const col = connColumns(inner);
  const range = v.total === 0 ? '0' : `${v.first + 1}-${v.first + v.rows.length} of ${v.total}`;
  const info = `${v.users} users · ${range}${v.filter ? ` · filter "${v.filter}"` : ''}${v.synced ? '' : ' · syncing'}`;
  const header =
    '  ' +
    [
      fit('USER', col.user),
      fit('PLATFORM', col.plat),
      fit('ENC', col.enc),
      fit('BG', col.bg),
      fit('CONN', col.conn),
      col.remote ? fit('REMOTE', col.remote) : '',
      col.q ? fit('QUEUE', col.q, 'right') : '',
      col.age ? fit('AGE', col.age, 'right') : '',
    ]
      .filter((s) => s !== '')
      .join(' ');
  return (
    <Pane title="Connections" info={info} width={v.width} height={v.height} focused={v.focused}>
      <Text dimColor wrap="truncate">
        {fit(header, inner)}
      </Text>
      {v.rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {v.filter ? `  no user matches "${v.filter}" (/ to change, Esc clears)` : '  no connections yet: press n to spawn simulated clients'}
        </Text>
      ) : (
        v.rows.map((r, i) => {
          const c = r.conn;
          const sel = i === v.selected;
          const qColor = c.queue >= 64 ? 'red' : c.queue > 0 ? 'yellow' : undefined;
          return (
            <Box key={c.connID} width={inner} height={1}>
              <Text wrap="truncate" inverse={sel} color={sel && v.focused ? 'cyanBright' : undefined}>
                <Text color="cyanBright">{sel ? '›' : ' '}</Text>
                <Text color="green">{r.sim ? '*' : ' '}</Text>
                <Text bold={r.first}>{fit(r.first ? c.userID : '', col.user)}</Text> {fit(platLabel(c.platformID), col.plat)} {fit(encLabel(c.sdkType, c.gzip), col.enc)}{' '}
                <Text color={c.background ? 'yellow' : undefined}>{fit(c.background ? 'bg' : '·', col.bg)}</Text> <Text dimColor={!sel}>{fit(short(c.connID), col.conn)}</Text>
                {col.remote ? ` ${fit(c.remoteAddr, col.remote)}` : ''}
                {col.q ? <Text color={qColor}>{` ${fit(String(c.queue), col.q, 'right')}`}</Text> : ''}
                {col.age ? ` ${fit(age(v.now - c.connectedAt), col.age, 'right')}` : ''}
              </Text>
            </Box>
          );
        })
      )}
    </Pane>
  );
}

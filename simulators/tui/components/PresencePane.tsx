import type { ReactNode } from 'react';
import { Text } from 'ink';
import { age, clock, encLabel, fit, platLabel } from '../format.js';
import { short } from '../event-line.js';
import type { PresenceView } from '../view.js';
import { Pane } from './Pane.js';

const LABEL_W = 13;

/**
 * Presence of one user: their platforms here, the last change the online cache saw and how many
 * connections it told (2005), who subscribes to them, and the latest changes. A fresh change
 * turns the frame yellow and marks the watchers that were told.
 */
export function PresencePane(v: PresenceView) {
  const inner = v.width - 2;
  if (v.userID === undefined) {
    return (
      <Pane title="Presence" width={v.width} height={v.height}>
        <Text dimColor wrap="truncate">
          {fit(' select a connection (↑↓) or press p to pick a user', inner)}
        </Text>
      </Pane>
    );
  }
  const body = v.height - 2;
  const valueW = Math.max(1, inner - LABEL_W - 1);
  const here = v.here.length > 0 ? v.here.map((c) => `${platLabel(c.platformID)} (${encLabel(c.sdkType, c.gzip)}${c.background ? ', bg' : ''})`).join(', ') : 'offline here';
  const told = new Set(v.highlight && v.last ? v.last.watchers.map((w) => w.connID) : []);
  const lines: { key: string; node: ReactNode }[] = [];
  const row = (key: string, label: string, value: string, hot = false) =>
    lines.push({
      key,
      node: (
        <Text wrap="truncate" color={hot ? 'yellow' : undefined} bold={hot}>
          <Text dimColor={!hot}>{fit(` ${label}`, LABEL_W)}</Text> {fit(value, valueW)}
        </Text>
      ),
    });
  row('here', 'online here', here);
  const last = v.last;
  row(
    'last',
    'last change',
    last ? `[${last.platformIDs.map(platLabel).join(', ') || 'offline'}] told ${last.told}, ${age(v.now - last.at)} ago at ${clock(last.at).slice(0, 8)}` : 'none seen since the TUI started',
    v.highlight,
  );
  row('wh', 'watched by', v.watchers.length === 0 ? 'nobody (s on a client subscribes it)' : `${v.watchers.length} connection(s) (2005 subscribers)`);
  const recent = v.recent.slice(1);
  // Watchers first; the older changes take what room is left.
  const room = Math.max(0, body - lines.length - (recent.length > 0 ? 2 : 0));
  const shown = v.watchers.length > room ? v.watchers.slice(0, Math.max(0, room - 1)) : v.watchers;
  for (const w of shown) {
    const hit = told.has(w.connID);
    lines.push({
      key: w.connID,
      node: (
        <Text wrap="truncate" color={hit ? 'yellow' : undefined} inverse={hit}>
          {fit(`   ${hit ? '◆' : '·'} ${w.userID} ${platLabel(w.platformID)} conn ${short(w.connID)}${hit ? '  told' : ''}`, inner)}
        </Text>
      ),
    });
  }
  if (shown.length < v.watchers.length) lines.push({ key: 'more', node: <Text dimColor>{`   … ${v.watchers.length - shown.length} more`}</Text> });
  if (recent.length > 0 && lines.length < body - 1) {
    lines.push({ key: 'rh', node: <Text dimColor>{fit(' earlier changes', inner)}</Text> });
    for (const r of recent) {
      if (r.ev.type !== 'presence') continue;
      const plats = r.ev.platformIDs.map(platLabel).join(', ') || 'offline';
      lines.push({ key: `r${r.seq}`, node: <Text dimColor>{fit(`   ${clock(r.ev.at)} [${plats}] told ${r.ev.subscribers}`, inner)}</Text> });
    }
  }
  return (
    <Pane title={`Presence: ${v.userID}`} info={v.pinned ? 'pinned · p + empty follows' : 'follows selection'} width={v.width} height={v.height} color={v.highlight ? 'yellow' : undefined}>
      {lines.slice(0, body).map((l) => (
        <Text key={l.key} wrap="truncate">
          {l.node}
        </Text>
      ))}
    </Pane>
  );
}

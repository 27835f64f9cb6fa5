import { Text } from 'ink';
import { eventLine } from '../event-line.js';
import { clock, fit } from '../format.js';
import type { EventsView } from '../view.js';
import { Pane } from './Pane.js';

/** Width of the kind column ("disconnect" is the longest). */
const KIND_W = 10;

/**
 * The live event stream, newest at the bottom. Only the rows that fit arrive (the store keeps
 * a bounded ring; view.ts picks the window), so a burst of events costs one window per frame.
 */
export function EventsPane(v: EventsView) {
  const inner = v.width - 2;
  const textW = Math.max(1, inner - 13 - KIND_W - 1);
  const mode = v.following ? 'live' : `paused · ${v.newer} newer (End)`;
  const info = `${v.held}/${v.capacity} · ${mode}${v.verbose ? ' · verbose' : ''}`;
  return (
    <Pane title="Events" info={info} width={v.width} height={v.height} focused={v.focused}>
      {v.rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {'  waiting for gateway events...'}
        </Text>
      ) : (
        v.rows.map((r) => {
          const line = eventLine(r.ev);
          return (
            <Text key={r.seq} wrap="truncate">
              <Text dimColor>{clock(r.ev.at)} </Text>
              <Text color={line.color} bold>
                {fit(line.kind, KIND_W)}
              </Text>{' '}
              {fit(line.text, textW)}
            </Text>
          );
        })
      )}
    </Pane>
  );
}

import { Box, Text } from 'ink';
import { compact, fit, sparkRows } from '../format.js';
import type { RatesView } from '../view.js';
import { Pane } from './Pane.js';

const LABEL_W = 13;
const VALUE_W = 9;

/** Names of push result codes (upstream's). */
const CODE_NAMES: Record<string, string> = { '0': 'ok', '1603': '1603 write failed', '1604': '1604 iOS background' };

/**
 * Per-second rates as sparklines (one sample a second from the counters message) and two levels,
 * each up to three lines tall when the pane has room, plus the push results by code.
 */
export function RatesPane(v: RatesView) {
  const inner = v.width - 2;
  const sparkW = Math.max(1, inner - LABEL_W - VALUE_W - 2);
  const body = v.height - 2;
  const perLine = Math.max(1, Math.min(3, Math.floor((body - 1) / Math.max(1, v.lines.length))));
  const fitting = v.lines.slice(0, Math.max(0, Math.floor((body - 1) / perLine)));
  const codes = Object.keys({ ...v.pushTotals, ...v.pushCodes })
    .sort()
    .map((code) => `${CODE_NAMES[code] ?? code} ${compact(v.pushTotals[code] ?? 0)} (${compact(v.pushCodes[code] ?? 0)}/s)`)
    .join(' · ');
  return (
    <Pane title="Rates" info="1 sample/s" width={v.width} height={v.height}>
      {fitting.map((l) => {
        const cur = l.values.length > 0 ? l.values[l.values.length - 1]! : Number.NaN;
        const spark = sparkRows(l.values, sparkW, perLine);
        return (
          <Box key={l.key} flexDirection="column" height={perLine}>
            {spark.map((s, i) => (
              <Text key={i} wrap="truncate">
                <Text dimColor={i > 0}>{fit(i === 0 ? l.label : '', LABEL_W)}</Text> <Text color="green">{s}</Text>{' '}
                <Text bold>{fit(i === 0 ? `${compact(cur)}${l.unit}` : '', VALUE_W, 'right')}</Text>
              </Text>
            ))}
          </Box>
        );
      })}
      {body > fitting.length * perLine ? (
        <Text wrap="truncate" dimColor>
          {fit(`push results: ${codes || 'none yet'}   ·   subscriptions ${v.subscriptions}`, inner)}
        </Text>
      ) : null}
    </Pane>
  );
}

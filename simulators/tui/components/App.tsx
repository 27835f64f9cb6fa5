import { Box, useInput, type Key } from 'ink';
import type { AppView } from '../view.js';
import { DetailPane, HelpPane, Header, KeyBar, StatusBar } from './Chrome.js';
import { ConnectionsPane } from './ConnectionsPane.js';
import { EventsPane } from './EventsPane.js';
import { PresencePane } from './PresencePane.js';
import { RatesPane } from './RatesPane.js';

/** Props of {@link App}: the whole view, and where keys go. */
export interface AppProps {
  view: AppView;
  /** Receives every key press; omit for a display-only render (tests, snapshots). */
  onKey?: (input: string, key: Key) => void;
}

/** Forwards key presses to the controller: the only thing in the tree that touches input. */
function KeyInput({ onKey }: { onKey: (input: string, key: Key) => void }) {
  useInput(onKey);
  return null;
}

/** The whole screen, laid out from props alone. */
export function App({ view, onKey }: AppProps) {
  const l = view.layout;
  return (
    <Box flexDirection="column" width={l.width} height={l.height}>
      {onKey ? <KeyInput onKey={onKey} /> : null}
      <Header {...view.header} />
      {view.help ? (
        <HelpPane width={l.width} height={l.topH + l.bottomH} />
      ) : view.detail ? (
        <DetailPane width={l.width} height={l.topH + l.bottomH} row={view.detail} />
      ) : (
        <>
          <Box flexDirection="row" height={l.topH}>
            <ConnectionsPane {...view.conns} />
            <EventsPane {...view.events} />
          </Box>
          <Box flexDirection="row" height={l.bottomH}>
            <PresencePane {...view.presence} />
            <RatesPane {...view.rates} />
          </Box>
        </>
      )}
      <StatusBar width={l.width} prompt={view.prompt} status={view.status} />
      <KeyBar width={l.width} />
    </Box>
  );
}

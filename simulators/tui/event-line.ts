import type { AdminEvent } from '../../src/admin/schema.js';
import { policyDescriptions } from '../../src/gateway/multi-login.js';
import { reqIdentifierName } from '../../src/protocol/identifiers.js';
import { encLabel, platLabel } from './format.js';
import type { LocalEvent } from './store.js';

/** How one event reads in the Events pane: a kind column, a colour, and the text. */
export interface EventLine {
  kind: string;
  color: 'green' | 'yellow' | 'red' | 'cyan' | 'magenta' | 'blue' | 'gray' | 'white';
  text: string;
}

/** Upstream's multi-login policies, named for people. */
const CAUSE: Record<string, string> = { login: 'new login here', 'remote-login': 'login on another node', hub: 'hub KickUserOffline' };

/** Formats an event for the Events pane (pure; only visible rows are formatted). */
export function eventLine(ev: AdminEvent | LocalEvent): EventLine {
  switch (ev.type) {
    case 'connect':
      return { kind: 'connect', color: 'green', text: `${ev.userID} ${platLabel(ev.platformID)} ${encLabel(ev.sdkType, ev.gzip)} conn ${short(ev.connID)} from ${ev.remoteAddr}` };
    case 'disconnect':
      return {
        kind: 'disconnect',
        color: ev.reason === 'kicked' ? 'red' : 'yellow',
        text: `${ev.userID} ${platLabel(ev.platformID)} conn ${short(ev.connID)}: ${ev.reason}${ev.detail && ev.detail !== ev.reason ? ` (${ev.detail})` : ''}`,
      };
    case 'kick':
      return {
        kind: 'kick',
        color: 'red',
        text: `${ev.userID} ${platLabel(ev.platformID)} conn ${short(ev.connID)}: ${CAUSE[ev.cause] ?? ev.cause} (policy ${ev.policy}: ${policyDescriptions[ev.policy] ?? '?'})`,
      };
    case 'handshake-fail':
      return { kind: 'refused', color: 'red', text: `handshake errCode ${ev.code} ${ev.message}${ev.detail ? `: ${ev.detail}` : ''} from ${ev.remoteAddr}` };
    case 'request':
      return ev.errCode === 0
        ? { kind: 'request', color: 'gray', text: `${ev.userID} ${ev.reqIdentifier} ${reqIdentifierName(ev.reqIdentifier)} ok ${ev.ms.toFixed(1)} ms` }
        : { kind: 'req-error', color: 'red', text: `${ev.userID} ${ev.reqIdentifier} ${reqIdentifierName(ev.reqIdentifier)} errCode ${ev.errCode}${ev.errMsg ? ` ${ev.errMsg}` : ''}${ev.errDlt ? `: ${ev.errDlt}` : ''} (${ev.ms.toFixed(1)} ms)` };
    case 'push': {
      const m = ev.msg;
      const who = m ? `${m.sendID}→${m.groupID ? `group ${m.groupID}` : m.recvID}${m.seq ? ` seq ${m.seq}` : ''}: ` : '';
      const codes = Object.entries(ev.codes)
        .map(([code, n]) => `${code === '0' ? 'ok' : code}×${n}`)
        .join(' ');
      const reached = ev.reached && ev.reached.length > 0 ? ` → ${ev.reached.join(', ')}` : '';
      return { kind: 'push', color: 'cyan', text: `${who}${ev.userIDs} user(s), ${codes || 'nobody online'}${reached}` };
    }
    case 'push-dropped': {
      const m = ev.msg;
      const who = m ? `${m.sendID}→${m.groupID ? `group ${m.groupID}` : m.recvID}${m.seq ? ` seq ${m.seq}` : ''}: ` : '';
      const why = ev.reason === 'queue_full' ? 'push queue full' : `deadline passed${ev.waitedMs > 0 ? ` after ${ev.waitedMs} ms in the queue` : ''}`;
      return { kind: 'push-drop', color: 'red', text: `${who}${why}: ${ev.undeliveredUsers}/${ev.userIDs} user(s) not pushed, ${ev.undeliveredConns} conn(s) answered 1603` };
    }
    case 'presence': {
      const plats = ev.platformIDs.length > 0 ? ev.platformIDs.map(platLabel).join(',') : 'offline';
      const watchers = ev.watchers && ev.watchers.length > 0 ? `: ${ev.watchers.map((w) => `${w.userID}@${platLabel(w.platformID)}`).join(', ')}` : '';
      return { kind: 'presence', color: 'magenta', text: `${ev.userID} now [${plats}], 2005 to ${ev.subscribers} conn(s)${watchers}` };
    }
    case 'api':
      return ev.errCode === 0
        ? { kind: 'api', color: 'blue', text: `${ev.userID || '-'} ${ev.path} ok ${ev.ms.toFixed(1)} ms` }
        : { kind: 'api-error', color: 'red', text: `${ev.userID || '-'} ${ev.path} errCode ${ev.errCode} (${ev.ms.toFixed(1)} ms)` };
    case 'rpc':
      return { kind: 'rpc-error', color: 'red', text: `${ev.name} code ${ev.code} (${ev.ms.toFixed(0)} ms) ${ev.path}` };
    case 'conn-update':
      return { kind: 'update', color: 'gray', text: `${ev.userID} conn ${short(ev.connID)} background=${ev.background} subs=[${ev.subs.join(',')}]` };
    case 'log':
      return { kind: ev.level === 'error' ? 'error' : 'note', color: ev.level === 'error' ? 'red' : 'blue', text: ev.text };
  }
}

/** The first 8 hex digits of a connID: enough to tell connections apart on screen. */
export function short(connID: string): string {
  return connID.slice(0, 8);
}

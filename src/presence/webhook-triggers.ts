import type { GatewayEvent } from '../gateway/events.js';
import type { ConnRegistry } from '../gateway/registry.js';
import type { Webhooks } from './webhooks.js';

/**
 * When the gateway's user webhooks fire, as upstream's msggateway fires them (both v3.8.x and
 * main). Upstream does not post per connection event: every change of its user map (a connection
 * registered, a connection removed: closed or kicked), every lease renewal and every
 * RecvSubChange self-heal (an online_change that left out a local platform) yields one status
 * entry `{online: the platform of each connection the user has left, offline: the platforms of
 * the connections removed}`, and after the entry's batch went to the user service it posts
 * afterUserOnline once per listed online connection and afterUserOffline once per offline
 * platform. So a second platform's login re-announces the first one, a disconnect announces what
 * is still online, and a kicked connection yields its offline at the kick and, when it finally
 * closes, one more entry with what is online then. afterUserKickOff is never posted: upstream
 * defines it (webhooks.yml, callback.go) and calls it nowhere.
 *
 * Where msggw differs on purpose (README, "Presence"): it posts at the change, not after the
 * status batch (upstream's posts also run on the batch's context, which is cancelled as soon as
 * the batch returns, so many of them are aborted there), and `connID` is the connection's ID where
 * upstream's is always empty (its batch entries drop it).
 */
export interface PresenceWebhookTriggers {
  /** Feed every gateway event (connect, kick, disconnect matter). */
  onEvent(e: GatewayEvent): void;
  /** A lease renewal, or the online_change self-heal, re-reported this user as online: re-announce its connections. */
  relist(userID: string): void;
}

export function presenceWebhookTriggers(hooks: Webhooks, registry: Pick<ConnRegistry, 'getAll'>): PresenceWebhookTriggers {
  /** One status entry of upstream's: every connection still online, then the platform that left. */
  const entry = (userID: string, gone?: { platformID: number; connID: string }): void => {
    const conns = registry.getAll(userID);
    for (const c of conns) {
      // Upstream reads isAppBackground from the first connection of that platform.
      const first = conns.find((o) => o.platformID === c.platformID) ?? c;
      hooks.afterUserOnline({ userID, platformID: c.platformID, isAppBackground: first.background, connID: c.connID });
    }
    if (gone) hooks.afterUserOffline({ userID, platformID: gone.platformID, connID: gone.connID });
  };
  return {
    onEvent(e) {
      switch (e.type) {
        case 'connect':
          entry(e.userID);
          return;
        case 'kick':
          // The registry removed it already: what is left, and its platform offline.
          entry(e.userID, { platformID: e.platformID, connID: e.connID });
          return;
        case 'disconnect':
          if (e.reason !== 'kicked') {
            entry(e.userID, { platformID: e.platformID, connID: e.connID });
            return;
          }
          // A kicked connection was announced offline at the kick; its close re-lists what is left
          // (upstream's unregister of a connection already removed), nothing when nobody is left.
          // Upstream handles that unregister after the login that caused the kick has registered,
          // and a login's kick closes the old connection before the new one is added here: so later.
          queueMicrotask(() => entry(e.userID));
          return;
        default:
          return;
      }
    },
    relist(userID) {
      entry(userID);
    },
  };
}

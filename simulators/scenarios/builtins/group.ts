/** `group`: one group, every member online, a few senders at a rate: fan-out. */
import { SessionType } from '../../../src/protocol/conversation.js';
import { forEachLimit, numberedUsers, type Scenario } from '../scenario.js';
import { pace, sleep } from '../timing.js';
import { MESSAGE_CHECKS } from '../checks.js';
import { rateTarget } from './chat.js';

/** How the members become members of the group on the target. */
export type GroupJoin = 'auto' | 'first-send' | 'none';

/** Parameters of {@link groupScenario}. */
export interface GroupParams {
  members: number;
  /** Members 1..senders send, round-robin. */
  senders: number;
  /** Messages per second over all senders. */
  rate: number;
  durationMs: number;
  /**
   * `auto`: in-process the sim defines the group in the msg simulator's store; against an
   * external gateway it falls back to `first-send`. `first-send`: every member sends one
   * message first (the msg simulator adds a sender to an unknown group on first use).
   * `none`: the group is already defined (`msggw serve --group <prefix>g1=...`).
   */
  join: GroupJoin;
}

/** See the module comment and {@link GroupParams}. */
export function groupScenario(p: GroupParams): Scenario {
  return {
    name: 'group',
    params: { ...p },
    userIDs: (ids) => numberedUsers(ids, p.members),
    trackMessages: true,
    defaultChecks: [...MESSAGE_CHECKS, 'kicks.unexpected==0'],
    paceTargets: (m) => [rateTarget(p.rate, p.durationMs, m)],
    async run(ctx) {
      const { run, target } = ctx;
      if (p.senders < 1 || p.senders > p.members) throw new Error(`--senders must be between 1 and --members (${p.members}), got ${p.senders}`);
      const groupID = run.groupID('g1');
      const memberIDs = Array.from({ length: p.members }, (_, i) => run.userID(i + 1));
      let defined = false;
      if (p.join === 'auto') defined = await target.defineGroup(groupID, memberIDs);
      ctx.status(`connecting ${p.members}`);
      const setup = ctx.within(ctx.setupTimeoutMs);
      const res = await run.openMany(p.members, (i) => ({ userID: memberIDs[i]!, mixIndex: i }), { signal: setup });
      const conns = res.conns.sort((a, b) => a.id - b.id);
      if (!defined && p.join !== 'none') {
        // First-use semantics: only a sender joins an unknown group, so every member sends once.
        ctx.status('joining (first send)');
        await forEachLimit(conns, 16, (c) => run.request(c, 1003, () => c.client.sendMsg({ groupID, sessionType: SessionType.ReadGroup, text: 'join' })), setup);
        // Let the join pushes land before the seq baseline is taken.
        await sleep(300, setup);
        ctx.note(`group ${groupID} joined by first send (${conns.length} join messages, not counted as load)`);
      } else if (p.join === 'none') {
        ctx.note(`group ${groupID} assumed defined on the target (--join none)`);
      }
      run.setGroup(groupID, memberIDs);
      ctx.status('initial sync');
      await forEachLimit(conns, 64, (c) => run.catchUp(c), setup);
      const senders = conns.filter((c) => memberIDs.indexOf(c.userID) < p.senders);
      if (senders.length === 0) throw new Error('no sender connected');
      ctx.markLoadStart();
      ctx.status('sending');
      await pace({ rate: p.rate, durationMs: p.durationMs, signal: ctx.signal }, (i) => {
        void run.send(senders[i % senders.length]!, { groupID });
      });
      ctx.markLoadEnd();
      ctx.section('group', { groupID, members: p.members, online: conns.length, senders: senders.length, defined: defined ? 'by the sim' : p.join });
    },
  };
}

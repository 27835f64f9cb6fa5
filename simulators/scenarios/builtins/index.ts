/** The built-in scenarios by name. */
export { connectScenario, type ConnectParams } from './connect.js';
export { chatScenario, openAndSync, peerOf, sendPairs, type ChatParams } from './chat.js';
export { groupScenario, type GroupJoin, type GroupParams } from './group.js';
export { presenceScenario, type PresenceParams } from './presence.js';
export { multiloginScenario, expectedKicks, LOGIN_SEQUENCE, type MultiloginParams } from './multilogin.js';
export { reconnectScenario, type ReconnectParams } from './reconnect.js';

/** Names `msggw sim <name>` accepts (`run` takes a scenario file). */
export const SCENARIO_NAMES = ['connect', 'chat', 'group', 'presence', 'multilogin', 'reconnect', 'run'] as const;

/** One of {@link SCENARIO_NAMES}. */
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

import type { ApiDeps } from './deps.js';
import { authRoutes } from './handlers/auth.js';
import { conversationRoutes } from './handlers/conversation.js';
import { friendRoutes } from './handlers/friend.js';
import { groupRoutes } from './handlers/group.js';
import { msgRoutes } from './handlers/msg.js';
import { userRoutes } from './handlers/user.js';
import type { ApiRoute } from './server.js';

/** The route table: every path the REST API simulator answers (see contract.ts API_PATHS). */
export function apiRoutes(d: ApiDeps): ApiRoute[] {
  return [...authRoutes(d), ...userRoutes(d), ...friendRoutes(d), ...groupRoutes(d), ...conversationRoutes(d), ...msgRoutes(d)];
}

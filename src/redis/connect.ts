import { Redis } from 'ioredis';
import { randomInt } from 'node:crypto';
import RedisMock from 'ioredis-mock';

/** The embedded Redis every part of this process shares unless given another key. */
export const PROCESS_MOCK_KEY = randomInt(20_000, 60_000);

/** The Redis client type the rest of the code uses (ioredis-mock is API compatible). */
export type RedisClient = Redis;

/**
 * Opens a Redis connection: a real one for `url`, else the embedded ioredis-mock. Mock
 * instances created with the same `mockKey` share data and pub/sub, like clients of one server.
 */
export function connectRedis(url: string | undefined, opts: { mockKey?: number; onError?: (e: Error) => void } = {}): RedisClient {
  if (url) {
    const client = new Redis(url, {
      // Keep retrying forever with a capped backoff: a Redis restart must not kill the gateway.
      retryStrategy: (times) => Math.min(times * 100, 2000),
      maxRetriesPerRequest: 3,
      lazyConnect: false,
    });
    // Connection errors are expected while Redis restarts (ioredis reconnects by itself); without
    // a listener ioredis prints each one as an "unhandled error event".
    let last = 0;
    client.on('error', (e: Error) => {
      if (Date.now() - last < 5000) return;
      last = Date.now();
      opts.onError?.(e);
    });
    return client;
  }
  return new RedisMock({ port: opts.mockKey ?? PROCESS_MOCK_KEY }) as unknown as Redis;
}

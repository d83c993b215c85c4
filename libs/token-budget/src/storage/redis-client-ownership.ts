import type { Logger } from '@nestjs/common';
import { logConnectionChanges } from './connection-log';
import type { IoredisCluster as Cluster, IoredisClient as Redis, IoredisConstructor, IoredisOptions as RedisOptions } from './redis-client';

/** What RedisAdapter accepts: a client you own, or what it needs to create (and own) one. */
export type RedisAdapterInput = Redis | Cluster | RedisOptions | string;

/**
 * Settings of a client the adapter creates: a command waits at most a second and is retried once
 * while reconnecting, so an unreachable Redis answers (per failMode) instead of hanging requests;
 * reconnection is tried at least every 500 ms (ioredis alone backs off to 2 s), so budgets are
 * enforced again within about half a second of Redis coming back.
 */
const OWNED_CLIENT_DEFAULTS: RedisOptions = {
  commandTimeout: 1_000,
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt: number) => Math.min(attempt * 50, 500),
};

/**
 * The client of an adapter, and whether the adapter owns it: a client given is used as is (with a
 * warning when it has no commandTimeout) and never closed; options or a URL make a client with
 * {@link OWNED_CLIENT_DEFAULTS} whose outages are logged once each, closed by {@link closeOwnedClient}.
 */
export function clientOf(input: RedisAdapterInput, logger: Logger): { client: Redis | Cluster; owned: boolean } {
  if (isClient(input)) {
    const options = input.isCluster ? (input as Cluster).options.redisOptions : (input as Redis).options;
    if (options?.commandTimeout === undefined) {
      logger.warn(
        'The Redis client given to RedisAdapter has no commandTimeout: if Redis stalls, requests wait for it. Set commandTimeout (e.g. 1000) and maxRetriesPerRequest (e.g. 1) on the client.',
      );
    }
    return { client: input, owned: false };
  }
  const RedisClient = loadIoredis();
  const client =
    typeof input === 'string' ? new RedisClient(input, OWNED_CLIENT_DEFAULTS) : new RedisClient({ ...OWNED_CLIENT_DEFAULTS, ...input });
  logConnectionChanges(client, logger);
  return { client, owned: true };
}

/** Quits a client the adapter created (waits for its end); one that is away is just disconnected. */
export async function closeOwnedClient(client: Redis | Cluster, logger: Logger): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    // Redis is away (reconnecting): nothing can be flushed, and QUIT would wait for an 'end' that never comes
    client.disconnect();
    return;
  }
  try {
    const ended = new Promise((resolve) => client.once('end', resolve));
    await client.quit();
    await ended;
  } catch (error) {
    logger.warn(`Closing the Redis client failed: ${String(error)}`);
    client.disconnect();
  }
}

/** An ioredis client (Redis or Cluster), told by shape so that two installed copies of ioredis both work. */
function isClient(input: RedisAdapterInput): input is Redis | Cluster {
  return typeof input === 'object' && input !== null && typeof (input as Redis).defineCommand === 'function' && 'isCluster' in input;
}

/** ioredis is an optional peer: loaded only when the adapter has to create a client. */
function loadIoredis(): IoredisConstructor {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('ioredis').default;
  } catch {
    throw new Error('RedisAdapter needs the ioredis package: npm install ioredis');
  }
}

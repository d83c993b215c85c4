/**
 * What the library needs of an ioredis client, written as its own structural types so that the
 * published `.d.ts` import nothing of ioredis (an optional peer: an app on MemoryAdapter compiles
 * without it, `skipLibCheck` off) and so that clients of ioredis 5 and 6, even both installed side by
 * side, are accepted. A new client call in the library adds its method here.
 */

/** The client settings the library reads or sets (a subset of ioredis `RedisOptions`). */
export interface IoredisOptions {
  host?: string;
  port?: number;
  /** Longest wait for a command's reply, ms. */
  commandTimeout?: number;
  maxRetriesPerRequest?: number | null;
  retryStrategy?: ((times: number) => number | void | null) | null;
  [option: string]: unknown;
}

type Reply<T> = Promise<T>;

/** A MULTI transaction of the library's `setLimit`. */
export interface IoredisMulti {
  hset(key: string, field: string, value: string | number): unknown;
  hdel(key: string, field: string): unknown;
  exec(): Reply<unknown>;
}

/** The commands and events the library uses, common to ioredis `Redis` and `Cluster`. */
export interface IoredisCommands {
  readonly isCluster: boolean;
  readonly status: string;
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  multi(): IoredisMulti;
  zrevrange(key: string, start: number, stop: number, withScores: 'WITHSCORES'): Reply<string[]>;
  zrem(key: string, member: string): Reply<number>;
  zadd(key: string, gt: 'GT', score: number, member: string): Reply<unknown>;
  pexpire(key: string, milliseconds: number): Reply<number>;
  del(...keys: string[]): Reply<number>;
  /** The server's clock: `[seconds, microseconds]`. */
  time(): Reply<(number | string)[]>;
  quit(): Reply<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
}

/** The settings the library reads back from a client it is given. */
export interface IoredisClientSettings {
  commandTimeout?: number;
}

/** An ioredis `Redis` (single node) client, as the library uses it. */
export interface IoredisClient extends IoredisCommands {
  readonly options: IoredisClientSettings;
}

/** An ioredis `Cluster` client, as the library uses it. */
export interface IoredisCluster extends IoredisCommands {
  readonly options: { redisOptions?: IoredisClientSettings };
}

/** The ioredis constructor, loaded at run time only when the adapter creates its own client. */
export type IoredisConstructor = new (...args: [string, IoredisOptions] | [IoredisOptions]) => IoredisClient;

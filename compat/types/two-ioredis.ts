// ioredis 5 and 6 installed side by side: a client of either is a RedisAdapterInput.
import { Cluster as Cluster5, Redis as Redis5 } from 'ioredis5';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { RedisAdapter, type RedisAdapterInput } from 'nestjs-token-budget';

export const inputs: RedisAdapterInput[] = [
  new Redis5({ lazyConnect: true }),
  new Redis6({ lazyConnect: true }),
  new Cluster5([], { lazyConnect: true }),
  new Cluster6([], { lazyConnect: true }),
  'redis://127.0.0.1:6379',
  { host: '127.0.0.1', port: 6379, commandTimeout: 1_000 },
];
export const adapters = [new RedisAdapter(new Redis5({ lazyConnect: true })), new RedisAdapter(new Redis6({ lazyConnect: true }))];

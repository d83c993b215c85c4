import { startRedisCluster } from './redis-cluster';
import { startRedisServer } from './redis-server';

/**
 * Starts one redis-server and one 3-master Redis Cluster for the e2e project on free loopback
 * ports (or uses REDIS_URL / REDIS_CLUSTER_NODES when they are set) and publishes them as
 * REDIS_URL and REDIS_CLUSTER_NODES (`host:port,...`) to the test workers. Fails, never skips,
 * when redis-server is not available.
 */
export default async function globalSetup(): Promise<void> {
  // the gateway's request logs (JSON on stdout) stay out of the test output; log tests capture them
  process.env.LOG_LEVEL ??= 'silent';
  const started = globalThis as { __redisServer__?: unknown; __redisCluster__?: unknown };
  const [server, cluster] = await Promise.all([
    process.env.REDIS_URL ? undefined : startRedisServer(),
    process.env.REDIS_CLUSTER_NODES ? undefined : startRedisCluster(3),
  ]);
  if (server) {
    process.env.REDIS_URL = server.url;
    started.__redisServer__ = server;
  }
  if (cluster) {
    process.env.REDIS_CLUSTER_NODES = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    started.__redisCluster__ = cluster;
  }
}

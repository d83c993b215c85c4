import type { Logger } from '@nestjs/common';
import type { IoredisCluster as Cluster, IoredisClient as Redis } from './redis-client';

/**
 * Logs an outage of a client's Redis once when it starts (the first connection error) and once
 * when it ends (the client is ready again), instead of one line per reconnection attempt.
 */
export function logConnectionChanges(client: Redis | Cluster, logger: Logger): void {
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.error(
      `Redis is unreachable; budget calls fail until it returns (failMode decides whether requests get 503 or pass): ${error.message}`,
    );
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log('Redis is reachable again; budgets are enforced');
  });
}

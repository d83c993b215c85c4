import type { IoredisCluster as Cluster, IoredisClient as Redis } from '../redis-client';
import { COMMIT_SCRIPT } from './commit.script';
import { GRANT_SCRIPT } from './grant.script';
import { PREPARE_COMMIT_SCRIPT } from './prepare-commit.script';
import { READ_SCRIPT } from './read.script';
import { RELEASE_SCRIPT } from './release.script';
import { RENEW_SCRIPT } from './renew.script';
import { RESERVE_SCRIPT } from './reserve.script';
import { SHRINK_SCRIPT } from './shrink.script';

/** One script as ioredis runs it: EVALSHA with `numKeys` keys, then the arguments (EVAL once on NOSCRIPT). */
type ScriptCommand = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

/** A client with the budget scripts defined on it. */
export type ScriptedClient = (Redis | Cluster) & {
  tokenBudgetReserve: ScriptCommand;
  tokenBudgetCommit: ScriptCommand;
  tokenBudgetRelease: ScriptCommand;
  tokenBudgetRead: ScriptCommand;
  tokenBudgetGrant: ScriptCommand;
  tokenBudgetRenew: ScriptCommand;
  tokenBudgetPrepareCommit: ScriptCommand;
  tokenBudgetShrink: ScriptCommand;
};

/**
 * Defines every budget script on the client, once (ioredis `defineCommand`: each call is an
 * EVALSHA of the script's SHA, re-sent as EVAL when the server answers NOSCRIPT).
 */
export function defineBudgetScripts(client: Redis | Cluster): ScriptedClient {
  client.defineCommand('tokenBudgetReserve', { lua: RESERVE_SCRIPT });
  client.defineCommand('tokenBudgetCommit', { lua: COMMIT_SCRIPT });
  client.defineCommand('tokenBudgetRelease', { lua: RELEASE_SCRIPT });
  client.defineCommand('tokenBudgetRead', { lua: READ_SCRIPT });
  client.defineCommand('tokenBudgetGrant', { lua: GRANT_SCRIPT });
  client.defineCommand('tokenBudgetRenew', { lua: RENEW_SCRIPT });
  client.defineCommand('tokenBudgetPrepareCommit', { lua: PREPARE_COMMIT_SCRIPT });
  client.defineCommand('tokenBudgetShrink', { lua: SHRINK_SCRIPT });
  return client as ScriptedClient;
}

import { Cluster } from 'ioredis';
import { BudgetService, BudgetSettlementEvent, RedisAdapter } from 'nestjs-token-budget';
import { slotOf } from './fixtures/cluster';
import { eventually } from './fixtures/create-app';
import { budgetService } from './fixtures/service';
import { uniquePrefix } from './fixtures/storages';
import { ReplicatedCluster } from './fixtures/replicated-cluster';

const WORKERS = 8;
const LEASE_MS = 4_000;
const subjectOf = (w: number) => ({ user: `u${w % 4}`, tenant: `t${w % 2}` });

describe('commits on a Redis Cluster with one replica per master, through a failover and a slot move under load', () => {
  let cluster: ReplicatedCluster;
  let client: Cluster;
  let env: { budgets: BudgetService; close(): Promise<void> };
  let keyPrefix: string;
  let trap: { slot: number; fire: () => void } | undefined;
  beforeAll(async () => {
    cluster = await ReplicatedCluster.start();
    client = new Cluster(cluster.seeds, {
      redisOptions: { commandTimeout: 1_000, maxRetriesPerRequest: 1 },
      retryDelayOnFailover: 100,
      retryDelayOnTryAgain: 100,
      retryDelayOnClusterDown: 100,
    });
    client.on('error', () => undefined);
    keyPrefix = uniquePrefix();
    const storage = new RedisAdapter(client);
    // picks the moment of a fault: the first commit script sent to the trapped slot freezes its
    // master just before it is written (the script itself runs unchanged, on the real cluster)
    const scripted = client as unknown as { tokenBudgetCommit: (numKeys: number, ...args: unknown[]) => Promise<unknown> };
    const commitScript = scripted.tokenBudgetCommit.bind(client);
    scripted.tokenBudgetCommit = (numKeys, ...args) => {
      if (trap && slotOf(String(args[0])) === trap.slot) {
        const { fire } = trap;
        trap = undefined;
        fire();
      }
      return commitScript(numKeys, ...args);
    };
    env = await budgetService({
      storage,
      keyPrefix,
      leaseMs: LEASE_MS,
      budgets: [
        { scope: 'user', period: 'day', tokens: 100_000_000 },
        { scope: 'tenant', period: 'day', tokens: 100_000_000 },
        { scope: 'global', period: 'day', tokens: 100_000_000 },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await client?.quit().catch(() => undefined);
    await cluster?.stop();
  });

  it('every counter ends equal to what the clients were told was committed, nothing left reserved', async () => {
    const budgets = env.budgets;
    const events: BudgetSettlementEvent[] = [];
    budgets.on('settlement').subscribe((e) => events.push(e));
    // what each call was told was committed, per counter key (user, tenant, global)
    const told = new Map<string, { used: number; requests: number }>();
    const count = (key: string, amount: number) => {
      const t = told.get(key) ?? { used: 0, requests: 0 };
      t.used += amount;
      t.requests += 1;
      told.set(key, t);
    };
    let stop = false;
    let committed = 0;
    let refused = 0;
    let n = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const subject = subjectOf(w);
        let reservation;
        try {
          reservation = await budgets.reserve(subject, 500);
        } catch {
          refused += 1; // storage failed during the failover or the move: nothing admitted
          continue;
        }
        const amount = 1 + (n++ % 400);
        const usage = await reservation.commit(amount); // resolves once counted, or kept to be retried
        expect(usage.totalTokens).toBe(amount);
        count(`user:${subject.user}`, amount);
        count(`tenant:${subject.tenant}`, amount);
        count('global:all', amount);
        committed += 1;
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    try {
      await eventually(async () => committed >= 200, 30_000);
      const day = new Date().toISOString().slice(0, 10);
      const keyOf = (tag: string) => `${keyPrefix}:budget:{${tag}}:${day}`;

      // a manual failover of the master of the global counter, under load
      const promoted = await cluster.failOver(slotOf(keyOf('global:all')));
      const afterFailover = committed;
      await eventually(async () => committed >= afterFailover + 200, 30_000);

      // the slot of tenant t0 moved to another master while calls commit on it (ASK, TRYAGAIN)
      const moved = await cluster.moveSlot(slotOf(keyOf('tenant:t0')), async () => {
        const during = committed;
        await eventually(async () => committed >= during + 20, 30_000);
      });
      const afterMove = committed;
      await eventually(async () => committed >= afterMove + 200, 30_000);

      // the master of tenant t1 stops answering (frozen) right as a call's commit reaches it,
      // after its prepare landed everywhere: that commit lands on the user and global slots and
      // times out on this one (half-landed), with the calls in flight beside it; all are retried
      // by reservation id while the replica takes over
      const t1Slot = slotOf(keyOf('tenant:t1'));
      const taken = await cluster.failOverFrozen(t1Slot, async (freeze) => {
        await new Promise<void>((resolve) => (trap = { slot: t1Slot, fire: () => (freeze(), resolve()) }));
        await eventually(async () => events.some((e) => e.action === 'queued'), 30_000);
      });
      const afterTakeover = committed;
      await eventually(async () => committed >= afterTakeover + 200, 30_000);
      console.log(
        `${committed} calls committed (${refused} refused while storage failed); failover to :${promoted.port}, slot moved to :${moved.port}, ` +
          `takeover by :${taken.port}; ` +
          `${events.filter((e) => e.action === 'queued').length} commits retried`,
      );
    } finally {
      stop = true;
      await load;
    }
    await eventually(async () => budgets.pendingSettlements === 0, 30_000);
    expect(events.filter((e) => e.action === 'dropped')).toEqual([]);
    expect(events.filter((e) => e.action === 'landed').length).toBe(events.filter((e) => e.action === 'queued').length);
    // holds of reservations that failed half way lapse with their lease; then nothing is reserved
    const subjects = [0, 1, 2, 3].map((w) => subjectOf(w));
    await eventually(async () => {
      for (const s of subjects) if ((await budgets.getUsage(s)).some((u) => u.reserved !== 0)) return false;
      return true;
    }, LEASE_MS + 10_000);
    for (const subject of subjects) {
      const [user, tenant, global] = await budgets.getUsage(subject);
      expect({ used: user.used, requests: user.requests }).toEqual(told.get(`user:${subject.user}`));
      expect({ used: tenant.used, requests: tenant.requests }).toEqual(told.get(`tenant:${subject.tenant}`));
      expect({ used: global.used, requests: global.requests }).toEqual(told.get('global:all'));
    }
  }, 180_000);
});

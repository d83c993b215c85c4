import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { BudgetService, TierResolver } from 'nestjs-token-budget';
import { generateApiKey, generateKeyId, hashApiKey, seededKeyId } from './api-key-hash';
import type { GatewayUser } from './gateway-user';
import { InvalidKeyRequestError } from './invalid-key-request.error';
import type { KeyRecord } from './key-record';
import type { KeySeed } from './key-seed';
import { KeyStore } from './key-store';

/** DI token of the keys seeded at boot (plain key -> seed). */
export const KEY_SEEDS = Symbol('KEY_SEEDS');

/** What a new key is for. */
export interface NewKey {
  userId: string;
  /** @default 'default' */
  tenantId?: string;
  /** A tier of the module's `tiers`; unset: the default tier. */
  tier?: string;
  /** Tokens per month on the key's own budget; 0 or unset = unlimited. */
  tokenBudget?: number;
  name?: string;
}

/** A key just created: the plain key, shown this once, and its record. */
export interface CreatedKey {
  key: string;
  record: KeyRecord;
}

/** Virtual keys: creation, lookup on each request, listing and revocation. */
@Injectable()
export class KeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger(KeysService.name);

  constructor(
    @Inject(KeyStore) private readonly store: KeyStore,
    private readonly budgets: BudgetService,
    private readonly tiers: TierResolver,
    @Inject(KEY_SEEDS) private readonly seeds: Readonly<Record<string, KeySeed>>,
  ) {}

  /** Files the seeded keys; a store that cannot be reached is logged, not fatal (those keys get 401 until a restart seeds them). */
  async onApplicationBootstrap(): Promise<void> {
    for (const [plain, seed] of Object.entries(this.seeds)) {
      try {
        await this.seed(plain, seed);
      } catch (error) {
        this.logger.error(
          `Could not seed the key of user '${seed.id}': ${(error as Error).message}. It is refused until the gateway restarts with the key store reachable.`,
        );
      }
    }
  }

  /** The caller a plain key stands for; undefined when the key is unknown or revoked. One store read. */
  async authenticate(plain: string): Promise<GatewayUser | undefined> {
    const record = await this.store.findByHash(hashApiKey(plain));
    if (!record || record.revokedAt !== undefined) return undefined;
    return { id: record.userId, tenantId: record.tenantId, tier: record.tier, keyId: record.id };
  }

  /** Creates a key; its budget is in force before the key can be used. */
  async create(input: NewKey): Promise<CreatedKey> {
    this.assertTier(input.tier);
    const key = generateApiKey();
    const record = this.record(generateKeyId(), input.userId, input.tenantId ?? 'default', input.tier, input.tokenBudget ?? 0, input.name);
    await this.applyBudget(record);
    if (!(await this.store.add(hashApiKey(key), record))) throw new Error(`Key id ${record.id} is taken; try again`);
    return { key, record };
  }

  list(): Promise<KeyRecord[]> {
    return this.store.list();
  }

  find(id: string): Promise<KeyRecord | undefined> {
    return this.store.findById(id);
  }

  /** Revokes a key at once on every instance sharing the store; undefined when there is no such key. */
  revoke(id: string): Promise<KeyRecord | undefined> {
    return this.store.revoke(id, new Date().toISOString());
  }

  private async seed(plain: string, seed: KeySeed): Promise<void> {
    const hash = hashApiKey(plain);
    const id = seededKeyId(hash);
    if (await this.store.findById(id)) return;
    const record = this.record(id, seed.id, seed.tenantId, this.seedTier(seed), seed.tokenBudget ?? 0, seed.name);
    await this.applyBudget(record);
    if (await this.store.add(hash, record)) this.logger.log(`Seeded key ${id} for user '${seed.id}'`);
  }

  /**
   * A seed's tier, or none (the tiers' default) when the tiers do not define it: the demo keys name
   * `free` and `pro`, and a config file with tiers of its own must still boot.
   */
  private seedTier(seed: KeySeed): string | undefined {
    try {
      this.assertTier(seed.tier);
      return seed.tier;
    } catch (error) {
      if (!(error instanceof InvalidKeyRequestError)) throw error;
      this.logger.warn(
        `The seeded key of user '${seed.id}' names tier '${seed.tier}', which the gateway's tiers do not define: it gets the default tier.`,
      );
      return undefined;
    }
  }

  private record(
    id: string,
    userId: string,
    tenantId: string,
    tier: string | undefined,
    tokenBudget: number,
    name: string | undefined,
  ): KeyRecord {
    return {
      id,
      userId,
      tenantId,
      tokenBudget,
      createdAt: new Date().toISOString(),
      ...(tier !== undefined ? { tier } : {}),
      ...(name !== undefined ? { name } : {}),
    };
  }

  /** A key's own token budget: a limit override on its `key` budget (none for 0 = unlimited). */
  private async applyBudget(record: KeyRecord): Promise<void> {
    if (record.tokenBudget > 0) await this.budgets.setLimit({ key: record.id }, { tokens: record.tokenBudget }, { scopes: ['key'] });
  }

  private assertTier(tier: string | undefined): void {
    if (tier === undefined) return;
    if (!this.tiers.enabled)
      throw InvalidKeyRequestError.create(`tier '${tier}' was given, but the gateway has no tiers`, 'Leave tier out, or configure tiers');
    try {
      this.tiers.tier(tier);
    } catch (error) {
      throw InvalidKeyRequestError.create(`tier: ${(error as Error).message}`, 'Pass one of those tiers');
    }
  }
}

import type { IndexEntry } from './storage-adapter.interface';

interface Ranking {
  scores: Map<string, number>;
  expireAt: number;
}

/**
 * MemoryAdapter's rankings (for `listUsage`): per key, member -> score. A commit sets one score
 * (O(1)); a query sorts the ranking it reads (O(n log n)), so no commit ever walks the records.
 */
export class MemoryRankings {
  private readonly rankings = new Map<string, Ranking>();

  set(key: string, member: string, score: number, expireAt: number): void {
    let ranking = this.rankings.get(key);
    if (!ranking) this.rankings.set(key, (ranking = { scores: new Map(), expireAt }));
    ranking.scores.set(member, score);
  }

  /** The highest `limit` members (all when 0), ties by member, descending. */
  top(key: string, limit: number, now: number): IndexEntry[] {
    const ranking = this.rankings.get(key);
    if (!ranking || ranking.expireAt <= now) return [];
    const entries = [...ranking.scores].map(([member, score]) => ({ member, score }));
    entries.sort((a, b) => b.score - a.score || (a.member < b.member ? 1 : a.member > b.member ? -1 : 0));
    return limit > 0 ? entries.slice(0, limit) : entries;
  }

  remove(key: string, member: string): void {
    this.rankings.get(key)?.scores.delete(member);
  }

  /** Drops the rankings of ended periods. */
  sweep(now: number): void {
    for (const [key, ranking] of this.rankings) if (ranking.expireAt <= now) this.rankings.delete(key);
  }
}

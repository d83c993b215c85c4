/** Vocabulary of output holds: the options of `capMaxTokens` and of fair holds (`fairHolds`). */

/** Options of `capMaxTokens`. */
export interface CapMaxTokensOptions {
  /**
   * Fewest output tokens a capped request may be left with; when the budgets cannot hold the
   * prompt plus this many, the request is refused (429).
   * @default 1
   * @example { minOutputTokens: 256 }
   */
  minOutputTokens?: number;
}

/** Options of `fairHolds`. */
export interface FairHoldOptions {
  /**
   * Largest fraction of the tokens the tightest budget has left (after the request's prompt) that
   * one request's output may hold. With 0.25, four requests arriving together each get about a
   * quarter of what is left; one after another, each gets a quarter of what the others left.
   * @default 0.25
   * @example { share: 0.5 }
   */
  share?: number;
  /**
   * Fewest output tokens (per completion) a lowered request keeps: the smallest answer still
   * worth sending. When the budgets cannot hold the prompt plus this many, the request is
   * refused (429). A request asking for less keeps what it asked.
   * @default 256
   * @example { minOutputTokens: 1_024 }
   */
  minOutputTokens?: number;
  /**
   * Most output tokens (per completion) one request may hold, whatever is left.
   * @default undefined (no cap beyond the share)
   * @example { maxOutputTokens: 8_192 }
   */
  maxOutputTokens?: number;
}

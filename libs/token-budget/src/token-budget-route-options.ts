import type { CapMaxTokensOptions, FairHoldOptions } from './estimation/hold-options';
import type { EstimateInput } from './estimation/usage-estimate';
import type { BudgetPeriod } from './periods';
import type { EstimateFn, RolloverOptions } from './budget-rule.interface';
import type { UsageExtractor } from './usage/usage.interface';

/** Options of `@TokenBudget()`. */
export interface TokenBudgetRouteOptions {
  /**
   * This route's own per-user token limit per period, on top of the module budgets (0 = count
   * without a limit). Omit it to apply only the module budgets.
   */
  tokens?: number;
  /**
   * Period of the route's own limit.
   * @default the module's routePeriod ('month')
   */
  period?: BudgetPeriod;
  /** Fixed windows instead of a calendar period, e.g. `'15m'`. */
  every?: string;
  /** IANA time zone of the period. @default 'UTC' */
  timezone?: string;
  rollover?: RolloverOptions;
  /**
   * Fractions of the route's own limit at which a `threshold` event fires, once per user and period.
   * @default []
   * @example thresholds: [0.8]
   */
  thresholds?: number[];
  /**
   * `'warn'`: the route's own limit admits past it and emits `exceeded` events instead of 429.
   * @default 'reject'
   */
  onExceeded?: 'reject' | 'warn';
  /**
   * Name of the feature this route belongs to: it selects the module's feature rules and keys the
   * route's own limit (routes with one feature name share it).
   * @default '<ControllerName>.<handlerName>'
   */
  feature?: string;
  /**
   * What to hold before the handler runs: a token total, a `{ inputTokens, outputTokens, model }`
   * estimate, or a function of the request returning either. Overrides the estimate read from the
   * request body.
   * @default read from the body (OpenAI, Anthropic, Gemini requests), else the module's defaultEstimate
   * @example estimate: (req) => 500 + (req.body?.max_tokens ?? 1_000)
   */
  estimate?: EstimateInput | EstimateFn;
  /**
   * Output tokens held for a request whose body sets no output limit (`max_tokens`, ...).
   * @default the module's defaultMaxOutputTokens (1024)
   * @example defaultMaxOutputTokens: 400
   */
  defaultMaxOutputTokens?: number;
  /**
   * When a request estimated from its body does not fit, lower its output limit to what the budget
   * has left instead of refusing it (see the module option).
   * @default the module's capMaxTokens (false)
   * @example capMaxTokens: { minOutputTokens: 200 }
   */
  capMaxTokens?: boolean | CapMaxTokensOptions;
  /**
   * Fair holds on this route: a body-estimated request holds at most a share of what is left (see
   * the module option).
   * @default the module's fairHolds (false)
   * @example fairHolds: { share: 0.5, minOutputTokens: 512 }
   */
  fairHolds?: boolean | FairHoldOptions;
  /**
   * Set the body's output limit to the output held (see the module option).
   * @default the module's enforceOutputLimit (true)
   * @example enforceOutputLimit: false
   */
  enforceOutputLimit?: boolean;
  /** Reads usage from this route's results instead of the built-in provider readers. */
  usage?: UsageExtractor;
  /**
   * End a streamed response cleanly, with a final `budget_exhausted` SSE event, once it has used
   * what the subject had left at admission (the remaining budget plus this request's hold). Meant
   * for streams admitted on a small remainder; the tokens streamed so far are committed.
   * @default the module's stopStreamWhenExhausted (false)
   * @example @TokenBudget({ estimate: 1_000, stopStreamWhenExhausted: true })
   */
  stopStreamWhenExhausted?: boolean;
  /**
   * Longest a call of this route may run, in ms (0 = no limit): a stream is then ended with a
   * final `call_duration_exceeded` event and charged what it streamed (at least the prompt); a
   * handler still running is answered 504 and charged its estimate.
   * @default the module's maxCallDurationMs (900_000)
   * @example @TokenBudget({ maxCallDurationMs: 60_000 })
   */
  maxCallDurationMs?: number;
}

export { TokenBudgetModule } from './token-budget.module';
export { TOKEN_BUDGET_MODULE_OPTIONS, TOKEN_BUDGET_OPTIONS_TYPE, TOKEN_BUDGET_ASYNC_OPTIONS_TYPE } from './token-budget.module-definition';
export { TokenBudgetGuard } from './token-budget.guard';
export { TokenBudgetInterceptor } from './token-budget.interceptor';
export { TokenBudget, SkipTokenBudget } from './token-budget.decorator';
export type { TokenBudgetRouteOptions } from './token-budget-route-options';
export { BudgetService } from './budget.service';
export type { BudgetCheckResult, BudgetUsage, ResetOptions, ServiceCallOptions, TrackOptions } from './budget.types';
export type { BudgetPeriodFigures } from './budget-period-figures';
export type {
  AdminOptions,
  GrantAmount,
  LimitOverride,
  ListUsageQuery,
  SpendReport,
  SpendReportLine,
  SpendReportQuery,
} from './admin/admin.types';
export { InvalidAdminRequestError } from './admin/invalid-admin-request.error';
export type {
  BudgetEvent,
  BudgetEventBudget,
  BudgetEventOf,
  BudgetEventType,
  BudgetCommittedEvent,
  BudgetExceededEvent,
  BudgetSettlementEvent,
  BudgetUsageAnomalyEvent,
  BudgetThresholdEvent,
} from './events/budget-events';
export { Reservation } from './reservation';
export type { AdmissionSummary, ReservationState, ReservationHold } from './reservation';
export { BudgetExceededException, BUDGET_EXCEEDED_MESSAGE } from './budget-exceeded.exception';
export type { BudgetExceededInfo, BudgetExceededBody } from './budget-exceeded.exception';
export { TokenBudgetOptionsError } from './token-budget-options.error';
export { InvalidSubjectError } from './invalid-subject.error';
export { InvalidUsageError } from './usage/invalid-usage.error';
export { BudgetStorageUnavailableException } from './budget-storage-unavailable.exception';
export type { UnavailableStorage } from './budget-storage-unavailable.exception';
export { StorageAdapter, InjectStorageAdapter } from './storage/storage-adapter.interface';
export type {
  BudgetCounter,
  CounterState,
  ReserveRequest,
  ReserveResult,
  CommitRequest,
  ReleaseRequest,
  RenewRequest,
  BudgetDimension,
  ReservationPolicy,
  CommitResult,
  CrossedThreshold,
  GrantRequest,
  SetLimitRequest,
  ListRequest,
  IndexEntry,
} from './storage/storage-adapter.interface';
export { NANOS_PER_USD, MAX_EXACT_USD, MIN_USD_LIMIT, usdToNanos, nanosToUsd } from './pricing/money';
export type { ModelPricing, PricingTable } from './pricing/model-pricing';
export { findCatalogModel, listCatalogModels } from './pricing/price-catalog';
export type { CatalogModel } from './pricing/price-catalog';
export { DEFAULT_PRICE_KEY } from './pricing/model-pricing';
export type { EstimateInput, UsageEstimate } from './estimation/usage-estimate';
export { MemoryAdapter } from './storage/memory.adapter';
export type { MemoryAdapterOptions } from './storage/memory.adapter';
export { RedisAdapter } from './storage/redis.adapter';
export type { RedisAdapterInput, RedisAdapterOptions, RedisTimeSource } from './storage/redis.adapter';
export { COMMITTED_ID_RETENTION_MS } from './storage/redis-scripts/layout';
export { BUDGET_SCOPES } from './budget-scope';
export type {
  UserBudgetOptions,
  OnBudgetExceeded,
  TokenBudgetModuleOptions,
  TokenBudgetModuleExtras,
  SettlementRetryOptions,
} from './token-budget-options.interface';
export type { BudgetRule, IdResolver, EstimateFn, RolloverOptions } from './budget-rule.interface';
export type { BudgetRequest, BudgetResponse } from './budget-request';
export type { BudgetScope } from './budget-scope';
export { BUDGET_PERIODS, PeriodCalculator } from './periods';
export type { BudgetPeriod, PeriodSpec, PeriodWindow } from './periods';
export type { BudgetSubject, BudgetSubjectIds } from './subject';
export type { TokenBudgetRequestState, RequestWithTokenBudget, DegradedRequest } from './request-state';
export type { Usage, UsageInput, UsageExtractor } from './usage/usage.interface';
export type { UsageReading } from './usage/usage-reading';
export { readProviderUsage } from './usage/providers';
export { StreamUsageAccumulator } from './usage/stream-usage';
export type { StreamEnd } from './usage/stream-usage';
export { meterStream } from './streams/meter-stream';
export type { MeterStreamOptions } from './streams/meter-stream';
export { normalizeUsageInput } from './usage/normalize-usage';
export type { MaybePromise } from './maybe-promise';
export type { RouteBudget } from './route-budget';
export type { ResolvedRule } from './rules';
export type { BudgetTarget } from './budget.types';
export type { ReservationSettler } from './reservation';
export { estimateRequestBody, DEFAULT_MAX_OUTPUT_TOKENS } from './estimation/estimate-request-body';
export type { RequestBodyEstimate, BodyEstimationOptions } from './estimation/estimate-request-body';
export type { RequestShape } from './estimation/request-shape';
export type { CapMaxTokensOptions } from './estimation/hold-options';
export type { FairHoldOptions } from './estimation/hold-options';
export { plausibleUsage } from './usage/plausible-usage';
export type { PlausibleUsageOptions, UsageBounds, UsageAnomalyReason, PlausibleUsage } from './usage/plausible-usage';
export type { RouteEstimation } from './estimation/request-estimator';
export { TierThrottlerGuard } from './tiers/tier-throttler.guard';
export { TierThrottlerStorage } from './tiers/tier-throttler.storage';
export type { TierThrottlerRecord, ThrottlerStorageRecord } from './tiers/tier-throttler.storage';
export { TierResolver } from './tiers/tier.resolver';
export { TierLimitExceededException } from './tiers/tier-limit-exceeded.exception';
export type { TierLimitExceededInfo, TierLimitExceededBody } from './tiers/tier-limit-exceeded.exception';
export { TIER_ENFORCE_MODES } from './tiers/tier-options.interface';
export type { TierDefinition, TierOptions, TierEnforce, TierResolveFn } from './tiers/tier-options.interface';
export type { ResolvedTier } from './tiers/resolved-tier';
export type { RequestTier } from './tiers/request-tier';
export { TIER_TOKENS_PER_MINUTE_RULE } from './tiers/tier-rules';
export { MemoryRateWindow } from './storage/memory-rate-window';
export { RedisRateWindow } from './storage/redis-rate-window';
export type { RateWindowStore, RateHitRequest, RateHit } from './storage/rate-window.interface';
export { readTokenBudgetConfig, readTokenBudgetConfigFile, loadTokenBudgetConfig } from './config/load-config';
export type { ConfigSectionValidator, TokenBudgetConfigFile } from './config/load-config';
export { lookUpModelPrice } from './pricing/model-price-lookup';
export type { ModelPriceLookup } from './pricing/model-price-lookup';
export type { PriceSheet, CatalogPrice } from './pricing/price-catalog';
export { TokenBudgetConfigError } from './config/token-budget-config.error';

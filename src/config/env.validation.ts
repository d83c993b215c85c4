import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

/** Environment of the example gateway; every variable is optional. */
export class GatewayEnv {
  /** Port to listen on. Default 3000. */
  @IsOptional() @IsInt() @Min(0) @Max(65535) PORT?: number;
  /** HTTP platform. Default express. */
  @IsOptional() @IsIn(['express', 'fastify']) PLATFORM?: 'express' | 'fastify';
  /** Redis for budgets shared across instances. Default: in-memory. */
  @IsOptional() @IsString() @Matches(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' }) REDIS_URL?: string;
  /** Monthly token budget per user. Default 100000. */
  @IsOptional() @IsInt() @Min(0) MONTHLY_TOKENS_PER_USER?: number;
  /** Daily token budget of the whole gateway. Default 0 (unlimited). */
  @IsOptional() @IsInt() @Min(0) DAILY_TOKENS_GLOBAL?: number;
}

const VARIABLES = ['PORT', 'PLATFORM', 'REDIS_URL', 'MONTHLY_TOKENS_PER_USER', 'DAILY_TOKENS_GLOBAL'] as const;
const NUMERIC = new Set<string>(['PORT', 'MONTHLY_TOKENS_PER_USER', 'DAILY_TOKENS_GLOBAL']);

/** ConfigModule `validate`: stops the boot naming each bad variable. */
export function validateEnv(raw: Record<string, unknown>): GatewayEnv {
  const env = new GatewayEnv();
  for (const name of VARIABLES) {
    const value = raw[name];
    if (value === undefined || value === '') continue;
    (env as Record<string, unknown>)[name] = NUMERIC.has(name) && /^\d+$/.test(String(value)) ? Number(value) : value;
  }
  const errors = validateSync(env);
  if (errors.length) {
    const lines = errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `  - ${e.property}: ${m.replace(`${e.property} `, '')}`));
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return { ...raw, ...env };
}

import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

/** Query of `GET /admin/api/usage`. */
export class UsageQueryDto {
  /** Scope to rank. Default 'user'. */
  @IsOptional() @IsIn(['user', 'tenant', 'key']) scope: 'user' | 'tenant' | 'key' = 'user';
  /** Default 'tokens'. */
  @IsOptional() @IsIn(['tokens', 'cost']) orderBy: 'tokens' | 'cost' = 'tokens';
  /** Default 10. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit = 10;
  /** Period of the rule, when the scope has several (e.g. 'month', 'day'). */
  @IsOptional() @IsString() period?: string;
}

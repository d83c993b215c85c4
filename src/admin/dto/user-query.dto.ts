import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Query of `GET /admin/api/users/:id`. */
export class UserQueryDto {
  /** Tenant whose budgets to include. Default: the tenant of the user's first key. */
  @IsOptional() @IsString() @MaxLength(256) tenant?: string;
}

import { IsInt, IsNotEmpty, IsOptional, IsString, MaxLength, Min } from 'class-validator';

/** Body of `POST /admin/api/keys`. */
export class CreateKeyDto {
  /** User id the key acts for. */
  @IsString() @IsNotEmpty() @MaxLength(256) user: string;
  /** Tenant of the user. Default 'default'. */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(256) tenant?: string;
  /** A tier of the gateway's tiers. Default: the default tier. */
  @IsOptional() @IsString() @IsNotEmpty() tier?: string;
  /** Tokens per month on the key's own budget. Default 0 (unlimited). */
  @IsOptional() @IsInt() @Min(0) token_budget?: number;
  /** A label. */
  @IsOptional() @IsString() @MaxLength(200) name?: string;
}

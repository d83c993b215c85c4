import { IsDefined, IsInt, IsNumber, Min, ValidateIf } from 'class-validator';

const eitherGiven = (o: AmountDto) => o.tokens !== undefined || o.cost_usd === undefined;

/** Body of the grant and limit routes: tokens, USD, or both. */
export class AmountDto {
  @ValidateIf(eitherGiven) @IsDefined({ message: 'tokens or cost_usd is required' }) @IsInt() @Min(0) tokens?: number;
  @ValidateIf((o: AmountDto) => o.cost_usd !== undefined) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) cost_usd?: number;
}

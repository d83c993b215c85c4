import { Controller, Get, Headers, Inject, Param, UseGuards } from '@nestjs/common';
import { SkipTokenBudget, type TokenBudgetModuleOptions } from 'nestjs-token-budget';
import { GATEWAY_BUDGET_OPTIONS } from '../config/gateway-config.module';
import { ApiKeyGuard } from '../keys/api-key.guard';
import { ServedModel, servedModels } from '../upstream/served-models';
import { ApiError } from './api-error';

/** Date the listed models carry (`created`, `created_at`): the catalog has none, so a fixed one. */
const LISTED_AT = Date.UTC(2024, 0, 1) / 1000;

/**
 * `GET /v1/models` and `GET /v1/models/:id`: what the gateway serves (see {@link servedModels}).
 * OpenAI's list shape (`openai` SDK `models.list()`); with an `anthropic-version` header (the
 * Anthropic SDK sends one), Anthropic's (`{ data: [{ type: 'model', id, display_name, created_at }], has_more }`)
 * with Anthropic's models.
 */
@Controller('v1/models')
@UseGuards(ApiKeyGuard)
export class ModelsController {
  constructor(@Inject(GATEWAY_BUDGET_OPTIONS) private readonly options: TokenBudgetModuleOptions) {}

  @Get()
  @SkipTokenBudget()
  list(@Headers('anthropic-version') anthropicVersion?: string) {
    if (anthropicVersion) {
      const data = this.models('anthropic').map(anthropicModel);
      return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
    }
    return { object: 'list', data: this.models('openai').map(openAiModel) };
  }

  @Get(':id')
  @SkipTokenBudget()
  retrieve(@Param('id') id: string, @Headers('anthropic-version') anthropicVersion?: string) {
    const family = anthropicVersion ? 'anthropic' : 'openai';
    const model = this.models(family).find((m) => m.id === id);
    if (!model)
      throw new ApiError(404, `The model '${id.slice(0, 256)}' does not exist (GET /v1/models lists those the gateway serves).`, {
        code: 'model_not_found',
        param: 'model',
      });
    return family === 'anthropic' ? anthropicModel(model) : openAiModel(model);
  }

  private models(family: 'openai' | 'anthropic'): ServedModel[] {
    return servedModels(family, this.options.pricing);
  }
}

function openAiModel(model: ServedModel) {
  return { id: model.id, object: 'model', created: LISTED_AT, owned_by: model.ownedBy };
}

function anthropicModel(model: ServedModel) {
  return { type: 'model', id: model.id, display_name: model.displayName, created_at: new Date(LISTED_AT * 1000).toISOString() };
}

import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TokenBudgetModuleExtras, TokenBudgetModuleOptions } from './token-budget-options.interface';

export const {
  ConfigurableModuleClass: TokenBudgetConfigurableModule,
  MODULE_OPTIONS_TOKEN: TOKEN_BUDGET_MODULE_OPTIONS,
  OPTIONS_TYPE: TOKEN_BUDGET_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TOKEN_BUDGET_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TokenBudgetModuleOptions>({ moduleName: 'TokenBudget' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createTokenBudgetOptions')
  .setExtras<TokenBudgetModuleExtras>({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { BudgetService } from './budget.service';
import { TokenBudgetOptionsError } from './errors';
import { routeRuleOf } from './route-budget';
import { TOKEN_BUDGET_ROUTE } from './token-budget.constants';
import type { TokenBudgetRouteOptions } from './token-budget.decorator';

/**
 * Finds every `@TokenBudget()` of the app at boot: validates it (a bad route budget fails the start,
 * not a request) and registers its per-user budget with BudgetService.
 */
@Injectable()
export class RouteBudgetsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly budgets: BudgetService,
  ) {}

  onModuleInit(): void {
    const problems: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller?.prototype) continue;
      for (const name of this.scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, object>)[name];
        const options = this.reflector.getAllAndOverride<TokenBudgetRouteOptions | undefined>(TOKEN_BUDGET_ROUTE, [handler as never, controller]);
        if (!options) continue;
        const where = `${controller.name}.${name}`;
        try {
          const rule = routeRuleOf(options, options.feature ?? where, where);
          if (rule) this.budgets.registerRouteRule(rule, where);
        } catch (error) {
          problems.push(...(error instanceof TokenBudgetOptionsError ? error.problems : [String(error)]));
        }
      }
    }
    if (problems.length) throw new TokenBudgetOptionsError(problems);
  }
}

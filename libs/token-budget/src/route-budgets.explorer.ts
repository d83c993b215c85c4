import { Inject, Injectable, Logger, OnModuleInit, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { BudgetService } from './budget.service';
import { TokenBudgetOptionsError } from './token-budget-options.error';
import { routeEstimationProblems } from './options/estimation.schema';
import { callDurationOf, routeRuleOf } from './route-budget';
import { TOKEN_BUDGET_OPTIONS, TOKEN_BUDGET_ROUTE } from './token-budget.constants';
import type { TokenBudgetModuleOptions } from './token-budget-options.interface';
import type { TokenBudgetRouteOptions } from './token-budget-route-options';

/** Methods whose requests carry no body to estimate from. */
const BODILESS = new Set<RequestMethod>([RequestMethod.GET, RequestMethod.HEAD, RequestMethod.DELETE, RequestMethod.OPTIONS]);

/**
 * Finds every `@TokenBudget()` of the app at boot: validates it (a bad route budget fails the start,
 * not a request), registers its per-user budget with BudgetService, and warns about limited routes
 * that hold nothing before they run (concurrent requests could then pass a limit together): those
 * with no estimate whose requests have no body to estimate from. Routes with a body whose requests
 * turn out not to be provider requests are warned about on the first such request.
 */
@Injectable()
export class RouteBudgetsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly budgets: BudgetService,
    @Inject(TOKEN_BUDGET_OPTIONS) private readonly options: TokenBudgetModuleOptions,
  ) {}

  onModuleInit(): void {
    const problems: string[] = [];
    const unestimated: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller?.prototype) continue;
      for (const name of this.scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, object>)[name];
        const options = this.reflector.getAllAndOverride<TokenBudgetRouteOptions | undefined>(TOKEN_BUDGET_ROUTE, [
          handler as never,
          controller,
        ]);
        if (!options) continue;
        const where = `${controller.name}.${name}`;
        try {
          const rule = routeRuleOf(options, options.feature ?? where, where);
          if (rule) this.budgets.registry.registerRouteRule(rule, where);
          callDurationOf(options, where);
          problems.push(...routeEstimationProblems(options, where));
          const method = this.reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler as never);
          if (options.estimate === undefined && this.options.defaultEstimate === undefined && method !== undefined && BODILESS.has(method))
            unestimated.push(where);
        } catch (error) {
          problems.push(...(error instanceof TokenBudgetOptionsError ? error.problems : [String(error)]));
        }
      }
    }
    if (problems.length) throw new TokenBudgetOptionsError(problems);
    if (unestimated.length && this.budgets.registry.hasLimits()) {
      new Logger('TokenBudget').warn(
        `${unestimated.join(', ')}: no estimate and no request body to estimate from, so requests hold 0 tokens and are admitted while a budget has any left; ` +
          'concurrent requests can then pass a limit together. Give @TokenBudget({ estimate }) or the module defaultEstimate.',
      );
    }
  }
}

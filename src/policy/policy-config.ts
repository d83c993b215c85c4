import type { ConfigService } from '@nestjs/config';
import { readTokenBudgetConfigFile, type TokenBudgetConfigFile } from 'nestjs-token-budget';
import { policyFromEnv, POLICY_VARIABLES } from './policy-env';
import { checkedRequestPolicy, requestPolicyProblems } from './policy-problems';
import type { RequestPolicyOptions } from './request-policy';
import { resolveRequestPolicy, type ResolvedRequestPolicy } from './resolved-policy';

/** Key of the request policy's section in TOKEN_BUDGET_CONFIG. */
export const POLICY_SECTION = 'requestPolicy';

/**
 * The TOKEN_BUDGET_CONFIG file as the gateway reads it: the module options, and its
 * `requestPolicy` section checked with them (one `file:line:column: path: problem` line each).
 */
export function readGatewayConfigFile(file: string): TokenBudgetConfigFile {
  return readTokenBudgetConfigFile(file, { [POLICY_SECTION]: (value) => requestPolicyProblems(value, POLICY_SECTION) });
}

/** The policy in force: the environment's, the config file's section, then the `requestPolicy` option. */
export function gatewayRequestPolicy(config: ConfigService, option?: RequestPolicyOptions): ResolvedRequestPolicy {
  const env = Object.fromEntries(POLICY_VARIABLES.map((name) => [name, config.get<string>(name)]));
  const layers = [{ options: policyFromEnv(env), source: 'environment' }];
  const file = config.get<string>('TOKEN_BUDGET_CONFIG');
  const section = file ? (readGatewayConfigFile(file).sections[POLICY_SECTION] as RequestPolicyOptions | undefined) : undefined;
  if (section) layers.push({ options: section, source: file! });
  if (option) layers.push({ options: checkedRequestPolicy(option, 'the requestPolicy option'), source: 'the requestPolicy option' });
  return resolveRequestPolicy(layers);
}

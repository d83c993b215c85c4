import { MAX_EXACT_USD } from 'nestjs-token-budget';
import { POLICY_ROUTES, type RequestPolicyOptions } from './request-policy';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const ROUTE_KEYS = ['background', 'storedObjects', 'tools', 'betas', 'fields', 'refuseFields'];
const TOP_KEYS = [...ROUTE_KEYS, 'routes', 'unpricedModels', 'paidUpstream', 'unknownBetas'];
/** Tool types, beta flags and field names are short identifiers. */
const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_LIST = 256;
const isUsd = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_EXACT_USD;
const quoted = (key: string) => (/^[A-Za-z_$][\w$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

/**
 * The problems of a request policy (the `requestPolicy` section of TOKEN_BUDGET_CONFIG, or the
 * gateway's `requestPolicy` option), one `path: problem` line each, paths under `root`.
 */
export function requestPolicyProblems(value: unknown, root = 'requestPolicy'): string[] {
  if (!isObject(value)) return [`${root}: must be a mapping of policy options (${TOP_KEYS.join(', ')})`];
  const problems = routeProblems(value, root, TOP_KEYS);
  if (value.routes !== undefined) {
    if (!isObject(value.routes)) problems.push(`${root}.routes: must be a mapping of route (${POLICY_ROUTES.join(', ')}) to its rules`);
    else {
      for (const [route, rules] of Object.entries(value.routes)) {
        const at = `${root}.routes${quoted(route)}`;
        if (!(POLICY_ROUTES as readonly string[]).includes(route))
          problems.push(`${at}: is not a route; use one of ${POLICY_ROUTES.join(', ')}`);
        else if (!isObject(rules)) problems.push(`${at}: must be a mapping of rules (${ROUTE_KEYS.join(', ')})`);
        else problems.push(...routeProblems(rules, at, ROUTE_KEYS));
      }
    }
  }
  const unpriced = value.unpricedModels;
  if (unpriced !== undefined && unpriced !== 'refuse') {
    if (!isObject(unpriced))
      problems.push(`${root}.unpricedModels: must be 'refuse' or a price { input, output } in USD per million tokens`);
    else {
      for (const key of Object.keys(unpriced))
        if (!['input', 'output', 'cachedInput', 'cacheWrite'].includes(key))
          problems.push(`${root}.unpricedModels.${key}: is not a price field (input, output, cachedInput, cacheWrite)`);
      for (const key of ['input', 'output'])
        if (unpriced[key] === undefined) problems.push(`${root}.unpricedModels.${key}: is required (USD per million tokens)`);
      for (const key of ['input', 'output', 'cachedInput', 'cacheWrite']) {
        if (unpriced[key] !== undefined && !isUsd(unpriced[key]))
          problems.push(`${root}.unpricedModels.${key}: must be a finite, non-negative number of USD per million tokens`);
      }
    }
  }
  if (value.paidUpstream !== undefined && value.paidUpstream !== 'auto' && typeof value.paidUpstream !== 'boolean')
    problems.push(`${root}.paidUpstream: must be 'auto', true or false`);
  if (value.unknownBetas !== undefined && value.unknownBetas !== 'refuse' && value.unknownBetas !== 'drop')
    problems.push(`${root}.unknownBetas: must be 'refuse' or 'drop'`);
  return problems;
}

function routeProblems(rules: Json, at: string, known: string[]): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(rules))
    if (!known.includes(key)) problems.push(`${at}${quoted(key)}: is not a policy option; use one of ${known.join(', ')}`);
  for (const key of ['background', 'storedObjects'])
    if (rules[key] !== undefined && typeof rules[key] !== 'boolean') problems.push(`${at}.${key}: must be true or false`);
  if (rules.tools !== undefined) {
    if (!isObject(rules.tools))
      problems.push(
        `${at}.tools: must be a mapping of server tool type to its price in USD per call (0: no extra charge), e.g. { web_search: 0.01 }`,
      );
    else {
      for (const [tool, price] of Object.entries(rules.tools)) {
        if (!NAME.test(tool)) problems.push(`${at}.tools${quoted(tool)}: is not a tool type`);
        else if (!isUsd(price))
          problems.push(`${at}.tools${quoted(tool)}: must be a finite, non-negative price in USD per call (0: no extra charge)`);
      }
    }
  }
  for (const key of ['betas', 'fields', 'refuseFields']) {
    const list = rules[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length > MAX_LIST) problems.push(`${at}.${key}: must be a list of at most ${MAX_LIST} names`);
    else
      list.forEach(
        (item, i) =>
          !(typeof item === 'string' && NAME.test(item)) &&
          problems.push(`${at}.${key}[${i}]: must be a name of letters, digits, _ . : - (at most 128)`),
      );
  }
  return problems;
}

/** The policy as given, checked; throws one line per problem. */
export function checkedRequestPolicy(value: unknown, what: string): RequestPolicyOptions {
  const problems = requestPolicyProblems(value);
  if (problems.length) throw new Error(`Invalid request policy (${what}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return value as RequestPolicyOptions;
}

import type { RequestPolicyOptions } from './request-policy';

/** The gateway variables of the request policy (validated here, so the policy stays in one folder). */
export const POLICY_VARIABLES = [
  'POLICY_ALLOW_BACKGROUND',
  'POLICY_ALLOW_STORED_OBJECTS',
  'POLICY_SERVER_TOOLS',
  'POLICY_ANTHROPIC_BETAS',
  'POLICY_UNKNOWN_BETAS',
  'UNPRICED_MODEL_PRICE',
  'UPSTREAM_PAID',
] as const;

type Env = Partial<Record<(typeof POLICY_VARIABLES)[number], string>>;

const FLAG: Record<string, boolean> = { '1': true, true: true, '0': false, false: false };
const USD = /^\d+(?:\.\d+)?$/;

/**
 * The request policy the environment sets (applies to every route); throws naming each bad variable.
 *
 * - `POLICY_ALLOW_BACKGROUND=1`, `POLICY_ALLOW_STORED_OBJECTS=1`
 * - `POLICY_SERVER_TOOLS=web_search=0.01,web_fetch=0` (tool=USD per call)
 * - `POLICY_ANTHROPIC_BETAS=files-api-2025-04-14,...`, `POLICY_UNKNOWN_BETAS=refuse|drop`
 * - `UNPRICED_MODEL_PRICE=refuse` or `5,15` (input,output USD per million tokens)
 * - `UPSTREAM_PAID=auto|true|false`
 */
export function policyFromEnv(raw: Record<string, unknown>): RequestPolicyOptions {
  const env: Env = {};
  for (const name of POLICY_VARIABLES) if (raw[name] !== undefined && raw[name] !== '') env[name] = String(raw[name]).trim();
  const problems: string[] = [];
  const policy: RequestPolicyOptions = {};
  const flag = (name: 'POLICY_ALLOW_BACKGROUND' | 'POLICY_ALLOW_STORED_OBJECTS'): boolean | undefined => {
    const value = env[name];
    if (value === undefined) return undefined;
    if (!(value.toLowerCase() in FLAG)) problems.push(`${name}: must be 1 or 0`);
    return FLAG[value.toLowerCase()];
  };
  const background = flag('POLICY_ALLOW_BACKGROUND');
  if (background !== undefined) policy.background = background;
  const stored = flag('POLICY_ALLOW_STORED_OBJECTS');
  if (stored !== undefined) policy.storedObjects = stored;
  if (env.POLICY_SERVER_TOOLS !== undefined) {
    policy.tools = {};
    for (const entry of env.POLICY_SERVER_TOOLS.split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const match = /^([A-Za-z0-9_.:-]{1,128})=(\d+(?:\.\d+)?)$/.exec(entry);
      if (!match)
        problems.push(`POLICY_SERVER_TOOLS: '${entry.slice(0, 60)}' must be tool=USD per call, e.g. web_search=0.01 (0: no extra charge)`);
      else policy.tools[match[1]] = Number(match[2]);
    }
  }
  if (env.POLICY_ANTHROPIC_BETAS !== undefined)
    policy.betas = env.POLICY_ANTHROPIC_BETAS.split(',')
      .map((b) => b.trim())
      .filter(Boolean);
  if (env.POLICY_UNKNOWN_BETAS !== undefined) {
    if (env.POLICY_UNKNOWN_BETAS !== 'refuse' && env.POLICY_UNKNOWN_BETAS !== 'drop')
      problems.push('POLICY_UNKNOWN_BETAS: must be refuse or drop');
    else policy.unknownBetas = env.POLICY_UNKNOWN_BETAS;
  }
  if (env.UNPRICED_MODEL_PRICE !== undefined) {
    const [input, output, ...rest] = env.UNPRICED_MODEL_PRICE.split(',').map((p) => p.trim());
    if (env.UNPRICED_MODEL_PRICE === 'refuse') policy.unpricedModels = 'refuse';
    else if (!rest.length && USD.test(input ?? '') && USD.test(output ?? ''))
      policy.unpricedModels = { input: Number(input), output: Number(output) };
    else problems.push('UNPRICED_MODEL_PRICE: must be refuse, or input,output in USD per million tokens, e.g. 5,15');
  }
  if (env.UPSTREAM_PAID !== undefined) {
    const value = env.UPSTREAM_PAID.toLowerCase();
    if (value === 'auto') policy.paidUpstream = 'auto';
    else if (value in FLAG) policy.paidUpstream = FLAG[value];
    else problems.push('UPSTREAM_PAID: must be auto, true or false');
  }
  if (problems.length) throw new Error(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return policy;
}

// Compares the two price catalogs considered for cost budgets on the providers the library reads
// usage from. Run from the repo root: node scripts/compare-price-catalogs.mjs
// (tokenlens was removed after the comparison; reinstall it to re-run: npm i --no-save tokenlens@1.3.1)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const genai = require('@pydantic/genai-prices');
const tokenlens = await import('tokenlens');

const PROVIDERS = { openai: 'openai', anthropic: 'anthropic', google: 'google', groq: 'groq' };
// Models people call today, by the id their API responses carry.
const PROBES = {
  openai: [
    'gpt-4o',
    'gpt-4o-mini',
    'gpt-4.1',
    'gpt-4.1-mini',
    'gpt-4.1-nano',
    'gpt-5',
    'gpt-5-mini',
    'gpt-5-nano',
    'o3',
    'o4-mini',
    'gpt-4o-mini-2024-07-18',
    'text-embedding-3-small',
  ],
  anthropic: [
    'claude-sonnet-4-5',
    'claude-sonnet-4-5-20250929',
    'claude-opus-4-1',
    'claude-haiku-4-5',
    'claude-sonnet-4-20250514',
    'claude-3-5-haiku-20241022',
    'claude-3-7-sonnet-20250219',
  ],
  google: ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash', 'gemini-1.5-flash'],
  groq: ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant', 'openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3-32b'],
};

const num = (v) => typeof v === 'number' || (v && typeof v === 'object' && typeof v.base === 'number');
const rows = [];
for (const [label, id] of Object.entries(PROVIDERS)) {
  const g = genai.findProvider({ providerId: id });
  const gm = g ? g.models.map((m) => (Array.isArray(m.prices) ? m.prices[m.prices.length - 1].prices : m.prices)) : [];
  const tp = tokenlens.defaultCatalog[id];
  const tm = tp ? Object.values(tp.models).map((m) => m.cost ?? {}) : [];
  const probes = PROBES[label];
  const gHits = probes.filter((m) => genai.calcPrice({ input_tokens: 1, output_tokens: 1 }, m, { providerId: id }) !== null);
  const tHits = probes.filter((m) => tp && tp.models[m]?.cost?.input !== undefined);
  rows.push({
    provider: label,
    'genai-prices models': gm.length,
    'priced in+out': gm.filter((p) => num(p.input_mtok) && num(p.output_mtok)).length,
    'cached input': gm.filter((p) => num(p.cache_read_mtok)).length,
    'cache write': gm.filter((p) => num(p.cache_write_mtok)).length,
    'probes found': `${gHits.length}/${probes.length}`,
    'tokenlens models': tm.length,
    'tl priced in+out': tm.filter((c) => typeof c.input === 'number' && typeof c.output === 'number').length,
    'tl cached input': tm.filter((c) => typeof c.cache_read === 'number').length,
    'tl cache write': tm.filter((c) => typeof c.cache_write === 'number').length,
    'tl probes found': `${tHits.length}/${probes.length}`,
  });
  const missing = { genai: probes.filter((m) => !gHits.includes(m)), tokenlens: probes.filter((m) => !tHits.includes(m)) };
  console.log(`${label}: not found`, JSON.stringify(missing));
}
console.table(rows);
const g = genai.findProvider({ providerId: 'openai' }).models.find((m) => m.id === 'gpt-4o-mini').prices;
console.log(
  'gpt-4o-mini cached input $/M: genai-prices',
  g.cache_read_mtok,
  'tokenlens',
  tokenlens.defaultCatalog.openai.models['gpt-4o-mini'].cost.cache_read,
);

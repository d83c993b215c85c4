import * as library from '../index';
import { lookUpModelPrice } from './model-price-lookup';
import { findCatalogModel, listCatalogModels } from './price-catalog';

describe('findCatalogModel (exported)', () => {
  it('is exported from the package with listCatalogModels and lookUpModelPrice', () => {
    expect(library.findCatalogModel).toBe(findCatalogModel);
    expect(library.listCatalogModels).toBe(listCatalogModels);
    expect(library.lookUpModelPrice).toBe(lookUpModelPrice);
  });

  it('finds a model by its name, a dated snapshot, any case and spacing, or provider/model', () => {
    const mini = { provider: 'openai', id: 'gpt-4o-mini', name: expect.any(String), deprecated: false };
    expect(findCatalogModel('gpt-4o-mini')).toEqual(mini);
    expect(findCatalogModel('gpt-4o-mini-2024-07-18')).toEqual(mini);
    expect(findCatalogModel('  GPT-4o-Mini ')).toEqual(mini);
    expect(findCatalogModel('openai/gpt-4o')).toMatchObject({ provider: 'openai', id: 'gpt-4o' });
  });

  it('finds models of each provider the catalog is searched under without naming it', () => {
    expect(findCatalogModel('claude-sonnet-4-5')).toMatchObject({ provider: 'anthropic', id: 'claude-sonnet-4-5' });
    expect(findCatalogModel('gemini-2.5-flash')).toMatchObject({ provider: 'google', id: 'gemini-2.5-flash' });
    expect(findCatalogModel('llama-3.3-70b-versatile')).toMatchObject({ provider: 'groq', id: 'llama-3.3-70b-versatile' });
  });

  it('matches the model cost budgets price a name at', () => {
    for (const name of ['gpt-4o-mini-2024-07-18', 'claude-sonnet-4-5', 'gemini-2.5-flash', 'openai/gpt-4o']) {
      const price = lookUpModelPrice(name);
      const model = findCatalogModel(name)!;
      expect(price).toMatchObject({ source: 'catalog', sheet: { matched: `${model.provider}/${model.id}` } });
    }
  });

  it('finds a model whose tokens the catalog prices only in part (embeddings: an input price, no output price)', () => {
    expect(findCatalogModel('text-embedding-3-small')).toMatchObject({ provider: 'openai', id: 'text-embedding-3-small' });
  });

  it.each([
    ['an unknown name', 'no-such-model-zz9'],
    ['an empty name', ''],
    ['a name over 256 characters', 'gpt-4o-mini'.padEnd(257, 'x')],
    ['a name of control characters', '\u0000\u202e\n'],
  ])('gives undefined for %s', (_name, model) => {
    expect(findCatalogModel(model)).toBeUndefined();
  });

  it('does not judge local-looking names (that is a pricing rule: lookUpModelPrice says local)', () => {
    expect(lookUpModelPrice('llama3.2:latest')).toEqual({ source: 'local' });
    expect(findCatalogModel('llama3.2:latest')).toBeUndefined();
  });
});

describe('listCatalogModels (exported)', () => {
  it('lists a provider’s models with ids, names and the deprecated flag', () => {
    const openai = listCatalogModels('openai');
    expect(openai.length).toBeGreaterThan(20);
    expect(
      openai.every(
        (m) => m.provider === 'openai' && typeof m.id === 'string' && typeof m.name === 'string' && typeof m.deprecated === 'boolean',
      ),
    ).toBe(true);
    expect(openai.map((m) => m.id)).toContain('gpt-4o-mini');
    expect(listCatalogModels('anthropic').map((m) => m.id)).toContain('claude-sonnet-4-5');
  });

  it('gives none for a provider the catalog does not know', () => {
    expect(listCatalogModels('no-such-provider')).toEqual([]);
    expect(listCatalogModels('')).toEqual([]);
  });
});

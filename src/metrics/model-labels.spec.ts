import { MAX_UNKNOWN_MODEL_LABELS, ModelLabels } from './model-labels';

describe('ModelLabels', () => {
  it('labels catalog models by their catalog id and configured models by their pricing key', () => {
    const labels = new ModelLabels({ 'My-Local-Model': { input: 0, output: 0 } });
    expect(labels.of('gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(labels.of('claude-3-5-sonnet-whatever-123')).toBe('claude-3-5-sonnet');
    expect(labels.of('my-local-model')).toBe('My-Local-Model');
    expect(labels.of(undefined)).toBe('unknown');
  });

  it('gives the first unknown names their own label and every later one `other`', () => {
    const labels = new ModelLabels();
    const names = Array.from({ length: MAX_UNKNOWN_MODEL_LABELS + 50 }, (_, i) => `local-model-${i}`);
    const seen = new Set(names.map((name) => labels.of(name)));
    expect(seen.size).toBe(MAX_UNKNOWN_MODEL_LABELS + 1);
    expect(seen.has('other')).toBe(true);
    expect(labels.of('local-model-0')).toBe('local-model-0'); // a name already labelled keeps its label
  });
});

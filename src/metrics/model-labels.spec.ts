import { MAX_LABEL_LENGTH, MAX_UNKNOWN_MODEL_LABELS, ModelLabels, safeLabel } from './model-labels';

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

  it('labels names outside the safe alphabet or too long as `other`, without taking an unknown-name slot', () => {
    const labels = new ModelLabels();
    for (const name of [
      'gpt\n4o',
      'evil\u202Egpt',
      'nul\u0000x',
      'a b',
      '"quoted"',
      'x'.repeat(MAX_LABEL_LENGTH + 1),
      'x'.repeat(1_000_000),
      '-leading-dash',
    ]) {
      expect(labels.of(name)).toBe('other');
    }
    expect(labels.of('llama3.1:8b-instruct')).toBe('llama3.1:8b-instruct');
    expect(labels.of('org/model@v2+beta')).toBe('org/model@v2+beta');
    expect(labels.of('x'.repeat(MAX_LABEL_LENGTH))).toBe('x'.repeat(MAX_LABEL_LENGTH));
    expect(safeLabel('user')).toBe('user');
    expect(safeLabel('ten ant')).toBe('other');
  });
});

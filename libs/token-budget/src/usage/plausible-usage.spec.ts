import { plausibleUsage, UsageBounds } from './plausible-usage';

const bounds: UsageBounds = { countedInputTokens: 12, inputTokens: 120, outputTokens: 50 };

describe('plausible usage', () => {
  it('charges usage within its bounds as reported', () => {
    const reported = { inputTokens: 14, outputTokens: 50, totalTokens: 64, cachedInputTokens: 4 };
    expect(plausibleUsage(reported, bounds)).toEqual({ usage: reported, reasons: [] });
  });

  it('clamps input past the bound on the counted prompt (the 5e12 prompt_tokens answer)', () => {
    const { usage, reasons } = plausibleUsage(
      { inputTokens: 5_000_000_000_000, outputTokens: 20, totalTokens: 5_000_000_000_020, cachedInputTokens: 4_000_000_000_000 },
      bounds,
    );
    expect(reasons).toEqual(['input_over_bound']);
    expect(usage).toEqual({ inputTokens: 120, outputTokens: 20, totalTokens: 140, cachedInputTokens: 120 });
  });

  it('clamps output past the limit sent, reasoning tokens with it', () => {
    const { usage, reasons } = plausibleUsage(
      { inputTokens: 10, outputTokens: 16_384, totalTokens: 16_394, reasoningTokens: 9_000 },
      bounds,
    );
    expect(reasons).toEqual(['output_over_limit']);
    expect(usage).toEqual({ inputTokens: 10, outputTokens: 50, totalTokens: 60, reasoningTokens: 50 });
  });

  it('bounds a total that counts more than input and output', () => {
    const { usage, reasons } = plausibleUsage({ inputTokens: 10, outputTokens: 10, totalTokens: 9_000_000 }, bounds);
    expect(reasons).toEqual(['total_over_bound']);
    expect(usage?.totalTokens).toBe(170);
    // a bare total (commit(n)) is bounded by the two bounds together
    expect(plausibleUsage({ inputTokens: 0, outputTokens: 0, totalTokens: 1e9 }, bounds).usage?.totalTokens).toBe(170);
  });

  it('charges the estimate for a report of zero tokens when a prompt was counted', () => {
    expect(plausibleUsage({ inputTokens: 0, outputTokens: 0, totalTokens: 0 }, bounds)).toEqual({
      usage: undefined,
      reasons: ['zero_usage'],
    });
    expect(
      plausibleUsage({ inputTokens: 0, outputTokens: 0, totalTokens: 0 }, { ...bounds, countedInputTokens: 0, inputTokens: undefined })
        .reasons,
    ).toEqual([]);
  });

  it('leaves unbounded dimensions alone', () => {
    const reported = { inputTokens: 1e9, outputTokens: 1e9, totalTokens: 2e9 };
    expect(plausibleUsage(reported, { countedInputTokens: 12, inputTokens: undefined, outputTokens: undefined }).reasons).toEqual([]);
  });
});

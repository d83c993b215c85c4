import { fairOutputPerCompletion, needsRoom, OutputLowering } from './fair-output';

const rule: OutputLowering = { share: 0.25, minOutputTokens: 256, maxOutputTokens: undefined };
const ask = (requestedPerCompletion: number, room: number, extra: { inputTokens?: number; choices?: number } = {}) =>
  fairOutputPerCompletion({ inputTokens: extra.inputTokens ?? 9, requestedPerCompletion, choices: extra.choices ?? 1, room }, rule);

describe('the fair-hold rule', () => {
  it('holds at most the share of what is left after the prompt', () => {
    expect(ask(64_000, 100_000)).toBe(Math.floor(0.25 * (100_000 - 9)));
    expect(ask(64_000, 1_000_000)).toBe(64_000); // the share is larger than what the request asks
  });

  it('four requests one after another each get a share of what the previous left, together within the budget', () => {
    let left = 100_000;
    const holds: number[] = [];
    for (let i = 0; i < 4; i++) {
      const hold = 9 + ask(64_000, left);
      holds.push(hold);
      left -= hold;
    }
    expect(holds.every((hold) => hold > 256)).toBe(true);
    expect(holds.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(100_000);
  });

  it('never goes below the floor, nor above what the request asks', () => {
    expect(ask(64_000, 300)).toBe(256); // whether 256 is left is the reservation's to decide
    expect(ask(100, 300)).toBe(100);
    expect(ask(100, 1_000_000)).toBe(100);
  });

  it('caps one hold at maxOutputTokens and shares among the completions', () => {
    expect(
      fairOutputPerCompletion(
        { inputTokens: 0, requestedPerCompletion: 64_000, choices: 1, room: 1e9 },
        { ...rule, maxOutputTokens: 8_192 },
      ),
    ).toBe(8_192);
    expect(ask(64_000, 100_009, { choices: 4 })).toBe(Math.floor(25_000 / 4));
  });

  it('needs to know what is left only when the share can lower the request', () => {
    expect(needsRoom(64_000, rule)).toBe(true);
    expect(needsRoom(256, rule)).toBe(false);
    expect(needsRoom(64_000, { ...rule, share: 1 })).toBe(false);
    expect(ask(64_000, Infinity)).toBe(64_000);
  });
});

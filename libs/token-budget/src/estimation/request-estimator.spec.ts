import { Logger } from '@nestjs/common';
import { RequestEstimator, routeEstimationOf } from './request-estimator';

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 };
const CHAT_PROMPT = 3 + 3 + 1 + 1; // framing, reply priming, 'user', 'Hi' (one o200k token each)

describe('RequestEstimator', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => (warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined)));
  afterEach(() => warn.mockRestore());

  it("takes the route's estimate first, then the body, then defaultEstimate, then 0", () => {
    const withDefault = new RequestEstimator({ defaultEstimate: 77 }, () => true);
    const plain = new RequestEstimator({}, () => true);
    const route = routeEstimationOf({}, {});
    expect(withDefault.estimate({ body: chat }, routeEstimationOf({ estimate: 5 }, {}), 'r')).toBe(5);
    expect(withDefault.estimate({ body: chat }, route, 'r')).toMatchObject({ inputTokens: CHAT_PROMPT, outputTokens: 10 });
    expect(withDefault.estimate({ body: { question: 'hi' } }, route, 'r')).toBe(77);
    expect(plain.estimate({ body: { question: 'hi' } }, route, 'r')).toBe(0);
    expect(plain.estimate({}, route, 'r')).toBe(0);
  });

  it("applies the route's defaultMaxOutputTokens, else the module's, else 1024", () => {
    const estimator = new RequestEstimator({}, () => true);
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] };
    expect(estimator.estimate({ body }, routeEstimationOf({}, {}), 'r')).toMatchObject({ outputTokens: 1024 });
    expect(estimator.estimate({ body }, routeEstimationOf({}, { defaultMaxOutputTokens: 300 }), 'r')).toMatchObject({ outputTokens: 300 });
    expect(
      estimator.estimate({ body }, routeEstimationOf({ defaultMaxOutputTokens: 40 }, { defaultMaxOutputTokens: 300 }), 'r'),
    ).toMatchObject({ outputTokens: 40 });
  });

  it('resolves capMaxTokens per route over the module, with minOutputTokens 1 by default', () => {
    expect(routeEstimationOf({}, {}).capMinOutputTokens).toBeUndefined();
    expect(routeEstimationOf({}, { capMaxTokens: true }).capMinOutputTokens).toBe(1);
    expect(routeEstimationOf({}, { capMaxTokens: { minOutputTokens: 64 } }).capMinOutputTokens).toBe(64);
    expect(routeEstimationOf({ capMaxTokens: false }, { capMaxTokens: true }).capMinOutputTokens).toBeUndefined();
    expect(routeEstimationOf({ capMaxTokens: {} }, {}).capMinOutputTokens).toBe(1);
  });

  it('falls back when reading the body throws, and logs it once per route', () => {
    const estimator = new RequestEstimator({ defaultEstimate: 9 }, () => true);
    const hostile = {
      get messages(): never {
        throw new Error('boom');
      },
    };
    const route = routeEstimationOf({}, {});
    expect(estimator.estimate({ body: hostile }, route, 'Chat.create')).toBe(9);
    expect(estimator.estimate({ body: hostile }, route, 'Chat.create')).toBe(9);
    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      expect.stringContaining('Chat.create: estimating a request from its body failed (boom)'),
    ]);
  });

  it('does not warn about bodies it cannot read when no budget has a limit', () => {
    new RequestEstimator({}, () => false).estimate({ body: 'text' }, routeEstimationOf({}, {}), 'r');
    expect(warn).not.toHaveBeenCalled();
  });

  it('resolves fair holds (over capMaxTokens) and the output-limit switch per route over the module', () => {
    expect(routeEstimationOf({}, {})).toMatchObject({ lowering: undefined, enforceOutputLimit: true });
    expect(routeEstimationOf({}, { fairHolds: true }).lowering).toEqual({ share: 0.25, minOutputTokens: 256, maxOutputTokens: undefined });
    expect(routeEstimationOf({}, { capMaxTokens: { minOutputTokens: 64 } }).lowering).toEqual({
      share: 1,
      minOutputTokens: 64,
      maxOutputTokens: undefined,
    });
    expect(routeEstimationOf({ fairHolds: { share: 0.5 } }, { capMaxTokens: true }).lowering).toEqual({
      share: 0.5,
      minOutputTokens: 256,
      maxOutputTokens: undefined,
    });
    expect(routeEstimationOf({ fairHolds: false }, { fairHolds: true }).lowering).toBeUndefined();
    expect(routeEstimationOf({ enforceOutputLimit: false }, {}).enforceOutputLimit).toBe(false);
    expect(routeEstimationOf({}, { enforceOutputLimit: false }).enforceOutputLimit).toBe(false);
  });
});

import fc from 'fast-check';
import { fuzzParams } from '../../../../test/fixtures/fuzz';
import { expectSaneUsage } from '../../../../test/fixtures/provider-shapes';
import { cutsArb, hostileEventArb, splitAt, streamCaseArb } from '../../../../test/fixtures/stream-shapes';
import { ChunkParser } from '../streams/chunk-parser';
import { StreamUsageAccumulator } from './stream-usage';

const RUNS = 300;

/** Reads a byte stream delivered in `pieces` the way a metered stream does. */
function readStream(pieces: Uint8Array[]): StreamUsageAccumulator {
  const accumulator = new StreamUsageAccumulator();
  const parser = new ChunkParser((event) => accumulator.push(event));
  for (const piece of pieces) parser.feed(piece);
  parser.end();
  return accumulator;
}

describe('stream usage (property)', () => {
  it('reads the expected usage from a complete stream of every provider, however its bytes are split', () => {
    const arb = streamCaseArb.chain((stream) => fc.tuple(fc.constant(stream), cutsArb(Buffer.byteLength(stream.wire))));
    fc.assert(
      fc.property(arb, ([stream, cuts]) => {
        const bytes = Buffer.from(stream.wire, 'utf8');
        const whole = readStream([bytes]);
        const split = readStream(splitAt(bytes, cuts));
        expect(whole.usage('complete')).toStrictEqual(stream.expected);
        expect(split.usage('complete')).toStrictEqual(stream.expected);
        expect(split.text).toBe(whole.text);
        expect(split.usage('interrupted', 7)).toStrictEqual(whole.usage('interrupted', 7));
      }),
      fuzzParams(RUNS),
    );
  });

  it('gives sane usage for a stream cut anywhere (client gone), or none', () => {
    const arb = streamCaseArb.chain((stream) =>
      fc.tuple(fc.constant(stream.wire), fc.integer({ min: 0, max: Buffer.byteLength(stream.wire) }), fc.nat(100_000)),
    );
    fc.assert(
      fc.property(arb, ([wire, cut, inputEstimate]) => {
        const bytes = Buffer.from(wire, 'utf8');
        const usage = readStream([bytes.subarray(0, cut)]).usage('interrupted', inputEstimate);
        if (usage !== undefined) expectSaneUsage(usage);
      }),
      fuzzParams(RUNS),
    );
  });

  it('never throws on arbitrary event sequences, and gives undefined or sane usage', () => {
    fc.assert(
      fc.property(fc.array(hostileEventArb, { maxLength: 12 }), fc.nat(100_000), (events, inputEstimate) => {
        const accumulator = new StreamUsageAccumulator();
        for (const event of events) accumulator.push(event);
        for (const usage of [accumulator.usage('complete'), accumulator.usage('interrupted', inputEstimate)]) {
          if (usage !== undefined) expectSaneUsage(usage);
        }
        expect(accumulator.countedOutputTokens()).toBeGreaterThanOrEqual(0);
      }),
      fuzzParams(RUNS),
    );
  });
});

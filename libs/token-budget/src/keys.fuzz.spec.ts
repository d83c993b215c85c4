import fc from 'fast-check';
import { fuzzParams, nearPairArb, subjectIdArb, unescapeId } from '../../../test/fixtures/fuzz';
import { escapeId, subjectTag } from './keys';

// cluster-key-slot (an ioredis dependency) is what ioredis routes Cluster commands with
// eslint-disable-next-line @typescript-eslint/no-require-imports
const calculateSlot = require('cluster-key-slot') as (key: string) => number;

const RUNS = 500;
const KEY_SYNTAX = /[:{}*?[\]\\\s]/;

/** True when the text is the same after UTF-8 encoding (what ioredis sends to Redis). */
const survivesUtf8 = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text;

describe('subject keys of arbitrary ids (property)', () => {
  it('an escaped id has no key syntax, survives UTF-8, and decodes back to the id', () => {
    fc.assert(
      fc.property(subjectIdArb, (id) => {
        const escaped = escapeId(id);
        expect(escaped).not.toMatch(KEY_SYNTAX);
        expect(survivesUtf8(escaped)).toBe(true);
        expect(unescapeId(escaped)).toBe(id);
      }),
      fuzzParams(RUNS),
    );
  });

  it('two different ids never give the same key', () => {
    fc.assert(
      fc.property(fc.oneof(fc.tuple(subjectIdArb, subjectIdArb), nearPairArb), ([a, b]) => {
        fc.pre(a !== b);
        expect(subjectTag('tokenbudget', 'user', a)).not.toBe(subjectTag('tokenbudget', 'user', b));
      }),
      fuzzParams(RUNS),
    );
  });

  it('ids made of the escape text of other ids stay apart', () => {
    // b spells out, character for character, the escapes a is written with
    fc.assert(
      fc.property(subjectIdArb, (a) => {
        const b = escapeId(a);
        fc.pre(a !== b);
        expect(escapeId(b)).not.toBe(escapeId(a));
      }),
      fuzzParams(RUNS),
    );
  });

  it('the key has one hash tag, the subject, whatever the id, feature and period', () => {
    fc.assert(
      fc.property(subjectIdArb, fc.constantFrom('user', 'tenant', 'key', 'session'), subjectIdArb, (id, scope, feature) => {
        const tag = subjectTag('tokenbudget', scope, id);
        const keys = [`${tag}:2026-11`, `${tag}:f:${escapeId(feature)}:2026-11-23T14`, `${tag}:limits`];
        const slot = calculateSlot(`${scope}:${escapeId(id)}`);
        for (const key of keys) {
          expect(key.split('{')).toHaveLength(2);
          expect(key.split('}')).toHaveLength(2);
          expect(key.slice(key.indexOf('{') + 1, key.indexOf('}'))).toBe(`${scope}:${escapeId(id)}`);
          expect(calculateSlot(key)).toBe(slot);
        }
      }),
      fuzzParams(RUNS),
    );
  });
});

import {
  counterKey,
  escapeId,
  leaseKey,
  overrideField,
  overrideKey,
  rankingKeys,
  rateTracker,
  rateWindowKey,
  subjectTag,
  throttleKey,
} from './keys';

describe('keys', () => {
  it('builds hash-tagged subject keys', () => {
    expect(subjectTag('tokenbudget', 'user', '42')).toBe('tokenbudget:budget:{user:42}');
  });

  it('escapes every character that could reach another key', () => {
    expect(escapeId('a:b{c}d*e?f[g]h\\i j\tk%l')).toBe('a%3Ab%7Bc%7Dd%2Ae%3Ff%5Bg%5Dh%5Ci%20j%09k%25l');
  });

  it('never maps two ids to one key', () => {
    const ids = ['42', '42}', '42:x', '42%3Ax', '%', '%25', '4 2', '4%202', '42*', '42\\'];
    expect(new Set(ids.map(escapeId)).size).toBe(ids.length);
  });

  it('escapes Unicode whitespace past U+00FF and lone surrogates in their own form', () => {
    expect(escapeId('\u2000')).toBe('%u2000');
    expect(escapeId(' 00')).toBe('%2000');
    expect(escapeId('a\ud800b\udc00')).toBe('a%uD800b%uDC00');
    expect(escapeId('\ud83d\ude00')).toBe('\ud83d\ude00');
  });

  it('keeps braces out of the hash tag', () => {
    const key = subjectTag('p', 'user', '}{evil}:2026-11');
    expect(key.match(/\{/g)).toHaveLength(1);
    expect(key.match(/\}/g)).toHaveLength(1);
  });
});

/**
 * Keys on the wire, byte for byte: data stored under these forms must still be found after any
 * change to the builders. A failing case here is a data migration, not a refactor.
 */
describe('the key schema (exact keys)', () => {
  const tag = subjectTag('tokenbudget', 'user', '42');

  it.each([
    ['subject tag', tag, 'tokenbudget:budget:{user:42}'],
    ['escaped subject', subjectTag('p', 'tenant', 'a:b}'), 'p:budget:{tenant:a%3Ab%7D}'],
    ['counter', counterKey(tag, '2026-11'), 'tokenbudget:budget:{user:42}:2026-11'],
    ['counter of a feature', counterKey(tag, '2026-11', 'summarize'), 'tokenbudget:budget:{user:42}:f:summarize:2026-11'],
    ['counter of an escaped feature', counterKey(tag, '2026-11', 'a b'), 'tokenbudget:budget:{user:42}:f:a%20b:2026-11'],
    [
      'counter in a time zone',
      counterKey(tag, '2026-11-23', undefined, '@Asia/Tokyo'),
      'tokenbudget:budget:{user:42}:2026-11-23@Asia/Tokyo',
    ],
    ['counter of the empty feature', counterKey(tag, 'all', ''), 'tokenbudget:budget:{user:42}:f::all'],
    ['lease set', leaseKey('tokenbudget:budget:{user:42}:2026-11'), 'tokenbudget:budget:{user:42}:2026-11:leases'],
    ['override hash', overrideKey(tag), 'tokenbudget:budget:{user:42}:limits'],
    ['token override field', overrideField('tokens', 'user||month|'), 't:user||month|'],
    ['money override field', overrideField('cost', 'user||month|'), 'c:user||month|'],
    ['token ranking', rankingKeys('tokenbudget', { identity: 'user||month|' }, '2026-11').key, 'tokenbudget:rank:{user||month|}:2026-11'],
    [
      'money ranking',
      rankingKeys('tokenbudget', { identity: 'user||month|' }, '2026-11').costKey,
      'tokenbudget:rank:{user||month|}:2026-11:cost',
    ],
    ['escaped ranking', rankingKeys('p', { identity: 'user|f:x|day|@UTC' }, '2026-11-04').key, 'p:rank:{user|f%3Ax|day|@UTC}:2026-11-04'],
    ['user tracker', rateTracker('user', 'u 1'), 'user:u%201'],
    ['ip tracker', rateTracker('ip', '::1'), 'ip:%3A%3A1'],
    ['rate window', rateWindowKey('tokenbudget', rateTracker('user', '42')), 'tokenbudget:rate:{user:42}'],
    ['throttler window', throttleKey('tokenbudget', 'a1b2c3'), 'tokenbudget:throttle:{a1b2c3}'],
  ])('%s', (_form, built, expected) => {
    expect(built).toBe(expected);
  });
});

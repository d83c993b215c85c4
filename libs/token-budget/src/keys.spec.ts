import { escapeId, subjectTag } from './keys';

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

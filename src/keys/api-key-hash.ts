import { createHash, randomBytes } from 'node:crypto';

/** Prefix of the keys the gateway issues. */
export const API_KEY_PREFIX = 'sk-tb-';

/** A new plain key: the prefix and 32 random bytes in base64url (256 bits). */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** A new public key id. */
export function generateKeyId(): string {
  return `key_${randomBytes(12).toString('base64url')}`;
}

/**
 * SHA-256 of a plain key, in hex: what the store files a key under. Issued keys carry 256 random
 * bits, so a digest cannot be reversed or guessed; a keyed HMAC would add a secret every instance
 * must share and never rotate, without making the keys any harder to find.
 */
export function hashApiKey(plain: string): string {
  return createHash('sha256').update(plain, 'utf8').digest('hex');
}

/**
 * Id of a key seeded from configuration: derived from its digest, so every instance agrees on it,
 * through a second hash, so the id shows no part of the digest.
 */
export function seededKeyId(hash: string): string {
  return `key_${createHash('sha256').update(`key-id:${hash}`, 'utf8').digest('base64url').slice(0, 16)}`;
}

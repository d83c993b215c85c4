import { randomBytes } from 'node:crypto';

/** 64 random bits per process: ids of different instances never meet on one counter. */
const PROCESS_TAG = randomBytes(8).toString('base64url');
let sequence = 0;

/** A reservation id unique across processes, without a random draw per request. */
export function nextReservationId(): string {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return `${PROCESS_TAG}.${sequence.toString(36)}`;
}

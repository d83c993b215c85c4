/** Longest `model` name accepted; a longer one is refused (400) before any catalog look-up or metric label. */
export const MAX_MODEL_NAME_LENGTH = 256;
/** Deepest nesting of objects and arrays accepted in a request body; deeper is refused (400). */
export const MAX_BODY_DEPTH = 64;

/** True when `value` nests objects / arrays deeper than `max` levels (the body itself is level 1). Iterative: no recursion on hostile input. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

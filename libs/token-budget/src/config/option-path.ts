/**
 * Splits an option path as validation messages write it (`tiers.definitions.free.limit`,
 * `budgets[1].period`, `tiers.assignments["user.1"]`) into keys and indexes, and the rest of the
 * line. Returns undefined when the line does not start with a path.
 */
export function splitProblem(line: string): { path: (string | number)[]; rest: string } | undefined {
  const head = /^[A-Za-z_$][\w$-]*/.exec(line);
  if (!head) return undefined;
  const path: (string | number)[] = [head[0]];
  let at = head[0].length;
  const segment = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  for (;;) {
    const match = segment.exec(line.slice(at));
    if (!match) break;
    path.push(match[1] ?? (match[2] !== undefined ? Number(match[2]) : (JSON.parse(match[3]) as string)));
    at += match[0].length;
  }
  if (!line.startsWith(':', at)) return undefined;
  return { path, rest: line.slice(at) };
}

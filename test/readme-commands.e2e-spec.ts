import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** Each `$ npx token-budget ...` line of README.md with the output the README shows under it. */
function readmeCommands(): { command: string; args: string[]; output: string }[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const commands: { command: string; args: string[]; output: string }[] = [];
  for (const block of text.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
    if (block[1] !== '') continue; // shell sessions are plain blocks
    const parts = block[2].split(/^\$ /m).slice(1);
    for (const part of parts) {
      const [line, ...output] = part.replace(/\n+$/, '').split('\n');
      const command = line.replace(/\s+#.*$/, '');
      commands.push({ command, args: command.split(/\s+/).slice(1), output: output.join('\n') });
    }
  }
  return commands.filter((c) => c.command.startsWith('npx token-budget '));
}

describe('README.md: the token-budget commands it shows, run from the repository root', () => {
  const commands = readmeCommands();

  it('shows some', () => {
    expect(commands.map((c) => c.command)).toContain('npx token-budget validate-config config/token-budget.yaml');
  });

  // --no-install: the bin npm linked into node_modules/.bin at install time, never a registry lookup
  it.each(commands.map((c) => [c.command, c] as const))(
    '%s prints what the README shows',
    (_, { args, output }) => {
      const run = spawnSync('npx', ['--no-install', ...args], { cwd: ROOT, encoding: 'utf8' });
      expect(`${run.stdout}${run.stderr}`.trimEnd()).toBe(output);
      expect(run.status).toBe(output.includes('problem') ? 1 : 0);
    },
    60_000,
  );
});

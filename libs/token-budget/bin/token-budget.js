#!/usr/bin/env node
// The `token-budget` command. It lives outside dist/ so that npm links it at install time even in
// a clone where the library has not been built yet (npm links a workspace's bin only if it exists).
'use strict';
const path = require('node:path');
const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
try {
  require.resolve(main);
} catch {
  console.error('token-budget: the library is not built yet (no dist/cli/main.js); run `npm run build` first.');
  process.exit(1);
}
const { main: run } = require(main);
process.exitCode = run(
  process.argv.slice(2),
  (line) => console.log(line),
  (line) => console.error(line),
);

// The repository's jest projects with @nestjs/*, nestjs-pino and rxjs taken from the Nest 12 install
// of .compat/nest12-suite (see run.sh): one copy of each, loaded by Jest 30's require(esm).
const path = require('node:path');
const base = require('../../jest.config.js');

const root = path.join(__dirname, '..', '..');
const modules = path.join(root, '.compat', 'nest12-suite', 'node_modules');
const nest12 = {
  '^@nestjs/([^/]+)$': `${modules}/@nestjs/$1`,
  '^@nestjs/([^/]+)/(.+)$': `${modules}/@nestjs/$1/$2`,
  '^nestjs-pino$': `${modules}/nestjs-pino`,
  '^rxjs$': `${modules}/rxjs`,
  '^rxjs/(.+)$': `${modules}/rxjs/$1`,
};

module.exports = {
  ...base,
  rootDir: root,
  projects: base.projects.map((project) => ({ ...project, rootDir: root, moduleNameMapper: { ...project.moduleNameMapper, ...nest12 } })),
};

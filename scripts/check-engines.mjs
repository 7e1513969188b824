// Fails when an installed package (nested ones included) asks for a Node.js version that our
// `engines.node` allows but the package does not: `npm ci` would then warn EBADENGINE on a line
// we call supported. Run by .ci/run after `npm ci`; `node scripts/check-engines.mjs` by hand.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node;
if (!ours) throw new Error('package.json has no engines.node');

const problems = [];

function visit(modules) {
  if (!existsSync(modules)) return;
  for (const name of readdirSync(modules)) {
    if (name.startsWith('.')) continue;
    const dir = join(modules, name);
    if (name.startsWith('@')) {
      visit(dir);
      continue;
    }
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { version, engines } = JSON.parse(readFileSync(manifest, 'utf8'));
      const wanted = engines?.node;
      if (typeof wanted === 'string' && !semver.subset(ours, wanted)) {
        problems.push(`${relative(root, dir)}@${version} wants node ${wanted}`);
      }
    }
    visit(join(dir, 'node_modules'));
  }
}

visit(join(root, 'node_modules'));
if (problems.length) {
  console.error(`engines.node "${ours}" allows versions these packages do not support:`);
  for (const line of problems) console.error(`  ${line}`);
  console.error('Raise the floor of engines.node (and the README) or pin the package.');
  process.exit(1);
}
console.log(`engines.node "${ours}": every installed package supports it`);

// Builds dist/ when it is missing or older than any source file, so `npm start`, `npm test`
// and `npx switchyard` work straight after `npm ci`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export function buildIfNeeded() {
  const marker = join(root, 'dist', 'main.js');
  const sources = Math.max(newest(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs);
  if (existsSync(marker) && statSync(marker).mtimeMs >= sources) return;
  process.stderr.write('switchyard: building dist/ …\n');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      stdio: 'inherit',
      cwd: root,
    },
  );
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) buildIfNeeded();

// Small pieces shared by the benchmark scripts.
import { createServer } from 'node:net';

export const HOST = '127.0.0.1';

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** Reports a bad benchmark setting and exits 2. */
export function configError(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

/** A number from the environment, or the fallback; exits 2 on anything below `min` or not a number. */
export function numberFromEnv(name, fallback, { min, integer = false }) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    configError(`${name}=${raw} is not a valid ${integer ? 'integer' : 'number'} >= ${min}`);
  }
  return value;
}

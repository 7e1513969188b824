import { setFlagsFromString } from 'node:v8';

/**
 * How far V8's old generation may grow past what survived the last full collection before
 * the next one: 1.25×. V8's own choice goes up to 4× while the program allocates fast, and a
 * delivery service does: every attempt (above all the retries of a backlog whose targets are
 * down) leaves objects that live for seconds, get promoted, then die. With ~60 MiB live, that
 * let the heap reach ~280 MiB of mostly garbage (RSS ~200 MiB over idle); at 1.25× it stays
 * ~40 MiB over. Full collections come more often; V8 marks concurrently, on another core.
 */
export const HEAP_GROWING_PERCENT = 25;

/** A V8 flag that already decides how the heap grows: the operator's choice wins. */
const OPERATOR_FLAG = /^--(heap[-_]growing[-_]percent|optimize[-_]for[-_]size)\b/;

/**
 * Sets V8's heap growing factor (HEAP_GROWING_PERCENT) for this process, unless the command
 * line sets --heap-growing-percent or --optimize-for-size (Node refuses both in NODE_OPTIONS).
 * Returns whether it did.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => OPERATOR_FLAG.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}

/** `ok` and `info` pass; `warning` and `error` make the report fail (and `switchyard doctor` exit 1). */
export type Severity = 'ok' | 'info' | 'warning' | 'error';

/** One row of the doctor's report: what it saw, and what to do about it, in plain words. */
export interface Finding {
  /** The kind of finding, stable across runs (`signature.wrong-key`); with source/subscriber it is unique. */
  id: string;
  severity: Severity;
  title: string;
  evidence: string;
  fix: string;
  source?: string;
  subscriber?: string;
}

/** `GET /admin/api/diagnostics`. */
export interface DiagnosticsReport {
  /** false when any finding is a warning or an error. */
  ok: boolean;
  checkedAt: string;
  findings: Finding[];
}

/** One troubleshooting row; returns at least one finding (an `ok` one when all is well). */
export interface DoctorCheck {
  readonly name: string;
  run(now: Date): Promise<Finding[]>;
}

export const FAILING: readonly Severity[] = ['warning', 'error'];

/** `12 minutes`, `3 hours`, `45 seconds`: durations as an operator reads them. */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours` : `${Math.round(hours / 24)} days`;
}

/** Long texts (errors from subscribers) cut to what a finding needs. */
export const clip = (text: string, max = 300): string =>
  text.length > max ? `${text.slice(0, max)}…` : text;

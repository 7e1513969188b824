import { Command, Option } from 'nest-commander';
import type { DiagnosticsReport, Finding, Severity } from '../platform/observability/finding.js';
import { AdminCommand, AdminOptions, adminRequest } from './admin-client.js';

const MARK: Record<Severity, string> = {
  error: '✗ error  ',
  warning: '! warning',
  info: 'i info   ',
  ok: '✓ ok     ',
};
const INDENT = ' '.repeat(11);

/**
 * `switchyard doctor`: the running service's diagnostics, readable. Exits 1 when any finding
 * is a warning or an error; `ok` and `info` findings pass.
 */
@Command({
  name: 'doctor',
  description:
    "check the running service against Whippy's troubleshooting table; exit 1 on any warning or error",
})
export class DoctorCommand extends AdminCommand {
  async run(_: string[], options: AdminOptions & { json?: boolean }): Promise<void> {
    const report = await adminRequest<DiagnosticsReport>(options, 'GET', 'admin/api/diagnostics');
    if (options.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      process.stdout.write(`Switchyard doctor, ${report.checkedAt}\n\n`);
      for (const finding of report.findings) process.stdout.write(render(finding));
      process.stdout.write(`${summary(report)}\n`);
    }
    if (!report.ok) process.exitCode = 1;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}

function render(finding: Finding): string {
  const about = [
    finding.source && `source ${finding.source}`,
    finding.subscriber && `subscriber ${finding.subscriber}`,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [`${MARK[finding.severity]}  ${finding.title}${about ? ` [${about}]` : ''}`];
  lines.push(`${INDENT}${finding.evidence}`);
  if (finding.severity !== 'ok') lines.push(`${INDENT}fix: ${finding.fix}`);
  return `${lines.join('\n')}\n\n`;
}

function summary(report: DiagnosticsReport): string {
  const count = (severity: Severity) => report.findings.filter((f) => f.severity === severity).length;
  const errors = count('error');
  const warnings = count('warning');
  return report.ok
    ? `All clear (${count('info')} note(s)).`
    : `${errors} error(s), ${warnings} warning(s): see the fixes above.`;
}

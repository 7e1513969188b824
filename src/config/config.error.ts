/** A configuration that cannot run; the message lists every `path: problem`. */
export class ConfigError extends Error {
  constructor(
    readonly appEnv: string,
    readonly issues: string[],
  ) {
    super(`Invalid configuration (APP_ENV=${appEnv}):\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A mapping of the merged configuration tree. */
export type Tree = Record<string, unknown>;

/** Collects `path: problem` lines while reading a merged configuration tree. */
export class ConfigReader {
  readonly issues: string[] = [];

  problem(path: string, message: string): void {
    this.issues.push(`${path}: ${message}`);
  }

  section(value: unknown, path: string, allowed: string[]): Tree {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.problem(path, `must be a mapping, got ${describe(value)}`);
      return {};
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.problem(`${path}.${key}`, `unknown setting (known: ${allowed.join(', ')})`);
    }
    return value as Tree;
  }

  boolean(value: unknown, path: string, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.problem(path, `must be true or false, got ${describe(value)}`);
    return fallback;
  }

  /** A list of texts; a comma-separated string is taken as a list too. */
  strings(value: unknown, path: string): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    const list = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(list)) {
      this.problem(path, `must be a list, got ${describe(value)}`);
      return undefined;
    }
    return list
      .map((item, i) =>
        typeof item === 'string' ? item.trim() : this.problem(`${path}[${i}]`, 'must be text'),
      )
      .filter((item): item is string => Boolean(item));
  }

  integer(value: unknown, path: string, fallback: number, min: number, max: number): number {
    if (value === undefined || value === null || value === '') return fallback;
    const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.problem(path, `must be a whole number from ${min} to ${max}, got ${describe(value)}`);
      return fallback;
    }
    return n;
  }

  /** A decimal number (minutes, hours); `0.5` and `"0.5"` alike. */
  number(value: unknown, path: string, fallback: number, min: number, max: number): number {
    if (value === undefined || value === null || value === '') return fallback;
    const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      this.problem(path, `must be a number from ${min} to ${max}, got ${describe(value)}`);
      return fallback;
    }
    return n;
  }

  /** An absolute http(s) URL, returned without a trailing slash. */
  httpUrl(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
      this.problem(path, `must be an http(s) URL such as https://hooks.example.com, got ${describe(value)}`);
      return undefined;
    }
    return text.replace(/\/+$/, '');
  }

  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value !== 'string') {
      this.problem(path, `must be text, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  choice<T extends string>(value: unknown, path: string, choices: readonly T[], fallback: T): T {
    const text = this.string(value, path);
    if (text === undefined) return fallback;
    if (!choices.includes(text as T)) {
      this.problem(path, `must be one of ${choices.join(', ')}, got ${describe(value)}`);
      return fallback;
    }
    return text as T;
  }

  bytes(value: unknown, path: string, fallback: number): number {
    if (value === undefined || value === null || value === '') return fallback;
    const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(String(value).trim());
    if (!match || (typeof value !== 'string' && typeof value !== 'number')) {
      this.problem(path, `must be a size such as 1mb, 512kb or 1048576, got ${describe(value)}`);
      return fallback;
    }
    const unit = { b: 1, kb: 1024, mb: 1024 * 1024 }[(match[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb'];
    return Number(match[1]) * unit;
  }
}

/** A value as a problem message shows it. */
export const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'a mapping'
        : JSON.stringify(value);

/** A configuration section owned by an integration (e.g. `relay:`), read with the same rules. */
export interface ConfigSection<T = unknown> {
  name: string;
  read(value: unknown, reader: ConfigReader, path: string): T;
}

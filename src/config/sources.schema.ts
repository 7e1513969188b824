import type { HmacSchemeOptions, SchemeName, SourceConfig, SourceMode } from './app-config.js';
import { type ConfigReader, describe } from './config-reader.js';

const SCHEMES: SchemeName[] = ['whippy', 'standard-webhooks', 'hmac'];
const MODES: SourceMode[] = ['active', 'paused', 'disabled'];

/** `sources.<name>`: its scheme, keys and mode; keys optional in development or when the caller says so. */
export function readSource(
  r: ConfigReader,
  name: string,
  value: unknown,
  keysOptional: boolean,
): SourceConfig | undefined {
  const path = `sources.${name}`;
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    r.problem(path, 'a source name may hold lower-case letters, digits, - and _ (it is part of the URL)');
  }
  const tree = r.section(value, path, ['scheme', 'keys', 'retiredKeys', 'toleranceSeconds', 'mode', 'hmac']);
  const scheme = r.choice(tree.scheme, `${path}.scheme`, SCHEMES, 'whippy');
  const mode = r.choice(tree.mode, `${path}.mode`, MODES, 'active');
  const keys = readKeys(r, tree.keys, `${path}.keys`);
  if (keys.length === 0 && !keysOptional && mode !== 'disabled') {
    const variable = name === 'whippy' ? 'WHIPPY_SIGNING_KEYS' : undefined;
    r.problem(
      `${path}.keys`,
      variable
        ? `no signing key; set ${variable} to the Whippy API key that signs the webhooks (comma-separated for rotation, first is current)`
        : 'no signing key; list at least one key (or `${VARIABLE}` that holds them)',
    );
  }
  if (scheme === 'standard-webhooks') {
    keys.forEach((key, i) => {
      if (!/^whsec_[A-Za-z0-9+/=_-]+$/.test(key)) {
        r.problem(`${path}.keys[${i}]`, 'a standard-webhooks key looks like whsec_<base64>');
      }
    });
  }
  const retiredKeys = readKeys(r, tree.retiredKeys, `${path}.retiredKeys`);
  retiredKeys.forEach((key, i) => {
    if (keys.includes(key))
      r.problem(`${path}.retiredKeys[${i}]`, 'is also in keys; a key is either accepted or retired');
  });
  return {
    name,
    scheme,
    keys,
    retiredKeys,
    mode,
    toleranceSeconds: r.integer(tree.toleranceSeconds, `${path}.toleranceSeconds`, 300, 0, 86_400 * 365),
    hmac: scheme === 'hmac' ? readHmac(r, tree.hmac, `${path}.hmac`) : undefined,
  };
}

function readKeys(r: ConfigReader, value: unknown, path: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!list) {
    r.problem(path, `must be a list of keys or a comma-separated string, got ${describe(value)}`);
    return [];
  }
  return list
    .map((key, i) => (typeof key === 'string' ? key.trim() : r.problem(`${path}[${i}]`, 'must be text')))
    .filter((key): key is string => Boolean(key));
}

function readHmac(r: ConfigReader, value: unknown, path: string): HmacSchemeOptions {
  const tree = r.section(value, path, [
    'header',
    'prefix',
    'template',
    'timestampHeader',
    'algorithm',
    'encoding',
  ]);
  const header = r.string(tree.header, `${path}.header`);
  if (!header) r.problem(`${path}.header`, 'the hmac scheme needs the name of the signature header');
  const template = r.choice(
    tree.template,
    `${path}.template`,
    ['{body}', '{timestamp}.{body}'] as const,
    '{body}',
  );
  const timestampHeader = r.string(tree.timestampHeader, `${path}.timestampHeader`);
  if (template.includes('{timestamp}') && !timestampHeader) {
    r.problem(`${path}.timestampHeader`, 'needed when the template signs {timestamp}');
  }
  return {
    header: (header ?? '').toLowerCase(),
    prefix: r.string(tree.prefix, `${path}.prefix`) ?? '',
    template,
    timestampHeader: timestampHeader?.toLowerCase(),
    algorithm: r.choice(tree.algorithm, `${path}.algorithm`, ['sha256', 'sha512'] as const, 'sha256'),
    encoding: r.choice(tree.encoding, `${path}.encoding`, ['hex', 'base64'] as const, 'hex'),
  };
}

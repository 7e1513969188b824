import { defineSettings, type SettingsReader } from '../../platform/bus/index.js';
import { typesMatching, WHIPPY_EVENT_TYPES } from '../../platform/events/index.js';

/** One receiving service; its subscriber id is `relay.<name>`. */
export interface RelayTargetConfig {
  /** The key under `relay.targets`. */
  name: string;
  /** Where each event is POSTed. */
  url: string;
  /** `whsec_<base64>`: the Standard Webhooks signing secret the receiver verifies with. */
  secret: string;
  /** Event types or patterns (`message.created`, `contact.*`, `*`). */
  events: string[];
  /**
   * Field of the event, as Whippy names it (`data.contact_id`): deliveries with the same value
   * reach this target one at a time, in the order received.
   */
  orderBy?: string;
  /** A POST without an answer after this long is abandoned and retried. @default 10000 */
  timeoutMs: number;
}

export interface RelayConfig {
  targets: RelayTargetConfig[];
}

export const RELAY_DEFAULT_TIMEOUT_MS = 10_000;

const TARGET_NAME = /^[a-z0-9_-]+$/;
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
const FIELD_PATH = /^(type|source|data(\.[A-Za-z0-9_]+)+)$/;
const TARGET_KEYS = ['url', 'secret', 'events', 'orderBy', 'timeoutMs'];

/**
 * The `relay:` section. An absent section means no targets. Secrets never appear in a
 * message, only the path that holds them.
 */
export const relaySettings = defineSettings('relay', (value, r, path): RelayConfig => {
  const section = r.section(value, path, ['targets']);
  const targetsPath = `${path}.targets`;
  const targets = r.section(section.targets, targetsPath, Object.keys(asTree(section.targets)));
  return {
    targets: Object.entries(targets).map(([name, target]) =>
      readTarget(r, name, target, `${targetsPath}.${name}`),
    ),
  };
});

function readTarget(r: SettingsReader, name: string, value: unknown, path: string): RelayTargetConfig {
  if (!TARGET_NAME.test(name)) {
    r.problem(
      path,
      'a target name may hold lower-case letters, digits, - and _ (it is part of the subscriber id)',
    );
  }
  const tree = r.section(value, path, TARGET_KEYS);

  const url = r.string(tree.url, `${path}.url`);
  if (!isHttpUrl(url)) {
    r.problem(
      `${path}.url`,
      `must be an http(s) URL, got ${url === undefined ? 'nothing' : JSON.stringify(url)}`,
    );
  } else if (hasCredentials(url)) {
    // fetch refuses such URLs; saying so here beats a dead delivery later.
    r.problem(
      `${path}.url`,
      'must not hold a user name or password; the signature authenticates each request',
    );
  }

  const secret = r.string(tree.secret, `${path}.secret`);
  if (secret === undefined) {
    r.problem(`${path}.secret`, 'must look like whsec_<base64>, got nothing (is the variable it reads set?)');
  } else if (!SECRET.test(secret) || Buffer.from(secret.slice('whsec_'.length), 'base64').length < 16) {
    r.problem(`${path}.secret`, 'must look like whsec_<base64> with at least 16 bytes of key');
  }

  const events = r.strings(tree.events, `${path}.events`) ?? [];
  if (events.length === 0) r.problem(`${path}.events`, 'at least one event type or pattern');
  events.forEach((event, i) => {
    if (typesMatching(event).length === 0) {
      r.problem(
        `${path}.events[${i}]`,
        `${JSON.stringify(event)} matches no known event type (known: ${WHIPPY_EVENT_TYPES.join(', ')}; patterns: contact.*, *)`,
      );
    }
  });

  const orderBy = r.string(tree.orderBy, `${path}.orderBy`);
  if (orderBy !== undefined && !FIELD_PATH.test(orderBy)) {
    r.problem(
      `${path}.orderBy`,
      `must name a field as Whippy does (data.contact_id, type, source), got ${JSON.stringify(orderBy)}`,
    );
  }

  return {
    name,
    url: url ?? '',
    secret: secret ?? '',
    events,
    orderBy,
    timeoutMs: r.integer(tree.timeoutMs, `${path}.timeoutMs`, RELAY_DEFAULT_TIMEOUT_MS, 1, 3_600_000),
  };
}

function isHttpUrl(text: string | undefined): text is string {
  if (!text || !URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'http:' || protocol === 'https:';
}

function hasCredentials(text: string): boolean {
  const { username, password } = new URL(text);
  return Boolean(username || password);
}

const asTree = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

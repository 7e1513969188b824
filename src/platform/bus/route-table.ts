import type { SubscriberRouteConfig } from '../../config/app-config.js';
import { ConfigError } from '../../config/config.error.js';
import { WHIPPY_EVENT_TYPES } from '../events/event-types.js';
import { eventFieldPaths, nearestPath, typesMatching } from '../events/index.js';
import { orderByProblems } from './ordering.js';
import { compileFilter, RouteFilter } from './route-filter.js';
import type { RawEvent, SubscriberDefinition } from './subscriber.js';

/** A subscriber as this environment routes it. */
export interface Route {
  subscriber: SubscriberDefinition;
  enabled: boolean;
  /** The known types it receives: what the code declares, narrowed by configuration. */
  types: Set<string>;
  filter?: RouteFilter;
  config?: SubscriberRouteConfig;
}

export interface Explanation {
  type: string;
  /** false when the catalog does not know the type: such events are kept as unknown. */
  known: boolean;
  subscribers: { id: string; delivers: boolean; reason?: string }[];
}

/**
 * Which subscribers get which event in this environment: the code's declarations, narrowed
 * and filtered by the `subscribers:` configuration, checked against each other at start.
 */
export class RouteTable {
  private readonly routes: Route[] = [];
  private readonly byType = new Map<string, Route[]>();

  constructor(
    subscribers: Map<string, SubscriberDefinition>,
    config: Record<string, SubscriberRouteConfig>,
    appEnv: string,
  ) {
    const issues: string[] = [];
    const known = [...subscribers.keys()].sort();
    for (const id of Object.keys(config)) {
      if (!subscribers.has(id)) {
        issues.push(`subscribers.${id}: no such subscriber (known: ${known.join(', ') || 'none'})`);
      }
    }
    for (const subscriber of subscribers.values()) {
      const declared = new Set<string>();
      for (const pattern of subscriber.events) {
        const types = typesMatching(pattern);
        if (types.length === 0) {
          issues.push(
            `subscriber ${subscriber.id} (${subscriber.origin ?? 'code'}) declares '${pattern}', which matches no known event type`,
          );
        }
        types.forEach((type) => declared.add(type));
      }
      const routeConfig = config[subscriber.id];
      if (subscriber.unavailable && routeConfig?.enabled) {
        issues.push(
          `subscribers.${subscriber.id}: enabled, but ${subscriber.unavailable} (set it, or remove the entry or write enabled: false)`,
        );
      }
      let types = declared;
      if (routeConfig?.events) {
        types = new Set();
        routeConfig.events.forEach((pattern, i) => {
          const matching = typesMatching(pattern);
          if (matching.length === 0) {
            issues.push(
              `subscribers.${subscriber.id}.events[${i}]: unknown event type '${pattern}' (known: ${WHIPPY_EVENT_TYPES.join(', ')})`,
            );
          }
          const undeclared = matching.filter((type) => !declared.has(type));
          if (matching.length > 0 && undeclared.length === matching.length) {
            issues.push(
              `subscribers.${subscriber.id}.events[${i}]: '${pattern}' is not among the events ${subscriber.id} declares (${[...declared].join(', ')})`,
            );
          }
          matching.filter((type) => declared.has(type)).forEach((type) => types.add(type));
        });
      }
      issues.push(...orderByProblems(subscriber, declared));
      if (routeConfig?.filter) issues.push(...filterProblems(subscriber.id, routeConfig.filter, types));
      const route: Route = {
        subscriber,
        enabled: !subscriber.unavailable && (routeConfig?.enabled ?? true),
        types,
        filter: compileFilter(routeConfig?.filter),
        config: routeConfig,
      };
      this.routes.push(route);
      if (!route.enabled) continue;
      for (const type of types) {
        if (!this.byType.has(type)) this.byType.set(type, []);
        this.byType.get(type)!.push(route);
      }
    }
    if (issues.length) throw new ConfigError(appEnv, issues);
  }

  /** The subscribers that get this event. */
  match(raw: RawEvent): SubscriberDefinition[] {
    const routes = this.byType.get(raw.type);
    if (!routes) return [];
    const out: SubscriberDefinition[] = [];
    for (const route of routes)
      if (!route.filter || route.filter(raw) === undefined) out.push(route.subscriber);
    return out;
  }

  /** Which subscribers would get this event, and for each that would not, why. */
  explain(raw: RawEvent): Explanation {
    return {
      type: raw.type,
      known: typesMatching(raw.type).length > 0,
      subscribers: this.routes.map(({ subscriber, enabled, types, filter }) => {
        const filtered = filter?.(raw);
        const reason = subscriber.unavailable
          ? `off: ${subscriber.unavailable}`
          : !enabled
            ? `disabled by subscribers.${subscriber.id}.enabled`
            : !types.has(raw.type)
              ? `does not subscribe to ${raw.type} (gets: ${[...types].join(', ') || 'nothing'})`
              : filtered && `filter: ${filtered}`;
        return reason
          ? { id: subscriber.id, delivers: false, reason }
          : { id: subscriber.id, delivers: true };
      }),
    };
  }

  route(id: string): Route | undefined {
    return this.routes.find((route) => route.subscriber.id === id);
  }

  /** Event type → subscribers (with their filters), for the start-up log and the admin API. */
  table(): { type: string; subscribers: { id: string; filter?: SubscriberRouteConfig['filter'] }[] }[] {
    return [...this.byType.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, routes]) => ({
        type,
        subscribers: routes.map((route) => ({ id: route.subscriber.id, filter: route.config?.filter })),
      }));
  }

  /** The start-up log: event type → subscribers with filters, and the routing default. */
  summary(): string {
    const lines = this.table().map(
      ({ type, subscribers }) =>
        `  ${type} → ${subscribers.map((s) => (s.filter ? `${s.id} (filter ${JSON.stringify(s.filter)})` : s.id)).join(', ')}`,
    );
    const unconfigured = this.unconfigured();
    return [
      lines.length
        ? `routing table:\n${lines.join('\n')}`
        : 'routing table: no subscribers; events are kept as unrouted',
      ...(unconfigured.length
        ? [
            `not named under subscribers: (on by default, with every event they declare): ${unconfigured.join(', ')}`,
          ]
        : []),
    ].join('\n');
  }

  /** Subscribers the `subscribers:` section does not name: on, with every event they declare. */
  unconfigured(): string[] {
    return this.routes.filter((route) => route.enabled && !route.config).map((route) => route.subscriber.id);
  }

  /** Every subscriber; a disabled one says why in `reason`. */
  subscribers(): { id: string; origin?: string; enabled: boolean; reason?: string; types: string[] }[] {
    return this.routes.map((route) => ({
      id: route.subscriber.id,
      origin: route.subscriber.origin,
      enabled: route.enabled,
      ...(route.enabled
        ? {}
        : {
            reason: route.subscriber.unavailable ?? `disabled by subscribers.${route.subscriber.id}.enabled`,
          }),
      types: [...route.types].sort(),
    }));
  }
}

/** Each filter path must be a field of at least one type the subscriber gets here. */
function filterProblems(id: string, filter: Record<string, unknown>, types: Set<string>): string[] {
  const known = new Set<string>();
  for (const type of types) for (const path of eventFieldPaths(type).keys()) known.add(path);
  return Object.keys(filter)
    .filter((path) => !known.has(path))
    .map((path) => {
      const near = nearestPath(path, known);
      return `subscribers.${id}.filter.${path}: no such field in ${[...types].join(', ') || 'the events it gets'}${near ? `; did you mean ${near}?` : ''}`;
    });
}

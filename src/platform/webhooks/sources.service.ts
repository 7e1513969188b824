import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig, SourceConfig } from '../../config/app-config.js';
import { schemeFor, SignatureScheme } from './schemes/index.js';

/** A configured source, its scheme and its key ring decoded once at start. */
export interface Source {
  config: SourceConfig;
  scheme: SignatureScheme;
  keys: Buffer[];
  /** Keys taken out of the ring: never accepted, only recognised by the diagnostics. */
  retiredKeys: Buffer[];
  /** Header names kept with each stored event. */
  keptHeaders: readonly string[];
}

const ALWAYS_KEPT = ['content-type', 'content-length', 'user-agent', 'x-forwarded-for', 'x-request-id'];

@Injectable()
export class SourceRegistry {
  private readonly sources = new Map<string, Source>();

  constructor(config: ConfigService<AppConfig, true>) {
    for (const source of Object.values(config.get('sources', { infer: true }))) {
      const scheme = schemeFor(source);
      this.sources.set(source.name, {
        config: source,
        scheme,
        keys: source.keys.map((key) => scheme.keyBytes(key)),
        retiredKeys: (source.retiredKeys ?? []).map((key) => scheme.keyBytes(key)),
        keptHeaders: [...ALWAYS_KEPT, ...scheme.headers],
      });
    }
  }

  /** The source behind `/webhooks/:name`, unless it is unknown or disabled. */
  active(name: string): Source | undefined {
    const source = this.sources.get(name);
    return source && source.config.mode !== 'disabled' ? source : undefined;
  }

  all(): Source[] {
    return [...this.sources.values()];
  }
}

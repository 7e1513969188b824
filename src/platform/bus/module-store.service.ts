import { Injectable } from '@nestjs/common';
import type { ModuleStateTable } from '../store/database.js';
import { ModuleStateRepository } from '../store/module-state.repository.js';
import { StoreWriter } from '../store/store-writer.service.js';

/** The outcome of `putIfAbsent`: the value now stored, and whether it is the one just given. */
export interface PutIfAbsent<T> {
  value: T;
  created: boolean;
}

/**
 * What integrations remember, durably: the id an outside system gave a Whippy record
 * (`module: 'crm.hubspot', kind: 'contact', key: <Whippy contact id>`), a rotated refresh
 * token, and the like. Values are JSON. Every write is committed through the StoreWriter
 * before it resolves, so a crash after a write never forgets it; `putIfAbsent` is atomic
 * across deliveries and processes. A module never touches the database itself.
 */
@Injectable()
export class ModuleStore {
  constructor(
    private readonly rows: ModuleStateRepository,
    private readonly writer: StoreWriter,
  ) {}

  /** The same store, with the module named once: `store.scope('crm.hubspot').get('contact', id)`. */
  scope(module: string): ModuleState {
    return new ModuleState(this, module);
  }

  async get<T = unknown>(module: string, kind: string, key: string): Promise<T | undefined> {
    const value = await this.rows.value(module, kind, key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  /** Stores the value, replacing any other under the same key; resolves once committed. */
  async put(module: string, kind: string, key: string, value: unknown): Promise<void> {
    await this.writer.write([this.rows.put(this.row(module, kind, key, value))]);
  }

  /**
   * Stores the value unless the key holds one already: of two deliveries racing to map the
   * same Whippy id, exactly one creates; the other gets the winner's value.
   */
  async putIfAbsent<T>(module: string, kind: string, key: string, value: T): Promise<PutIfAbsent<T>> {
    const [inserted] = await this.writer.write([this.rows.putIfAbsent(this.row(module, kind, key, value))]);
    if (inserted.length > 0) return { value, created: true };
    const existing = await this.get<T>(module, kind, key);
    // Deleted between the two statements: the caller's value is as good as any.
    if (existing === undefined) return this.putIfAbsent(module, kind, key, value);
    return { value: existing, created: false };
  }

  async delete(module: string, kind: string, key: string): Promise<void> {
    await this.writer.write([this.rows.delete(module, kind, key)]);
  }

  private row(module: string, kind: string, key: string, value: unknown): ModuleStateTable {
    if (!module || !kind || !key) throw new TypeError('module, kind and key must be non-empty');
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`a ${kind} value must be JSON, got ${typeof value}`);
    return { module, kind, key, value: json, updated_at: new Date().toISOString() };
  }
}

/** A ModuleStore with the module named once. */
export class ModuleState {
  constructor(
    private readonly store: ModuleStore,
    readonly module: string,
  ) {}

  get<T = unknown>(kind: string, key: string): Promise<T | undefined> {
    return this.store.get<T>(this.module, kind, key);
  }

  put(kind: string, key: string, value: unknown): Promise<void> {
    return this.store.put(this.module, kind, key, value);
  }

  putIfAbsent<T>(kind: string, key: string, value: T): Promise<PutIfAbsent<T>> {
    return this.store.putIfAbsent(this.module, kind, key, value);
  }

  delete(kind: string, key: string): Promise<void> {
    return this.store.delete(this.module, kind, key);
  }
}

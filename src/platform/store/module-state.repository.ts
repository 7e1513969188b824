import { Inject, Injectable } from '@nestjs/common';
import type { ModuleStateTable, Store } from './database.js';
import type { Statement } from './statement-runner.js';
import { STORE } from './store.tokens.js';

/** SQL and parameters only: the statement crosses to the SQLite writer thread. */
const statementOf = ({ sql, parameters }: { sql: string; parameters: readonly unknown[] }): Statement => ({
  sql,
  parameters,
});

/** The `module_state` table: what integrations remember, keyed (module, kind, key). */
@Injectable()
export class ModuleStateRepository {
  constructor(@Inject(STORE) private readonly store: Store) {}

  async value(module: string, kind: string, key: string): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom('module_state')
      .select('value')
      .where('module', '=', module)
      .where('kind', '=', kind)
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  }

  /** Stores the row, replacing any other under the same key. */
  put(row: ModuleStateTable): Statement {
    return statementOf(
      this.store.db
        .insertInto('module_state')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['module', 'kind', 'key']).doUpdateSet({ value: row.value, updated_at: row.updated_at }),
        )
        .compile(),
    );
  }

  /** Stores the row unless the key holds one already; returns the key only when it did. */
  putIfAbsent(row: ModuleStateTable): Statement {
    return statementOf(
      this.store.db
        .insertInto('module_state')
        .values(row)
        .onConflict((oc) => oc.columns(['module', 'kind', 'key']).doNothing())
        .returning('key')
        .compile(),
    );
  }

  delete(module: string, kind: string, key: string): Statement {
    return statementOf(
      this.store.db
        .deleteFrom('module_state')
        .where('module', '=', module)
        .where('kind', '=', kind)
        .where('key', '=', key)
        .compile(),
    );
  }
}

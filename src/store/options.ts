import { prepared, type Db } from './db.js';
import { defaultOptions, isOptionKey, type Options } from '../core/options.js';

/** Options stored as key → JSON value; unset keys take BOS's defaults. */
export class OptionStore {
  constructor(private readonly db: Db) {}

  get(): Options {
    const out = defaultOptions() as unknown as Record<string, unknown>;
    for (const r of prepared<[], { key: string; value: string }>(this.db, 'SELECT key, value FROM options').all()) {
      if (isOptionKey(r.key)) out[r.key] = JSON.parse(r.value);
    }
    return out as unknown as Options;
  }

  set(patch: Partial<Options>): void {
    const stmt = prepared(this.db, 'INSERT INTO options (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    for (const [k, v] of Object.entries(patch)) stmt.run(k, JSON.stringify(v));
  }
}

import { Command } from 'commander';
import { bosError } from '../../core/errors.js';
import type { CliDeps, RunDeps } from '../context.js';
import { renderTable } from '../output/format.js';
import { printResult } from '../output/result.js';

export interface DbCopyOptions {
  from: string;
  to: string;
  force: boolean;
  fromPasswordFile?: string;
  toPasswordFile?: string;
}

export function register(program: Command, deps: CliDeps): void {
  const db = program
    .command('db')
    .description('move the database between engines: a SQLite file and PostgreSQL')
    .addHelpText('after', `
Examples:
  bosctl db copy --from /var/lib/bosd/bosd.db --to postgres://bosd@db.example:5432/bosd --to-password-file /etc/bosd/db-password
  bosctl db copy --from postgres://bosd@db.example/bosd --to /var/lib/bosd/bosd.db`);
  define(db, deps);
}

export function define(parent: Command, deps: CliDeps, run = runDbCopy): Command {
  return parent
    .command('copy')
    .description('copy every table of one database into another (a file or a postgres:// URL), in one transaction on the target')
    .requiredOption('--from <db>', 'the database to read: a SQLite file or postgres://USER@HOST:PORT/DB (only read)')
    .requiredOption('--to <db>', 'the database to write: a SQLite file (created if missing) or postgres://USER@HOST:PORT/DB (an existing, empty database)')
    .option('--force', 'replace the rows of a target that has some (default: refuse it)')
    .option('--from-password-file <file>', 'file holding the PostgreSQL password of --from (else PGPASSFILE or ~/.pgpass)')
    .option('--to-password-file <file>', 'file holding the PostgreSQL password of --to (else PGPASSFILE or ~/.pgpass)')
    .addHelpText('after', `
Both databases are brought to this bosctl's schema version first (an older one is migrated, a
newer one refused). A target with rows is refused unless --force. Stop bosd on both before
copying: the copy is one snapshot of the source. Prints the rows copied per table.

Examples:
  bosctl db copy --from /var/lib/bosd/bosd.db --to postgres://bosd@db.example:5432/bosd
  bosctl db copy --from postgres://bosd@db.example/bosd --to ./bosd-copy.db -o json`)
    .action(async (o: { from: string; to: string; force?: boolean; fromPasswordFile?: string; toPasswordFile?: string }, cmd: Command) => {
      await run({ from: o.from, to: o.to, force: o.force === true, ...(o.fromPasswordFile ? { fromPasswordFile: o.fromPasswordFile } : {}), ...(o.toPasswordFile ? { toPasswordFile: o.toPasswordFile } : {}) }, deps.forCommand(cmd));
    });
}

export async function runDbCopy(o: DbCopyOptions, deps: RunDeps): Promise<void> {
  for (const [flag, v] of [['--from', o.from], ['--to', o.to]] as const) {
    if (v.trim() === '') throw bosError('BOS_VALUE_INVALID', `${flag} is empty: give a database file's path or a postgres:// URL`);
  }
  if (o.from === o.to) throw bosError('BOS_VALUE_INVALID', '--from and --to name the same database: give two different ones');
  const [{ Store }, { copyStore }] = await Promise.all([import('../../store/store.js'), import('../../store/copy.js')]);
  const from = Store.open(o.from, { readonly: true, ...(o.fromPasswordFile ? { passwordFile: o.fromPasswordFile } : {}) });
  try {
    const to = Store.open(o.to, o.toPasswordFile ? { passwordFile: o.toPasswordFile } : {});
    try {
      const report = copyStore(from, to, o.force);
      await printResult(deps.io, deps.globals.output, report, () => {
        if (deps.globals.output === 'name') {
          for (const t of report.tables) deps.io.out(`${t.table}\n`);
          return;
        }
        const rows = report.tables.map((t) => [t.table, String(t.rows)]);
        deps.io.out(renderTable(deps.globals.headers ? [['TABLE', 'ROWS'], ...rows] : rows));
        if (!deps.globals.quiet) deps.io.out(`copied ${report.rows} rows from ${report.from} to ${report.to}${report.replaced ? ' (its rows replaced)' : ''}\n`);
      });
    } finally {
      to.close();
    }
  } finally {
    from.close();
  }
}

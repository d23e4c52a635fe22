import { Command, Option } from 'commander';
import { lstatSync } from 'node:fs';
import { bosError, isBosError } from '../../core/errors.js';
import { writeSecretFile } from '../files.js';
import type { TokenInfo } from '../../services/tokens.js';
import type { CliDeps, RunDeps } from '../context.js';
import { printListOrNote, type ResourceView } from '../output/format.js';
import { printChange, printResult } from '../output/result.js';

const tokenView: ResourceView<TokenInfo> = {
  name: (t) => t.id,
  api: (t) => t,
  columns: [
    { header: 'ID', value: (t) => t.id },
    { header: 'ROLE', value: (t) => t.role },
    { header: 'NODE', value: (t) => t.node ?? (t.role === 'node' ? 'any' : '-') },
    { header: 'TENANT', value: (t) => t.tenant ?? '-' },
    { header: 'EXPIRES', value: (t) => t.expires_at ?? 'never' },
    { header: 'STATE', value: (t) => (t.revoked_at ? 'revoked' : t.expires_at && Date.parse(t.expires_at) <= Date.now() ? 'expired' : 'active') },
    { header: 'DESCRIPTION', value: (t) => t.description || '-' },
    { header: 'CREATED', value: (t) => t.created_at, wide: true },
    { header: 'BY', value: (t) => t.created_by, wide: true },
  ],
};

export function register(program: Command, deps: CliDeps): void {
  const tok = program.command('token').description('API tokens for bosd: admin, wlm (Slurm) and node roles')
    .addHelpText('after', '\nExamples:\n  bosctl token create --role wlm --description slurmctld\n  bosctl token list\n  bosctl token revoke 3k9x2a7b');

  defineCreate(tok, deps);
  defineList(tok, deps);
  defineRevoke(tok, deps);
}

export function defineCreate(parent: Command, deps: CliDeps, run = runCreate): Command {
  return parent.command('create')
    .description('create a token and print its secret once (only a hash is kept)')
    .addOption(new Option('--role <role>', 'admin: everything; wlm: apply-staged and read components; node: report its own boot').choices(['admin', 'wlm', 'node']).makeOptionMandatory())
    .option('--node <xname>', 'with --role node: the one node it speaks for (default: any node, a fleet reporter)')
    .option('--expires <duration>', 'expire after e.g. 12h, 30d, 52w (default: never)')
    .option('--description <text>', 'what the token is for')
    .option('--output-file <file>', 'write the secret to this new file (mode 0600) instead of stdout')
    .option('--force', 'with --output-file: replace the file if it exists')
    .addHelpText('after', `
The secret is printed once on stdout, or written to --output-file, created readable by its
owner only; an existing file is left alone unless --force. A token file that others can
read is refused wherever bosctl reads it.

Examples:
  bosctl token create --role wlm --description slurmctld --output-file /etc/slurm/bosd-token
  bosctl token create --role node --node x1000c0s0b0n0 --expires 30d
  bosctl token create --role admin --tenant blue --output-file blue-admin.token

With --tenant T the token is bound to tenant T: it only ever acts as T, whatever
Cray-Tenant-Name it sends (another tenant's name is refused with 403).`)
    .action(async (o: { role: string; node?: string; expires?: string; description?: string; outputFile?: string; force?: boolean }, cmd: Command) => {
      await run({ role: o.role, node: o.node, expires: o.expires, description: o.description, outputFile: o.outputFile, force: o.force === true }, deps.forCommand(cmd));
    });
}

export interface CreateOptions { role: string; node?: string; expires?: string; description?: string; outputFile?: string; force: boolean }

export async function runCreate(o: CreateOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  if (o.force && o.outputFile === undefined) throw bosError('BOS_USAGE', '--force goes with --output-file: it allows replacing that file');
  if (o.outputFile !== undefined && o.outputFile.trim() === '') throw bosError('BOS_VALUE_INVALID', '--output-file is empty: give the path of the file to write the secret to');
  const { outputFile, force, ...fields } = o;
  const req = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Omit<CreateOptions, 'outputFile' | 'force'>;
  // Refused before the token exists: a file already there would leave it created but unsaved.
  if (outputFile !== undefined && !force && lstatOrNull(outputFile)) {
    throw bosError('BOS_FILE_UNREADABLE', `${outputFile} already exists: bosctl does not overwrite a file with a secret unless asked`, 'pass --force to replace it, or choose another --output-file');
  }
  const r = await (await deps.backend()).createToken(req);
  const about = `token ${r.token.id} created (role ${r.token.role}${r.token.node ? `, node ${r.token.node}` : ''}${r.token.expires_at ? `, expires ${r.token.expires_at}` : ''})`;
  if (outputFile !== undefined) {
    try {
      writeSecretFile(outputFile, r.secret + '\n', { force });
    } catch (e) {
      if (!isBosError(e)) throw e;
      throw bosError(e.code, `${e.message}; token ${r.token.id} was created but its secret is lost: revoke it (bosctl token revoke ${r.token.id})`, e.hint);
    }
    await printResult(deps.io, g.output, { ...r.token, secret_file: outputFile }, () => {
      if (!g.quiet) deps.io.err(`${about}; its secret is in ${outputFile} (mode 0600)\n`);
    });
    return;
  }
  await printResult(deps.io, g.output, { ...r.token, secret: r.secret }, () => {
    deps.io.out(r.secret + '\n');
    if (!g.quiet) deps.io.err(`${about}; the secret above is not shown again\n`);
  });
}

export function defineList(parent: Command, deps: CliDeps, run = runList): Command {
  return parent.command('list')
    .alias('ls')
    .description('list tokens (never their secrets)')
    .addHelpText('after', '\nExamples:\n  bosctl token list\n  bosctl token list -o json')
    .action(async (_o: unknown, cmd: Command) => {
      await run({}, deps.forCommand(cmd));
    });
}

export async function runList(_o: Record<string, never>, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const ts = await (await deps.backend()).listTokens();
  await printListOrNote(deps.io, tokenView, ts, { format: g.output, noHeaders: !g.headers }, 'No tokens.');
}

export function defineRevoke(parent: Command, deps: CliDeps, run = runRevoke): Command {
  return parent.command('revoke')
    .description('revoke tokens: they stop working at once (within 2 s on a bosd that just accepted them)')
    .argument('<ids...>')
    .addHelpText('after', '\nbosd remembers a token it accepted for 2 s (a fleet\'s boot reports share one): revoked\nthrough bosd\'s API (--server) it stops working there at once, revoked on the database\n(here, or through another bosd) at most 2 s later.\n\nExamples:\n  bosctl token revoke 3k9x2a7b')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      await run({ ids }, deps.forCommand(cmd));
    });
}

export async function runRevoke(o: { ids: string[] }, deps: RunDeps): Promise<void> {
  const backend = await deps.backend();
  for (const id of o.ids) {
    await backend.revokeToken(id);
    await printChange(deps.io, { format: deps.globals.output, quiet: deps.globals.quiet }, { kind: 'token', name: id, verb: 'revoked' });
  }
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

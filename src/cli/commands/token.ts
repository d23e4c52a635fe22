import { Command, Option } from 'commander';
import type { TokenInfo } from '../../services/tokens.js';
import type { CliDeps } from '../context.js';
import { globalsOf } from '../context.js';
import { printData, printListOrNote, type ResourceView } from '../output/format.js';

const tokenView: ResourceView<TokenInfo> = {
  name: (t) => t.id,
  api: (t) => t,
  columns: [
    { header: 'ID', value: (t) => t.id },
    { header: 'ROLE', value: (t) => t.role },
    { header: 'NODE', value: (t) => t.node ?? (t.role === 'node' ? 'any' : '-') },
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

  tok.command('create')
    .description('create a token and print its secret once (only a hash is kept)')
    .addOption(new Option('--role <role>', 'admin: everything; wlm: apply-staged and read components; node: report its own boot').choices(['admin', 'wlm', 'node']).makeOptionMandatory())
    .option('--node <xname>', 'with --role node: the one node it speaks for (default: any node, a fleet reporter)')
    .option('--expires <duration>', 'expire after e.g. 12h, 30d, 52w (default: never)')
    .option('--description <text>', 'what the token is for')
    .addHelpText('after', `
The secret is printed once on stdout; store it in a file readable only by its user,
e.g. /etc/slurm/bosd-token for the Slurm controller.

Examples:
  bosctl token create --role wlm --description slurmctld > /etc/slurm/bosd-token
  bosctl token create --role node --node x1000c0s0b0n0 --expires 30d`)
    .action(async (o: { role: string; node?: string; expires?: string; description?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = await (await deps.backend(cmd)).createToken(o);
      if (g.output === 'json' || g.output === 'yaml') return printData(deps.io, g.output, { ...r.token, secret: r.secret });
      deps.io.out(r.secret + '\n');
      if (!g.quiet) deps.io.err(`token ${r.token.id} created (role ${r.token.role}${r.token.node ? `, node ${r.token.node}` : ''}${r.token.expires_at ? `, expires ${r.token.expires_at}` : ''}); the secret above is not shown again\n`);
    });

  tok.command('list')
    .alias('ls')
    .description('list tokens (never their secrets)')
    .addHelpText('after', '\nExamples:\n  bosctl token list\n  bosctl token list -o json')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const ts = await (await deps.backend(cmd)).listTokens();
      await printListOrNote(deps.io, tokenView, ts, { format: g.output, noHeaders: !g.headers }, 'No tokens.');
    });

  tok.command('revoke')
    .description('revoke tokens: they stop working at once')
    .argument('<ids...>')
    .addHelpText('after', '\nExamples:\n  bosctl token revoke 3k9x2a7b')
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const backend = await deps.backend(cmd);
      for (const id of ids) {
        await backend.revokeToken(id);
        if (!g.quiet) deps.io.out(`token ${id} revoked\n`);
      }
    });
}

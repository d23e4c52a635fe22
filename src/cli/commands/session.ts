import { Command, Option } from 'commander';
import { bosError } from '../../core/errors.js';
import { compressHostlist } from '../../core/hostlist.js';
import { parseBooleanWord } from '../../core/options.js';
import { parseDuration } from '../../core/duration.js';
import type { CliDeps, RunDeps } from '../context.js';
import { printData, printList, printListOrNote, printOne, renderFields, renderTable, type ResourceView } from '../output/format.js';
import { isDataFormat, printChange, printResult } from '../output/result.js';
import { eventView, paintStatus, sessionView } from '../output/views.js';
import type { Backend } from '../../services/backend.js';
import type { SessionCreateRequest } from '../../services/sessions.js';
import type { EventRecord } from '../../store/events.js';
import type { Paint } from '../io.js';
import { renderPlan } from '../output/plan.js';
import { CommandFailed } from '../exit.js';
import { canDrawSpinner, startSpinner } from '../progress.js';
import { changeKey, progressLine, RateMeter, totalText } from '../output/session-watch.js';
import { countsSummary, unsettledCount } from '../../core/session-status.js';
import { isTransientUnreachable } from '../../client/http.js';
import { retryWhileUnreachable } from '../retry-unreachable.js';
import { canPrompt, confirmNow } from '../prompt.js';

interface CreateFlags {
  template?: string;
  operation?: string;
  stage?: string | boolean;
  limit?: string;
  name?: string;
  includeDisabled?: boolean;
}

/** `--stage`, `--stage true` and `--stage false`, as CSM admins type it with the cray CLI. */
function stageFlag(v: string | boolean | undefined): boolean {
  if (v === undefined) return false;
  if (v === true) return true;
  const b = parseBooleanWord(v);
  if (b === undefined) throw bosError('BOS_VALUE_INVALID', `invalid --stage value "${String(v)}": expected true or false (or just --stage)`);
  return b;
}

/** What a session that is not staged does to n nodes now, in the confirmation's words. */
const AT_ONCE: Record<string, (n: number) => string> = {
  reboot: (n) => `reboot ${n} nodes now`,
  shutdown: (n) => `shut down ${n} nodes now`,
  boot: (n) => `boot ${n} nodes now, power-cycling those that are on`,
};

/** --interval: 500ms, 2s; a bare number is milliseconds (the old spelling). */
export const parseInterval = (v: string): number => parseDuration(v, { name: '--interval', bare: 'ms', min: 50, expected: 'at least 50ms, e.g. 500ms or 2s (a bare number is milliseconds)' });

const intervalOption = (flag: string) => new Option('--interval <duration>', `with ${flag}: how often to look (500ms, 2s; a bare number is ms)`).argParser(parseInterval).default(1000, '1s');

/** How long a watch keeps trying while bosd cannot be reached (a restart), unless --retry-for says otherwise. */
const DEFAULT_RETRY_FOR = '5m';

/** "90" (seconds), "90s", "5m", "1h" → milliseconds. */
export function parseRetryFor(text: string): number {
  return parseDuration(text, { name: '--retry-for', bare: 's', min: 0, expected: 'seconds or a duration such as 90s, 5m or 1h (0: give up at once)' });
}

const retryForOption = (flag: string) => new Option('--retry-for <duration>', `with ${flag}: while bosd is unreachable (restarting), keep trying this long (90s, 5m, 1h; 0: give up at once)`).default(DEFAULT_RETRY_FOR, DEFAULT_RETRY_FOR);

export function register(program: Command, deps: CliDeps): void {
  const s = program.command('session').description('sessions: apply a template to nodes now, or stage it for later')
    .addHelpText('after', '\nExamples:\n  bosctl session create --template compute-v2 --operation reboot --stage --limit Compute\n  bosctl session list\n  bosctl session status SESSION');
  defineCreate(s, deps);
  defineList(s, deps);
  defineDescribe(s, deps);
  defineStatus(s, deps);
  defineHistory(s, deps);
  defineResume(s, deps);
  defineAbort(s, deps);
  defineDelete(s, deps);
}

export interface CreateOptions extends WatchTiming {
  template?: string;
  operation?: string;
  stage: boolean;
  limit?: string;
  name?: string;
  includeDisabled: boolean;
  maxFailures?: string;
  force: boolean;
  dryRun: boolean;
  yes: boolean;
  wait: boolean;
}

export function defineCreate(parent: Command, deps: CliDeps, run = runCreate): Command {
  return parent.command('create')
    .description('create a session: stage (--stage) or set the desired state of the template\'s nodes')
    .option('-t, --template <name>', 'session template to use')
    .addOption(new Option('--template-name <name>', 'alias of --template (cray CLI spelling)').hideHelp())
    .addOption(new Option('--operation <op>', 'what to do with the nodes').choices(['boot', 'reboot', 'shutdown']).makeOptionMandatory(false))
    .option('--stage [bool]', 'stage only: nothing reboots until apply-staged (also --stage true)')
    .addOption(new Option('--staged [bool]', 'alias of --stage').hideHelp())
    .option('-l, --limit <limit>', 'narrow the nodes: xnames, nids, hostnames, groups, roles; "&" intersects, "!" excludes, "all"')
    .option('--name <name>', 'session name (default: a generated UUID)')
    .option('--include-disabled', 'include nodes disabled in the inventory')
    .option('--max-failures <n|p%>', 'failure budget: after this many failed nodes (or this share), bosd acts on no further nodes of the session')
    .option('--force', 'reboot nodes that already run the target too (by default they are reported and left alone)')
    .option('--dry-run', 'print the plan (nodes, what changes, what is skipped and why) and write nothing')
    .option('-y, --yes', 'go ahead without asking when more than one node would be rebooted, shut down or booted now (required without a terminal)')
    .option('--wait', 'without --stage: wait until every node is stable or failed, showing progress; exit 0 when all are stable, 1 otherwise')
    .addOption(intervalOption('--wait'))
    .addOption(retryForOption('--wait'))
    .addHelpText('after', `
Examples:
  bosctl session create --template compute-v2 --operation reboot --stage --limit Compute
  bosctl session create --template-name compute-v2 --operation reboot --stage true --limit 'Compute,!nid000001'
  bosctl session create --template compute-v2 --operation boot --limit x1000c0s0b0n0
  bosctl session create --template compute-v2 --operation reboot --stage --max-failures 5% --dry-run
  bosctl session create --template compute-v2 --operation reboot --limit gpu --yes --wait

Without --stage the nodes' desired state is set at once and bosd acts on them. When that
reboots, shuts down or boots more than one node, bosctl shows the plan and asks first
(default no); --yes skips the question, and without a terminal --yes is required (exit 2).`)
    .action(async (o: CreateFlags & { templateName?: string; staged?: string | boolean; maxFailures?: string; force?: boolean; dryRun?: boolean; yes?: boolean; wait?: boolean; interval: number; retryFor: string }, cmd: Command) => {
      await run({
        template: o.template ?? o.templateName, operation: o.operation, stage: stageFlag(o.stage ?? o.staged), limit: o.limit, name: o.name,
        includeDisabled: o.includeDisabled === true, maxFailures: o.maxFailures, force: o.force === true, dryRun: o.dryRun === true,
        yes: o.yes === true, wait: o.wait === true, interval: o.interval, retryFor: parseRetryFor(o.retryFor),
      }, deps.forCommand(cmd));
    });
}

export async function runCreate(o: CreateOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const template = o.template;
  if (!template) throw bosError('BOS_USAGE', 'no template: give --template NAME (list them with "bosctl sessiontemplate list")');
  if (!o.operation) throw bosError('BOS_OPERATION_INVALID', 'no operation: give --operation boot, reboot or shutdown');
  const stage = o.stage;
  if (o.wait && stage) throw bosError('BOS_USAGE', '--wait follows nodes bosd acts on now; a staged session waits for apply-staged (follow it with "bosctl session status S --watch")');
  if (o.wait && o.dryRun) throw bosError('BOS_USAGE', '--wait has nothing to wait for with --dry-run');
  // An empty variable in a script ($NODES) must not widen a session to the whole template.
  if (o.limit !== undefined && o.limit.trim() === '') {
    throw bosError('BOS_LIMIT_INVALID', 'empty --limit: name the nodes (xnames, nids, hostnames, groups, roles), or leave --limit out for every node of the template');
  }
  const backend = await deps.backend();
  const request = {
    name: o.name, template_name: template, operation: o.operation, limit: o.limit, stage, include_disabled: o.includeDisabled,
    max_failures: o.maxFailures, force: o.force,
  };
  if (!stage && !o.dryRun && !o.yes) await confirmSession(request, backend, deps);
  const created = await backend.createSession({ ...request, dry_run: o.dryRun });
  for (const w of created.warnings) deps.io.err(`bosctl: warning: ${w}\n`);
  if (o.dryRun) {
    await printResult(deps.io, g.output, { dry_run: true, session: created.session, plan: created.plan, warnings: created.warnings }, async () => {
      const p = await deps.io.paint();
      deps.io.out(`session ${created.session.name} would ${stage ? 'stage' : 'set'} ${created.session.operation} for ${created.nodes.length} node(s) (dry run: nothing written)\n`);
      deps.io.out(renderPlan(created.plan, p));
    });
    return;
  }
  const data = isDataFormat(g.output);
  if (!o.wait && data) { await printData(deps.io, g.output as 'json' | 'yaml', created.session); return; }
  if (g.output === 'name') deps.io.out(created.session.name + '\n');
  else if (!g.quiet && !data) {
    const verb = stage ? 'staged' : 'set to';
    deps.io.out(`session ${created.session.name} created: ${created.session.operation} ${verb} ${created.nodes.length} node(s): ${compressHostlist(created.nodes)}\n`);
    if (created.current.length > 0 && !stage) deps.io.out(`already current, not rebooted: ${created.current.length} node(s): ${compressHostlist(created.current)}\n`);
    if (stage) deps.io.out(`apply it node by node with: bosctl apply-staged NODES\n`);
  }
  if (!o.wait) return;
  const name = created.session.name;
  const end = await followSession(name, backend, deps, { intervalMs: o.interval, retryForMs: o.retryFor, show: g.quiet || data || g.output === 'name' ? 'nothing' : 'lines' });
  if (data) await printData(deps.io, g.output as 'json' | 'yaml', end.session);
  failUnlessClean(name, end);
  if (!g.quiet && !data && g.output !== 'name') deps.io.out(`session ${name} complete: ${end.counts.stable} node(s) stable\n`);
}

export function defineList(parent: Command, deps: CliDeps, run = runList): Command {
  return parent.command('list')
    .alias('ls')
    .description('list sessions')
    .addOption(new Option('--status <status>', 'only sessions with this status').choices(['pending', 'running', 'complete']))
    .addHelpText('after', '\nExamples:\n  bosctl session list\n  bosctl session list --status running -o wide')
    .action(async (o: { status?: string }, cmd: Command) => {
      await run({ status: o.status }, deps.forCommand(cmd));
    });
}

export async function runList(o: { status?: string }, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const sessions = await (await deps.backend()).listSessions({ status: o.status });
  await printListOrNote(deps.io, sessionView, sessions, { format: g.output, noHeaders: !g.headers }, 'No sessions.');
}

export function defineDescribe(parent: Command, deps: CliDeps, run = runDescribe): Command {
  return parent.command('describe')
    .alias('show')
    .description('show a session')
    .argument('<name>')
    .addHelpText('after', '\nExamples:\n  bosctl session describe 5b0c1d2e-...\n  bosctl session describe my-session -o json')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await run({ name }, deps.forCommand(cmd));
    });
}

export async function runDescribe(o: { name: string }, deps: RunDeps): Promise<void> {
  const session = await (await deps.backend()).getSession(o.name);
  await printOne(deps.io, sessionView, session, { format: deps.globals.output }, (x) => {
    const { components, ...rest } = x;
    const nodes = components ? components.split(',') : [];
    return renderFields({ ...rest, nodes: `${nodes.length}${nodes.length ? `  ${compressHostlist(nodes)}` : ''}` });
  });
}

/** How a watch polls (--interval) and how long it keeps trying an unreachable bosd (--retry-for), in ms. */
export interface WatchTiming {
  interval: number;
  retryFor: number;
}

export interface StatusOptions extends WatchTiming {
  name: string;
  watch: boolean;
}

export function defineStatus(parent: Command, deps: CliDeps, run = runStatus): Command {
  return parent.command('status')
    .description('show a session\'s progress: nodes per phase, percent done, errors; --watch follows it to the end')
    .argument('<name>')
    .option('-w, --watch', 'follow the session until it completes or every node is stable or failed (exit 1 if any failed): redrawn on a terminal, one line per change otherwise')
    .addOption(intervalOption('--watch'))
    .addOption(retryForOption('--watch'))
    .addHelpText('after', `
Each node of the session counts once, in one of:
  staged        staged by this session and not applied yet: waits for apply-staged
  powering_off, powering_on, configuring
                bosd is taking it to the session's state
  on_hold       waiting: for bosd to take it up, a power-cap slot, a BMC that does not
                answer, or held because the session's failure budget ran out
  stable        done: it runs the session's state
  failed        bosd gave up on it (Errors says why)

"node(s)" is their sum. A node keeps its staged state when applied (unless the option
clear_stage is true) but counts as applied. A staged session stays running while any node
keeps its stage, as in BOS; --watch ends when the session completes, or 2 s after no
node is staged, on_hold or in a phase (a session that stays running), exit 1 if any
failed or the failure budget halted it.
If bosd cannot be reached meanwhile (it restarts), --watch says so once on stderr and
keeps trying for --retry-for (default ${DEFAULT_RETRY_FOR}), then exits 1.

-o json prints BOS v2's extended status (GET /v2/sessions/{id}/status) exactly as BOS
counts it: managed_components_count adds the session's nodes and the nodes it staged, so
a node staged and applied counts twice there (and in percent_staged), unlike the table.

Examples:
  bosctl session status my-session
  bosctl session status my-session --watch
  bosctl session status my-session --watch --retry-for 15m
  bosctl session status my-session -o json`)
    .action(async (name: string, o: { watch?: boolean; interval: number; retryFor: string }, cmd: Command) => {
      const deps1 = deps.forCommand(cmd);
      await run({ name, watch: o.watch === true, interval: o.interval, retryFor: o.watch ? parseRetryFor(o.retryFor) : 0 }, deps1);
    });
}

export async function runStatus(o: StatusOptions, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const backend = await deps.backend();
  const p = await deps.io.paint();
  if (!o.watch) {
    const r = await backend.sessionStatus(o.name);
    await printResult(deps.io, g.output, r.extended, () => {
      deps.io.out(g.output === 'name' ? r.session.name + '\n' : renderStatus(r, p, g.headers));
    });
    return;
  }
  const show = g.output === 'json' ? 'json' : deps.io.stdoutIsTTY ? 'redraw' : 'lines';
  failUnlessClean(o.name, await followSession(o.name, backend, deps, { intervalMs: o.interval, retryForMs: o.retryFor, show }));
}

export function defineHistory(parent: Command, deps: CliDeps, run = runHistory): Command {
  return parent.command('history')
    .description('list the events of a session and of its nodes while they worked for it')
    .argument('<name>')
    .addHelpText('after', '\nExamples:\n  bosctl session history my-session\n  bosctl session history my-session -o json')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await run({ name }, deps.forCommand(cmd));
    });
}

export async function runHistory(o: { name: string }, deps: RunDeps): Promise<void> {
  const g = deps.globals;
  const events = await (await deps.backend()).sessionHistory(o.name);
  await printList(deps.io, sessionEventView, events, { format: g.output, noHeaders: !g.headers });
}

export function defineResume(parent: Command, deps: CliDeps, run = runResume): Command {
  return parent.command('resume')
    .description('continue a session halted by its failure budget; its held nodes go on')
    .argument('<name>')
    .option('--max-failures <n|p%>', 'a new failure budget')
    .addHelpText('after', '\nExamples:\n  bosctl session resume my-session\n  bosctl session resume my-session --max-failures 10%')
    .action(async (name: string, o: { maxFailures?: string }, cmd: Command) => {
      await run({ name, maxFailures: o.maxFailures }, deps.forCommand(cmd));
    });
}

export async function runResume(o: { name: string; maxFailures?: string }, deps: RunDeps): Promise<void> {
  const r = await (await deps.backend()).resumeSession(o.name, o.maxFailures);
  await printChange(deps.io, { format: deps.globals.output, quiet: deps.globals.quiet }, {
    kind: 'session', name: o.name, verb: 'resumed', data: r,
    detail: `; ${r.released.length} held node(s) released${r.released.length ? `: ${compressHostlist(r.released)}` : ''}`,
  });
}

export function defineAbort(parent: Command, deps: CliDeps, run = runAbort): Command {
  return parent.command('abort')
    .description('stop a session: forget what it staged and disable its nodes that have not started')
    .argument('<name>')
    .addHelpText('after', '\nNodes already being rebooted finish their step.\n\nExamples:\n  bosctl session abort my-session')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await run({ name }, deps.forCommand(cmd));
    });
}

export async function runAbort(o: { name: string }, deps: RunDeps): Promise<void> {
  const r = await (await deps.backend()).abortSession(o.name);
  await printChange(deps.io, { format: deps.globals.output, quiet: deps.globals.quiet }, {
    kind: 'session', name: o.name, verb: 'aborted', data: r,
    detail: `: ${r.unstaged.length} node(s) unstaged, ${r.stopped.length} not started and disabled`,
  });
}

export function defineDelete(parent: Command, deps: CliDeps, run = runDelete): Command {
  return parent.command('delete')
    .alias('rm')
    .description('delete a session record (nodes keep what it staged; applying that then fails)')
    .argument('<name>')
    .addHelpText('after', '\nExamples:\n  bosctl session delete my-session')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await run({ name }, deps.forCommand(cmd));
    });
}

export async function runDelete(o: { name: string }, deps: RunDeps): Promise<void> {
  await (await deps.backend()).deleteSession(o.name);
  await printChange(deps.io, { format: deps.globals.output, quiet: deps.globals.quiet }, { kind: 'session', name: o.name, verb: 'deleted' });
}

type StatusReport = Awaited<ReturnType<Backend['sessionStatus']>>;

function renderStatus(r: StatusReport, p: Paint, headers: boolean): string {
  const e = r.extended;
  let out = `Session:   ${r.session.name} (${r.session.operation}${r.session.stage ? ', staged' : ''}, template ${r.session.template_name})\n`;
  const time = e.status === 'complete' ? totalText(r) : `running for ${e.timing.duration}`;
  const sum = countsSummary(r.counts);
  out += `Status:    ${paintStatus(e.status, p)}${r.control.halted_at ? p.red(' (halted)') : ''}, ${sum.percentComplete}% complete, ${sum.nodes} node(s), ${time}\n`;
  if (r.control.max_failures) out += `Budget:    at most ${r.control.max_failures} failed node(s)\n`;
  if (r.session.status.error) out += `Note:      ${r.session.status.error}\n`;
  const rows = Object.entries(r.counts).map(([phase, n]) => [phase, String(n)]);
  out += '\n' + renderTable(headers ? [[p.bold('PHASE'), p.bold('NODES')], ...rows] : rows);
  const errors = Object.entries(e.error_summary);
  if (errors.length) {
    out += '\nErrors:\n';
    for (const [err, v] of errors) out += `  ${p.red(String(v.count))} ${err}: ${v.list}\n`;
  }
  return out;
}

interface FollowOptions {
  intervalMs: number;
  /** How long to keep trying while bosd is unreachable. */
  retryForMs: number;
  /** redraw: the status screen, redrawn (a terminal); lines: one line per change; json: one object per change; nothing: the spinner only. */
  show: 'redraw' | 'lines' | 'json' | 'nothing';
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
/** Back-off between tries while bosd is unreachable, at most this long. */
const RETRY_DELAY_MAX_MS = 10_000;

/** How long a watch whose nodes have all settled waits for bosd to mark the session complete. */
const COMPLETION_GRACE_MS = 2000;

/**
 * Follows a session to its end (status --watch, create --wait) and returns its last status.
 * The end: complete, or COMPLETION_GRACE_MS after no node is left to settle (see unsettledCount) — a staged session
 * stays running while its stage is kept (a failed node is disabled, as in BOS, so it does not
 * keep its session open).
 * Between looks a spinner on stderr (a terminal only) says how far it is.
 */
async function followSession(name: string, backend: Backend, deps: Pick<RunDeps, 'io'>, o: FollowOptions): Promise<StatusReport> {
  const p = await deps.io.paint();
  const rate = new RateMeter();
  let last = '';
  const seenErrors = new Set<string>();
  const spinner = startSpinner(deps.io, `session ${name}`);
  const read = readRetrying(name, backend, deps, o, spinner);
  let settledAt: number | undefined;
  try {
    for (;;) {
      const r = await read();
      const now = performance.now();
      rate.observe(r.counts.stable + r.counts.failed, now);
      const line = progressLine(r, rate.perMinute(now));
      if (o.show === 'json') {
        const key = JSON.stringify(r.counts) + r.session.status.status;
        if (key !== last) { deps.io.out(JSON.stringify({ time: new Date().toISOString(), status: r.session.status.status, halted: r.control.halted_at !== null, counts: r.counts }) + '\n'); last = key; }
      } else if (o.show === 'redraw') {
        deps.io.out('\u001b[H\u001b[2J' + renderStatus(r, p, true) + '\n' + p.dim(line) + '\n');
      } else if (o.show === 'lines') {
        const stamp = new Date().toISOString().slice(11, 19);
        const body = changeKey(line);
        if (body !== last) { deps.io.out(`${stamp} ${line}\n`); last = body; }
        for (const [err, v] of Object.entries(r.extended.error_summary)) {
          if (!seenErrors.has(err)) { seenErrors.add(err); deps.io.out(`${stamp} failed ${v.list}: ${err}\n`); }
        }
      }
      const c = r.counts;
      if (r.session.status.status === 'complete') return r;
      if (unsettledCount(c, r.control.halted_at !== null) === 0) {
        // bosd marks the session complete just after its last node's write: a moment more shows
        // that, rather than a last line saying "running". A session that stays running (no bosd,
        // nodes that keep their stage) ends the watch all the same.
        settledAt ??= now;
        if (now - settledAt >= COMPLETION_GRACE_MS) return r;
      } else settledAt = undefined;
      const waiting = c.staged > 0 ? `, ${c.staged} staged (waiting for apply-staged)` : '';
      const sum = countsSummary(c);
      spinner.text(`session ${name}: ${sum.percentComplete}% complete, ${c.stable} stable, ${c.failed} failed of ${sum.nodes} node(s)${waiting}`);
      await sleep(settledAt === undefined ? o.intervalMs : Math.min(o.intervalMs, 250));
    }
  } finally {
    spinner.stop();
  }
}

/**
 * The session's status, read again with back-off while bosd is unreachable in a way that
 * may pass (a restart: refused, reset, no socket), for at most retryForMs of the monotonic
 * clock. Said once per outage: in the spinner on a terminal, else one line on stderr.
 */
function readRetrying(name: string, backend: Backend, deps: Pick<RunDeps, 'io'>, o: FollowOptions, spinner: { text(label: string): void }): () => Promise<StatusReport> {
  const inSpinner = canDrawSpinner(deps.io);
  const limit = `${Math.round(o.retryForMs / 1000)} s`;
  return async () => {
    try {
      return await retryWhileUnreachable(() => backend.sessionStatus(name), {
        mayPass: isTransientUnreachable,
        giveUpAt: (since) => since + o.retryForMs,
        firstDelayMs: Math.min(o.intervalMs, RETRY_DELAY_MAX_MS),
        maxDelayMs: RETRY_DELAY_MAX_MS,
        onOutage(e) {
          const say = `bosd unreachable, retrying for up to ${limit}… (${(e as Error).message})`;
          if (inSpinner) spinner.text(say);
          else deps.io.err(`bosctl: ${say}\n`);
        },
        onBack(ms) {
          if (!inSpinner) deps.io.err(`bosctl: bosd reachable again after ${Math.round(ms / 1000)} s; following session ${name}\n`);
        },
      });
    } catch (e) {
      // Only a failure that may pass comes out once the time is up.
      if (!isTransientUnreachable(e)) throw e;
      throw bosError('BOS_SERVER_UNREACHABLE', `${(e as Error).message}; still unreachable after ${limit} (--retry-for): stopped following session ${name}`, `check that bosd is running, then follow again with "bosctl session status ${name} --watch"`);
    }
  };
}

/** The end of a followed session: exit 1 with one line when nodes failed or the budget halted it. */
function failUnlessClean(name: string, end: StatusReport): void {
  const c = end.counts;
  if (end.session.status.error === 'aborted') throw new CommandFailed('BOS_SESSION_FAILED', `session ${name} was aborted: ${c.stable} node(s) stable, ${c.failed} failed; see "bosctl session status ${name}"`);
  if (end.control.halted_at) throw new CommandFailed('BOS_SESSION_FAILED', `session ${name} halted by its failure budget: ${c.failed} failed, ${c.on_hold} held; see "bosctl session status ${name}", continue with "bosctl session resume ${name}"`);
  if (c.failed > 0) throw new CommandFailed('BOS_SESSION_FAILED', `session ${name}: ${c.failed} of ${c.stable + c.failed} node(s) failed; see "bosctl session status ${name}"`);
}

/**
 * Before a session that acts on nodes at once: the plan (the service's own dry run) decides
 * how many nodes would be rebooted or shut down; more than one is confirmed first.
 */
async function confirmSession(request: SessionCreateRequest, backend: Backend, deps: Pick<RunDeps, 'io'>): Promise<void> {
  const plan = await backend.createSession({ ...request, dry_run: true });
  const affected = plan.nodes.length - plan.current.length;
  const action = (AT_ONCE[plan.session.operation] ?? AT_ONCE.reboot)(affected);
  if (affected > 1 && canPrompt(deps.io)) deps.io.out(`The plan:\n${renderPlan(plan.plan, await deps.io.paint())}`);
  await confirmNow(deps.io, {
    nodes: affected, what: `session create would ${action}`,
    question: `${action[0].toUpperCase()}${action.slice(1)} (session create, template ${request.template_name})?`,
  });
}

/** A session's events name the node they concern. */
const sessionEventView: ResourceView<EventRecord> = {
  ...eventView,
  columns: [eventView.columns[0], { header: 'SUBJECT', value: (e) => e.subject }, ...eventView.columns.slice(1)],
};

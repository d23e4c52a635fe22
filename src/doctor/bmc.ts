/**
 * One BMC, step by step as bosd meets it: plain HTTP is allowed (http:// only), the TCP port
 * answers, the TLS certificate is valid and trusted (https), the Redfish service root
 * answers, the credentials bosd would use are accepted (a Systems resource is read with
 * them), and every node behind it without a redfish_system_id maps to exactly one system.
 * A step that cannot run because an earlier one failed is skipped. Passwords never reach a
 * message.
 */
import { connect } from 'node:net';
import type { CredentialsBook } from '../daemon/config.js';
import { IntegrationError } from '../integrations/errors.js';
import { createPool, exchange, NO_RETRY, resolveTimeouts, type TlsOptions } from '../integrations/http.js';
import { bmcBase, insecureHttpRefusal, isLoopbackHost, RedfishClient, SystemResolutionError, type BmcTarget, type ResolvedSystem } from '../integrations/redfish.js';
import type { InventoryNode } from '../core/types.js';
import { fetchCertificate, judgeCertificate } from './certificate.js';
import type { SampledBmc } from './sample.js';
import { closeQuickly, DeadlineError, messageOf, withDeadline, worst, type CheckResult, type StepResult } from './types.js';

export interface BmcCheckContext {
  /** bosd's credentials file, or why it cannot be used. */
  credentials: CredentialsBook | { unavailable: string };
  tls: TlsOptions;
  timeoutMs: number;
  now: Date;
  /** Warn about a certificate expiring within this many days. */
  warnDays: number;
  /** bosd.yaml allow_insecure_bmc_http. */
  allowInsecureBmcHttp?: boolean;
}

interface Where {
  base: URL;
  host: string;
  port: number;
}

const NETWORK_FIX = 'check the BMC is powered and on the network, and its bmc_address in the inventory';

/** `peers`: every inventory node behind this BMC (default: the sampled one). */
export async function checkBmc(s: SampledBmc, ctx: BmcCheckContext, peers: readonly InventoryNode[] = [s.node]): Promise<CheckResult> {
  const address = s.node.bmc_address ?? s.bmcXname;
  const steps: StepResult[] = [];
  const where = locate(address);
  if ('error' in where) {
    steps.push({ step: 'address', status: 'fail', detail: where.error, fix: 'set the node\'s bmc_address to host[:port] or an https URL' });
  } else {
    const run = async (step: string, fn: () => Promise<StepResult>) => {
      if (steps.some((x) => x.status === 'fail')) { steps.push({ step, status: 'skip', detail: `${step}: not checked` }); return; }
      steps.push(await fn());
    };
    if (where.base.protocol === 'http:' && !isLoopbackHost(where.base.hostname)) steps.push(plainHttpStep(s, where, ctx));
    await run('tcp', () => tcpStep(where, ctx.timeoutMs));
    if (where.base.protocol === 'https:') await run('certificate', () => certificateStep(where, ctx));
    await run('redfish', () => serviceRootStep(s, where, ctx));
    const unmapped = peers.filter((n) => !n.redfish_system_id);
    let outcome: CredentialsOutcome | undefined;
    await run('credentials', async () => (outcome = await credentialsStep(s, address, unmapped, ctx)).step);
    if (unmapped.length > 0) await run('systems', async () => systemsStep(outcome!, unmapped.length));
  }
  return summarize(`bmc ${s.bmcXname}`, steps);
}

function locate(address: string): Where | { error: string } {
  // The Redfish client's own reading of an address (host[:port] means https).
  let base: URL;
  try {
    base = bmcBase(address);
  } catch {
    return { error: `address ${JSON.stringify(address)} is neither host[:port] nor an http(s) URL` };
  }
  const host = base.hostname.replace(/^\[(.*)\]$/, '$1');
  return { base, host, port: base.port ? Number(base.port) : base.protocol === 'https:' ? 443 : 80 };
}

function tcpStep(w: Where, timeoutMs: number): Promise<StepResult> {
  const at = `${w.host.includes(':') ? `[${w.host}]` : w.host}:${w.port}`;
  return new Promise((resolve) => {
    const socket = connect({ host: w.host, port: w.port });
    const done = (r: StepResult) => { clearTimeout(timer); socket.destroy(); resolve(r); };
    const timer = setTimeout(() => done({ step: 'tcp', status: 'fail', detail: `${at}: no answer in ${timeoutMs / 1000} s`, fix: NETWORK_FIX }), timeoutMs);
    socket.once('connect', () => done({ step: 'tcp', status: 'pass', detail: `${at} open` }));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'host name not found' : e.code === 'EHOSTUNREACH' ? 'no route to host' : messageOf(e);
      done({ step: 'tcp', status: 'fail', detail: `${at}: ${why}`, fix: NETWORK_FIX });
    });
  });
}

async function certificateStep(w: Where, ctx: BmcCheckContext): Promise<StepResult> {
  try {
    const facts = await fetchCertificate(w.host, w.port, ctx.tls.ca, ctx.timeoutMs);
    return judgeCertificate(facts, ctx.now, { verify: ctx.tls.insecureSkipTlsVerify !== true, warnDays: ctx.warnDays });
  } catch (e) {
    return { step: 'certificate', status: 'fail', detail: `TLS handshake: ${messageOf(e)}`, fix: 'check that the BMC serves HTTPS on this port' };
  }
}

async function serviceRootStep(s: SampledBmc, w: Where, ctx: BmcCheckContext): Promise<StepResult> {
  const timeouts = resolveTimeouts(ctx.timeoutMs);
  const pool = createPool(w.base.origin, { connections: 1, timeouts, tls: ctx.tls });
  const url = new URL(`${w.base.pathname.replace(/\/+$/, '')}/redfish/v1/`, w.base.origin);
  try {
    const res = await withDeadline(ctx.timeoutMs, () => exchange(
      { service: 'redfish', label: `BMC ${s.bmcXname}`, bmc: s.bmcXname, secrets: () => [] },
      { method: 'GET', url }, { dispatcher: pool, timeouts, retry: NO_RETRY },
    ));
    if (res.status === 401) return { step: 'redfish', status: 'pass', detail: 'service root answers (wants credentials)' };
    if (res.status < 200 || res.status > 299) {
      return { step: 'redfish', status: 'fail', detail: `GET ${url.pathname} answered ${res.status}`, fix: 'the BMC\'s Redfish service is unwell: reset the BMC (its management controller, not the node)' };
    }
    let version = '';
    try { version = String((JSON.parse(res.text) as { RedfishVersion?: unknown }).RedfishVersion ?? ''); } catch { /* judged below */ }
    if (version === '') return { step: 'redfish', status: 'fail', detail: `GET ${url.pathname} answered without a RedfishVersion: is this a Redfish service?`, fix: 'check the node\'s bmc_address in the inventory' };
    return { step: 'redfish', status: 'pass', detail: `Redfish ${version}` };
  } catch (e) {
    const detail = e instanceof DeadlineError ? `GET ${url.pathname}: ${e.message}` : messageOf(e);
    return { step: 'redfish', status: 'fail', detail, fix: 'the BMC accepts connections but does not answer: reset the BMC (its management controller)' };
  } finally {
    await closeQuickly(() => pool.destroy());
  }
}

/** bosd refuses plain HTTP to a BMC not on its machine unless allowed; allowed, it is a warning. */
function plainHttpStep(s: SampledBmc, w: Where, ctx: BmcCheckContext): StepResult {
  const global = ctx.allowInsecureBmcHttp === true;
  let perBmc = false;
  if (!global && !('unavailable' in ctx.credentials)) {
    try {
      perBmc = ctx.credentials.lookup(s.node.credentials_ref, s.bmcXname).allowInsecureHttp === true;
    } catch {
      // no credentials: judged by the credentials step
    }
  }
  const refused = insecureHttpRefusal(w.base, { global, bmc: perBmc }, s.bmcXname);
  if (refused) {
    return { step: 'plain-http', status: 'fail', detail: `bosd will refuse ${w.base.origin}: plain HTTP to a BMC that is not on this machine`, fix: `give the BMC an https address, or allow plain HTTP with allow_insecure_http: true under bmcs: ${s.bmcXname} in the credentials file, or allow_insecure_bmc_http: true in bosd.yaml` };
  }
  const by = global ? 'allow_insecure_bmc_http in bosd.yaml' : `allow_insecure_http for ${s.bmcXname} in the credentials file`;
  return { step: 'plain-http', status: 'warn', detail: `${w.base.origin} is plain HTTP (allowed by ${by}): the BMC password crosses the network in clear`, fix: 'give the BMC an https address (and ca_bundle its CA) and drop the allowance' };
}

interface CredentialsOutcome {
  step: StepResult;
  mapped: Array<[InventoryNode, ResolvedSystem]>;
  unresolved: SystemResolutionError[];
}

async function credentialsStep(s: SampledBmc, address: string, unmapped: readonly InventoryNode[], ctx: BmcCheckContext): Promise<CredentialsOutcome> {
  const done = (step: StepResult): CredentialsOutcome => ({ step, mapped: [], unresolved: [] });
  if ('unavailable' in ctx.credentials) return done({ step: 'credentials', status: 'skip', detail: `credentials not checked: ${ctx.credentials.unavailable}` });
  const book = ctx.credentials;
  let user: string;
  try {
    user = book.lookup(s.node.credentials_ref, s.bmcXname).username;
  } catch (e) {
    return done({ step: 'credentials', status: 'fail', detail: messageOf(e), fix: `add credentials for it to the credentials file (bmcs: ${s.bmcXname}, refs: ${s.node.credentials_ref ?? 'REF'}, or default:)` });
  }
  const client = new RedfishClient({
    credentials: (ref, bmc) => book.lookup(ref, bmc), timeoutMs: ctx.timeoutMs, retry: { attempts: 1 }, ...ctx.tls,
    allowInsecureHttp: ctx.allowInsecureBmcHttp === true, onWarning: () => {}, warn: () => {}, logoutOnClose: true,
  });
  const target = (n: InventoryNode): BmcTarget => ({ bmcXname: s.bmcXname, nodeXname: n.xname, address, systemId: n.redfish_system_id, credentialsRef: n.credentials_ref });
  const outcome: CredentialsOutcome = { step: { step: 'credentials', status: 'pass', detail: '' }, mapped: [], unresolved: [] };
  try {
    // The BMC's list of systems is read once; each node is then matched against it.
    await withDeadline(ctx.timeoutMs * 3, async () => {
      for (const n of unmapped) {
        try {
          outcome.mapped.push([n, await client.resolveSystem(target(n))]);
        } catch (e) {
          if (!(e instanceof SystemResolutionError)) throw e;
          outcome.unresolved.push(e);
        }
      }
    });
    const probe = s.node.redfish_system_id || outcome.unresolved.every((e) => e.node !== s.node.xname) ? s.node : outcome.mapped[0]?.[0];
    if (!probe) {
      outcome.step.detail = `credentials of ${user} accepted (the BMC listed its systems)`;
      return outcome;
    }
    const power = await withDeadline(ctx.timeoutMs * 2, () => client.powerState(target(probe)));
    outcome.step.detail = `credentials of ${user} accepted (${probe.xname} is ${power})`;
    return outcome;
  } catch (e) {
    if (e instanceof IntegrationError && (e.status === 401 || e.status === 403)) {
      return done({ step: 'credentials', status: 'fail', detail: `credentials of ${user} refused (${e.status})`, fix: `correct the password for ${s.bmcXname} in the credentials file (bmcs:, refs: ${s.node.credentials_ref ?? '-'} or default:)` });
    }
    return done({ step: 'credentials', status: 'fail', detail: messageOf(e), fix: 'read the message: the BMC answered the service root but not a Systems resource' });
  } finally {
    await closeQuickly(() => client.close());
  }
}

/** Every node without a redfish_system_id: mapped to one system, or listed with the candidates. */
function systemsStep(o: CredentialsOutcome, total: number): StepResult {
  if (o.unresolved.length === 0) {
    const shown = o.mapped.slice(0, 4).map(([n, sys]) => `${n.xname} → ${sys.id}`).join(', ');
    return { step: 'systems', status: 'pass', detail: `${total} node(s) without redfish_system_id match one system each: ${shown}${o.mapped.length > 4 ? ', …' : ''}` };
  }
  const nodes = o.unresolved.map((e) => e.node);
  const first = o.unresolved[0]!;
  const listed = first.candidates.map((c) => `${c.id} (${c.name === undefined ? 'no Name' : `Name ${JSON.stringify(c.name)}`})`);
  const candidates = first.candidates.length === 0 ? 'the BMC lists no systems' : `the BMC lists ${listed.slice(0, 10).join(', ')}${listed.length > 10 ? ` and ${listed.length - 10} more` : ''}`;
  const example = first.candidates[0] ? ` (e.g. redfish_system_id: ${first.candidates[0].id} for the node that is that system)` : '';
  return {
    step: 'systems',
    status: 'fail',
    detail: `${nodes.length} of ${total} node(s) match no single system by Id or Name, so bosd will not power them: ${nodes.join(', ')}; ${candidates}`,
    fix: `set redfish_system_id for ${nodes.length === 1 ? 'it' : 'each'} in the inventory${example}, then bosctl inventory import FILE`,
  };
}

function summarize(check: string, steps: StepResult[]): CheckResult {
  const status = worst(steps.map((s) => s.status));
  const shown = status === 'pass' || status === 'skip' ? steps.filter((s) => s.status !== 'skip') : steps.filter((s) => s.status === status);
  const fix = steps.find((s) => s.status === status && s.fix)?.fix;
  return { check, status, detail: shown.map((s) => s.detail).join('; '), ...(fix ? { fix } : {}), steps };
}

/**
 * One BMC, step by step as bosd meets it: the TCP port answers, the TLS certificate is
 * valid and trusted (https), the Redfish service root answers, and the credentials bosd
 * would use are accepted (a Systems resource is read with them). A step that cannot run
 * because an earlier one failed is skipped. Passwords never reach a message.
 */
import { connect } from 'node:net';
import type { CredentialsBook } from '../daemon/config.js';
import { IntegrationError } from '../integrations/errors.js';
import { createPool, exchange, NO_RETRY, resolveTimeouts, type TlsOptions } from '../integrations/http.js';
import { bmcBase, RedfishClient } from '../integrations/redfish.js';
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
}

interface Where {
  base: URL;
  host: string;
  port: number;
}

const NETWORK_FIX = 'check the BMC is powered and on the network, and its bmc_address in the inventory';

export async function checkBmc(s: SampledBmc, ctx: BmcCheckContext): Promise<CheckResult> {
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
    await run('tcp', () => tcpStep(where, ctx.timeoutMs));
    if (where.base.protocol === 'https:') await run('certificate', () => certificateStep(where, ctx));
    await run('redfish', () => serviceRootStep(s, where, ctx));
    await run('credentials', () => credentialsStep(s, address, ctx));
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

async function credentialsStep(s: SampledBmc, address: string, ctx: BmcCheckContext): Promise<StepResult> {
  if ('unavailable' in ctx.credentials) return { step: 'credentials', status: 'skip', detail: `credentials not checked: ${ctx.credentials.unavailable}` };
  const book = ctx.credentials;
  let user: string;
  try {
    user = book.lookup(s.node.credentials_ref, s.bmcXname).username;
  } catch (e) {
    return { step: 'credentials', status: 'fail', detail: messageOf(e), fix: `add credentials for it to the credentials file (bmcs: ${s.bmcXname}, refs: ${s.node.credentials_ref ?? 'REF'}, or default:)` };
  }
  const client = new RedfishClient({
    credentials: (ref, bmc) => book.lookup(ref, bmc), timeoutMs: ctx.timeoutMs, retry: { attempts: 1 }, ...ctx.tls,
    onWarning: () => {}, logoutOnClose: true,
  });
  try {
    const power = await withDeadline(ctx.timeoutMs * 2, () => client.powerState({
      bmcXname: s.bmcXname, nodeXname: s.node.xname, address, systemId: s.node.redfish_system_id, credentialsRef: s.node.credentials_ref,
    }));
    return { step: 'credentials', status: 'pass', detail: `credentials of ${user} accepted (${s.node.xname} is ${power})` };
  } catch (e) {
    if (e instanceof IntegrationError && (e.status === 401 || e.status === 403)) {
      return { step: 'credentials', status: 'fail', detail: `credentials of ${user} refused (${e.status})`, fix: `correct the password for ${s.bmcXname} in the credentials file (bmcs:, refs: ${s.node.credentials_ref ?? '-'} or default:)` };
    }
    return { step: 'credentials', status: 'fail', detail: messageOf(e), fix: 'read the message: the BMC answered the service root but not a Systems resource' };
  } finally {
    await closeQuickly(() => client.close());
  }
}

function summarize(check: string, steps: StepResult[]): CheckResult {
  const status = worst(steps.map((s) => s.status));
  const shown = status === 'pass' || status === 'skip' ? steps.filter((s) => s.status !== 'skip') : steps.filter((s) => s.status === status);
  const fix = steps.find((s) => s.status === status && s.fix)?.fix;
  return { check, status, detail: shown.map((s) => s.detail).join('; '), ...(fix ? { fix } : {}), steps };
}

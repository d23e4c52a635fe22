import { Command, CommanderError } from 'commander';
import { setFlagsFromString } from 'node:v8';
import { EXIT, oneLine } from '../core/errors.js';
import { defaultDbPath } from '../core/paths.js';
import { VERSION } from '../version.js';
import { loadConfig, loadCredentials, type BosdConfig } from './config.js';
import { realDrivers, startBosd } from './bosd.js';
import { bosdExitCode, exitStatusHelp } from './exit-code.js';
import { createLogger } from './log.js';

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const program = new Command('bosd')
    .description('the bosctl daemon: drives nodes to their desired state through Redfish, BSS and CFS, and serves the BOS v2 API')
    .version(VERSION, '-V, --version')
    .option('--config <file>', 'configuration file (YAML or JSON), e.g. /etc/bosd/bosd.yaml')
    .option('--db <path>', 'database file, or a PostgreSQL database as postgres://USER@HOST:PORT/DB (default: as bosctl: $BOSCTL_DB, /var/lib/bosd/bosd.db, ...)')
    .option('--db-password-file <file>', 'file holding the PostgreSQL password of a postgres:// db (default: PGPASSFILE or ~/.pgpass); never put it in the URL')
    .option('--listen <host:port>', 'HTTP API address (default 127.0.0.1:8180; port 0 picks one)')
    .option('--insecure-http', 'allow plain HTTP on a non-loopback address')
    .option('--socket <path>', 'also serve the API on this unix socket (mode 0660; its peers are admins), e.g. /run/bosd/bosd.sock')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'the certificate\'s private key (PEM)')
    .option('--bss-url <url>', 'BSS base URL; /boot/v1 is appended (e.g. https://api-gw-service-nmn.local/apis/bss)')
    .option('--cfs-url <url>', 'CFS base URL; /cfs/v3 is appended (e.g. https://api-gw-service-nmn.local/apis); none: no configuration phase')
    .option('--image-dirs <dirs>', 'directories from which API callers may use file:// image manifests: comma-separated here, a list in bosd.yaml (default: none; s3:// is unaffected)')
    .option('--tapms-url <url>', 'CSM TAPMS base URL: tenants not in bosctl\'s registry are read from GET /v1alpha3/tenants/NAME (e.g. http://cray-tapms; default: none)')
    .option('--credentials-file <file>', 'Redfish credentials (YAML: default, refs, bmcs); must be readable by its owner only')
    .option('--ca-bundle <file>', 'PEM bundle to verify BMC, BSS and CFS certificates')
    .option('--insecure-skip-tls-verify', 'do not verify TLS certificates (logged at start)')
    .option('--allow-insecure-bmc-http', 'allow http:// BMC addresses that are not loopback (passwords sent in clear; logged)')
    .option('--log-level <level>', 'debug, info, warn or error')
    .option('--power-poll-ms <ms>', 'power reads of a node waiting for a change back off to this once it is overdue (they are planned when the change is due, learned from changes seen)')
    .option('--cfs-poll-ms <ms>', 'CFS reads of a node being configured back off to this once it is overdue (read at once, then when due, learned from nodes configured)')
    .option('--retry-backoff-ms <ms>', 'first wait after a failed call; doubles per attempt')
    .option('--max-in-flight <n>', 'Redfish calls in flight at most')
    .option('--request-timeout-ms <ms>', 'time-out of each call to a BMC, BSS or CFS')
    .option('--stop-timeout-ms <ms>', 'on SIGTERM, how long to let calls in flight finish')
    .option('--instance-id <id>', 'this bosd\'s name in the leadership lease when several share one database (default: HOSTNAME:PID); unique per instance, e.g. admin1')
    .option('--redfish-events <mode>', 'Redfish events instead of power polls: auto (SSE where a BMC offers it, else push when push_url is set), sse, push or off; in bosd.yaml a mapping {mode, push_url, overdue_ms}, push_url being the base URL BMCs reach bosd\'s API at')
    .addHelpText('after', `
Example:
  bosd --config /etc/bosd/bosd.yaml
  bosd --db /var/lib/bosd/bosd.db --bss-url https://api-gw/apis/bss --credentials-file /etc/bosd/redfish.yaml

BSS, CFS and S3 need not answer at start: bosd serves the API at once, checks them again
with back-off (1 s doubling to 60 s while down, every 30 s while up) and reports each in
GET /v2/healthz/dependencies and bosctl doctor.

${exitStatusHelp()}`)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.OK;
      process.stderr.write(`bosd: ${oneLine(e.message.replace(/^error: /, ''))}\n`);
      return EXIT.BAD_INPUT;
    }
    throw e;
  }
  const o = program.opts<Record<string, string | boolean | undefined>>();
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  let config: BosdConfig;
  let running;
  try {
    config = await loadConfig(o.config as string | undefined, {
      db: o.db as string | undefined, dbPasswordFile: o.dbPasswordFile as string | undefined, listen: o.listen as string | undefined, insecureHttp: o.insecureHttp as boolean | undefined,
      socket: o.socket as string | undefined, tlsCert: o.tlsCert as string | undefined, tlsKey: o.tlsKey as string | undefined,
      bssUrl: o.bssUrl as string | undefined, cfsUrl: o.cfsUrl as string | undefined, credentialsFile: o.credentialsFile as string | undefined,
      caBundle: o.caBundle as string | undefined, insecureSkipTlsVerify: o.insecureSkipTlsVerify as boolean | undefined,
      // A comma-separated string here; loadConfig splits it as it would image_dirs: a,b.
      imageDirs: o.imageDirs as unknown as string[] | undefined, allowInsecureBmcHttp: o.allowInsecureBmcHttp as boolean | undefined,
      tapmsUrl: o.tapmsUrl as string | undefined, instanceId: o.instanceId as string | undefined,
      logLevel: o.logLevel as BosdConfig['logLevel'] | undefined, powerPollMs: num(o.powerPollMs), cfsPollMs: num(o.cfsPollMs),
      retryBackoffMs: num(o.retryBackoffMs), maxInFlight: num(o.maxInFlight), requestTimeoutMs: num(o.requestTimeoutMs), stopTimeoutMs: num(o.stopTimeoutMs),
      // The mode only; loadConfig keeps the file's push_url and overdue_ms.
      redfishEvents: o.redfishEvents as unknown as BosdConfig['redfishEvents'] | undefined,
    }, defaultDbPath());
    const logger = createLogger({ level: config.logLevel, json: process.stderr.isTTY !== true });
    if (!config.credentialsFile) throw Object.assign(new Error('no Redfish credentials: set credentials_file in the config file or pass --credentials-file'), { badConfig: true });
    const credentials = await loadCredentials(config.credentialsFile);
    for (const s of credentials.secrets()) logger.secret(s);
    tightenHeapGrowth();
    // BSS and CFS are not asked here: bosd starts without them (health.ts keeps asking).
    const drivers = await realDrivers(config, credentials, logger);
    running = await startBosd(config, drivers, logger);
    const stop = (signal: string) => {
      logger.log('info', 'stopping', { signal });
      void running!.stop().then(() => { logger.log('info', 'stopped'); process.exit(EXIT.OK); });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    return -1;
  } catch (e) {
    process.stderr.write(`bosd: ${oneLine((e as Error).message ?? String(e))}\n`);
    return bosdExitCode(e);
  }
}

/** V8's heap growth after each full collection, in percent, unless node was started with its own (not allowed in NODE_OPTIONS). */
export const HEAP_GROWING_PERCENT = 50;

/**
 * bosd's live heap is small (≈ 60-100 MB at 10,000 nodes) but it allocates fast, and V8 then
 * lets the heap grow up to 4× the live size before collecting again: most of bosd's peak RSS
 * was garbage waiting (issue 17, bench/RESULTS.md). A fixed growth of 1.5× trades a few more
 * collections for that memory. The flag is read at each collection, so setting it here works.
 */
export function tightenHeapGrowth(execArgv = process.execArgv): boolean {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}

import { Command, CommanderError } from 'commander';
import { EXIT, isBosError, oneLine } from '../core/errors.js';
import { defaultDbPath } from '../cli/paths.js';
import { VERSION } from '../version.js';
import { loadConfig, loadCredentials, type BosdConfig } from './config.js';
import { realDrivers, startBosd } from './bosd.js';
import { createLogger } from './log.js';

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const program = new Command('bosd')
    .description('the bosctl daemon: drives nodes to their desired state through Redfish, BSS and CFS, and serves the BOS v2 API')
    .version(VERSION, '-V, --version')
    .option('--config <file>', 'configuration file (YAML or JSON), e.g. /etc/bosd/bosd.yaml')
    .option('--db <path>', 'database file (default: as bosctl: $BOSCTL_DB, /var/lib/bosd/bosd.db, ...)')
    .option('--listen <host:port>', 'HTTP API address (default 127.0.0.1:8180; port 0 picks one)')
    .option('--insecure-http', 'allow plain HTTP on a non-loopback address')
    .option('--socket <path>', 'also serve the API on this unix socket (mode 0660; its peers are admins), e.g. /run/bosd/bosd.sock')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'the certificate\'s private key (PEM)')
    .option('--bss-url <url>', 'BSS base URL; /boot/v1 is appended (e.g. https://api-gw-service-nmn.local/apis/bss)')
    .option('--cfs-url <url>', 'CFS base URL; /cfs/v3 is appended (e.g. https://api-gw-service-nmn.local/apis); none: no configuration phase')
    .option('--credentials-file <file>', 'Redfish credentials (YAML: default, refs, bmcs); must be readable by its owner only')
    .option('--ca-bundle <file>', 'PEM bundle to verify BMC, BSS and CFS certificates')
    .option('--insecure-skip-tls-verify', 'do not verify TLS certificates (logged at start)')
    .option('--log-level <level>', 'debug, info, warn or error')
    .option('--power-poll-ms <ms>', 'how often a node\'s power is re-read while waiting for it to change')
    .option('--cfs-poll-ms <ms>', 'how often CFS is asked about nodes being configured')
    .option('--retry-backoff-ms <ms>', 'first wait after a failed call; doubles per attempt')
    .option('--max-in-flight <n>', 'Redfish calls in flight at most')
    .option('--request-timeout-ms <ms>', 'time-out of each call to a BMC, BSS or CFS')
    .option('--stop-timeout-ms <ms>', 'on SIGTERM, how long to let calls in flight finish')
    .addHelpText('after', `
Example:
  bosd --config /etc/bosd/bosd.yaml
  bosd --db /var/lib/bosd/bosd.db --bss-url https://api-gw/apis/bss --credentials-file /etc/bosd/redfish.yaml

Exit codes: 0 stopped cleanly, 1 failed while running, 2 bad configuration.`)
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
      db: o.db as string | undefined, listen: o.listen as string | undefined, insecureHttp: o.insecureHttp as boolean | undefined,
      socket: o.socket as string | undefined, tlsCert: o.tlsCert as string | undefined, tlsKey: o.tlsKey as string | undefined,
      bssUrl: o.bssUrl as string | undefined, cfsUrl: o.cfsUrl as string | undefined, credentialsFile: o.credentialsFile as string | undefined,
      caBundle: o.caBundle as string | undefined, insecureSkipTlsVerify: o.insecureSkipTlsVerify as boolean | undefined,
      logLevel: o.logLevel as BosdConfig['logLevel'] | undefined, powerPollMs: num(o.powerPollMs), cfsPollMs: num(o.cfsPollMs),
      retryBackoffMs: num(o.retryBackoffMs), maxInFlight: num(o.maxInFlight), requestTimeoutMs: num(o.requestTimeoutMs), stopTimeoutMs: num(o.stopTimeoutMs),
    }, defaultDbPath());
    const logger = createLogger({ level: config.logLevel, json: process.stderr.isTTY !== true });
    if (!config.credentialsFile) throw Object.assign(new Error('no Redfish credentials: set credentials_file in the config file or pass --credentials-file'), { badConfig: true });
    const credentials = await loadCredentials(config.credentialsFile);
    for (const s of credentials.secrets()) logger.secret(s);
    const drivers = await realDrivers(config, credentials);
    try {
      await (drivers.bss as { ping?: () => Promise<void> }).ping?.();
    } catch (e) {
      throw Object.assign(new Error(`BSS at ${config.bssUrl} is not reachable: ${oneLine((e as Error).message)}`), { badConfig: true });
    }
    if (drivers.cfs) {
      try {
        await (drivers.cfs as { ping?: () => Promise<void> }).ping?.();
      } catch (e) {
        throw Object.assign(new Error(`CFS at ${config.cfsUrl} is not reachable: ${oneLine((e as Error).message)}`), { badConfig: true });
      }
    }
    running = await startBosd(config, drivers, logger);
    const stop = (signal: string) => {
      logger.log('info', 'stopping', { signal });
      void running!.stop().then(() => { logger.log('info', 'stopped'); process.exit(EXIT.OK); });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    return -1;
  } catch (e) {
    const bad = isBosError(e) || (e as { badConfig?: boolean }).badConfig || (e as { code?: string }).code === 'BOS_VALUE_INVALID' || (e as { code?: string }).code === 'EADDRINUSE';
    const msg = isBosError(e) ? `${e.message}` : (e as Error).message;
    process.stderr.write(`bosd: ${oneLine(msg)}\n`);
    return bad ? (isBosError(e) && e.exitCode !== EXIT.BAD_INPUT ? e.exitCode : EXIT.BAD_INPUT) : EXIT.FAILED;
  }
}

#!/usr/bin/env node
// Generates man/bosctl.1, man/bosctl-config.5, man/bosd.8 and man/bosd.yaml.5 from the programs' own definitions
// (the commander trees behind --help), so the pages cannot say something --help does not.
// Needs dist/ (npm run man builds first).
//
//   node scripts/gen-man.js [--out DIR]     (default DIR: man/)
//
// A page's date is kept from the page in man/ when nothing else in it changed, else it is
// today's date (UTC): regenerating an unchanged tree changes nothing.
// man/bosctl-slurm.1 is written by hand and left alone.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { buildProgram } from '../dist/cli/program.js';
import { createDeps } from '../dist/cli/context.js';
import { createTestIo } from '../dist/cli/io.js';
import { EXIT } from '../dist/core/errors.js';
import { CONFIG_DEFAULTS, loadConfig } from '../dist/daemon/config.js';
import { EXIT_STATUS } from '../dist/daemon/exit-code.js';
import { VERSION } from '../dist/version.js';
import { renderHeader, renderManPage, renderSections, roffCode, roffLines } from '../dist/cli/man-page.js';
import { CONFIG_HELP, CONFIG_KEYS } from '../dist/cli/config-file.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manDir = join(root, 'man');

function parseArgs(argv) {
  let out = manDir;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = resolve(argv[++i]);
    else throw new Error(`usage: gen-man.js [--out DIR] (unexpected ${argv[i]})`);
  }
  return out;
}

const TH_DATE = /^(\.TH \S+ \S+ )(\S+)/m;

/** Today's date, unless the page in man/ is this page apart from its date. */
function dateFor(file, render) {
  const today = new Date().toISOString().slice(0, 10);
  let old;
  try { old = readFileSync(join(manDir, file), 'utf8'); } catch { return today; }
  const oldDate = TH_DATE.exec(old)?.[2];
  if (oldDate && render(oldDate) === old) return oldDate;
  return today;
}

const tp = (term, text) => `.TP\n${term}\n${roffLines(text)}`;
const bold = (s) => `\\fB${roffCode(s)}\\fR`;
const ital = (s) => `\\fI${roffCode(s)}\\fR`;
const seeAlso = (...refs) => refs.map(([n, s]) => `\\fB${roffCode(n)}\\fR(${s})`).join(',\n');
const code = (ls) => ['.RS 4', '.EX', ...ls.map((l) => roffCode(l)), '.EE', '.RE'].join('\n');

// ---------------------------------------------------------------- bosctl(1)

function bosctlPage(date) {
  const program = buildProgram(createDeps(createTestIo(), {}));
  const exitMeaning = {
    OK: 'success',
    FAILED: 'the operation failed (e.g. some nodes failed in apply-staged; the database is unusable)',
    BAD_INPUT: 'bad input (a malformed name, file, option or flag)',
    NOT_FOUND: 'not found (template, session, component, node)',
    CONFLICT: 'conflict (already exists)',
  };
  const exitBody = Object.entries(EXIT)
    .map(([k, code]) => {
      if (!exitMeaning[k]) throw new Error(`gen-man: no meaning for exit code ${k}`);
      return tp(bold(String(code)), exitMeaning[k]);
    })
    .join('\n');
  const env = [
    ['BOSCTL_DB', 'the database file when --db is not given.'],
    ['BOSCTL_SERVER', 'work through bosd\'s API at this URL (http(s)://HOST:PORT or unix:///PATH) when --server is not given.'],
    ['BOSCTL_TOKEN', 'the API token itself (remote mode).'],
    ['BOSCTL_TOKEN_FILE', 'a file holding the API token, when --token-file is not given.'],
    ['BOSCTL_CA_BUNDLE', 'CA certificates (PEM) to verify an https server, when --ca-bundle is not given.'],
    ['BOSCTL_OUTPUT', 'the output format when -o is not given (before output: in the configuration file).'],
    ['BOSCTL_S3_CONFIG', 'the S3 configuration file (endpoint, region, access_key, secret_key) used to read s3:// paths.'],
    ['XDG_CONFIG_HOME', 'where bosctl/config.yaml and bosctl/s3.yaml are looked for (default ~/.config).'],
    ['XDG_STATE_HOME', 'where the default database bosctl/bosd.db lives when /var/lib/bosd does not exist (default ~/.local/state).'],
    ['NO_COLOR', 'when set (e.g. NO_COLOR=1), no colours, as --no-color.'],
    ['FORCE_COLOR', 'when set (e.g. FORCE_COLOR=1), colours even when the output is not a terminal.'],
  ].map(([k, v]) => tp(bold(k), v)).join('\n');
  const files = [
    ['$XDG_CONFIG_HOME/bosctl/config.yaml', 'defaults: server:, token_file:, ca_bundle: and output: (the default of -o); see bosctl-config(5).'],
    ['/var/lib/bosd/bosd.db', 'the daemon\'s database, used when /var/lib/bosd exists.'],
    ['$XDG_STATE_HOME/bosctl/bosd.db', 'the database otherwise (~/.local/state/bosctl/bosd.db).'],
    ['$XDG_CONFIG_HOME/bosctl/s3.yaml, /etc/bosd/s3.yaml', 'S3 configuration for s3:// paths when BOSCTL_S3_CONFIG is not set; readable by its owner only.'],
  ].map(([k, v]) => tp(ital(k), v)).join('\n');
  return renderManPage(program, {
    name: 'bosctl',
    section: 1,
    date,
    version: VERSION,
    description: 'rolling upgrades of HPC clusters with BOS v2 staged sessions',
    extraSections: [
      { title: 'EXIT STATUS', body: exitBody },
      { title: 'ENVIRONMENT', body: env },
      { title: 'FILES', body: files },
      { title: 'SEE ALSO', body: seeAlso(['bosctl-config', 5], ['bosd', 8], ['bosd.yaml', 5], ['bosctl-slurm', 1]) },
    ],
  });
}

// ---------------------------------------------------------------- bosctl-config(5)

function bosctlConfigPage(date) {
  const settings = CONFIG_KEYS.map((key) => tp(`${bold(key)}: ${ital(CONFIG_HELP[key].value)}`, CONFIG_HELP[key].help));
  return [
    renderHeader({ name: 'bosctl-config', section: 5, date, version: VERSION, description: 'configuration file of bosctl', manual: 'File Formats Manual' }),
    renderSections([
      { title: 'SYNOPSIS', body: `${ital('$XDG_CONFIG_HOME/bosctl/config.yaml')}
.PP
${ital('~/.config/bosctl/config.yaml')}` },
      {
        title: 'DESCRIPTION',
        body: roffLines(`bosctl(1) reads its defaults from this file on every command: where bosd's API is, the
token and CA bundle to reach it with, and the output format. It is YAML: one "key: value" line per
setting, with comments. The file is optional; an unknown key or a bad value is an error naming
the file (exit 2). It never holds a secret itself: token_file names the file that does.`),
      },
      { title: 'SETTINGS', body: settings.join('\n') },
      {
        title: 'PRECEDENCE',
        body: roffLines(`A flag wins over an environment variable, which wins over this file, which wins over the
built-in default: --server, BOSCTL_SERVER, server:, else the local database; --token-file,
BOSCTL_TOKEN or BOSCTL_TOKEN_FILE, token_file:; --ca-bundle, BOSCTL_CA_BUNDLE, ca_bundle:;
-o, BOSCTL_OUTPUT, output:, else table.`),
      },
      {
        title: 'EXAMPLE',
        body: code([
          '# ~/.config/bosctl/config.yaml',
          'server: https://admin1.example:8180',
          'token_file: ~/.config/bosctl/token     # chmod 600',
          'ca_bundle: /etc/pki/tls/certs/site-ca.pem',
          'output: wide',
        ]),
      },
      {
        title: 'FILES',
        body: [
          tp(ital('$XDG_CONFIG_HOME/bosctl/config.yaml'), 'this file; XDG_CONFIG_HOME defaults to ~/.config.'),
          tp(ital('$XDG_CONFIG_HOME/bosctl/s3.yaml'), 'S3 settings for s3:// image manifests, a separate file (see bosctl(1)).'),
        ].join('\n'),
      },
      { title: 'SEE ALSO', body: seeAlso(['bosctl', 1], ['bosd', 8], ['bosd.yaml', 5]) },
    ]),
  ].join('\n') + '\n';
}

// ---------------------------------------------------------------- bosd(8)

/**
 * bosd builds its commander program inside main(), which then starts the daemon; so its
 * definitions are read back from `bosd --help` and rebuilt into a Command.
 */
export function bosdHelp() {
  return execFileSync(process.execPath, [join(root, 'bin/bosd.js'), '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

export function parseCommanderHelp(text) {
  const lines = text.replace(/\r/g, '').split('\n');
  const usage = /^Usage: (\S+)/.exec(lines[0]);
  if (!usage) throw new Error('gen-man: bosd --help does not start with "Usage:"');
  let i = 1;
  while (lines[i] === '') i++;
  const desc = [];
  while (i < lines.length && lines[i] !== '') desc.push(lines[i++].trim());
  while (lines[i] === '') i++;
  if (lines[i] !== 'Options:') throw new Error('gen-man: no "Options:" in bosd --help');
  i++;
  const options = [];
  let column = 0;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const m = /^ {2}(-\S.*?)(\s{2,})(\S.*)$/.exec(lines[i]);
    if (m) {
      column = 2 + m[1].length + m[2].length;
      options.push({ flags: m[1], description: m[3] });
    } else if (options.length && lines[i].startsWith(' '.repeat(column))) {
      options[options.length - 1].description += ' ' + lines[i].trim();
    } else {
      const alone = /^ {2}(-\S.*)$/.exec(lines[i]); // flags too long for the column
      if (!alone) throw new Error(`gen-man: cannot read bosd --help line: ${lines[i]}`);
      options.push({ flags: alone[1].trim(), description: '' });
      column = 0;
    }
  }
  const after = lines.slice(i).join('\n').trim();
  return { name: usage[1], description: desc.join(' '), options, after };
}

function bosdProgram(parsed) {
  const program = new Command(parsed.name).description(parsed.description);
  for (const o of parsed.options) {
    if (o.flags.startsWith('-h, --help')) continue; // commander adds it
    program.option(o.flags, o.description);
  }
  if (parsed.after) program.addHelpText('after', `\n${parsed.after}`);
  return program;
}

function bosdPage(date, parsed) {
  const program = bosdProgram(parsed);
  return renderManPage(program, {
    name: 'bosd',
    section: 8,
    date,
    version: VERSION,
    description: 'the bosctl daemon',
    manual: 'System Manager\'s Manual',
    extraSections: [
      {
        title: 'OPERATION',
        body: [
          '.PP',
          roffLines(`bosd watches the database and drives every enabled node to its desired state: power off
(Redfish GracefulShutdown, or Off on HPE Cray EX BMCs, then ForceOff after max_power_off_wait_time),
PUT /boot/v1/bootparameters to BSS (nodes wanting the same artifacts share one call), CFS desired
configuration with enabled: false, power on, wait for the node's boot report, CFS enabled: true,
wait for configured, stable. Each step is bounded in time and retried per retry_policy
(default_retry_policy); a node that exhausts its retries is failed with a reason naming the step,
the endpoint and its answer, and the others carry on.`),
          '.PP',
          roffLines(`Settings come from the configuration file given with --config (see bosd.yaml(5)), then the
flags, which win over the file. The Redfish credentials file must be readable by its owner only.
bosd logs one line per event on stderr (JSON when not a terminal); passwords never appear.
Killed at any moment, it resumes every node from the database.`),
        ].join('\n'),
      },
      {
        title: 'EXIT STATUS',
        body: [
          ...EXIT_STATUS.map((s) => tp(bold(String(s.code)), `${s.meaning}.`)),
          '.PP',
          roffLines('The systemd unit (contrib/systemd/bosd.service) restarts bosd after exit 1 and not after exit 2 (RestartPreventExitStatus=2). BSS, CFS and S3 need not answer at start: bosd serves the API and keeps checking them.'),
        ].join('\n'),
      },
      {
        title: 'ENVIRONMENT',
        body: [
          tp(bold('BOSCTL_DB'), 'the database file when neither --db nor db: is given.'),
          tp(bold('XDG_STATE_HOME'), 'as for bosctl(1): where the default database lives when /var/lib/bosd does not exist.'),
        ].join('\n'),
      },
      {
        title: 'FILES',
        body: [
          tp(ital('/etc/bosd/bosd.yaml'), 'the configuration file, by convention (see bosd.yaml(5)).'),
          tp(ital('/var/lib/bosd/bosd.db'), 'the database, shared with bosctl(1).'),
          tp(ital('/run/bosd/bosd.sock'), 'the API\'s unix socket, by convention (--socket).'),
          tp(ital('/etc/systemd/system/bosd.service'), 'the systemd unit, installed from contrib/systemd/bosd.service in the package: bosd as user bosd with /var/lib/bosd, /run/bosd and /etc/bosd; bosctl doctor checks the installation.'),
        ].join('\n'),
      },
      { title: 'SEE ALSO', body: seeAlso(['bosctl', 1], ['bosd.yaml', 5], ['bosctl-slurm', 1]) },
    ],
  });
}

// ---------------------------------------------------------------- bosd.yaml(5)

/** The config file's keys, in bosd's order, read from bosd's own refusal of an unknown key. */
export async function configFileKeys() {
  const dir = mkdtempSync(join(tmpdir(), 'gen-man-'));
  try {
    const file = join(dir, 'probe.yaml');
    writeFileSync(file, 'gen_man_probe: 1\n');
    try {
      await loadConfig(file, {}, '/nonexistent.db');
    } catch (e) {
      const m = /expected one of (.*)$/.exec(String(e.message));
      if (m) return m[1].split(', ').map((k) => k.trim());
      throw e;
    }
    throw new Error('gen-man: bosd accepted an unknown config key');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function bosdYamlPage(date, parsed, keys) {
  const camel = (k) => k.replace(/_([a-z])/g, (_m, c) => c.toUpperCase());
  const items = keys.map((key) => {
    const flag = `--${key.replace(/_/g, '-')}`;
    const opt = parsed.options.find((o) => o.flags.split(/[ ,]+/).includes(flag));
    if (!opt) throw new Error(`gen-man: config key ${key} has no bosd flag ${flag}`);
    const arg = /<([^>]+)>/.exec(opt.flags)?.[1];
    const type = arg === undefined ? 'true or false' : /^(ms|n)$/.test(arg) ? 'a positive integer' : arg;
    const def = CONFIG_DEFAULTS[camel(key)];
    const mapping = (o) => `{${Object.entries(o).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}: ${v ?? 'none'}`).join(', ')}}`;
    const defText = def === undefined || def === null ? '' : ` Default: ${def === '' ? '""' : Array.isArray(def) ? (def.length ? def.join(', ') : 'none') : typeof def === 'object' ? mapping(def) : String(def)}.`;
    return tp(`${bold(key)}: ${ital(type)}`, `${opt.description}${/\.$/.test(opt.description) ? '' : '.'} Flag: ${flag}.${defText}`);
  });
  const credentials = [
    'default: {username: root, password: ...}                   # any BMC',
    'refs:    {cabinet-3000: {username: ..., password: ...}}    # by the inventory\'s credentials_ref',
    'bmcs:    {x3000c0s19b1: {username: ..., password: ...}}    # one BMC',
  ];
  const example = keys.includes('bss_url')
    ? ['db: /var/lib/bosd/bosd.db', 'listen: 127.0.0.1:8180', 'socket: /run/bosd/bosd.sock', 'bss_url: https://api-gw-service-nmn.local/apis/bss',
      'cfs_url: https://api-gw-service-nmn.local/apis', 'credentials_file: /etc/bosd/redfish.yaml', 'log_level: info']
    : [];
  return [
    renderHeader({ name: 'bosd.yaml', section: 5, date, version: VERSION, description: 'configuration file of bosd, the bosctl daemon', manual: 'File Formats Manual' }),
    renderSections([
      { title: 'SYNOPSIS', body: `${ital('/etc/bosd/bosd.yaml')}\n.PP\n${bold('bosd --config /etc/bosd/bosd.yaml')}` },
      {
        title: 'DESCRIPTION',
        body: [
          roffLines(`bosd(8) reads its settings from the file given with --config, a YAML or JSON mapping
of the keys below (snake case). A flag given on the command line wins over the file. An unknown
key is an error (exit 2). bss_url is required, and listen or socket.`),
        ].join('\n'),
      },
      { title: 'KEYS', body: items.join('\n') },
      {
        title: 'CREDENTIALS FILE',
        body: [
          roffLines(`credentials_file (--credentials-file) names a YAML or JSON file with the Redfish
user name and password of the BMCs. It must be readable by its owner only (mode 0600): bosd
refuses a file others can read. Its keys: default, the credentials of any BMC; refs, credentials
by the inventory's credentials_ref; bmcs, credentials of one BMC by its xname. Each entry has a
username and a password; the most specific one wins (bmcs, then refs, then default).`),
          code(credentials),
          '.PP',
          roffLines(`A node's BMC is the inventory's bmc_address (a host name or a URL), else its BMC
xname as a host name. Passwords never appear in the log.`),
          '.PP',
          roffLines(`An http:// BMC address sends the password in clear: bosd refuses it (the node fails,
saying so) unless the BMC is on a loopback address (127.0.0.0/8, ::1: the simulator), or a bmcs:
entry allows it for that BMC with allow_insecure_http: true beside its username and password, or
allow_insecure_bmc_http: true allows it for every BMC. An allowed one is warned about once in the
log and by bosctl doctor.`),
          '.PP',
          roffLines(`A node's Redfish system is its redfish_system_id in the inventory; else the one system
of its BMC whose Id or Name is the node's xname (in any case); else the BMC's only system.
Anything else (several systems and none or more than one matching) fails the node with a reason
listing each system's Id and Name; bosctl doctor lists such nodes. Same-origin 307 and 308
redirects (sushy-tools answers them for a system addressed by its Name) are followed, at most 5;
a redirect to another origin is refused, so credentials are never sent there.`),
        ].join('\n'),
      },
      { title: 'EXAMPLE', body: code(example) },
      { title: 'FILES', body: tp(ital('/etc/bosd/bosd.yaml'), 'the configuration file, by convention.') + '\n' + tp(ital('/etc/bosd/redfish.yaml'), 'the credentials file, by convention.') },
      { title: 'SEE ALSO', body: seeAlso(['bosd', 8], ['bosctl', 1]) },
    ]),
  ].join('\n') + '\n';
}

// ---------------------------------------------------------------- main

export async function generate(outDir) {
  const parsed = parseCommanderHelp(bosdHelp());
  const keys = await configFileKeys();
  const pages = {
    'bosctl.1': (d) => bosctlPage(d),
    'bosctl-config.5': (d) => bosctlConfigPage(d),
    'bosd.8': (d) => bosdPage(d, parsed),
    'bosd.yaml.5': (d) => bosdYamlPage(d, parsed, keys),
  };
  mkdirSync(outDir, { recursive: true });
  const written = [];
  for (const [file, render] of Object.entries(pages)) {
    const text = render(dateFor(file, render));
    writeFileSync(join(outDir, file), text);
    written.push(join(outDir, file));
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = parseArgs(process.argv.slice(2));
  for (const f of await generate(out)) process.stdout.write(`wrote ${f}\n`);
}

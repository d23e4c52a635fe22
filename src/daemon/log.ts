/** bosd's log: one line per event on stderr, JSON when not a terminal; secrets masked. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /** Registers a secret: it is replaced by *** wherever it would appear. */
  secret(value: string): void;
}

export function parseLogLevel(text: string): LogLevel | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'warning') return 'warn';
  if (t === 'critical') return 'error';
  return (Object.keys(ORDER) as LogLevel[]).find((l) => l === t);
}

export function createLogger(opts: { level: LogLevel; json: boolean; write?: (line: string) => void; now?: () => Date }): Logger {
  const secrets = new Set<string>();
  const write = opts.write ?? ((l: string) => { process.stderr.write(l); });
  const now = opts.now ?? (() => new Date());
  const mask = (text: string) => {
    let out = text;
    for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
    // Credentials embedded in URLs (user:pass@host) never reach the log either.
    return out.replace(/\/\/[^/\s:@]+:[^/\s@]+@/g, '//***:***@');
  };
  return {
    secret(v) { if (v) secrets.add(v); },
    log(level, msg, fields = {}) {
      if (ORDER[level] < ORDER[opts.level]) return;
      const time = now().toISOString();
      let line: string;
      if (opts.json) line = JSON.stringify({ time, level, msg, ...fields });
      else {
        const extra = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
        line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? ' ' + extra : ''}`;
      }
      write(mask(line) + '\n');
    },
  };
}

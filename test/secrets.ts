/**
 * The secrets test fixtures use, in one place, and the one function that looks for them in
 * text. Each value carries a per-run nonce: recognisable (the marker), not guessable, and the
 * same in every vitest worker because vitest.config.ts sets the nonce before any starts.
 * API tokens are made by bosd itself; they are found by their shape (bos_<id>_<secret>).
 */
import { randomBytes } from 'node:crypto';

const NONCE_ENV = 'BOSCTL_TEST_SECRET_NONCE';

/** Sets (once per run) and returns the nonce of this run's fixture secrets. */
export function secretNonce(env: NodeJS.ProcessEnv = process.env): string {
  env[NONCE_ENV] ??= randomBytes(9).toString('hex');
  return env[NONCE_ENV]!;
}

const nonce = secretNonce();
const secret = (what: string) => `${what}-sEcReT-${nonce}`;

/** What credentials_ref "sim" stands for in the tests that use these. */
export const BMC_CREDENTIALS = { username: 'root', password: secret('bmc-pw') };
/** S3 credentials of a site's s3.yaml (the access key is not secret; the secret key is). */
export const S3_CREDENTIALS = { accessKey: 'TESTACCESSKEY', secretKey: secret('s3-sk') };

/** An API token's shape (src/services/tokens.ts); any match in output is a leaked token. */
export const TOKEN_SHAPE = /bos_[a-z0-9]{8}_[A-Za-z0-9_-]{43}/;

/**
 * Secrets of older fixtures that do not come from here (the simulator's default BMC password,
 * the credentials of test/daemon/bosd-process.test.ts and test/integrations/tls.test.ts).
 * Values shorter than 6 characters (s3rver's key equals its access key) cannot be grepped.
 */
const LEGACY = ['initial0', 's3cretPW', 'pw-very-secret'];

/** Every fixture secret and the forms it could leak in (Basic auth header value). */
export function knownSecrets(): string[] {
  const plain = [BMC_CREDENTIALS.password, S3_CREDENTIALS.secretKey, ...LEGACY];
  const basic = [BMC_CREDENTIALS.password, ...LEGACY].map((p) => Buffer.from(`root:${p}`).toString('base64'));
  return [...plain, ...basic, nonce]; // the nonce last (see findSecrets)
}

export interface Leak { secret: string; where: string; excerpt: string }

/**
 * Every place in `text` where a known secret, an extra secret (e.g. a token made in the test)
 * or anything token-shaped appears. The secret is masked in the excerpt.
 */
export function findSecrets(text: string, where: string, extra: string[] = []): Leak[] {
  const leaks: Leak[] = [];
  const excerpt = (i: number, len: number) => `${text.slice(Math.max(0, i - 40), i)}<SECRET>${text.slice(i + len, i + len + 40)}`.replace(/\s+/g, ' ');
  for (const s of [...knownSecrets(), ...extra]) {
    if (s.length < 6) continue;
    const i = text.indexOf(s);
    // The nonce alone counts only when no whole secret was found (it is part of each).
    if (i >= 0 && !(s === nonce && leaks.length > 0)) leaks.push({ secret: s.slice(0, 6) + '…', where, excerpt: excerpt(i, s.length) });
  }
  const m = TOKEN_SHAPE.exec(text);
  if (m) leaks.push({ secret: 'a token (bos_…)', where, excerpt: excerpt(m.index, m[0].length) });
  return leaks;
}

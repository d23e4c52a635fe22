/**
 * A BMC's TLS certificate, read with verification off (so that an expired or untrusted one
 * can be described), then judged as bosd would see it: dates, trust against the CA bundle,
 * the host name, and how soon it expires.
 */
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type DetailedPeerCertificate } from 'node:tls';
import { DeadlineError, type StepResult } from './types.js';

export interface CertificateFacts {
  subject: string;
  issuer: string;
  validFrom: Date;
  validTo: Date;
  selfSigned: boolean;
  /** OpenSSL's verdict against the CA bundle (e.g. DEPTH_ZERO_SELF_SIGNED_CERT), if not trusted. */
  untrusted?: string;
  /** Why the certificate does not name the host, if it does not. */
  wrongName?: string;
}

export function fetchCertificate(host: string, port: number, ca: string | Buffer | undefined, timeoutMs: number): Promise<CertificateFacts> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }), ...(ca ? { ca } : {}) });
    const timer = setTimeout(() => socket.destroy(new DeadlineError(timeoutMs)), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate(true) as DetailedPeerCertificate;
      const untrusted = socket.authorized ? undefined : String(socket.authorizationError ?? 'not trusted');
      socket.destroy();
      if (!cert || !cert.valid_to) return reject(new Error('the server sent no certificate'));
      const wrongName = checkServerIdentity(host, cert)?.message;
      resolve({
        subject: nameOf(cert.subject),
        issuer: nameOf(cert.issuer),
        validFrom: new Date(cert.valid_from),
        validTo: new Date(cert.valid_to),
        selfSigned: !cert.issuerCertificate || cert.issuerCertificate.fingerprint256 === cert.fingerprint256,
        ...(untrusted ? { untrusted } : {}),
        ...(wrongName ? { wrongName } : {}),
      });
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function nameOf(n: DetailedPeerCertificate['subject'] | undefined): string {
  const cn = n?.CN;
  return (Array.isArray(cn) ? cn[0] : cn) ?? n?.O?.toString() ?? '?';
}

const DAY_MS = 86_400_000;
const day = (d: Date) => d.toISOString().slice(0, 10);
/** Codes about dates: the dates themselves are judged, with doctor's clock. */
const DATE_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

export interface CertificatePolicy {
  /** bosd verifies certificates (insecure_skip_tls_verify is off). */
  verify: boolean;
  /** Warn when it expires within this many days. */
  warnDays: number;
}

export function judgeCertificate(c: CertificateFacts, now: Date, policy: CertificatePolicy): StepResult {
  const step = 'certificate';
  if (now.getTime() > c.validTo.getTime()) {
    return { step, status: 'fail', detail: `certificate expired on ${day(c.validTo)}`, fix: 'renew the BMC\'s certificate' };
  }
  if (now.getTime() < c.validFrom.getTime()) {
    return { step, status: 'fail', detail: `certificate not valid before ${day(c.validFrom)}`, fix: 'check the BMC\'s clock (and this host\'s), or renew the certificate' };
  }
  const untrusted = c.untrusted && !DATE_CODES.has(c.untrusted) ? c.untrusted : undefined;
  const problems = [
    ...(untrusted ? [`not trusted (${untrusted}${c.selfSigned ? ', self-signed' : ''})`] : []),
    ...(c.wrongName ? [`does not name this BMC (${c.wrongName})`] : []),
  ];
  if (problems.length > 0) {
    if (!policy.verify) {
      return { step, status: 'warn', detail: `certificate ${problems.join('; ')}; bosd does not verify it (insecure_skip_tls_verify)`, fix: 'give the BMC a certificate from a CA in ca_bundle and turn insecure_skip_tls_verify off' };
    }
    return {
      step, status: 'fail', detail: `certificate ${problems.join('; ')}`,
      fix: untrusted ? 'add the CA that signed it to ca_bundle in bosd.yaml, or give the BMC a certificate from that CA' : 'give the BMC a certificate for the name or address bosd uses (bmc_address)',
    };
  }
  const days = Math.floor((c.validTo.getTime() - now.getTime()) / DAY_MS);
  if (days < policy.warnDays) {
    return { step, status: 'warn', detail: `certificate expires in ${days} days (${day(c.validTo)})`, fix: 'renew the BMC\'s certificate before it expires' };
  }
  return { step, status: 'pass', detail: `certificate valid until ${day(c.validTo)} (${days} days), issued by ${c.issuer}` };
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BssClient } from '../../src/integrations/bss.js';
import { IntegrationError } from '../../src/integrations/errors.js';
import { RedfishClient } from '../../src/integrations/redfish.js';

let hasOpenssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  hasOpenssl = false;
}

describe.skipIf(!hasOpenssl)('TLS: a BMC with a certificate from a private CA', () => {
  let dir = '';
  let ca: Buffer;
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bosctl-tls-'));
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bosctl test CA');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'bmc.key', '-out', 'bmc.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'bmc.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'bmc.pem', '-days', '2', '-extfile', 'ext.cnf');
    ca = readFileSync(join(dir, 'ca.pem'));
    server = createServer({ key: readFileSync(join(dir, 'bmc.key')), cert: readFileSync(join(dir, 'bmc.pem')) }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/redfish/v1/') return res.end('{}');
      if (req.url === '/redfish/v1/Systems/Node0') return res.end(JSON.stringify({ PowerState: 'On' }));
      if (req.url === '/boot/v1/service/status') return res.end(JSON.stringify({ 'bss-status': 'running' }));
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const t = () => ({ bmcXname: 'x1000c0s0b0', nodeXname: 'x1000c0s0b0n0', address: `127.0.0.1:${port}`, systemId: 'Node0' });
  const creds = () => ({ username: 'root', password: 'pw-very-secret' });

  it('rejects the unknown CA by default, with a hint', async () => {
    const client = new RedfishClient({ credentials: creds, retry: { attempts: 1 }, timeoutMs: 3_000 });
    try {
      const err = await client.powerState(t()).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(IntegrationError);
      expect(err).toMatchObject({ kind: 'connect', retryable: false });
      // the hint names settings bosd has (bosd.yaml and its flags)
      expect((err as Error).message).toMatch(/failed TLS verification .*; give the CA that signed its certificate with ca_bundle in bosd\.yaml \(--ca-bundle\) or, knowingly, set insecure_skip_tls_verify: true \(--insecure-skip-tls-verify\)$/);
    } finally {
      await client.close();
    }
  });

  it('trusts the configured CA bundle', async () => {
    const client = new RedfishClient({ credentials: creds, ca, retry: { attempts: 1 }, timeoutMs: 3_000 });
    try {
      expect(await client.powerState(t())).toBe('On');
    } finally {
      await client.close();
    }
    const bss = new BssClient({ url: `https://127.0.0.1:${port}`, ca: ca.toString('utf8'), retry: { attempts: 1 } });
    try {
      await bss.ping();
    } finally {
      await bss.close();
    }
  });

  it('insecureSkipTlsVerify accepts it and warns once', async () => {
    const warnings: string[] = [];
    const client = new RedfishClient({ credentials: creds, insecureSkipTlsVerify: true, onWarning: (m) => warnings.push(m), retry: { attempts: 1 } });
    try {
      expect(await client.powerState(t())).toBe('On');
      expect(warnings).toEqual(['Redfish: TLS certificate verification of BMCs is disabled (insecure_skip_tls_verify)']);
    } finally {
      await client.close();
    }
  });
});

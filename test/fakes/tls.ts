/**
 * A throw-away self-signed certificate for the local HTTPS fakes (ARM, ACS Email, Teams).
 * ARM SDK clients refuse bearer tokens over plain http, so fakes speak HTTPS; clients trust the
 * certificate through an `https.Agent({ ca })` passed in their options.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { Agent } from 'https';
import { tmpdir } from 'os';
import { join } from 'path';

export interface TestCertificate {
  key: string;
  cert: string;
  /** An agent that trusts only this certificate. */
  agent: Agent;
}

let cached: TestCertificate | undefined;

/** One certificate per test process, for `localhost` and `127.0.0.1`. */
export function testCertificate(): TestCertificate {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'aia-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    cached = { key, cert, agent: new Agent({ ca: cert, keepAlive: false }) };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

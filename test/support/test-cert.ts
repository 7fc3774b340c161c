import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCa {
  dir: string;
  /** The test CA's certificate: what an agent is given with --ca-file. */
  caFile: string;
  /** A server certificate signed by the CA for `names`, and its key. */
  certFile: string;
  keyFile: string;
}

/**
 * A throwaway CA and a server certificate it signed (EC P-256, 2 days), made with openssl in a
 * fresh temporary directory. `names` become the subjectAltNames: IP addresses and DNS names.
 */
export function makeTestCa(names: string[] = ['127.0.0.1', 'localhost']): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-test-ca-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', file('ca-key.pem'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=Pressluft test CA']);
  openssl(['req', ...ec, '-keyout', file('key.pem'), '-out', file('server.csr'), '-subj', '/CN=pressluft control plane']);
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const ext = file('ext.cnf');
  writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'), '-CAcreateserial', '-out', file('cert.pem'), '-days', '2', '-extfile', ext]);
  return { dir, caFile: file('ca.pem'), certFile: file('cert.pem'), keyFile: file('key.pem') };
}

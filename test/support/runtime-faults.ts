import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

/** The PHP version whose FPM serves the sites (8.2 on Debian 12, 8.3 on Ubuntu 24.04). */
export function phpVersion(): string {
  const versions = readdirSync('/etc/php').filter((v) => /^\d+\.\d+$/.test(v)).sort();
  if (versions.length === 0) throw new Error('no PHP installed');
  return versions[versions.length - 1];
}

/**
 * Breaks the runtime on purpose: PHP-FPM without mysqli cannot talk to MariaDB, so WordPress
 * cannot serve. Returns the repair function (always call it in a finally).
 */
export function breakPhpMysql(): () => void {
  const version = phpVersion();
  execFileSync('phpdismod', ['-v', version, '-s', 'fpm', 'mysqli']);
  execFileSync('service', [`php${version}-fpm`, 'restart'], { stdio: 'ignore' });
  return () => {
    execFileSync('phpenmod', ['-v', version, '-s', 'fpm', 'mysqli']);
    execFileSync('service', [`php${version}-fpm`, 'restart'], { stdio: 'ignore' });
  };
}

#!/usr/bin/python3
# Installs Debian/Ubuntu packages with apt-get (the apt module needs python3-apt, which a fresh
# node may lack). Refreshes the package lists only when they are missing, old, or a package
# cannot be found; reports changed only when something was installed.
from __future__ import annotations

DOCUMENTATION = r'''
module: pressluft_packages
short_description: Ensure Debian packages are installed
description: Also returns the node facts the node role needs (php_version, ipv6).
options:
  names: {type: list, elements: str, required: true}
  cache_valid_time: {type: int, default: 86400, description: Seconds before the lists count as old.}
'''

import glob
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.pressluft_system import PressluftError, php_version, run

LISTS = '/var/lib/apt/lists'
STAMP = '/var/lib/apt/periodic/update-success-stamp'


def missing(names):
    proc = run(['dpkg-query', '-W', '-f=${Package}\\t${db:Status-Status}\\n'] + names, check=False)
    installed = {line.split('\t')[0] for line in proc.stdout.splitlines() if line.endswith('\tinstalled')}
    return [n for n in names if n not in installed]


def lists_age():
    paths = glob.glob(os.path.join(LISTS, '*_Packages*')) + ([STAMP] if os.path.exists(STAMP) else [])
    if not paths:
        return None
    return time.time() - max(os.path.getmtime(p) for p in paths)


def apt_update():
    run(['apt-get', 'update', '-q'], timeout=900)
    os.makedirs(os.path.dirname(STAMP), exist_ok=True)
    with open(STAMP, 'a'):
        os.utime(STAMP)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type='list', elements='str', required=True),
            cache_valid_time=dict(type='int', default=86400),
        ),
    )
    names = module.params['names']
    try:
        todo = missing(names)
        updated = False
        if todo:
            # A run killed mid-install leaves dpkg half-configured; apt refuses until this runs.
            run(['dpkg', '--configure', '-a'], timeout=1800)
            age = lists_age()
            if age is None or age > module.params['cache_valid_time']:
                apt_update()
                updated = True
            install = ['apt-get', 'install', '-y', '-q', '--no-install-recommends',
                       '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold']
            proc = run(install + todo, check=False, timeout=1800)
            if proc.returncode != 0 and not updated:
                # Stale lists point at versions the mirror no longer has: refresh once and retry.
                apt_update()
                run(install + todo, timeout=1800)
            elif proc.returncode != 0:
                raise PressluftError('apt-get install failed: %s' % '\n'.join(proc.stderr.strip().splitlines()[-10:]))
            still = missing(names)
            if still:
                raise PressluftError('packages still missing after apt-get install: %s' % ', '.join(still))
        module.exit_json(changed=bool(todo), installed=todo, php_version=php_version(),
                         ipv6=os.path.exists('/proc/net/if_inet6'))
    except PressluftError as err:
        module.fail_json(msg=str(err))


if __name__ == '__main__':
    main()

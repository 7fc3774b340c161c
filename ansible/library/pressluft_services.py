#!/usr/bin/python3
# Node services with or without systemd: started and enabled, apache2 stopped and disabled,
# and nginx / PHP-FPM reloaded after a config change. Orphaned Pressluft pool files and vhosts
# (left by interrupted runs) are removed first, so they can never fail the config test.
from __future__ import annotations

DOCUMENTATION = r'''
module: pressluft_services
short_description: Start, enable and reload the services of a Pressluft node
options:
  started: {type: list, elements: str, default: []}
  stopped: {type: list, elements: str, default: [], description: Stopped and disabled when installed.}
  reload: {type: list, elements: str, default: [], description: Services whose config changed (nginx, php-fpm, redis-server).}
  directories: {type: list, elements: path, default: [], description: Created (root, 0755) before any config test.}
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.pressluft_system import (
    PressluftError, config_lock, has_systemd, nginx_test, php_version, reload_nginx, reload_php_fpm, remove_orphans, run,
    service_enabled_sysv, service_running, service_start,
)


def installed(name):
    return os.path.exists('/etc/init.d/' + name) or os.path.exists('/lib/systemd/system/%s.service' % name)


def enable(name):
    """Enables a service at boot; True if it changed."""
    if has_systemd():
        if run(['systemctl', 'is-enabled', '--quiet', name], check=False).returncode == 0:
            return False
        run(['systemctl', 'enable', name])
        return True
    if service_enabled_sysv(name):
        return False
    run(['update-rc.d', name, 'defaults'])
    return True


def disable_and_stop(name):
    changed = False
    if service_running(name):
        run(['systemctl', 'stop', name] if has_systemd() else ['service', name, 'stop'])
        changed = True
    if has_systemd():
        if run(['systemctl', 'is-enabled', '--quiet', name], check=False).returncode == 0:
            run(['systemctl', 'disable', name])
            changed = True
    elif service_enabled_sysv(name):
        run(['update-rc.d', name, 'disable'])
        changed = True
    return changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            started=dict(type='list', elements='str', default=[]),
            stopped=dict(type='list', elements='str', default=[]),
            reload=dict(type='list', elements='str', default=[]),
            directories=dict(type='list', elements='path', default=[]),
        ),
    )
    p = module.params
    changes = []
    try:
        version = php_version()
        fpm = 'php%s-fpm' % version
        with config_lock():
            for path in p['directories']:
                if not os.path.isdir(path):
                    os.makedirs(path, mode=0o755)
                    changes.append('%s created' % path)
            pools, vhosts = remove_orphans(version)
            if pools:
                changes.append('orphan pools removed: %s' % ', '.join(pools))
            if vhosts:
                changes.append('orphan vhosts removed: %s' % ', '.join(vhosts))
            for name in p['stopped']:
                if installed(name) and disable_and_stop(name):
                    changes.append('%s stopped' % name)
            reload = set(p['reload'])
            if pools:
                reload.add('php-fpm')
            if vhosts:
                reload.add('nginx')
            for name in p['started']:
                name = fpm if name == 'php-fpm' else name
                if enable(name):
                    changes.append('%s enabled' % name)
                if not service_running(name):
                    if name == 'nginx':
                        nginx_test()  # its error names the file and line; the init script's does not
                    service_start(name)
                    changes.append('%s started' % name)
                elif name == 'nginx' and 'nginx' in reload:
                    reload_nginx()
                    changes.append('nginx reloaded')
                elif name == fpm and 'php-fpm' in reload:
                    reload_php_fpm(version)
                    changes.append('%s reloaded' % fpm)
                elif name in reload:
                    run(['systemctl', 'restart', name] if has_systemd() else ['service', name, 'restart'])
                    changes.append('%s restarted' % name)
        module.exit_json(changed=bool(changes), changes=changes, php_version=version)
    except PressluftError as err:
        module.fail_json(msg=str(err))


if __name__ == '__main__':
    main()

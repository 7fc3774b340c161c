#!/usr/bin/python3
# One module run for an environment's runtime (no secrets here): Linux user, directories,
# release, PHP-FPM pool and nginx server block, reloaded and waited for; or all of it removed.
from __future__ import annotations

DOCUMENTATION = r'''
module: pressluft_env
short_description: An environment's runtime on a Pressluft node
description:
  - C(state=present) converges the Linux user, directories, release, pool and vhost of one
    environment, reloading PHP-FPM and nginx only when their config changed.
  - C(state=absent) removes everything the listed environments have on the node.
options:
  state: {type: str, choices: [present, absent], default: present}
  env_id: {type: str, description: Environment id (present).}
  env_ids: {type: list, elements: str, description: Environment ids (absent).}
  preview_host: {type: str}
  http_port: {type: int, default: 80}
  source_env_id: {type: str, description: Clone the release and uploads of this environment.}
  preview_url: {type: str, description: "When set and nothing changed, probe whether the environment is already complete (ready)."}
'''

import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.pressluft_http import check_once, fetch, host_header
from ansible.module_utils.pressluft_layout import (
    FINGERPRINT_FILE, build_release, current_release, delete_user, ensure_dirs, ensure_user,
)
from ansible.module_utils.pressluft_mariadb import drop_database_and_user, options
from ansible.module_utils.pressluft_names import env_names, is_env_id
from ansible.module_utils.pressluft_render import pool_conf, vhost_conf
from ansible.module_utils.pressluft_system import (
    NGINX_SITES_DIR, PressluftError, config_lock, php_version, pool_dir, reload_nginx, reload_php_fpm,
    remove_orphans, remove_path, run, socket_accepts, wait_for, write_file,
)


def _nginx_serves(env_id, host, port):
    """True once nginx routes the preview host to this environment (a static file, so PHP and
    the database play no part)."""
    _, headers, _ = fetch(port, host_header(host, port), '/wp-includes/images/blank.gif', method='HEAD')
    return headers.get('X-Pressluft-Environment') == env_id


def readiness(names, env_id, p):
    """Whether the environment is already complete and answering as itself, and the salted
    hash of the database password it was configured with (never the password). Lets the
    playbook skip the secret-bearing task and the check on a re-run."""
    try:
        with open(os.path.join(names['root'], FINGERPRINT_FILE), encoding='ascii') as fh:
            fingerprint = fh.read().strip()
    except OSError:
        return False, ''
    opts = options(names['database'], ['pressluft_env_id', 'home', 'siteurl'])
    url = p['preview_url']
    if opts.get('pressluft_env_id') != env_id or opts.get('home') != url or opts.get('siteurl') != url:
        return False, fingerprint
    _, problem = check_once(env_id, host_header(p['preview_host'], p['http_port']), p['http_port'], url)
    return problem is None, fingerprint


def _write_validated(path, content, validate):
    """Writes a config file and validates the whole service config; on failure the previous
    content is restored so one bad file never blocks the node's next reload."""
    try:
        with open(path, encoding='utf-8') as fh:
            previous = fh.read()
    except FileNotFoundError:
        previous = None
    if not write_file(path, content):
        return False
    try:
        validate()
    except PressluftError:
        if previous is None:
            remove_path(path)
        else:
            write_file(path, previous)
        raise
    return True


def present(module, p):
    env_id = p['env_id']
    if not is_env_id(env_id) or not p['preview_host']:
        raise PressluftError('env_id and preview_host are required')
    names = env_names(env_id)
    source_root = None
    if p['source_env_id']:
        source_root = env_names(p['source_env_id'])['root']
    version = php_version()
    changes = []
    with config_lock():
        if ensure_user(names):
            changes.append('user')
        if ensure_dirs(names):
            changes.append('directories')
        if current_release(names) is None:
            build_release(names, source_root)
            changes.append('release')
        remove_orphans(version)
        pool_file = os.path.join(pool_dir(version), names['pool'] + '.conf')
        sock = '/run/php/%s.sock' % names['pool']
        pool_changed = _write_validated(pool_file, pool_conf(names, env_id), lambda: _fpm_test(version))
        os.makedirs(NGINX_SITES_DIR, exist_ok=True)
        vhost = os.path.join(NGINX_SITES_DIR, env_id + '.conf')
        ipv6 = os.path.exists('/proc/net/if_inet6')
        vhost_changed = _write_validated(vhost, vhost_conf(names, env_id, p['preview_host'], p['http_port'], ipv6), _nginx_test)

        def serves():
            return _nginx_serves(env_id, p['preview_host'], p['http_port'])

        # Both reloads are asynchronous: signal both, then wait for each to take effect.
        fpm_reloaded = pool_changed or not socket_accepts(sock)
        if fpm_reloaded:
            reload_php_fpm(version, validated=pool_changed)
            changes.append('pool')
        nginx_reloaded = vhost_changed or not serves()
        if nginx_reloaded:
            reload_nginx(validated=vhost_changed)
            changes.append('vhost')
        if fpm_reloaded:
            # An existing socket is inherited across the reload, so its backlog is never lost.
            wait_for(lambda: socket_accepts(sock), 30, 'the PHP-FPM pool socket %s' % sock)
        if nginx_reloaded:
            wait_for(serves, 30, 'nginx to serve %s on port %d' % (p['preview_host'], p['http_port']))
    ready, fingerprint = (False, '')
    if p['preview_url'] and not changes:
        ready, fingerprint = readiness(names, env_id, p)
    return changes, names, ready, fingerprint


def _fpm_test(version):
    run(['/usr/sbin/php-fpm' + version, '-t'])


def _nginx_test():
    run(['nginx', '-t', '-q'])


def absent(module, p):
    ids = p['env_ids'] or ([p['env_id']] if p['env_id'] else [])
    for env_id in ids:
        if not is_env_id(env_id):
            raise PressluftError('not an environment id: %r' % env_id)
    version = php_version()
    changes = []
    with config_lock():
        vhosts = [os.path.join(NGINX_SITES_DIR, i + '.conf') for i in ids]
        # Traffic first: once nginx no longer routes the hosts, the rest can go in any order.
        if any([remove_path(v) for v in vhosts]):
            reload_nginx()
            changes.append('vhost')
        pools = [os.path.join(pool_dir(version), env_names(i)['pool'] + '.conf') for i in ids]
        if any([remove_path(f) for f in pools]):
            reload_php_fpm(version)
            changes.append('pool')
        for env_id in ids:
            names = env_names(env_id)
            if drop_database_and_user(names['database'], names['database']):
                changes.append('database')
            if os.path.lexists(names['root']):
                shutil.rmtree(names['root'])
                changes.append('files')
            if delete_user(names['user']):
                changes.append('user')
            remove_path('/run/php/%s.sock' % names['pool'])
    return changes


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            env_id=dict(type='str'),
            env_ids=dict(type='list', elements='str'),
            preview_host=dict(type='str'),
            http_port=dict(type='int', default=80),
            source_env_id=dict(type='str'),
            preview_url=dict(type='str'),
        ),
        supports_check_mode=False,
    )
    p = module.params
    try:
        if p['state'] == 'present':
            changes, names, ready, fingerprint = present(module, p)
            module.exit_json(changed=bool(changes), changes=changes, user=names['user'], root=names['root'],
                             ready=ready, db_fingerprint=fingerprint)
        changes = absent(module, p)
        module.exit_json(changed=bool(changes), changes=changes)
    except PressluftError as err:
        module.fail_json(msg=str(err))


if __name__ == '__main__':
    main()

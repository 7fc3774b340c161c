#!/usr/bin/python3
# The secret-bearing half of an environment: database and user, wp-config.php, and WordPress
# installed (or cloned from another environment and moved to its own URL). Secrets come from
# a 0600 file the pressluft_wordpress action plugin writes; this module deletes it at once.
from __future__ import annotations

DOCUMENTATION = r'''
module: pressluft_wordpress
short_description: Database, wp-config.php and WordPress of a Pressluft environment
options:
  env_id: {type: str, required: true}
  mode: {type: str, choices: [install, clone], default: install}
  preview_url: {type: str, required: true}
  site_name: {type: str}
  admin_user: {type: str}
  admin_email: {type: str}
  source_env_id: {type: str}
  secrets_file: {type: path, required: true, description: Written by the action plugin.}
  preview_host: {type: str, description: With http_port, check quietly that the site answers (returns answered).}
  http_port: {type: int, default: 80}
'''

import hashlib
import json
import os
import pwd
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.pressluft_http import TRANSIENT, check_once, host_header
from ansible.module_utils.pressluft_layout import FINGERPRINT_FILE, current_release
from ansible.module_utils.pressluft_mariadb import copy_database, ensure_database, options, recreate_database
from ansible.module_utils.pressluft_names import env_names, is_env_id
from ansible.module_utils.pressluft_render import existing_salts, new_salts, wp_config
from ansible.module_utils.pressluft_system import (HELPER_PATH, PressluftError, php_version, restart_php_workers, run,
                                                   user_exists, write_file)

MARKER = 'pressluft_env_id'


def read_secrets(path):
    try:
        with open(path, encoding='utf-8') as fh:
            return json.load(fh)
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def helper(names, command, request):
    """Runs the PHP helper as the site user; the request (maybe with a password) goes on stdin."""
    if not os.path.isfile(HELPER_PATH):
        raise PressluftError('the WordPress helper %s is missing: run node-provision first' % HELPER_PATH)
    argv = ['runuser', '-u', names['user'], '--', 'php', '-d', 'display_errors=stderr', '-d', 'zend.exception_ignore_args=1',
            '-d', 'memory_limit=512M', HELPER_PATH, command]
    proc = run(argv, input_text=json.dumps(request), cwd=request['path'], check=False, env={'HOME': names['root']})
    if proc.returncode != 0:
        tail = '\n'.join((proc.stderr.strip() or proc.stdout.strip()).splitlines()[-10:])
        raise PressluftError('WordPress %s failed: %s' % (command, tail))
    return proc.stdout


def converge(p, secrets):
    env_id = p['env_id']
    if not is_env_id(env_id):
        raise PressluftError('not an environment id: %r' % env_id)
    names = env_names(env_id)
    db_password = secrets.get('db_password')
    if not db_password:
        raise PressluftError('the database password is missing from the job secrets')
    if not user_exists(names['user']):
        raise PressluftError('the environment user %s does not exist: its runtime was not created' % names['user'])
    release = current_release(names)
    if release is None:
        raise PressluftError('the environment has no current release')
    pw = pwd.getpwnam(names['user'])
    url = p['preview_url']
    changes = []

    if ensure_database(names['database'], names['database'], db_password):
        changes.append('database')
    config_path = os.path.join(names['root'], 'shared', 'wp-config.php')
    salts = existing_salts(config_path) or new_salts()
    config_existed = os.path.exists(config_path)
    if write_file(config_path, wp_config(names, db_password, salts), 0o600, pw.pw_uid, pw.pw_gid):
        changes.append('wp-config')
        if config_existed:
            # Workers may hold the old file in opcache for a while yet: start them afresh.
            restart_php_workers(php_version())

    current = os.path.join(names['root'], 'current')
    opts = options(names['database'], [MARKER, 'home', 'siteurl'])
    done = opts.get(MARKER) == env_id
    if p['mode'] == 'install' and not done:
        admin_password = secrets.get('admin_password')
        if not admin_password:
            raise PressluftError('the admin password is missing from the job secrets')
        # No marker: nothing or a half-finished install; start from an empty database.
        recreate_database(names['database'])
        helper(names, 'install', {
            'path': current, 'url': url, 'env_id': env_id, 'title': p['site_name'] or 'WordPress',
            'admin_user': p['admin_user'], 'admin_email': p['admin_email'], 'admin_password': admin_password,
        })
        changes.append('install')
    elif p['mode'] == 'clone' and not done:
        if not is_env_id(p['source_env_id'] or ''):
            raise PressluftError('source_env_id is required to clone')
        source_db = env_names(p['source_env_id'])['database']
        if not options(source_db, ['home']):
            raise PressluftError('the source environment has no WordPress database (%s)' % source_db)
        recreate_database(names['database'])
        copy_database(source_db, names['database'])
        old_url = options(names['database'], ['home']).get('home') or url
        helper(names, 'replace-url', {'path': current, 'old_url': old_url, 'url': url, 'env_id': env_id})
        changes.append('clone')
    elif opts.get('home') != url or opts.get('siteurl') != url:
        helper(names, 'replace-url', {'path': current, 'old_url': opts.get('home') or url, 'url': url, 'env_id': env_id})
        changes.append('url')
    fingerprint = hashlib.sha256(('%s:%s' % (env_id, db_password)).encode('utf-8')).hexdigest()
    write_file(os.path.join(names['root'], FINGERPRINT_FILE), fingerprint + '\n', 0o600)
    return changes


def answers(p, timeout=5):
    """Whether the site already answers as itself. This task's output is hidden (no_log), so
    a failure here only means the visible check task runs and reports it."""
    if not p['preview_host']:
        return False
    host = host_header(p['preview_host'], p['http_port'])
    deadline = time.monotonic() + timeout
    while True:
        status, problem = check_once(p['env_id'], host, p['http_port'], p['preview_url'])
        if problem is None:
            return True
        if status not in TRANSIENT or time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            env_id=dict(type='str', required=True),
            mode=dict(type='str', choices=['install', 'clone'], default='install'),
            preview_url=dict(type='str', required=True),
            site_name=dict(type='str'),
            admin_user=dict(type='str'),
            admin_email=dict(type='str'),
            source_env_id=dict(type='str'),
            secrets_file=dict(type='path', required=True),
            preview_host=dict(type='str'),
            http_port=dict(type='int', default=80),
        ),
    )
    secrets = {}
    try:
        secrets = read_secrets(module.params['secrets_file'])
        module.no_log_values.update(v for v in secrets.values() if isinstance(v, str) and v)
        changes = converge(module.params, secrets)
        module.exit_json(changed=bool(changes), changes=changes, answered=answers(module.params))
    except (PressluftError, OSError, ValueError) as err:
        message = str(err)
        # Belt and braces: a secret must never reach the output, even inside an error text.
        for value in secrets.values():
            if isinstance(value, str) and value:
                message = message.replace(value, '********')
        module.fail_json(msg=message)


if __name__ == '__main__':
    main()

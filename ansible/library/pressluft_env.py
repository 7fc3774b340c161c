#!/usr/bin/python3
# One module run for a whole environment: state=present converges its runtime, database and
# WordPress and checks that the site answers as itself; state=absent removes everything. On this
# kind of node each module run costs Ansible ~0.3 s, so the work is one run that overlaps its
# slow parts. Secrets come from a 0600 file the pressluft_env action plugin writes; this module
# deletes it at once and keeps every secret out of its result.
from __future__ import annotations

DOCUMENTATION = r'''
module: pressluft_env
short_description: An environment (runtime, database, WordPress) on a Pressluft node
options:
  state: {type: str, choices: [present, absent], default: present}
  env_id: {type: str, description: Environment id (present).}
  env_ids: {type: list, elements: str, description: Environment ids (absent).}
  mode: {type: str, choices: [install, clone], default: install, description: A fresh WordPress, or a copy of source_env_id.}
  source_env_id: {type: str}
  preview_url: {type: str}
  preview_host: {type: str}
  http_port: {type: int, default: 80}
  site_name: {type: str}
  admin_user: {type: str}
  admin_email: {type: str}
  check_timeout: {type: int, default: 20, description: Seconds the final check retries answers a reload can explain.}
  mu_plugins_dir: {type: path, description: 'Must-use plugins (*.php) installed root-owned into every environment.'}
  secrets_file: {type: path, description: Written by the action plugin (present).}
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.pressluft_layout import read_mu_plugins
from ansible.module_utils.pressluft_names import env_names, is_env_id
from ansible.module_utils.pressluft_runtime import converge as converge_runtime
from ansible.module_utils.pressluft_runtime import remove
from ansible.module_utils.pressluft_system import Background, PressluftError, config_lock, php_version
from ansible.module_utils.pressluft_wordpress import check, converge as converge_wordpress
from ansible.module_utils.pressluft_wordpress import ensure_env_database, ensure_wp_config


def read_secrets(path):
    if not path:
        return {}
    try:
        with open(path, encoding='utf-8') as fh:
            return json.load(fh)
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def present(p, secrets):
    env_id = p['env_id']
    if not is_env_id(env_id) or not p['preview_host'] or not p['preview_url']:
        raise PressluftError('env_id, preview_host and preview_url are required')
    source_root = None
    if p['mode'] == 'clone':
        if not is_env_id(p['source_env_id'] or ''):
            raise PressluftError('source_env_id is required to clone')
        source_root = env_names(p['source_env_id'])['root']
    db_password = secrets.get('db_password')
    if not db_password:
        raise PressluftError('the database password is missing from the job secrets')
    version = php_version()
    # The database needs neither the Linux user nor the files: it converges alongside them.
    database = Background(lambda: ensure_env_database(env_id, db_password))
    try:
        with config_lock():
            changes, nginx_ready = converge_runtime(env_id, p['preview_host'], p['http_port'], version,
                                                  read_mu_plugins(p['mu_plugins_dir']), source_root)
    except BaseException:
        database.join()  # the runtime's error is the one to report
        raise
    db_changed, new_database = database.result()
    if db_changed:
        changes.append('database')
    if ensure_wp_config(env_id, db_password, version):
        changes.append('wp-config')
    changes += converge_wordpress(p, secrets, new_database)
    nginx_ready()
    check(p, p['check_timeout'])
    return changes


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            env_id=dict(type='str'),
            env_ids=dict(type='list', elements='str'),
            mode=dict(type='str', choices=['install', 'clone'], default='install'),
            source_env_id=dict(type='str'),
            preview_url=dict(type='str'),
            preview_host=dict(type='str'),
            http_port=dict(type='int', default=80),
            site_name=dict(type='str'),
            admin_user=dict(type='str'),
            admin_email=dict(type='str'),
            check_timeout=dict(type='int', default=20),
            mu_plugins_dir=dict(type='path'),
            secrets_file=dict(type='path'),
        ),
    )
    p = module.params
    secrets = {}
    try:
        secrets = read_secrets(p['secrets_file'])
        module.no_log_values.update(v for v in secrets.values() if isinstance(v, str) and v)
        if p['state'] == 'present':
            changes = present(p, secrets)
        else:
            ids = p['env_ids'] or ([p['env_id']] if p['env_id'] else [])
            bad = [i for i in ids if not is_env_id(i)]
            if bad:
                raise PressluftError('not an environment id: %r' % bad[0])
            with config_lock():
                changes = remove(ids, php_version())
        module.exit_json(changed=bool(changes), changes=changes)
    except Exception as err:  # every failure becomes a message the operator can read
        message = str(err) if isinstance(err, (PressluftError, OSError, ValueError)) else '%s: %s' % (type(err).__name__, err)
        # A secret must never reach the output, even inside an error text: the task's failure
        # message is shown to the operator (the playbook re-raises it outside no_log).
        for value in secrets.values():
            if isinstance(value, str) and value:
                message = message.replace(value, '********')
        module.fail_json(msg=message)


if __name__ == '__main__':
    main()

# Hands the job's secrets to the pressluft_env module (state=present) through a 0600 file in
# Ansible's private remote tmp dir, so they never appear in task arguments, in the module's
# invocation echo or in any process's argv. The playbook names no secret: this plugin reads the
# variables.
from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

SECRET_VARS = {
    'db_password': 'pressluft_secret_db_password',
    'admin_password': 'pressluft_secret_admin_password',
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        if self._task.args.get('state', 'present') == 'absent':
            try:
                result.update(self._execute_module(module_name='pressluft_env', task_vars=task_vars))
            finally:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        secrets = {}
        for key, var in SECRET_VARS.items():
            if var in task_vars and task_vars[var] is not None:
                value = self._templar.template(task_vars[var])
                if not isinstance(value, str):
                    raise AnsibleActionFail('%s must be a string' % var)
                secrets[key] = value
        if not self._connection._shell.tmpdir:
            self._make_tmp_path()
        tmpdir = self._connection._shell.tmpdir
        path = self._connection._shell.join_path(tmpdir, 'pressluft-secrets.json')
        try:
            self._transfer_data(path, json.dumps(secrets))
            self._fixup_perms2((tmpdir, path))
            args = dict(self._task.args, secrets_file=path)
            result.update(self._execute_module(module_name='pressluft_env', module_args=args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(tmpdir)
        return result

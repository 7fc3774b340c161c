#!/usr/bin/python3
# Checks from the node that an environment answers as itself: the REST index through nginx and
# PHP-FPM with the preview host must answer 200 with its X-Pressluft-Environment header and
# name the preview URL as home. The agent checks GET / as well after the playbook.
from __future__ import annotations

DOCUMENTATION = r'''
module: pressluft_site_check
short_description: Check that a Pressluft environment answers on its node
options:
  env_id: {type: str, required: true}
  preview_host: {type: str, required: true}
  preview_url: {type: str, required: true}
  http_port: {type: int, default: 80}
  timeout: {type: int, default: 20, description: Seconds to keep retrying transient answers.}
  error_log: {type: path, description: The environment's PHP error log; its tail is added to a failure.}
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.pressluft_http import TRANSIENT, check_once, host_header, log_tail


def main():
    module = AnsibleModule(
        argument_spec=dict(
            env_id=dict(type='str', required=True),
            preview_host=dict(type='str', required=True),
            preview_url=dict(type='str', required=True),
            http_port=dict(type='int', default=80),
            timeout=dict(type='int', default=20),
            error_log=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    host = host_header(p['preview_host'], p['http_port'])
    deadline = time.monotonic() + p['timeout']
    while True:
        status, message = check_once(p['env_id'], host, p['http_port'], p['preview_url'])
        if message is None:
            module.exit_json(changed=False, msg='%s answers as environment %s' % (host, p['env_id']))
        if status not in TRANSIENT or time.monotonic() > deadline:
            module.fail_json(msg=message + log_tail(p['error_log']))
        time.sleep(0.5)


if __name__ == '__main__':
    main()

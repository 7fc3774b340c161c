#!/usr/bin/python3
# Removes the Pressluft pool files and vhosts interrupted runs left behind (the environment
# path removes them too, before its own reloads). The handlers reload what changed.
from __future__ import annotations

DOCUMENTATION = r'''
module: pressluft_orphans
short_description: Remove orphaned Pressluft PHP-FPM pools and nginx vhosts
description:
  - A pool file C(pool.d/pl-<32 hex>.conf) whose Linux user is gone makes C(php-fpm -t) fail for
    the whole node; a vhost C(/etc/nginx/pressluft-sites/<uuid>.conf) whose pool is gone serves 502.
  - Takes the node's config lock, which the environment module holds while it writes these files.
options:
  php_version: {type: str, required: true, description: PHP-FPM version whose pool directory is checked.}
'''

RETURN = r'''
pools: {type: list, elements: str, returned: always, description: Pool files removed.}
vhosts: {type: list, elements: str, returned: always, description: Vhost files removed.}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.pressluft_system import config_lock, remove_orphans


def main():
    module = AnsibleModule(argument_spec=dict(php_version=dict(type='str', required=True)))
    try:
        with config_lock():
            pools, vhosts = remove_orphans(module.params['php_version'])
    except OSError as err:
        module.fail_json(msg='removing orphaned pools and vhosts failed: %s' % err)
    module.exit_json(changed=bool(pools or vhosts), pools=pools, vhosts=vhosts)


if __name__ == '__main__':
    main()

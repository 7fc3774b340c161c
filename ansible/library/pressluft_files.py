#!/usr/bin/python3
# Writes a set of node config files in one module run (one template/copy task each would cost
# ~0.2-1 s apiece) and says which services' config changed, so they are reloaded once.
from __future__ import annotations

DOCUMENTATION = r'''
module: pressluft_files
short_description: Converge several whole config files, absent files and single lines
options:
  files:
    type: list
    elements: dict
    default: []
    description: "{path, content, mode (octal string, default 0644), service (reloaded when changed)}"
  absent:
    type: list
    elements: dict
    default: []
    description: "{path, service}"
  lines:
    type: list
    elements: dict
    default: []
    description: "{path, regexp, line, service}: the first matching line is replaced, else the line is appended."
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.pressluft_system import remove_path, write_file


def ensure_line(path, regexp, line):
    with open(path, encoding='utf-8') as fh:
        lines = fh.read().splitlines()
    pattern = re.compile(regexp)
    for i, current in enumerate(lines):
        if pattern.search(current):
            if current == line:
                return False
            lines[i] = line
            break
    else:
        lines.append(line)
    st = os.stat(path)
    return write_file(path, '\n'.join(lines) + '\n', st.st_mode & 0o7777, st.st_uid, st.st_gid)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type='list', elements='dict', default=[]),
            absent=dict(type='list', elements='dict', default=[]),
            lines=dict(type='list', elements='dict', default=[]),
        ),
    )
    changed, services = [], set()
    try:
        for f in module.params['files']:
            content = f['content'] if f['content'].endswith('\n') else f['content'] + '\n'
            os.makedirs(os.path.dirname(f['path']), mode=0o755, exist_ok=True)
            if write_file(f['path'], content, int(str(f.get('mode') or '0644'), 8)):
                changed.append(f['path'])
                services.update([f['service']] if f.get('service') else [])
        for f in module.params['absent']:
            if remove_path(f['path']):
                changed.append(f['path'])
                services.update([f['service']] if f.get('service') else [])
        for f in module.params['lines']:
            if ensure_line(f['path'], f['regexp'], f['line']):
                changed.append(f['path'])
                services.update([f['service']] if f.get('service') else [])
    except (OSError, KeyError, ValueError) as err:
        module.fail_json(msg='writing the node configuration failed: %s' % err, changed_files=changed)
    module.exit_json(changed=bool(changed), changed_files=changed, services=sorted(services))


if __name__ == '__main__':
    main()

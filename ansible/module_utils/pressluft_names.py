# Runtime names of an environment, derived from its full id. Must stay identical to
# runtimeNames() in shared/src/runtime.ts: shared/test/runtime-names.test.ts drives both over the
# same valid and invalid ids.
from __future__ import annotations

import json
import re
import sys

ID_PATTERN = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
SITES_ROOT = '/var/www/sites'


def _hex_to_base32(hex_id):
    bits = ''.join(format(int(ch, 16), '04b') for ch in hex_id)
    return ''.join(BASE32[int(bits[i:i + 5].ljust(5, '0'), 2)] for i in range(0, len(bits), 5))


def is_env_id(value):
    # fullmatch: `$` alone also matches before a trailing newline, which the TypeScript check rejects.
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def env_names(env_id):
    """user, database, pool and root of an environment (raises ValueError on a bad id)."""
    if not is_env_id(env_id):
        raise ValueError('not an environment id: %r' % (env_id,))
    hex_id = env_id.replace('-', '')
    return {
        'user': 'pl' + _hex_to_base32(hex_id),
        'database': 'pl_' + hex_id,
        'pool': 'pl-' + hex_id,
        'root': '%s/%s' % (SITES_ROOT, env_id),
    }


def env_id_from_pool(pool):
    """The environment id a pool name was derived from, or None for a foreign pool."""
    m = re.fullmatch(r'pl-([0-9a-f]{32})', pool)
    if not m:
        return None
    h = m.group(1)
    return '%s-%s-%s-%s-%s' % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


if __name__ == '__main__':
    # For the cross-language test: a JSON list of candidate ids on stdin, for each its names (null
    # when it is not an id) and the id read back from its pool name.
    out = []
    for value in json.load(sys.stdin):
        names = env_names(value) if is_env_id(value) else None
        out.append({'names': names, 'pool_id': env_id_from_pool(names['pool']) if names else None})
    print(json.dumps(out))

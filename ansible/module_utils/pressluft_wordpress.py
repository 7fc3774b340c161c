# The secret-bearing half of an environment: database and user, wp-config.php, and WordPress
# installed (or cloned from another environment and moved to its own URL) by the PHP helper,
# sent as one FastCGI request to the environment's own pool.
from __future__ import annotations

import fcntl
import json
import os
import pwd
import stat
import time

from ansible.module_utils.pressluft_fastcgi import FastCgiError, request
from ansible.module_utils.pressluft_http import TRANSIENT, check_once, excerpt, host_header, log_tail
from ansible.module_utils.pressluft_layout import current_release
from ansible.module_utils.pressluft_mariadb import copy_database, ensure_database, options, recreate_database
from ansible.module_utils.pressluft_names import env_names
from ansible.module_utils.pressluft_render import existing_salts, new_salts, wp_config
from ansible.module_utils.pressluft_runtime import pool_socket
from ansible.module_utils.pressluft_system import HELPER_PATH, PressluftError, restart_php_workers, write_file

MARKER = 'pressluft_env_id'


def ensure_env_database(env_id, db_password):
    """(anything changed, the database was created)."""
    names = env_names(env_id)
    return ensure_database(names['database'], names['database'], db_password)


def ensure_wp_config(env_id, db_password, version):
    """Writes shared/wp-config.php (keeping its salts); True if it changed."""
    names = env_names(env_id)
    pw = pwd.getpwnam(names['user'])
    path = os.path.join(names['root'], 'shared', 'wp-config.php')
    existed = os.path.exists(path)
    changed = write_file(path, wp_config(names, db_password, existing_salts(path) or new_salts()), 0o600, pw.pw_uid, pw.pw_gid)
    if changed and existed:
        # Workers may hold the old file in opcache for a while yet: start them afresh.
        restart_php_workers(version)
    return changed


def helper(env_id, command, body, preview_host, http_port):
    """Runs a command of the PHP helper in the environment's pool; the body (maybe with a
    password) travels on the request's stdin."""
    names = env_names(env_id)
    if not os.path.isfile(HELPER_PATH):
        raise PressluftError('the WordPress helper %s is missing: run node-provision first' % HELPER_PATH)
    current = current_release(names)
    if current is None:
        raise PressluftError('the environment %s has no current release' % env_id)
    body = dict(body, path=current, lock=helper_lock(env_id))
    params = {
        'PRESSLUFT_COMMAND': command,
        'GATEWAY_INTERFACE': 'CGI/1.1',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'REQUEST_METHOD': 'POST',
        'CONTENT_TYPE': 'application/json',
        'SCRIPT_FILENAME': HELPER_PATH,
        'SCRIPT_NAME': '/' + os.path.basename(HELPER_PATH),
        'REQUEST_URI': '/',
        'QUERY_STRING': '',
        'DOCUMENT_ROOT': current,
        'SERVER_NAME': preview_host,
        'SERVER_PORT': str(http_port),
        'HTTP_HOST': host_header(preview_host, http_port),
        'REMOTE_ADDR': '127.0.0.1',
    }
    try:
        status, out = request(pool_socket(names), params, json.dumps(body).encode('utf-8'))
    except FastCgiError as err:
        raise PressluftError('WordPress %s failed: %s' % (command, err)) from err
    text = out.decode('utf-8', 'replace')
    if status != 200:
        reason = excerpt(text) if '<' in text else text.strip()[-2000:]
        raise PressluftError('WordPress %s failed (PHP answered %d): %s%s' % (
            command, status, reason or 'no output', log_tail(os.path.join(names['root'], 'logs', 'php-error.log'))))
    return text


def helper_lock(env_id):
    return os.path.join(env_names(env_id)['root'], 'tmp', 'pressluft-helper.lock')


def wait_for_helper(env_id, timeout=300):
    """Waits until no helper request of an earlier, killed run is still working on the
    database (the pool finishes a request whose client is gone). The lock file is the site
    user's: opened without following links or blocking, never created by root."""
    try:
        fd = os.open(helper_lock(env_id), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return  # no helper ever ran here
    except OSError as err:
        raise PressluftError('cannot open the helper lock of %s: %s' % (env_id, err)) from err
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PressluftError('the helper lock of %s is not a regular file' % env_id)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PressluftError('a WordPress helper request of an earlier run is still working after %d s' % timeout)
                time.sleep(0.05)
    finally:
        os.close(fd)


def converge(p, secrets, new_database):
    """Database content for the environment: a fresh install, a copy of the source (clone), or
    only the URL moved. new_database: this run created the (empty) database. Returns what
    changed."""
    env_id, url = p['env_id'], p['preview_url']
    database = env_names(env_id)['database']
    wait_for_helper(env_id)
    opts = {} if new_database else options(database, [MARKER, 'home', 'siteurl'])
    if opts.get(MARKER) == env_id:
        if opts.get('home') == url and opts.get('siteurl') == url:
            return []
        helper(env_id, 'replace-url', {'old_url': opts.get('home') or url, 'url': url, 'env_id': env_id},
               p['preview_host'], p['http_port'])
        return ['url']
    if p['mode'] == 'install':
        if not secrets.get('admin_password'):
            raise PressluftError('the admin password is missing from the job secrets')
        # No marker: nothing or a half-finished install; start from an empty database.
        if not new_database:
            recreate_database(database)
        helper(env_id, 'install', {
            'url': url, 'env_id': env_id, 'title': p['site_name'] or 'WordPress',
            'admin_user': p['admin_user'], 'admin_email': p['admin_email'], 'admin_password': secrets['admin_password'],
        }, p['preview_host'], p['http_port'])
        return ['install']
    source_db = env_names(p['source_env_id'])['database']
    if not options(source_db, ['home']):
        raise PressluftError('the source environment has no WordPress database (%s)' % source_db)
    if not new_database:
        recreate_database(database)
    copy_database(source_db, database)
    old_url = options(database, ['home']).get('home') or url
    helper(env_id, 'replace-url', {'old_url': old_url, 'url': url, 'env_id': env_id}, p['preview_host'], p['http_port'])
    return ['clone']


def check(p, timeout):
    """Raises unless the site answers as itself (retrying answers a reload in progress can
    explain), with the PHP error log's tail when it does not."""
    host = host_header(p['preview_host'], p['http_port'])
    deadline = time.monotonic() + timeout
    while True:
        status, problem = check_once(p['env_id'], host, p['http_port'], p['preview_url'])
        if problem is None:
            return
        if status not in TRANSIENT or time.monotonic() > deadline:
            log = os.path.join(env_names(p['env_id'])['root'], 'logs', 'php-error.log')
            raise PressluftError('the site does not answer as itself: %s%s' % (problem, log_tail(log)))
        time.sleep(0.1)

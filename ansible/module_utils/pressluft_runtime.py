# An environment's runtime on the node (no secrets here): Linux user, directories, release,
# PHP-FPM pool and nginx server block, reloaded and waited for; or all of it removed.
from __future__ import annotations

import os
import shutil

from ansible.module_utils.pressluft_http import fetch, host_header
from ansible.module_utils.pressluft_layout import (
    build_release, current_release, delete_user, ensure_dirs, ensure_user, install_mu_plugins,
)
from ansible.module_utils.pressluft_mariadb import drop_database_and_user
from ansible.module_utils.pressluft_names import env_names
from ansible.module_utils.pressluft_render import pool_conf, vhost_conf
from ansible.module_utils.pressluft_system import (
    NGINX_SITES_DIR, Background, PressluftError, nginx_test, php_fpm_test, pool_dir, reload_nginx, reload_php_fpm, remove_orphans,
    remove_path, socket_accepts, wait_for, write_file,
)


def pool_socket(names):
    return '/run/php/%s.sock' % names['pool']


def _nginx_serves(env_id, host, port):
    """True once nginx routes the preview host to this environment (a static file, so PHP and
    the database play no part)."""
    _, headers, _ = fetch(port, host_header(host, port), '/wp-includes/images/blank.gif', method='HEAD')
    return headers.get('X-Pressluft-Environment') == env_id


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


def _converge_pool(names, env_id, version):
    """Writes and validates the pool file and signals the reload; True if PHP-FPM reloads."""
    sock = pool_socket(names)
    pool_file = os.path.join(pool_dir(version), names['pool'] + '.conf')
    changed = _write_validated(pool_file, pool_conf(names, env_id), lambda: php_fpm_test(version))
    if changed or not socket_accepts(sock):
        reload_php_fpm(version, validated=changed)
        return True
    return False


def _converge_vhost(env_id, names, preview_host, http_port):
    """Writes and validates the server block and reloads nginx; True if it reloaded."""
    os.makedirs(NGINX_SITES_DIR, exist_ok=True)
    vhost = os.path.join(NGINX_SITES_DIR, env_id + '.conf')
    ipv6 = os.path.exists('/proc/net/if_inet6')
    changed = _write_validated(vhost, vhost_conf(names, env_id, preview_host, http_port, ipv6), nginx_test)
    if changed or not _nginx_serves(env_id, preview_host, http_port):
        reload_nginx(validated=changed)
        return True
    return False


def converge(env_id, preview_host, http_port, version, mu_plugins, source_root=None):
    """Converges the runtime of one environment. The pool, the server block and the release
    are independent and mostly wait on commands, so they converge side by side (PHP-FPM and
    nginx reload asynchronously meanwhile). Returns what changed, once the pool answers, and a
    function that waits until nginx serves the preview host too (the WordPress work in between
    needs only the pool). mu_plugins: the platform's must-use plugins, {file name: bytes}.
    Call it under config_lock()."""
    names = env_names(env_id)
    changes = []
    if ensure_user(names):
        changes.append('user')
    if ensure_dirs(names):
        changes.append('directories')
    remove_orphans(version)

    pool = Background(lambda: _converge_pool(names, env_id, version))
    vhost = Background(lambda: _converge_vhost(env_id, names, preview_host, http_port))
    try:
        release = current_release(names)
        if release is None:
            release = build_release(names, source_root)
            changes.append('release')
        if install_mu_plugins(names, release, mu_plugins) and 'release' not in changes:
            changes.append('mu-plugins')
    finally:
        pool.join()
        vhost.join()
    fpm_reloaded, nginx_reloaded = pool.result(), vhost.result()
    if fpm_reloaded:
        changes.append('pool')
        # An existing socket is inherited across the reload, so its backlog is never lost.
        sock = pool_socket(names)
        wait_for(lambda: socket_accepts(sock), 30, 'the PHP-FPM pool socket %s' % sock)
    if nginx_reloaded:
        changes.append('vhost')

    def nginx_ready():
        if nginx_reloaded:
            wait_for(lambda: _nginx_serves(env_id, preview_host, http_port), 30,
                     'nginx to serve %s on port %d' % (preview_host, http_port))
    return changes, nginx_ready


def remove(env_ids, version):
    """Removes everything the environments have on the node; returns what changed. Call it
    under config_lock()."""
    changes = []
    vhosts = [os.path.join(NGINX_SITES_DIR, i + '.conf') for i in env_ids]
    # Traffic first: once nginx no longer routes the hosts, the rest can go in any order.
    if any([remove_path(v) for v in vhosts]):
        reload_nginx()
        changes.append('vhost')
    pools = [os.path.join(pool_dir(version), env_names(i)['pool'] + '.conf') for i in env_ids]
    if any([remove_path(f) for f in pools]):
        reload_php_fpm(version)
        changes.append('pool')
    for env_id in env_ids:
        names = env_names(env_id)
        if drop_database_and_user(names['database'], names['database']):
            changes.append('database')
        if os.path.lexists(names['root']):
            shutil.rmtree(names['root'])
            changes.append('files')
        if delete_user(names['user']):
            changes.append('user')
        remove_path(pool_socket(names))
    return changes

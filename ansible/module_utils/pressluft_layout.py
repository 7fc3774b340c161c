# The files of an environment: /var/www/sites/<id>/{releases/<ts>, current, shared/{uploads,
# wp-config.php}, tmp, logs}. A release is built under a hidden name and renamed into place,
# so a release directory that exists is complete even after a SIGKILL mid-copy.
from __future__ import annotations

import glob
import os
import pwd
import shutil
import time

from ansible.module_utils.pressluft_system import CORE_DIR, PressluftError, run, user_exists

WWW_GROUP = 'www-data'
# sha256("<env id>:<database password>"), written by pressluft_wordpress once the database and
# wp-config.php use that password; lets a re-run prove "same password" without touching it.
FINGERPRINT_FILE = 'shared/.pressluft-db-fingerprint'


def ensure_user(names):
    """Creates the environment's system user (nologin, home = its root); True if created."""
    if user_exists(names['user']):
        return False
    run(['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', names['root'],
         '--shell', '/usr/sbin/nologin', names['user']])
    return True


def _ids(user):
    pw = pwd.getpwnam(user)
    return pw.pw_uid, pw.pw_gid


def _ensure_dir(path, mode, uid, gid):
    changed = False
    if not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
        changed = True
    st = os.stat(path)
    if (st.st_mode & 0o7777) != mode:
        os.chmod(path, mode)
        changed = True
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.chown(path, uid, gid)
        changed = True
    return changed


def ensure_dirs(names):
    """The environment's directories with their owners; nginx (www-data) may traverse the root
    to serve static files, other sites' users may not."""
    uid, gid = _ids(names['user'])
    www_gid = _ids(WWW_GROUP)[1] if user_exists(WWW_GROUP) else 0
    os.makedirs(os.path.dirname(names['root']), mode=0o755, exist_ok=True)
    root = names['root']
    changed = _ensure_dir(root, 0o750, uid, www_gid)
    for sub, mode, group in (('releases', 0o755, gid), ('shared', 0o755, gid), ('shared/uploads', 0o755, gid),
                             ('tmp', 0o700, gid), ('logs', 0o750, gid)):
        changed = _ensure_dir(os.path.join(root, sub), mode, uid, group) or changed
    return changed


def current_release(names):
    """The path `current` points to, when it is a complete release."""
    link = os.path.join(names['root'], 'current')
    if not os.path.islink(link):
        return None
    target = os.path.realpath(link)
    if os.path.dirname(target) != os.path.join(names['root'], 'releases') or not os.path.isfile(os.path.join(target, 'wp-load.php')):
        return None
    return target


def _copy_tree(src, dst, uid, gid):
    run(['cp', '-a', '--no-preserve=ownership', src + '/.', dst])
    run(['chown', '-R', '--no-dereference', '%d:%d' % (uid, gid), dst])


def build_release(names, source_root=None):
    """Creates releases/<ts> from the node's WordPress core (or a source environment's current
    release and uploads, for a clone) and points `current` at it. Returns the release path."""
    uid, gid = _ids(names['user'])
    root = names['root']
    releases = os.path.join(root, 'releases')
    for stale in glob.glob(os.path.join(releases, '.partial-*')):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in glob.glob(os.path.join(root, '.current-*')):
        os.unlink(stale)
    if source_root is None:
        if not os.path.isfile(os.path.join(CORE_DIR, 'wp-load.php')):
            raise PressluftError('WordPress core is not cached on this node (%s): run node-provision first' % CORE_DIR)
        src = CORE_DIR
    else:
        src = os.path.realpath(os.path.join(source_root, 'current'))
        if not os.path.isfile(os.path.join(src, 'wp-load.php')):
            raise PressluftError('the source environment has no current release at %s' % src)
    stamp = time.strftime('%Y%m%d%H%M%S', time.gmtime())
    final = os.path.join(releases, stamp)
    if os.path.exists(final):
        stamp += '-%d' % os.getpid()
        final = os.path.join(releases, stamp)
    partial = os.path.join(releases, '.partial-' + stamp)
    os.mkdir(partial, 0o755)
    _copy_tree(src, partial, uid, gid)
    shared = os.path.join(root, 'shared')
    for rel, target in (('wp-config.php', os.path.join(shared, 'wp-config.php')),
                        ('wp-content/uploads', os.path.join(shared, 'uploads'))):
        path = os.path.join(partial, rel)
        if os.path.islink(path) or os.path.isfile(path):
            os.unlink(path)
        elif os.path.isdir(path):
            shutil.rmtree(path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(target, path)
        os.lchown(path, uid, gid)
    if source_root is not None:
        src_uploads = os.path.join(source_root, 'shared', 'uploads')
        if os.path.isdir(src_uploads):
            _copy_tree(src_uploads, os.path.join(shared, 'uploads'), uid, gid)
    os.rename(partial, final)
    link_tmp = os.path.join(root, '.current-' + stamp)
    os.symlink(os.path.join('releases', stamp), link_tmp)
    os.lchown(link_tmp, uid, gid)
    os.replace(link_tmp, os.path.join(root, 'current'))
    return final


def delete_user(name):
    """Stops the user's processes and removes the user; True if it existed."""
    if not user_exists(name):
        return False
    run(['pkill', '-KILL', '-u', name], check=False)
    for _ in range(50):
        if run(['userdel', name], check=False).returncode == 0:
            break
        time.sleep(0.1)
    else:
        run(['userdel', name])
    return True

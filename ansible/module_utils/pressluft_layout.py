# The files of an environment: /var/www/sites/<id>/{releases/<ts>, current, shared/{uploads,
# wp-config.php}, tmp, logs}. A release is built under a hidden name and renamed into place,
# so a release directory that exists is complete even after a SIGKILL mid-copy.
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import stat
import time

from ansible.module_utils.pressluft_system import CORE_DIR, PressluftError, run, user_exists

WWW_GROUP = 'www-data'


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


def _only_root_writable(paths):
    """True when every file and directory under the paths is root's and writable by root only:
    then a release may hard-link them, and no environment can change a file another one shares."""
    def fine(path):
        st = os.lstat(path)
        return st.st_uid == 0 and not st.st_mode & 0o022
    for top in paths:
        if not fine(top):
            return False
        for base, dirs, files in os.walk(top):
            for name in dirs + files:
                if not fine(os.path.join(base, name)):
                    return False
    return True


def build_release(names, source_root=None):
    """Creates releases/<ts> from the node's WordPress core (or a source environment's current
    release and uploads, for a clone) and points `current` at it. Returns the release path.

    WordPress core in a release is root's and read-only to the site: it is hard-linked from the
    node's core cache (or the source release) instead of copied, which takes a fraction of the
    time and space. Only wp-content (plugins, themes, the uploads link) is the site's own copy."""
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
    # wp-config.php is the environment's own link into shared/, made below.
    core = [os.path.join(src, e) for e in sorted(os.listdir(src)) if e not in ('wp-content', 'wp-config.php')]
    # Hard links need one filesystem. The cache is written by node-provision as root; a source
    # release is checked, since a release built some other way may hold files its environment
    # can write.
    linkable = os.stat(src).st_dev == os.stat(releases).st_dev and (src == CORE_DIR or _only_root_writable(core))
    run(['cp', '-a', '--no-preserve=ownership'] + (['-l'] if linkable else []) + ['--'] + core + [partial])
    os.mkdir(os.path.join(partial, 'wp-content'), 0o755)
    _copy_tree(os.path.join(src, 'wp-content'), os.path.join(partial, 'wp-content'), uid, gid)
    shared = os.path.join(root, 'shared')
    for rel, target, owner in (('wp-config.php', os.path.join(shared, 'wp-config.php'), (0, 0)),
                               ('wp-content/uploads', os.path.join(shared, 'uploads'), (uid, gid))):
        path = os.path.join(partial, rel)
        if os.path.islink(path) or os.path.isfile(path):
            os.unlink(path)
        elif os.path.isdir(path):
            shutil.rmtree(path)
        os.symlink(target, path)
        os.lchown(path, *owner)
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


def _open_dir_at(dir_fd, name):
    """Opens a directory entry without following a symlink (a tenant may have planted one)."""
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)


def _sticky_root_dir(fd, gid):
    """Root's directory the site's group may add to (sticky: it removes only its own entries)."""
    st = os.fstat(fd)
    if (st.st_uid, st.st_gid) == (0, gid) and (st.st_mode & 0o7777) == 0o1775:
        return False
    os.fchown(fd, 0, gid)
    os.fchmod(fd, 0o1775)
    return True


def _same_root_file(dir_fd, name, content):
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except (FileNotFoundError, OSError):
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != 0 or (st.st_mode & 0o7777) != 0o644:
            return False
        with os.fdopen(os.dup(fd), 'rb') as fh:
            return fh.read() == content
    finally:
        os.close(fd)


def install_mu_plugins(names, release, plugins):
    """Installs the platform's must-use plugins ({file name: bytes}) into the release's
    wp-content/mu-plugins as root's read-only files. wp-content and mu-plugins become root's
    sticky directories the site's group may write: the site adds and removes its own entries
    (plugins, drop-ins, its own mu-plugins) but cannot rename, change or delete root's. Root
    files there that are no longer shipped are removed. Returns True if anything changed."""
    gid = _ids(names['user'])[1]
    changed = False
    release_fd = os.open(release, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        content_fd = _open_dir_at(release_fd, 'wp-content')
    finally:
        os.close(release_fd)
    try:
        changed = _sticky_root_dir(content_fd, gid)
        try:
            mu_fd = _open_dir_at(content_fd, 'mu-plugins')
        except FileNotFoundError:
            os.mkdir('mu-plugins', 0o755, dir_fd=content_fd)
            mu_fd = _open_dir_at(content_fd, 'mu-plugins')
        except OSError:  # a file or link of the site's in its place: the site's to lose
            os.unlink('mu-plugins', dir_fd=content_fd)
            os.mkdir('mu-plugins', 0o755, dir_fd=content_fd)
            mu_fd = _open_dir_at(content_fd, 'mu-plugins')
    finally:
        os.close(content_fd)
    try:
        changed = _sticky_root_dir(mu_fd, gid) or changed
        for name, content in sorted(plugins.items()):
            if _same_root_file(mu_fd, name, content):
                continue
            tmp = '.pressluft-%s' % secrets.token_hex(8)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=mu_fd)
            try:
                os.fchmod(fd, 0o644)
                with os.fdopen(fd, 'wb') as fh:
                    fh.write(content)
                os.rename(tmp, name, src_dir_fd=mu_fd, dst_dir_fd=mu_fd)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp, dir_fd=mu_fd)
                raise
            changed = True
        for entry in os.listdir(mu_fd):
            try:
                st = os.stat(entry, dir_fd=mu_fd, follow_symlinks=False)
            except FileNotFoundError:  # the site removed one of its own meanwhile
                continue
            if st.st_uid == 0 and stat.S_ISREG(st.st_mode) and entry not in plugins:
                os.unlink(entry, dir_fd=mu_fd)
                changed = True
    finally:
        os.close(mu_fd)
    return changed


def read_mu_plugins(source_dir):
    """The must-use plugins the role ships: {file name: bytes} of source_dir/*.php."""
    if not source_dir or not os.path.isdir(source_dir):
        return {}
    found = {}
    for path in sorted(glob.glob(os.path.join(source_dir, '*.php'))):
        with open(path, 'rb') as fh:
            found[os.path.basename(path)] = fh.read()
    return found

# The files of an environment: /var/www/sites/<id>/{releases/<ts>, current, shared/{uploads,
# wp-config.php}, tmp, logs}. A release is built under a hidden name and renamed into place,
# so a release directory that exists is complete even after a SIGKILL mid-copy.
#
# Root works in a tree its tenant writes, so the tenant's files are hostile: the skeleton (the
# root, releases/, shared/, every release directory, `current`) is root's, and the site owns
# only leaves (tmp/, logs/, shared/uploads/, wp-content's entries, wp-config.php's content).
# Root never resolves a path through a leaf: directories are opened without following links,
# and the site's own content is copied by the site's users, never by root.
from __future__ import annotations

import contextlib
import errno
import glob
import os
import pwd
import re
import secrets
import shutil
import stat
import struct
import subprocess
import time

from ansible.module_utils.pressluft_system import CORE_DIR, PressluftError, run, user_exists

WWW_GROUP = 'www-data'
RELEASE_NAME = re.compile(r'^[0-9]{14}(-[0-9]+)?$')
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
# POSIX ACL as the kernel stores it (system.posix_acl_access): version, then (tag, perm, id).
_ACL_XATTR = 'system.posix_acl_access'
_ACL_USER_OBJ, _ACL_USER, _ACL_GROUP_OBJ, _ACL_MASK, _ACL_OTHER = 0x01, 0x02, 0x04, 0x10, 0x20
_ACL_NO_ID = 0xFFFFFFFF


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


def root_acl(uid):
    """The env root's ACL: root rwx, the site user r-x, the group (www-data) r-x, others nothing."""
    entries = [(_ACL_USER_OBJ, 7, _ACL_NO_ID), (_ACL_USER, 5, uid), (_ACL_GROUP_OBJ, 5, _ACL_NO_ID),
               (_ACL_MASK, 5, _ACL_NO_ID), (_ACL_OTHER, 0, _ACL_NO_ID)]
    return struct.pack('<I', 2) + b''.join(struct.pack('<HHI', *e) for e in entries)


def _open_dir_at(dir_fd, name):
    """Opens a directory entry without following a symlink (a tenant may have planted one)."""
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def _ensure_dir_at(parent_fd, name, mode, uid, gid):
    """(fd, changed): the directory parent/name with its mode and owner, set through its fd.
    A link or file in its place (planted while the tenant still owned the parent) is removed,
    never followed."""
    changed = False
    try:
        fd = _open_dir_at(parent_fd, name)
    except FileNotFoundError:
        os.mkdir(name, mode, dir_fd=parent_fd)
        fd, changed = _open_dir_at(parent_fd, name), True
    except OSError as err:
        if err.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        os.unlink(name, dir_fd=parent_fd)
        os.mkdir(name, mode, dir_fd=parent_fd)
        fd, changed = _open_dir_at(parent_fd, name), True
    st = os.fstat(fd)
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.fchown(fd, uid, gid)
        changed = True
    if (st.st_mode & 0o7777) != mode:
        os.fchmod(fd, mode)
        changed = True
    return fd, changed


def _ensure_acl(fd, acl):
    try:
        if os.getxattr(fd, _ACL_XATTR) == acl:
            return False
    except OSError as err:
        if err.errno != errno.ENODATA:
            raise
    os.setxattr(fd, _ACL_XATTR, acl)
    return True


def ensure_dirs(names):
    """The environment's directories with their owners. The root is root's, group www-data:
    nginx and (by ACL) the site user may traverse it, other sites' users may not."""
    uid, gid = _ids(names['user'])
    www_gid = _ids(WWW_GROUP)[1] if user_exists(WWW_GROUP) else 0
    parent = os.path.dirname(names['root'])
    os.makedirs(parent, mode=0o755, exist_ok=True)
    opened = []
    try:
        opened.append(os.open(parent, _DIR_FLAGS))
        root_fd, changed = _ensure_dir_at(opened[0], os.path.basename(names['root']), 0o750, 0, www_gid)
        opened.append(root_fd)
        changed = _ensure_acl(root_fd, root_acl(uid)) or changed
        for name, mode, owner in (('releases', 0o755, 0), ('shared', 0o755, 0), ('tmp', 0o700, uid), ('logs', 0o750, uid)):
            fd, dir_changed = _ensure_dir_at(root_fd, name, mode, owner, gid)
            opened.append(fd)
            changed = changed or dir_changed
            if name == 'shared':
                uploads_fd, dir_changed = _ensure_dir_at(fd, 'uploads', 0o755, uid, gid)
                opened.append(uploads_fd)
                changed = changed or dir_changed
    finally:
        for fd in opened:
            os.close(fd)
    return changed


def current_release(names):
    """The release `current` points to (releases/<ts>, root's, with WordPress in it), or None.
    The link's text is checked, not resolved: no path a tenant wrote is followed."""
    root = names['root']
    try:
        target = os.readlink(os.path.join(root, 'current'))
    except OSError:
        return None
    head, _, name = target.partition('/')
    if head != 'releases' or not RELEASE_NAME.match(name):
        return None
    release = os.path.join(root, 'releases', name)
    try:
        st, load = os.lstat(release), os.lstat(os.path.join(release, 'wp-load.php'))
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or not stat.S_ISREG(load.st_mode):
        return None
    return release


def as_user(user):
    """The argv prefix that runs a command as the user, with its group only (no shell)."""
    uid, gid = _ids(user)
    return ['setpriv', '--reuid=%d' % uid, '--regid=%d' % gid, '--clear-groups', '--']


def _copy_between_users(src_user, src_parent, member, dst_user, dst_dir):
    """Copies src_parent/member's content into dst_dir: read by src_user, written by dst_user
    (a tar stream between them), so root neither follows nor chowns a tenant's file. A member
    that is a symlink copies nothing (tar keeps a link as a link; its one entry is stripped)."""
    reader = subprocess.Popen(as_user(src_user) + ['tar', '-C', src_parent, '-cf', '-', member],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd='/')
    try:
        writer = subprocess.run(as_user(dst_user) + ['tar', '-C', dst_dir, '-xpf', '-', '--strip-components=1'],
                                stdin=reader.stdout, capture_output=True, text=True, cwd='/', timeout=3600)
    finally:
        reader.stdout.close()
        read_err = reader.stderr.read().decode('utf-8', 'replace')
        reader.wait()
    # tar exits 1 when a file changed while it was read (a live site): not a failure here.
    if reader.returncode not in (0, 1) or writer.returncode != 0:
        tail = '\n'.join((read_err + writer.stderr).strip().splitlines()[-10:])
        raise PressluftError('copying %s/%s failed: %s' % (src_parent, member, tail))


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


def build_release(names, mu_plugins, source=None):
    """Creates releases/<ts> from the node's WordPress core (or, for a clone, from the source
    environment's current release and uploads; source = its names) and points `current` at
    it. Returns the release path.

    WordPress core in a release is root's and read-only to the site: it is hard-linked from the
    node's core cache (or the source release) instead of copied, which takes a fraction of the
    time and space. Only wp-content (plugins, themes, the uploads link) is the site's own copy,
    made by the site's user (and read by the source's user for a clone)."""
    uid, gid = _ids(names['user'])
    root = names['root']
    releases = os.path.join(root, 'releases')
    for stale in glob.glob(os.path.join(releases, '.partial-*')):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in glob.glob(os.path.join(root, '.current-*')):
        os.unlink(stale)
    if source is None:
        if not os.path.isfile(os.path.join(CORE_DIR, 'wp-load.php')):
            raise PressluftError('WordPress core is not cached on this node (%s): run node-provision first' % CORE_DIR)
        src = CORE_DIR
    else:
        if not user_exists(source['user']):
            raise PressluftError('the source environment does not exist on this node (%s)' % source['root'])
        ensure_dirs(source)  # the source's skeleton is root's before root reads through it
        src = current_release(source)
        if src is None:
            raise PressluftError('the source environment has no current release in %s' % source['root'])
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
    content = os.path.join(partial, 'wp-content')
    os.mkdir(content, 0o755)
    os.chown(content, uid, gid)
    if source is None:
        run(as_user(names['user']) + ['cp', '-a', '--no-preserve=ownership', os.path.join(CORE_DIR, 'wp-content') + '/.', content], cwd='/')
    else:
        _copy_between_users(source['user'], src, 'wp-content', names['user'], content)
        _copy_between_users(source['user'], os.path.join(source['root'], 'shared'), 'uploads',
                            names['user'], os.path.join(root, 'shared', 'uploads'))
    # Root's sticky wp-content first: from then on only root changes the links below.
    install_mu_plugins(names, partial, mu_plugins)
    shared = os.path.join(root, 'shared')
    for dir_path, name, target, owner in ((partial, 'wp-config.php', os.path.join(shared, 'wp-config.php'), (0, 0)),
                                          (content, 'uploads', os.path.join(shared, 'uploads'), (0, 0))):
        dir_fd = os.open(dir_path, _DIR_FLAGS)
        try:
            _remove_entry_at(dir_fd, name)
            os.symlink(target, name, dir_fd=dir_fd)
            os.chown(name, *owner, dir_fd=dir_fd, follow_symlinks=False)
        finally:
            os.close(dir_fd)
    os.rename(partial, final)
    link_tmp = os.path.join(root, '.current-' + stamp)
    os.symlink(os.path.join('releases', stamp), link_tmp)
    os.replace(link_tmp, os.path.join(root, 'current'))
    return final


def _remove_entry_at(dir_fd, name):
    """Removes dir/name whatever it is, without following links (shutil.rmtree works on fds)."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(name, dir_fd=dir_fd)
    else:
        os.unlink(name, dir_fd=dir_fd)


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
    release_fd = os.open(release, _DIR_FLAGS)
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

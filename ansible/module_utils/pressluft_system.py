# Node-level helpers shared by Pressluft's modules: commands, services (systemd or sysvinit),
# config files, reloads that wait until they took effect, and removal of orphaned leftovers.
from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import os
import pwd
import re
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time

from ansible.module_utils.pressluft_names import env_id_from_pool, is_env_id

NGINX_SITES_DIR = '/etc/nginx/pressluft-sites'
HELPER_PATH = '/usr/local/lib/pressluft/wp-helper.php'
CORE_DIR = '/var/lib/pressluft/wordpress-core'
# Not the test suites' lock: modules take this one while ansible-playbook may hold the other.
CONFIG_LOCK = '/run/lock/pressluft-node-config.lock'


class PressluftError(Exception):
    """An expected failure; its message is shown to the operator as the task's message."""


def run(argv, input_text=None, env=None, check=True, cwd=None, timeout=600):
    """Runs a command without a shell; raises PressluftError with the output tail on failure."""
    full_env = dict(os.environ, LC_ALL='C.UTF-8', DEBIAN_FRONTEND='noninteractive')
    if env:
        full_env.update(env)
    proc = subprocess.run(argv, input=input_text, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout)
    if check and proc.returncode != 0:
        out = '\n'.join((proc.stderr.strip() + '\n' + proc.stdout.strip()).strip().splitlines()[-15:])
        raise PressluftError('%s exited with %d: %s' % (os.path.basename(argv[0]), proc.returncode, out))
    return proc


class Background(threading.Thread):
    """Runs a function alongside the caller (most of the node work waits on commands);
    result() waits for it and re-raises what it raised."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self._fn, self._value, self._error = fn, None, None
        self.start()

    def run(self):
        try:
            self._value = self._fn()
        except BaseException as err:  # handed to the caller by result()
            self._error = err

    def result(self):
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


@contextlib.contextmanager
def config_lock():
    os.makedirs(os.path.dirname(CONFIG_LOCK), exist_ok=True)
    with open(CONFIG_LOCK, 'a') as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_regular_file(path, limit=None):
    """(stat, bytes) of a regular file, opened without following a link or blocking on a FIFO
    (the file may be a tenant's); raises OSError otherwise. limit: only the last bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, 'not a regular file', path)
        if limit is not None:
            os.lseek(fd, max(0, st.st_size - limit), os.SEEK_SET)
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return st, b''.join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def write_file(path, content, mode=0o644, uid=0, gid=0):
    """Writes atomically when the content, mode or owner differ; returns True if it changed."""
    try:
        st, text = read_regular_file(path)
        if text.decode('utf-8') == content and (st.st_mode & 0o7777) == mode and st.st_uid == uid and st.st_gid == gid:
            return False
    except (OSError, UnicodeDecodeError):  # missing, a link, not a file: replaced below
        pass
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.pressluft-', dir=directory)
    try:
        os.fchmod(fd, mode)
        os.fchown(fd, uid, gid)
        with os.fdopen(fd, 'w', encoding='utf-8') as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True


def remove_path(path):
    """Removes a file or symlink; returns True if it existed."""
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


# -- PHP ------------------------------------------------------------------------------------------

def php_version():
    """The PHP-FPM version installed (Debian 12: 8.2, Ubuntu 24.04: 8.3); the highest if several."""
    versions = [p.split('/')[3] for p in glob.glob('/etc/php/*/fpm') if os.path.exists('/usr/sbin/php-fpm' + p.split('/')[3])]
    if not versions:
        raise PressluftError('PHP-FPM is not installed: run node-provision first')
    return sorted(versions, key=lambda v: tuple(int(x) for x in v.split('.')))[-1]


def pool_dir(version):
    return '/etc/php/%s/fpm/pool.d' % version


# -- services -------------------------------------------------------------------------------------

def has_systemd():
    return os.path.isdir('/run/systemd/system')


def _pid_alive(pidfile):
    try:
        with open(pidfile) as fh:
            pid = int(fh.read().strip() or '0')
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return 0


def service_start(name):
    if has_systemd():
        run(['systemctl', 'enable', '--now', name])
    else:
        run(['service', name, 'start'])


def php_fpm_pidfile(version):
    return '/run/php/php%s-fpm.pid' % version


def php_fpm_test(version):
    # -n: php.ini plays no part in the pool files, and loading every extension doubles the time.
    run(['/usr/sbin/php-fpm' + version, '-n', '-t'])


def nginx_test():
    run(['nginx', '-t', '-q'])


def reload_php_fpm(version, validated=False):
    """Validates the pool files (unless the caller just did), then reloads PHP-FPM (or starts
    it when it is down)."""
    if not validated:
        php_fpm_test(version)
    pid = _pid_alive(php_fpm_pidfile(version))
    if pid:
        # USR2 is what the init script and systemd unit send; it reloads every pool gracefully.
        os.kill(pid, signal.SIGUSR2)
    else:
        service_start('php%s-fpm' % version)


def _live_children(parent_pid):
    """PIDs of the live (not zombie) child processes of a process."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, encoding='utf-8') as fh:
                fields = fh.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != 'Z' and int(fields[1]) == parent_pid:
            pids.append(int(entry))
    return pids


def restart_php_workers(version):
    """Reloads PHP-FPM and waits until every worker that existed before has exited. The reload
    empties opcache, which otherwise keeps serving a file rewritten within
    opcache.revalidate_freq seconds of its last compile (e.g. wp-config.php with a new password)."""
    pid = _pid_alive(php_fpm_pidfile(version))
    if not pid:
        return
    old = set(_live_children(pid))
    os.kill(pid, signal.SIGUSR2)
    wait_for(lambda: not old.intersection(_live_children(pid)), 30, 'the old PHP-FPM workers to exit')


def reload_nginx(validated=False):
    if not validated:
        nginx_test()
    pid = _pid_alive('/run/nginx.pid')
    if pid:
        os.kill(pid, signal.SIGHUP)
    else:
        service_start('nginx')


def socket_accepts(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def socket_inode(path):
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise PressluftError('timed out after %ds waiting for %s' % (timeout, what))
        # Reloads take tens of milliseconds; a short fixed poll never oversleeps by much.
        time.sleep(0.01)


# -- orphans --------------------------------------------------------------------------------------

def remove_orphans(version):
    """Removes Pressluft pool files whose Linux user is gone and vhosts whose pool is gone, so
    one leftover of an interrupted run can never stop PHP-FPM or nginx from (re)loading.
    Returns (pools_removed, vhosts_removed)."""
    pools_removed, vhosts_removed = [], []
    for path in glob.glob(os.path.join(pool_dir(version), 'pl-*.conf')):
        pool = os.path.basename(path)[:-5]
        if env_id_from_pool(pool) is None:
            continue
        with open(path, encoding='utf-8', errors='replace') as fh:
            m = re.search(r'^user\s*=\s*(\S+)', fh.read(), re.M)
        if not m or not user_exists(m.group(1)):
            remove_path(path)
            pools_removed.append(path)
    for path in glob.glob(os.path.join(NGINX_SITES_DIR, '*.conf')):
        env_id = os.path.basename(path)[:-5]
        if not is_env_id(env_id):
            continue
        pool = 'pl-' + env_id.replace('-', '')
        if not os.path.exists(os.path.join(pool_dir(version), pool + '.conf')):
            remove_path(path)
            vhosts_removed.append(path)
    return pools_removed, vhosts_removed

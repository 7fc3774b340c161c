#!/usr/bin/python3
# Caches WordPress core on the node, the tree every new environment's release is copied from.
# Sources: `debian` (the distribution's packages extracted, never installed: installing them
# pulls in apache2), `official` (release tarball, sha1-checked; needs internet) or `tarball`
# (a path the operator gives). Built aside and renamed into place, so a cache that exists is
# complete.
from __future__ import annotations

DOCUMENTATION = r'''
module: pressluft_wordpress_core
short_description: Cache WordPress core on a Pressluft node
options:
  source: {type: str, choices: [debian, official, tarball], default: debian}
  tarball: {type: str, default: ''}
  official_url: {type: str, default: 'https://wordpress.org/latest.tar.gz'}
'''

import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.request

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.pressluft_system import CORE_DIR, PressluftError, run

META = CORE_DIR + '.json'
# Packages whose files Debian's wordpress tree links to, and its default theme. wordpress-l10n
# (31 MB of languages) is left out: en_US needs none.
LINKED_PACKAGES = re.compile(r'^(libjs-[a-z0-9.+-]+|php-getid3|wordpress-theme-[a-z0-9-]+)$')


def _debian_packages():
    """wordpress plus what it links to, read from its own Depends/Recommends: the default
    theme differs between releases (twentytwentythree on Debian 12, twentytwentyfour on 24.04)."""
    out = run(['apt-cache', 'show', '--no-all-versions', 'wordpress']).stdout
    names = ['wordpress']
    for field in re.findall(r'^(?:Depends|Recommends): (.*)$', out, re.M):
        for alternatives in field.split(','):
            first = alternatives.split('|')[0].strip().split(' ')[0]
            if LINKED_PACKAGES.match(first) and first not in names:
                names.append(first)
    return names


def _copy_dereferenced(src, dst, staging):
    """Copies src to dst replacing each symlink by its target's content. Debian's tree links
    to files of other packages: resolve them inside the extracted staging root first."""
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                if name in filenames:
                    shutil.copy2(path, os.path.join(dst, rel, name))
                continue
            target = os.readlink(path)
            if os.path.isabs(target):
                candidates = [staging + target, target]
            else:
                candidates = [os.path.normpath(os.path.join(dirpath, target))]
            real = next((c for c in candidates if os.path.exists(c)), None)
            if real is None:
                continue  # e.g. Debian's .htaccess for apache2: not needed with nginx
            if os.path.isdir(real):
                shutil.copytree(real, os.path.join(dst, rel, name), symlinks=False)
            else:
                shutil.copy2(real, os.path.join(dst, rel, name))


def _from_debian(work):
    debs = os.path.join(work, 'debs')
    os.mkdir(debs)
    os.chmod(work, 0o755)
    os.chmod(debs, 0o777)  # apt-get download drops privileges to _apt
    proc = run(['apt-get', 'download'] + _debian_packages(), cwd=debs, check=False, timeout=900)
    if proc.returncode != 0:
        # Stale package lists name files the mirror no longer has.
        run(['apt-get', 'update', '-q'], timeout=900)
        run(['apt-get', 'download'] + _debian_packages(), cwd=debs, timeout=900)
    staging = os.path.join(work, 'root')
    for deb in sorted(glob.glob(os.path.join(debs, '*.deb'))):
        run(['dpkg-deb', '-x', deb, staging])
    tree = os.path.join(work, 'tree')
    _copy_dereferenced(os.path.join(staging, 'usr/share/wordpress'), tree, staging)
    return tree


def _from_tarball(work, path, sha1=None):
    if sha1:
        digest = hashlib.sha1()
        with open(path, 'rb') as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b''):
                digest.update(chunk)
        if digest.hexdigest() != sha1:
            raise PressluftError('WordPress tarball checksum mismatch: %s' % digest.hexdigest())
    out = os.path.join(work, 'x')
    os.mkdir(out)
    run(['tar', '-xzf', path, '-C', out, '--no-same-owner'])
    tree = os.path.join(out, 'wordpress')
    if not os.path.isfile(os.path.join(tree, 'wp-load.php')):
        raise PressluftError('%s does not contain wordpress/wp-load.php' % path)
    return tree


def _from_official(work, url):
    tarball = os.path.join(work, 'wordpress.tar.gz')
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, open(tarball, 'wb') as fh:
            shutil.copyfileobj(resp, fh)
        with urllib.request.urlopen(url + '.sha1', timeout=60) as resp:
            sha1 = resp.read().decode().strip().split()[0]
    except OSError as err:
        raise PressluftError('cannot download WordPress from %s: %s' % (url, err))
    return _from_tarball(work, tarball, sha1)


def _version(tree):
    with open(os.path.join(tree, 'wp-includes/version.php'), encoding='utf-8') as fh:
        m = re.search(r"\$wp_version\s*=\s*'([^']+)'", fh.read())
    return m.group(1) if m else 'unknown'


def build(source, tarball, url):
    parent = os.path.dirname(CORE_DIR)
    os.makedirs(parent, mode=0o755, exist_ok=True)
    for stale in glob.glob(os.path.join(parent, '.core-*')):
        shutil.rmtree(stale, ignore_errors=True)
    work = tempfile.mkdtemp(prefix='.core-', dir=parent)
    try:
        if source == 'debian':
            tree = _from_debian(work)
        elif source == 'tarball':
            if not tarball or not os.path.isfile(tarball):
                raise PressluftError('pressluft_wordpress_tarball must name an existing file')
            tree = _from_tarball(work, tarball)
        else:
            tree = _from_official(work, url)
        # Each environment gets its own wp-config.php (Debian's is a multi-site dispatcher).
        for name in ('wp-config.php', '.htaccess'):
            if os.path.lexists(os.path.join(tree, name)):
                os.unlink(os.path.join(tree, name))
        shutil.rmtree(os.path.join(tree, 'wp-content/languages'), ignore_errors=True)
        run(['chown', '-R', 'root:root', tree])
        run(['chmod', '-R', 'u=rwX,go=rX', tree])
        version = _version(tree)
        old = CORE_DIR + '.old'
        shutil.rmtree(old, ignore_errors=True)
        if os.path.exists(CORE_DIR):
            os.rename(CORE_DIR, old)
        os.rename(tree, CORE_DIR)
        shutil.rmtree(old, ignore_errors=True)
        with open(META, 'w', encoding='utf-8') as fh:
            json.dump({'source': source, 'tarball': tarball if source == 'tarball' else '', 'version': version}, fh)
        return version
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source=dict(type='str', choices=['debian', 'official', 'tarball'], default='debian'),
            tarball=dict(type='str', default=''),
            official_url=dict(type='str', default='https://wordpress.org/latest.tar.gz'),
        ),
    )
    p = module.params
    wanted = {'source': p['source'], 'tarball': p['tarball'] if p['source'] == 'tarball' else ''}
    try:
        with open(META, encoding='utf-8') as fh:
            meta = json.load(fh)
    except (OSError, ValueError):
        meta = {}
    try:
        if os.path.isfile(os.path.join(CORE_DIR, 'wp-load.php')) and {k: meta.get(k) for k in wanted} == wanted:
            module.exit_json(changed=False, version=meta.get('version'), path=CORE_DIR)
        version = build(p['source'], p['tarball'], p['official_url'])
        module.exit_json(changed=True, version=version, path=CORE_DIR)
    except PressluftError as err:
        module.fail_json(msg=str(err))


if __name__ == '__main__':
    main()

# ansible-playbook, started before its job. On this kind of node a cold ansible-playbook spends
# ~0.4 s importing Ansible before its first task, ~0.2 s building each module's payload, and
# ~0.25 s tearing the interpreter down after its last task. The agent starts this process while
# it is idle: it imports Ansible's CLI and builds the project's module payloads, then says
# `ready` on fd 3 when the agent passed one, and waits for one line on stdin (a JSON list: the
# arguments of ansible-playbook), runs them through ansible-playbook's own entry point, and exits
# without the teardown. Run it with the interpreter that runs ansible-playbook.
#
# Building payloads ahead uses ansible-core's internal modify_module(), so this runs only on the
# ansible-core versions the nodes ship and test/python/test_warm_runner.py runs it on; on any
# other it says `untested <version>` on fd 3, warns on stderr and exits UNTESTED_EXIT before
# taking a job, and the agent starts ansible-playbook cold for every job.
import atexit
import glob
import json
import os
import select
import sys
import warnings

from ansible.release import __version__ as ANSIBLE_CORE_VERSION

# Debian 12 ships ansible-core 2.14, Ubuntu 24.04 2.16.
TESTED_ANSIBLE_CORE = ('2.14', '2.16')
UNTESTED_EXIT = 78


def is_tested(version):
    return '.'.join(version.split('.')[:2]) in TESTED_ANSIBLE_CORE


def tell_agent(message):
    try:
        os.write(3, message.encode() + b'\n')
        os.close(3)
    except OSError:
        pass  # started without the readiness pipe


def job_waiting():
    return bool(select.select([sys.stdin], [], [], 0)[0])


def prebuild_modules(first):
    """Builds the payloads (AnsiballZ zips) of the project's own modules into this process's
    cache, as a task would before running one (~0.2 s each here); stops as soon as a job
    arrives. The cache holds only the module and its module_utils, never task arguments."""
    from ansible import constants as C
    from ansible.executor.module_common import modify_module
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins import loader
    from ansible.template import Templar

    # 2.15+ sets up the collection loader in CLI.run(), after this; ansible-playbook passes it no
    # collection path of its own, so doing it here first configures the same one. 2.14 does it
    # on import.
    if hasattr(loader, 'init_plugin_loader'):
        loader.init_plugin_loader()
    templar = Templar(loader=DataLoader())
    names = set()
    for library in C.DEFAULT_MODULE_PATH:
        names.update(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(library, 'pressluft_*.py')))
    for name in sorted(names, key=lambda n: (n != first, n)):
        if job_waiting():
            return
        path = loader.module_loader.find_plugin(name)
        if path:
            modify_module(name, path, {}, templar, task_vars={}, module_compression=C.DEFAULT_MODULE_COMPRESSION)


def main():
    if not is_tested(ANSIBLE_CORE_VERSION):
        sys.stderr.write('warm-ansible-playbook: ansible-core %s is not one of the tested versions (%s); '
                         'not starting ahead\n' % (ANSIBLE_CORE_VERSION, ', '.join(TESTED_ANSIBLE_CORE)))
        tell_agent('untested %s' % ANSIBLE_CORE_VERSION)
        os._exit(UNTESTED_EXIT)

    from ansible.cli.playbook import main as ansible_playbook

    try:
        prebuild_modules(first='pressluft_env')
    except Exception as error:  # an optimisation only: the job builds what is missing itself
        sys.stderr.write('warm-ansible-playbook: building module payloads ahead failed: %s\n' % error)
    tell_agent('ready')

    line = sys.stdin.readline()
    if not line.strip():
        os._exit(0)  # the agent stopped before giving it a job
    args = json.loads(line)
    # Ansible must not read the agent's pipe: from here on it is a normal non-interactive run.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    sys.stdin = open(0, encoding='utf-8', closefd=False)

    code = 0
    try:
        with warnings.catch_warnings():
            # The CLI's own set-up of the collection loader, done above already (2.15+).
            warnings.filterwarnings('ignore', message='AnsibleCollectionFinder has already been configured')
            ansible_playbook(['ansible-playbook'] + args)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        # Exit handlers clean up Ansible's local tmp dir and join its worker processes; only the
        # interpreter's own teardown (freeing every object) is skipped.
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == '__main__':
    main()

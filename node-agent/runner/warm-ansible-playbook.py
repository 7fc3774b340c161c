# ansible-playbook, started before its job. On this kind of node a cold ansible-playbook spends
# ~0.4 s importing Ansible before its first task, ~0.2 s building each module's payload, and
# ~0.25 s tearing the interpreter down after its last task. The agent starts this process while
# it is idle: it imports Ansible's CLI and builds the project's module payloads, then
# says so on fd 3 when the agent passed one, and waits for one line on stdin (a JSON list: the
# arguments of ansible-playbook), runs them exactly as the ansible-playbook command would, and
# exits without the teardown. Run it with the interpreter that runs ansible-playbook.
import atexit
import glob
import json
import os
import select
import sys

from ansible.cli.playbook import PlaybookCLI


def job_waiting():
    return bool(select.select([sys.stdin], [], [], 0)[0])


def prebuild_modules(first):
    """Builds the payloads (AnsiballZ zips) of the project's own modules into this process's
    cache, as a task would before running one (~0.2 s each here); stops as soon as a job
    arrives. The cache holds only the module and its module_utils, never task arguments."""
    from ansible import constants as C
    from ansible.executor.module_common import modify_module
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import module_loader
    from ansible.template import Templar

    templar = Templar(loader=DataLoader())
    names = set()
    for library in C.DEFAULT_MODULE_PATH:
        names.update(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(library, 'pressluft_*.py')))
    for name in sorted(names, key=lambda n: (n != first, n)):
        if job_waiting():
            return
        path = module_loader.find_plugin(name)
        if path:
            modify_module(name, path, {}, templar, task_vars={}, module_compression=C.DEFAULT_MODULE_COMPRESSION)


try:
    prebuild_modules(first='pressluft_env')
except Exception:  # an optimisation only: the job builds what is missing itself
    pass

try:
    os.write(3, b'ready\n')
    os.close(3)
except OSError:
    pass  # started without the readiness pipe

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
    PlaybookCLI.cli_executor(['ansible-playbook'] + args)
except SystemExit as exit_:
    code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
finally:
    # Exit handlers clean up Ansible's local tmp dir and join its worker processes; only the
    # interpreter's own teardown (freeing every object) is skipped.
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

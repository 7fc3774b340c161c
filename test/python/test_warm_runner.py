"""The warm runner (node-agent/runner/warm-ansible-playbook.py) on every ansible-core the nodes
ship, side by side: the same events and exit code as a cold ansible-playbook, module payloads it
built ahead really used by the job, and on an untested version no job taken at all."""
import importlib.util
import json
import os
import subprocess

import pytest

from conftest import ANSIBLE_DIR, REPO, python_path, unpacked

RUNNER = REPO / 'node-agent' / 'runner' / 'warm-ansible-playbook.py'
FIXTURE = REPO / 'test' / 'python' / 'fixtures' / 'warm'
SECRET = 'fixture-secret-4c1d9e'


def _runner_module():
    spec = importlib.util.spec_from_file_location('warm_runner', RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# (name, PYTHONPATH prefix or None for this machine's own ansible-core)
CORES = [('system', None), ('2.16', 'ansible-core-2.16')]


def _env(prefix, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_') and k != 'PYTHONPATH'}
    env.update(ANSIBLE_CONFIG=str(ANSIBLE_DIR / 'ansible.cfg'), ANSIBLE_LIBRARY=str(FIXTURE / 'library'),
               ANSIBLE_NOCOLOR='1', PYTHONUNBUFFERED='1', **extra)
    if prefix is not None:
        env['PYTHONPATH'] = python_path(unpacked(prefix))
    return env


def _args(fail):
    return ['-c', 'local', '-i', str(ANSIBLE_DIR / 'inventory' / 'local.yml'), str(FIXTURE / 'playbook.yml'),
            '-e', 'fixture_secret=' + SECRET, '-e', 'fixture_fail=%s' % str(fail).lower()]


def _ansible_playbook(prefix):
    return '/usr/bin/ansible-playbook' if prefix is None else str(unpacked(prefix) / 'usr' / 'bin' / 'ansible-playbook')


def run_cold(prefix, args, **env):
    return subprocess.run(['/usr/bin/python3', _ansible_playbook(prefix)] + args, env=_env(prefix, **env),
                          cwd=ANSIBLE_DIR, capture_output=True, text=True, timeout=120)


def run_warm(prefix, args, **env):
    """Starts the runner the way the agent does (readiness pipe on fd 3), waits for what it says
    there, then hands it the arguments. Returns (what fd 3 said, completed process)."""
    read_end, write_end = os.pipe()
    child = subprocess.Popen(['/usr/bin/python3', str(RUNNER)], env=_env(prefix, **env), cwd=ANSIBLE_DIR,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             pass_fds=(3,), preexec_fn=lambda: os.dup2(write_end, 3))
    os.close(write_end)
    with os.fdopen(read_end, 'rb') as fd3:
        said = fd3.read().decode()  # until the runner closes fd 3: after `ready`, or when it exits
    stdout, stderr = child.communicate(json.dumps(args) + '\n' if child.poll() is None else None, timeout=120)
    return said, subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def events(stdout):
    out = []
    for line in stdout.splitlines():
        event = json.loads(line)
        event.pop('duration_ms', None)
        out.append(event)
    return out


def test_every_tested_version_is_tested_here():
    versions = set()
    for _, prefix in CORES:
        done = subprocess.run(['/usr/bin/python3', '-c', 'import ansible.release as r; print(r.__version__)'],
                              env=_env(prefix), capture_output=True, text=True, check=True)
        versions.add('.'.join(done.stdout.strip().split('.')[:2]))
    assert versions == set(_runner_module().TESTED_ANSIBLE_CORE)


@pytest.mark.parametrize('name,prefix', CORES)
@pytest.mark.parametrize('fail', [False, True])
def test_a_job_runs_warm_as_it_does_cold(name, prefix, fail):
    cold = run_cold(prefix, _args(fail))
    said, warm = run_warm(prefix, _args(fail))
    assert said == 'ready\n', warm.stderr
    assert warm.stderr == cold.stderr
    assert (warm.returncode, cold.returncode) == ((2, 2) if fail else (0, 0)), warm.stderr + cold.stderr
    assert events(warm.stdout) == events(cold.stdout)
    names = [e['name'] for e in events(warm.stdout) if e['event'] == 'task_start']
    assert names == ['Derive the names', 'Say the pool', 'Loop over items', 'Use the secret quietly',
                     'Fail and be ignored', 'Fail when asked']
    assert SECRET not in warm.stdout + warm.stderr


@pytest.mark.parametrize('name,prefix', CORES)
def test_the_job_uses_the_module_payload_built_ahead(name, prefix):
    said, warm = run_warm(prefix, _args(False), ANSIBLE_DEBUG='1')
    assert said == 'ready\n'
    assert warm.returncode == 0
    # Ansible's debug log says where each payload comes from; the runner built this one before
    # the job arrived, so the task finds it in the cache instead of creating it.
    lines = warm.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if '"task_start"' in line)
    assert any('ANSIBALLZ: using cached module' in line and 'pressluft_echo' in line for line in lines[start:])
    assert not any('ANSIBALLZ: Creating module' in line for line in lines[start:])
    assert any('ANSIBALLZ: Creating module' in line for line in lines[:start])


def test_an_untested_version_takes_no_job_and_says_why():
    prefix = 'ansible-core-untested'
    said, warm = run_warm(prefix, _args(False))
    version = subprocess.run(['/usr/bin/python3', '-c', 'import ansible.release as r; print(r.__version__)'],
                             env=_env(prefix), capture_output=True, text=True, check=True).stdout.strip()
    assert not _runner_module().is_tested(version)
    assert said == 'untested %s\n' % version
    assert warm.returncode == _runner_module().UNTESTED_EXIT
    assert 'ansible-core %s is not one of the tested versions' % version in warm.stderr
    assert warm.stdout == ''
    # The same version runs the job cold.
    cold = run_cold(prefix, _args(False))
    assert cold.returncode == 0, cold.stderr
    assert events(cold.stdout)[-1]['event'] == 'playbook_end'

"""The stdout callback (ansible/callback_plugins/pressluft_jsonl.py) fed real Task and TaskResult
objects with made-up results: one JSON object per line, the format docs/runtime.md describes,
and nothing of a no_log task's result in it."""
import importlib.util
import io
import json

import pytest
from ansible.executor.stats import AggregateStats
from ansible.executor.task_result import TaskResult
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.block import Block

from conftest import ANSIBLE_DIR

SECRET = 'hunter2-secret-7f3a9c'
HIDDEN = '(output hidden: no_log)'


def _load_callback():
    spec = importlib.util.spec_from_file_location('pressluft_jsonl', ANSIBLE_DIR / 'callback_plugins' / 'pressluft_jsonl.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def callback():
    cb = _load_callback().CallbackModule()
    cb._out = io.StringIO()
    return cb


def lines(cb):
    text = cb._out.getvalue()
    assert text.endswith('\n')
    return [json.loads(line) for line in text.splitlines()]


def tasks(*specs, rescue=None):
    block = Block.load({'block': list(specs), **({'rescue': rescue} if rescue else {})}, loader=DataLoader())
    return block.block + (block.rescue or [])


def result(task, data):
    return TaskResult('localhost', task, data)


def test_a_task_reads_as_start_then_result(callback):
    task, = tasks({'name': 'Write the config', 'ansible.builtin.command': 'true'})
    callback.v2_playbook_on_task_start(task, False)
    callback.v2_runner_on_ok(result(task, {'changed': True, 'msg': 'written'}))
    start, done = lines(callback)
    assert start == {'event': 'task_start', 'name': 'Write the config'}
    assert isinstance(done.pop('duration_ms'), int)
    assert done == {'event': 'task_result', 'name': 'Write the config', 'status': 'changed', 'message': 'written', 'item': None}


def test_a_failure_explains_itself_with_the_tail_of_its_output(callback):
    task, = tasks({'name': 'Reload nginx', 'ansible.builtin.command': 'nginx -s reload'})
    callback.v2_playbook_on_task_start(task, False)
    stderr = '\n'.join('line %d' % i for i in range(100))
    callback.v2_runner_on_failed(result(task, {'failed': True, 'msg': 'non-zero return code', 'stderr': stderr, 'stdout': ''}))
    message = lines(callback)[-1]['message']
    assert message.splitlines() == ['non-zero return code'] + ['line %d' % i for i in range(80, 100)]


def test_a_long_message_is_clipped(callback):
    task, = tasks({'name': 'Talk', 'ansible.builtin.command': 'true'})
    callback.v2_playbook_on_task_start(task, False)
    callback.v2_runner_on_ok(result(task, {'msg': 'x' * 5000}))
    assert lines(callback)[-1]['message'] == 'x' * 1997 + '...'


@pytest.mark.parametrize('where', ['task', 'result'])
def test_no_log_hides_message_output_and_item(callback, where):
    spec = {'name': 'Set the password', 'ansible.builtin.command': 'true', 'loop': ['a']}
    if where == 'task':
        spec['no_log'] = True
    task, = tasks(spec)
    data = {'failed': True, 'msg': 'denied for ' + SECRET, 'stderr': SECRET, 'stdout': SECRET, 'item': SECRET,
            'exception': SECRET}
    if where == 'result':
        data['_ansible_no_log'] = True
    callback.v2_playbook_on_task_start(task, False)
    callback.v2_runner_item_on_failed(result(task, dict(data)))
    callback.v2_runner_on_failed(result(task, dict(data)))
    out = callback._out.getvalue()
    assert SECRET not in out
    item, whole = lines(callback)[1:]
    assert (item['message'], item['item'], item['status']) == (HIDDEN, HIDDEN, 'failed')
    assert (whole['message'], whole['item'], whole['status']) == (HIDDEN, None, 'failed')


def test_an_ignored_failure_is_ok_and_says_so(callback):
    task, = tasks({'name': 'Try', 'ansible.builtin.command': 'false', 'ignore_errors': True})
    callback.v2_playbook_on_task_start(task, False)
    callback.v2_runner_on_failed(result(task, {'failed': True, 'msg': 'it failed'}), ignore_errors=True)
    last = lines(callback)[-1]
    assert (last['status'], last['message']) == ('ok', 'ignored: it failed')


def test_loop_items_carry_their_label(callback):
    task, = tasks({'name': 'Each', 'ansible.builtin.command': 'true', 'loop': [1]})
    callback.v2_playbook_on_task_start(task, False)
    callback.v2_runner_item_on_ok(result(task, {'item': 'one'}))
    callback.v2_runner_item_on_ok(result(task, {'item': {'k': 'v'}, '_ansible_item_label': {'k': 'v'}}))
    assert [e['item'] for e in lines(callback)[1:]] == ['one', '{"k": "v"}']


def test_the_variables_check_has_a_readable_name(callback):
    task, = tasks({'ansible.builtin.validate_argument_spec': {'argument_spec': {}}})
    callback.v2_playbook_on_task_start(task, False)
    assert lines(callback) == [{'event': 'task_start', 'name': "Check the job's variables"}]


def test_a_hidden_failure_reraised_by_its_rescue_reads_as_one_step(callback):
    inner, reraise = tasks({'name': 'Create the database', 'ansible.builtin.command': 'true', 'no_log': True},
                           rescue=[{'name': 'Create the database', 'ansible.builtin.fail': {'msg': 'MariaDB refused the user'}}])
    callback.v2_playbook_on_task_start(inner, False)
    callback.v2_runner_on_failed(result(inner, {'failed': True, 'msg': SECRET}))
    callback.v2_playbook_on_task_start(reraise, False)
    callback.v2_runner_on_failed(result(reraise, {'failed': True, 'msg': 'MariaDB refused the user'}))
    events = [(e['event'], e.get('status'), e.get('message')) for e in lines(callback)]
    assert events == [('task_start', None, None), ('task_result', 'failed', 'MariaDB refused the user')]
    assert SECRET not in callback._out.getvalue()


def test_a_hidden_failure_without_rescue_is_shown_at_once(callback):
    inner, other = tasks({'name': 'Create the database', 'ansible.builtin.command': 'true', 'no_log': True},
                         rescue=[{'name': 'Clean up', 'ansible.builtin.command': 'true'}])
    callback.v2_playbook_on_task_start(inner, False)
    callback.v2_runner_on_failed(result(inner, {'failed': True, 'msg': SECRET}))
    callback.v2_playbook_on_task_start(other, False)
    names = [(e['event'], e['name'], e.get('message')) for e in lines(callback)]
    assert names == [('task_start', 'Create the database', None), ('task_result', 'Create the database', HIDDEN),
                     ('task_start', 'Clean up', None)]


def test_module_warnings_go_to_stderr_not_the_event_stream(callback, capsys):
    task, = tasks({'name': 'Warn', 'ansible.builtin.command': 'true'})
    callback.v2_playbook_on_task_start(task, False)
    callback.v2_runner_on_ok(result(task, {'warnings': ['mind the gap']}))
    assert capsys.readouterr().err == '[WARNING]: mind the gap\n'
    assert 'mind the gap' not in callback._out.getvalue()


def test_the_end_sums_the_hosts_stats(callback):
    stats = AggregateStats()
    for what in ('ok', 'ok', 'changed', 'skipped'):
        stats.increment(what, 'localhost')
    callback.v2_playbook_on_stats(stats)
    assert lines(callback) == [{'event': 'playbook_end', 'ok': True,
                                'stats': {'ok': 2, 'changed': 1, 'failed': 0, 'unreachable': 0, 'skipped': 1}}]
    stats.increment('failures', 'localhost')
    callback._out = io.StringIO()
    callback.v2_playbook_on_stats(stats)
    assert lines(callback)[0]['ok'] is False

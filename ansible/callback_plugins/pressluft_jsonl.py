# Pressluft's stdout callback: one flushed JSON object per line, parsed by the node agent.
# The format is a contract (docs/runtime.md); never print module arguments, and honour no_log.
from __future__ import annotations

import json
import os
import sys
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
    name: pressluft_jsonl
    type: stdout
    short_description: JSON lines for the Pressluft agent
    description:
      - One JSON object per line on stdout for playbook, play, task and result events.
'''

HIDDEN = '(output hidden: no_log)'
VALIDATE_ACTIONS = frozenset(('validate_argument_spec', 'ansible.builtin.validate_argument_spec'))
VALIDATE_NAME = "Check the job's variables"
MAX_MESSAGE = 2000
TAIL_LINES = 20


def _tail(text, lines=TAIL_LINES):
    if not isinstance(text, str) or not text.strip():
        return ''
    return '\n'.join(text.rstrip().splitlines()[-lines:])


def _clip(text):
    if text is None:
        return None
    text = str(text)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + '...'


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'pressluft_jsonl'

    def __init__(self):
        super().__init__()
        self._task_started = {}
        self._out = sys.stdout
        # A hidden (no_log) failure that its block's rescue may re-raise under the same name:
        # (event, start time). One step then reads started -> failed with the explanation.
        self._held = None

    # -- output -------------------------------------------------------------------------------

    def _emit(self, event):
        self._out.write(json.dumps(event, ensure_ascii=False, default=str) + '\n')
        self._out.flush()

    def _warn(self, text):
        sys.stderr.write('[WARNING]: %s\n' % text)
        sys.stderr.flush()

    # -- names ----------------------------------------------------------------------------------

    @staticmethod
    def _task_name(task):
        if task.action in VALIDATE_ACTIONS:
            return VALIDATE_NAME
        # task.name is the name without the "role : " prefix that get_name() adds.
        return task.name or task.action

    # -- messages ---------------------------------------------------------------------------------

    @staticmethod
    def _hidden(result):
        return bool(result._result.get('_ansible_no_log')) or bool(getattr(result._task, 'no_log', False))

    def _message(self, result, failed):
        res = result._result
        if self._hidden(result):
            return HIDDEN
        msg = res.get('msg')
        parts = []
        if isinstance(msg, str) and msg.strip():
            parts.append(msg.strip())
        elif msg is not None and not isinstance(msg, str):
            parts.append(json.dumps(msg, default=str))
        if failed:
            for key in ('stderr', 'stdout'):
                tail = _tail(res.get(key))
                if tail and tail not in parts:
                    parts.append(tail)
            if not parts and res.get('exception'):
                parts.append(_tail(res.get('exception'), 3))
            if not parts and res.get('results'):
                parts.append('One or more items failed')
        text = '\n'.join(parts)
        return _clip(text) if text else None

    def _item_label(self, result):
        res = result._result
        if self._hidden(result):
            return None
        label = res.get('_ansible_item_label', res.get('item'))
        if label is None:
            return None
        return _clip(label if isinstance(label, str) else json.dumps(label, default=str))

    def _duration_ms(self, result):
        started = self._task_started.get(result._task._uuid)
        return int((time.monotonic() - started) * 1000) if started is not None else 0

    @staticmethod
    def _rescued(task):
        """True for a task in the main part of a block that has a rescue."""
        block = getattr(task, '_parent', None)
        return bool(getattr(block, 'rescue', None)) and any(t._uuid == task._uuid for t in getattr(block, 'block', []))

    def _release_held(self):
        if self._held is not None:
            self._emit(self._held[0])
            self._held = None

    def _result(self, result, status, item=False, ignored=False):
        for warning in result._result.get('warnings') or []:
            self._warn(warning)
        failed = status in ('failed', 'unreachable')
        message = self._message(result, failed or ignored)
        if ignored:
            status = 'ok'
            message = 'ignored: ' + (message or 'failed')
        event = {
            'event': 'task_result',
            'name': self._task_name(result._task),
            'status': status,
            'duration_ms': self._duration_ms(result),
            'message': message,
            'item': self._item_label(result) if item else None,
        }
        if item and event['item'] is None and self._hidden(result):
            event['item'] = HIDDEN
        if status == 'failed' and not item and not ignored and message == HIDDEN and self._rescued(result._task):
            self._held = (event, self._task_started.get(result._task._uuid))
            return
        self._emit(event)

    # -- playbook events --------------------------------------------------------------------------

    def v2_playbook_on_start(self, playbook):
        self._emit({'event': 'playbook_start', 'playbook': os.path.basename(playbook._file_name)})

    def v2_playbook_on_play_start(self, play):
        self._emit({'event': 'play_start', 'name': play.get_name().strip()})

    def v2_playbook_on_task_start(self, task, is_conditional):
        name = self._task_name(task)
        if self._held is not None and self._held[0]['name'] == name:
            # The rescue re-raising the held failure: it continues that step.
            self._task_started[task._uuid] = self._held[1] if self._held[1] is not None else time.monotonic()
            self._held = None
            return
        self._release_held()
        self._task_started[task._uuid] = time.monotonic()
        self._emit({'event': 'task_start', 'name': name})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_runner_on_ok(self, result):
        self._result(result, 'changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, 'failed', ignored=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._result(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._result(result, 'unreachable')

    def v2_runner_item_on_ok(self, result):
        self._result(result, 'changed' if result._result.get('changed') else 'ok', item=True)

    def v2_runner_item_on_failed(self, result):
        self._result(result, 'failed', item=True)

    def v2_runner_item_on_skipped(self, result):
        self._result(result, 'skipped', item=True)

    def v2_playbook_on_stats(self, stats):
        self._release_held()
        totals = {'ok': 0, 'changed': 0, 'failed': 0, 'unreachable': 0, 'skipped': 0}
        for host in sorted(stats.processed.keys()):
            summary = stats.summarize(host)
            totals['ok'] += summary.get('ok', 0)
            totals['changed'] += summary.get('changed', 0)
            totals['failed'] += summary.get('failures', 0)
            totals['unreachable'] += summary.get('unreachable', 0)
            totals['skipped'] += summary.get('skipped', 0)
        ok = totals['failed'] == 0 and totals['unreachable'] == 0
        self._emit({'event': 'playbook_end', 'ok': ok, 'stats': totals})

    # Everything else Ansible would print (warnings, deprecations) belongs on stderr.
    def v2_playbook_on_include(self, included_file):
        pass

    def v2_playbook_on_no_hosts_matched(self):
        self._warn('no hosts matched')

    def v2_playbook_on_no_hosts_remaining(self):
        pass

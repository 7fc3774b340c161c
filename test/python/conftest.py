"""pytest for the project's Python and PHP (no root, no services): the callback plugin, the warm
runner, the PHP helper's pure functions and the module utilities. `import
ansible.module_utils.pressluft_*` resolves to ansible/module_utils, as it does inside a module."""
import json
import os
from pathlib import Path

import ansible.module_utils
import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / 'ansible'
ansible.module_utils.__path__.append(str(ANSIBLE_DIR / 'module_utils'))

_MANIFEST = json.loads((REPO / 'test' / 'unpacked-packages.json').read_text())


def unpacked(name):
    """The prefix a package of test/unpacked-packages.json is unpacked under; a missing one fails
    the test (it is set up by scripts/setup.sh --test), it is never skipped."""
    prefix = Path(_MANIFEST['dir']) / name
    if not (prefix / '.complete').exists():
        pytest.fail('%s is not unpacked under %s: run scripts/setup.sh --test' % (name, prefix))
    return prefix


@pytest.fixture
def unpacked_package():
    return unpacked


def python_path(prefix):
    """PYTHONPATH that makes an unpacked ansible-core the one `import ansible` finds."""
    return os.path.join(prefix, 'usr', 'lib', 'python3', 'dist-packages')

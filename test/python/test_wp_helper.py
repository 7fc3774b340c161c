"""The PHP helper's serialized-safe URL rewrite (pl_replace in
ansible/roles/pressluft_node/files/wp-helper.php), run by the PHP CLI beside WordPress core's
own is_serialized(): what an environment clone does to every text column of the copied database."""
import json
import subprocess
from pathlib import Path

import pytest

from conftest import ANSIBLE_DIR, unpacked

HELPER = ANSIBLE_DIR / 'roles' / 'pressluft_node' / 'files' / 'wp-helper.php'
DRIVER = Path(__file__).parent / 'php' / 'wp-helper-functions.php'
OLD = 'http://a1b2c3d4.localhost:8080'
NEW = 'http://99ffee00.localhost:8088/x'


def php(requests):
    wp_functions = unpacked('wordpress') / 'usr' / 'share' / 'wordpress' / 'wp-includes' / 'functions.php'
    done = subprocess.run(['php', str(DRIVER), str(HELPER), str(wp_functions)], input=json.dumps(requests),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def serialize(value, objects=False):
    return php([{'op': 'serialize', 'json': json.dumps(value), 'objects': objects}])[0]


def replace(value, old=OLD, new=NEW):
    return php([{'op': 'replace', 'value': value, 'from': old, 'to': new}])[0]


def unserialize(value):
    return php([{'op': 'unserialize', 'value': value}])[0]


def test_a_plain_string_is_rewritten():
    assert replace('<a href="%s/about/">About</a>' % OLD) == '<a href="%s/about/">About</a>' % NEW


def test_a_string_without_the_url_stays_byte_for_byte():
    value = 'a:1:{s:1:"k";s:3:"abc";}'
    assert replace(value) == value


def test_a_serialized_array_keeps_valid_lengths():
    value = serialize({'home': OLD + '/', 'links': [OLD + '/a', 'other'], 'count': 3})
    rewritten = replace(value)
    back = unserialize(rewritten)
    assert back['ok'], rewritten
    assert json.loads(back['json']) == {'home': NEW + '/', 'links': [NEW + '/a', 'other'], 'count': 3}
    assert 's:%d:"%s/"' % (len(NEW) + 1, NEW) in rewritten


def test_a_serialized_object_stays_a_valid_object():
    rewritten = replace(serialize({'url': OLD, 'nested': {'url': OLD}}, objects=True))
    back = unserialize(rewritten)
    assert back['ok'] and back['object']
    assert rewritten.startswith('O:8:"stdClass":2:')


@pytest.mark.xfail(strict=True, reason='known bug, reported to the lead: unserialize(allowed_classes => false) '
                   'turns stdClass into __PHP_Incomplete_Class, so the stdClass branch never runs')
def test_a_serialized_object_has_its_urls_rewritten():
    back = unserialize(replace(serialize({'url': OLD, 'nested': {'url': OLD}}, objects=True)))
    assert json.loads(back['json']) == {'__PHP_Incomplete_Class_Name': 'stdClass', 'url': NEW,
                                        'nested': {'__PHP_Incomplete_Class_Name': 'stdClass', 'url': NEW}}


def test_serialization_inside_serialization_is_rewritten_at_every_level():
    inner = serialize({'widget_url': OLD})
    outer = serialize({'widgets': inner, 'title': 'x'})
    rewritten = replace(outer)
    back = unserialize(rewritten)
    assert back['ok'], rewritten
    widgets = json.loads(back['json'])['widgets']
    assert json.loads(unserialize(widgets)['json']) == {'widget_url': NEW}


def test_json_escaped_urls_are_rewritten_with_the_escaped_pair():
    escaped_old, escaped_new = OLD.replace('/', '\\/'), NEW.replace('/', '\\/')
    value = json.dumps({'url': OLD + '/p'}).replace('/', '\\/')
    assert '\\/' in value
    assert json.loads(replace(value, escaped_old, escaped_new)) == {'url': NEW + '/p'}


def test_a_serialized_json_string_is_rewritten_and_stays_serialized():
    escaped_old, escaped_new = OLD.replace('/', '\\/'), NEW.replace('/', '\\/')
    value = serialize({'blocks': json.dumps({'src': OLD}).replace('/', '\\/')})
    back = unserialize(replace(value, escaped_old, escaped_new))
    assert back['ok']
    assert json.loads(json.loads(back['json'])['blocks']) == {'src': NEW}


def test_an_object_of_an_unknown_class_is_left_alone():
    value = 'O:8:"WP_Thing":1:{s:3:"url";s:%d:"%s";}' % (len(OLD), OLD)
    assert replace(value) == value


def test_a_broken_serialized_string_is_rewritten_as_text():
    value = 's:99:"%s";' % OLD  # wrong length: not unserializable, so plain text
    assert replace(value) == 's:99:"%s";' % NEW


@pytest.mark.xfail(strict=True, reason='known bug, reported to the lead: pl_replace is a plain substring '
                   'replace, so a longer host that starts with the old URL is rewritten too')
@pytest.mark.parametrize('longer', [OLD + '1/', OLD + '.example.org/', OLD + '-cdn.example.org/'])
def test_a_longer_host_that_starts_with_the_old_url_is_left_alone(longer):
    assert replace('<img src="%sa.png">' % longer) == '<img src="%sa.png">' % longer

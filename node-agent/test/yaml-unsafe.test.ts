import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { toUnsafeYaml } from '../src/yaml-unsafe.ts';

/** Loads YAML with Ansible's own loader; reports each string's Python type. */
function ansibleLoad(yaml: string): { data: unknown; unsafe: string[]; safe: string[] } {
  const script = `
import json, sys
from ansible.parsing.yaml.loader import AnsibleLoader
from ansible.utils.unsafe_proxy import AnsibleUnsafe
data = AnsibleLoader(sys.stdin.read()).get_single_data()
unsafe, safe = [], []
def walk(v):
    if isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
    elif isinstance(v, str):
        (unsafe if isinstance(v, AnsibleUnsafe) else safe).append(v)
walk(data)
print(json.dumps({'data': data, 'unsafe': unsafe, 'safe': safe}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: yaml, encoding: 'utf8' }));
}

describe('toUnsafeYaml', () => {
  it('round-trips JSON-compatible values through Ansible and tags every string value !unsafe', () => {
    const doc = {
      pressluft_site_name: "{{ lookup('pipe', 'id') }} & {% raw %} 'quoted' \"double\" \\ back",
      pressluft_http_port: 8080,
      ratio: 1.5,
      tiny: 1.5e-7,
      huge: 1e21,
      negative: -3,
      yes: true,
      no: false,
      nothing: null,
      list: ['a', 1, ['nested', { deep: 'x' }], [], {}],
      map: { inner: { key: 'value: with colon # and hash' }, empty: [] },
      looks_like_bool: 'yes',
      looks_like_number: '0123',
      multiline: 'line 1\nline 2\ttab',
      unicode: 'Café ☕ 𝄞 \u0085 nel \u2028 ls \u007f del \u0001 \ufeff bom',
      empty: '',
    };
    const loaded = ansibleLoad(toUnsafeYaml(doc));
    expect(loaded.data).toEqual(doc);
    expect(loaded.safe).toEqual([]);
    expect(loaded.unsafe).toContain(doc.pressluft_site_name);
  });

  it('skips undefined entries and writes an empty document for an empty object', () => {
    expect(ansibleLoad(toUnsafeYaml({ a: undefined, b: 1 })).data).toEqual({ b: 1 });
    expect(ansibleLoad(toUnsafeYaml({})).data).toEqual({});
  });

  it('refuses values that are not JSON-compatible', () => {
    expect(() => toUnsafeYaml({ a: Number.NaN })).toThrow(TypeError);
    expect(() => toUnsafeYaml({ a: new Date() })).toThrow(TypeError);
    expect(() => toUnsafeYaml({ a: () => 1 })).toThrow(TypeError);
  });
});

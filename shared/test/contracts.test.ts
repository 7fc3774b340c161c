import { describe, expect, it } from 'vitest';
import {
  AgentMessage, ControlPlaneMessage, CreateSiteRequest, ERROR_CODES, JOB_VARS_SCHEMAS, PROTOCOL_VERSION,
  SLUG_PATTERN, ansibleExitCode, canTransition, JOB_TRANSITIONS, RESOURCE_TRANSITIONS, nodePreviewBase,
  previewUrl, runtimeNames, slugify,
} from '../src/index.ts';

const ID = '0f1e2d3c-4b5a-4697-8899-aabbccddeeff';

describe('runtime names', () => {
  it('derives names that fit Linux and MariaDB limits from the full id', () => {
    const names = runtimeNames(ID);
    expect(names.user).toMatch(/^pl[a-z2-7]{26}$/);
    expect(names.user.length).toBeLessThanOrEqual(32);
    expect(names.database).toBe('pl_0f1e2d3c4b5a46978899aabbccddeeff');
    expect(names.pool).toBe('pl-0f1e2d3c4b5a46978899aabbccddeeff');
    expect(names.root).toBe(`/var/www/sites/${ID}`);
  });

  it('gives ids that differ only in their last hex digit different users', () => {
    const other = ID.slice(0, -1) + 'e';
    expect(runtimeNames(other).user).not.toBe(runtimeNames(ID).user);
  });

  it('refuses anything that is not an id', () => {
    expect(() => runtimeNames('../../etc')).toThrow();
  });
});

describe('preview URLs', () => {
  it('uses the first 8 hex of the id and omits the default port', () => {
    expect(previewUrl(ID, { domain: 'localhost', scheme: 'http', port: 8080 })).toBe('http://0f1e2d3c.localhost:8080');
    expect(previewUrl(ID, { domain: 'localhost', scheme: 'http', port: 80 })).toBe('http://0f1e2d3c.localhost');
  });

  it('picks localhost for the self-node, sslip.io for remote nodes and https for a preview domain', () => {
    expect(nodePreviewBase({ is_local: true, public_ip: '10.0.0.5', http_port: 8088 }, null)).toEqual({ domain: 'localhost', scheme: 'http', port: 8088 });
    expect(nodePreviewBase({ is_local: false, public_ip: '203.0.113.7', http_port: 80 }, null).domain).toBe('203-0-113-7.sslip.io');
    expect(nodePreviewBase({ is_local: false, public_ip: '203.0.113.7', http_port: 80 }, 'preview.example.com')).toEqual({ domain: 'preview.example.com', scheme: 'https', port: 443 });
  });
});

describe('slugs', () => {
  it.each(['a', 'acme', 'acme-inc', 'a1-b2', 'x'.repeat(40)])('accepts %s', (slug) => expect(SLUG_PATTERN.test(slug)).toBe(true));
  it.each(['', 'Acme', '-acme', 'acme-', 'ac--me', 'acme_inc', 'x'.repeat(41), 'a b'])('rejects %j', (slug) => expect(SLUG_PATTERN.test(slug)).toBe(false));
  it('turns names into valid slugs', () => {
    expect(slugify('Acme Inc.')).toBe('acme-inc');
    expect(slugify('Café Zürich')).toBe('cafe-zurich');
    expect(SLUG_PATTERN.test(slugify('  Über -- Shop!  '))).toBe(true);
  });
});

describe('request bodies', () => {
  it('rejects unknown fields and control characters in names', () => {
    expect(CreateSiteRequest.safeParse({ name: 'Acme', slug: 'acme', extra: 1 }).success).toBe(false);
    expect(CreateSiteRequest.safeParse({ name: 'Ac\u0000me', slug: 'acme' }).success).toBe(false);
    expect(CreateSiteRequest.parse({ name: '  Acme  ', slug: 'acme' }).name).toBe('Acme');
  });

  it('keeps job variables strict so a typo cannot reach a playbook', () => {
    const vars = { pressluft_env_id: ID };
    expect(JOB_VARS_SCHEMAS.env_delete.safeParse(vars).success).toBe(true);
    expect(JOB_VARS_SCHEMAS.env_delete.safeParse({ ...vars, pressluft_secret_db_password: 'x' }).success).toBe(false);
  });
});

describe('error registry', () => {
  it('maps ansible exit codes as the contract says', () => {
    expect([1, 2, 4, 5, 250, 3, 99].map(ansibleExitCode)).toEqual([
      'ANSIBLE_PLAY_ERROR', 'ANSIBLE_HOST_FAILED', 'ANSIBLE_HOST_UNREACHABLE', 'ANSIBLE_SYNTAX_ERROR',
      'ANSIBLE_UNEXPECTED_ERROR', 'ANSIBLE_UNKNOWN_EXIT', 'ANSIBLE_UNKNOWN_EXIT',
    ]);
    expect(ERROR_CODES.ANSIBLE_HOST_UNREACHABLE.retryable).toBe(true);
    expect(ERROR_CODES.ANSIBLE_SYNTAX_ERROR.retryable).toBe(false);
    // A killed run (the OOM killer) is retried; an exit nobody understands is not.
    expect(ERROR_CODES.ANSIBLE_KILLED.retryable).toBe(true);
    expect(ERROR_CODES.ANSIBLE_UNKNOWN_EXIT.retryable).toBe(false);
  });
});

describe('state tables', () => {
  it('never lets a finished job move again and allows failed → active only for resources', () => {
    expect(canTransition(JOB_TRANSITIONS, 'succeeded', 'running')).toBe(false);
    expect(canTransition(JOB_TRANSITIONS, 'running', 'queued')).toBe(true);
    expect(canTransition(RESOURCE_TRANSITIONS, 'failed', 'active')).toBe(true);
    expect(canTransition(RESOURCE_TRANSITIONS, 'deleted', 'active')).toBe(false);
  });
});

describe('protocol', () => {
  it('validates messages in each direction', () => {
    expect(AgentMessage.safeParse({ type: 'heartbeat', at: new Date().toISOString() }).success).toBe(true);
    expect(AgentMessage.safeParse({ type: 'hello_ack', node_id: 'n', heartbeat_interval_ms: 1, abandon: [] }).success).toBe(false);
    expect(ControlPlaneMessage.safeParse({ type: 'hello_ack', node_id: 'n', heartbeat_interval_ms: 1000, abandon: [] }).success).toBe(true);
    expect(PROTOCOL_VERSION).toBeGreaterThan(0);
  });
});

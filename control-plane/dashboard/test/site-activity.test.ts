import { describe, expect, it } from 'vitest';
import type { EnvironmentDto, JobDto, SiteDto } from '@pressluft/shared';
import { activityLabel, primaryEnvironment, siteActivity, visibleEnvironments } from '../src/lib/site-activity.ts';

const SITE = 'aaaaaaaa-0000-4000-8000-000000000001';
const PROD = 'bbbbbbbb-0000-4000-8000-000000000001';
const STAGING = 'cccccccc-0000-4000-8000-000000000001';

function env(id: string, type: EnvironmentDto['type'], status: EnvironmentDto['status']): EnvironmentDto {
  return { id, site_id: SITE, name: type, slug: type, type, status, node_id: 'n', source_environment_id: null, preview_url: `http://${id.slice(0, 8)}.localhost:8088`, created_at: '', updated_at: '' };
}
function site(status: SiteDto['status'], environments: EnvironmentDto[]): SiteDto {
  return { id: SITE, name: 'Acme', slug: 'acme', status, primary_environment_id: PROD, created_at: '', updated_at: '', environments };
}
let n = 0;
function job(partial: Partial<JobDto>): JobDto {
  n += 1;
  return {
    id: `job-${n}`, job_type: 'site_create', status: 'succeeded', site_id: SITE, environment_id: PROD, node_id: 'n', attempt: 1, max_attempts: 3,
    run_after: '', lease_expires_at: null, waiting_reason: null, created_at: `2026-01-01T00:00:${String(n).padStart(2, '0')}Z`,
    started_at: null, finished_at: null, error_code: null, error_message: null, failed_step: null, output_tail: null, ...partial,
  };
}

describe('siteActivity', () => {
  it('names the newest queued or running job of the site and ignores other sites', () => {
    const old = job({ status: 'running' });
    const other = job({ status: 'running', site_id: 'other' });
    const newest = job({ status: 'queued', job_type: 'env_create', environment_id: STAGING });
    const activity = siteActivity(site('active', [env(PROD, 'production', 'active')]), [other, old, newest]);
    expect(activity.active?.id).toBe(newest.id);
    expect(activity.failed).toBeNull();
  });

  it('explains a failed site with its failed create job and offers resetting the site', () => {
    const failed = job({ status: 'failed', error_code: 'ANSIBLE_HOST_FAILED' });
    const activity = siteActivity(site('failed', [env(PROD, 'production', 'failed')]), [failed, job({ status: 'succeeded', job_type: 'env_delete' })]);
    expect(activity.failed?.id).toBe(failed.id);
    expect(activity.resetTarget).toEqual({ kind: 'site', id: SITE });
  });

  it('explains a failed staging environment with that environment\'s job and offers resetting it', () => {
    const create = job({ status: 'succeeded' });
    const envFail = job({ status: 'failed', job_type: 'env_create', environment_id: STAGING });
    const activity = siteActivity(site('active', [env(PROD, 'production', 'active'), env(STAGING, 'staging', 'failed')]), [create, envFail]);
    expect(activity.failed?.id).toBe(envFail.id);
    expect(activity.resetTarget).toEqual({ kind: 'environment', id: STAGING, name: 'staging' });
  });

  it('explains a site left failed by a cancelled create with that job', () => {
    const cancelled = job({ status: 'cancelled', error_code: 'JOB_CANCELLED' });
    const activity = siteActivity(site('failed', [env(PROD, 'production', 'failed')]), [cancelled]);
    expect(activity.failed?.id).toBe(cancelled.id);
    expect(activity.resetTarget).toEqual({ kind: 'site', id: SITE });
  });

  it('stops reporting a failure once a newer job (the reset) runs', () => {
    const failed = job({ status: 'failed' });
    const retry = job({ status: 'running' });
    const activity = siteActivity(site('failed', [env(PROD, 'production', 'creating')]), [failed, retry]);
    expect(activity.active?.id).toBe(retry.id);
    expect(activity.failed).toBeNull();
    expect(activity.resetTarget).toBeNull();
  });

  it('reports nothing for a quiet healthy site', () => {
    expect(siteActivity(site('active', [env(PROD, 'production', 'active')]), [job({})])).toEqual({ active: null, failed: null, resetTarget: null });
  });
});

describe('environments of a site', () => {
  it('finds the primary environment and hides deleted ones', () => {
    const s = site('active', [env(STAGING, 'staging', 'deleted'), env(PROD, 'production', 'active')]);
    expect(primaryEnvironment(s)?.id).toBe(PROD);
    expect(visibleEnvironments(s).map((e) => e.id)).toEqual([PROD]);
    expect(primaryEnvironment({ ...s, environments: [] })).toBeNull();
  });
});

describe('activityLabel', () => {
  it('says what runs, and why a queued job waits', () => {
    expect(activityLabel(job({ status: 'running' }))).toBe('Site create running');
    expect(activityLabel(job({ status: 'queued', waiting_reason: 'no agent connected' }))).toBe('Site create queued: no agent connected');
  });
});

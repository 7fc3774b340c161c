/**
 * The one registry of error codes. The API, the job queue, the agent, the CLI and the dashboard
 * all speak these codes; `http` is the status an API answer with this code uses, `retryable`
 * says whether a job failing with it goes back to the queue, and `hint` tells the operator what to do.
 */
export const ERROR_CODES = {
  // API
  bad_request: { http: 400, retryable: false, hint: 'Fix the named field and send the request again.' },
  unauthorized: { http: 401, retryable: false, hint: 'Log in again.' },
  forbidden: { http: 403, retryable: false, hint: 'This account may not do that.' },
  not_found: { http: 404, retryable: false, hint: 'Check the id or slug.' },
  conflict: { http: 409, retryable: false, hint: 'Pick another slug, or wait for the running job to finish.' },
  resource_not_failed: { http: 409, retryable: false, hint: 'Only a failed site or environment can be reset.' },
  invalid_state: { http: 409, retryable: false, hint: 'The resource is not in a state that allows this.' },
  payload_too_large: { http: 413, retryable: false, hint: 'Send a smaller body.' },
  unsupported_media_type: { http: 415, retryable: false, hint: 'Send JSON with Content-Type: application/json.' },
  rate_limited: { http: 429, retryable: false, hint: 'Wait a minute before trying again.' },
  node_unavailable: { http: 409, retryable: false, hint: 'The node must be active with its agent connected.' },
  environment_not_active: { http: 409, retryable: false, hint: 'Wait until the environment is active, or reset it.' },
  node_timeout: { http: 504, retryable: false, hint: 'The node did not answer in time; check its load and its agent, then try again.' },
  node_error: { http: 502, retryable: false, hint: 'The node could not do it; read the message and check the environment on the node.' },
  internal: { http: 500, retryable: false, hint: 'Check the control plane log.' },

  // Jobs
  ANSIBLE_PLAY_ERROR: { http: 500, retryable: true, hint: 'A play failed; read the failed step and the output tail.' },
  ANSIBLE_HOST_FAILED: { http: 500, retryable: true, hint: 'A task failed on the node; read the failed step and the output tail, repair the node, then reset.' },
  ANSIBLE_HOST_UNREACHABLE: { http: 500, retryable: true, hint: 'Ansible could not reach the node; check the agent host.' },
  ANSIBLE_SYNTAX_ERROR: { http: 500, retryable: false, hint: 'The playbook is invalid; this is a Pressluft bug.' },
  ANSIBLE_UNEXPECTED_ERROR: { http: 500, retryable: false, hint: 'ansible-playbook crashed; read the output tail.' },
  ANSIBLE_UNKNOWN_EXIT: { http: 500, retryable: false, hint: 'ansible-playbook ended in an unknown way; read the output tail.' },
  ANSIBLE_TIMEOUT: { http: 500, retryable: true, hint: 'The playbook ran past its time limit and was stopped; check the node load.' },
  ANSIBLE_NOT_FOUND: { http: 500, retryable: false, hint: 'Install ansible-core on the node (pressluft dev does it for the self-node).' },
  RUNTIME_UNREACHABLE: { http: 500, retryable: true, hint: 'The site did not answer as this environment; check nginx and PHP-FPM on the node.' },
  REACHABILITY_MISMATCH: { http: 500, retryable: false, hint: 'The agent checked another host or environment than expected; check the agent version.' },
  AGENT_LOST: { http: 500, retryable: true, hint: 'The agent went silent while running the job; check that it is running.' },
  AGENT_REJECTED: { http: 500, retryable: false, hint: 'The agent refused the job; read the message.' },
  JOB_CANCELLED: { http: 500, retryable: false, hint: 'The job was cancelled by an operator.' },
  JOB_SUPERSEDED: { http: 500, retryable: false, hint: 'The resource was deleted while this job waited.' },
} as const satisfies Record<string, { http: number; retryable: boolean; hint: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}

/** Maps an ansible-playbook exit code to the registry (0 is success and has no code). */
export function ansibleExitCode(exitCode: number): ErrorCode {
  switch (exitCode) {
    case 1: return 'ANSIBLE_PLAY_ERROR';
    case 2: return 'ANSIBLE_HOST_FAILED';
    case 4: return 'ANSIBLE_HOST_UNREACHABLE';
    case 5: return 'ANSIBLE_SYNTAX_ERROR';
    case 250: return 'ANSIBLE_UNEXPECTED_ERROR';
    default: return 'ANSIBLE_UNKNOWN_EXIT';
  }
}

/** The body of every error answer of the API. */
export interface ApiError {
  code: ErrorCode;
  message: string;
}

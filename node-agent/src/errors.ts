/** The agent cannot go on (bad credential, protocol mismatch, failed registration); retrying will not help. */
export class AgentFatalError extends Error {
  override name = 'AgentFatalError';
}

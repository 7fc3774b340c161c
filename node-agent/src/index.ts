export { startAgent, agentSocketUrl, type Agent, type AgentOptions } from './agent.ts';
export { AgentFatalError } from './errors.ts';

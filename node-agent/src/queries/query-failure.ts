import type { NodeQueryErrorCode } from '@pressluft/shared';

/** An expected failure of a node query; its message goes back to the control plane as it is. */
export class QueryFailure extends Error {
  constructor(readonly code: NodeQueryErrorCode, message: string) {
    super(message);
  }
}

import { BosError, type ErrorCode } from '../core/errors.js';

/**
 * A command that ran but whose operation failed (exit 1): a coded error of the one registry
 * whose message is the whole summary line (its hint is not printed: the message says what to do).
 */
export class CommandFailed extends BosError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'CommandFailed';
  }
}

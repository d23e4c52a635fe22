/** A command that ran but whose operation failed (exit 1); its message is the summary line. */
export class CommandFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandFailed';
  }
}

/** Errors the workbench reports to the user; the CLI maps them to exit codes (1 failure, 2 usage). */

export class WorkbenchError extends Error {
  constructor(
    message: string,
    /** The process exit code the CLI uses for this error. */
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bad argument or option: unknown column, unknown loss, malformed --space… (exit code 2). */
export class UsageError extends WorkbenchError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The data cannot be used: malformed CSV, a target with a single class… (exit code 1). */
export class DataError extends WorkbenchError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** Training produced nothing usable: every candidate diverged or failed (exit code 1). */
export class TrainingError extends WorkbenchError {
  constructor(message: string) {
    super(message, 1);
  }
}

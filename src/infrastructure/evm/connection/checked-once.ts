/**
 * A startup check run on first use and then never again once it passed. Concurrent callers share
 * the run in progress; a failed run (RPC down, misconfiguration) is forgotten, so the next call
 * tries again.
 */
export class CheckedOnce {
  private passed: Promise<void> | null = null;

  constructor(private readonly check: () => Promise<void>) {}

  run(): Promise<void> {
    if (!this.passed) {
      this.passed = this.check();
      this.passed.catch(() => {
        this.passed = null;
      });
    }
    return this.passed;
  }
}

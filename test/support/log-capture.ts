import { LoggerService } from '@nestjs/common';

/**
 * Collects everything the service logs: Nest's logger and anything written straight
 * to stdout/stderr, so tests can check what would reach a log file.
 */
export class LogCapture implements LoggerService {
  private readonly captured: string[] = [];
  private restore: (() => void) | null = null;

  start(): void {
    const stdout = process.stdout.write.bind(process.stdout);
    const stderr = process.stderr.write.bind(process.stderr);
    const capture =
      (original: typeof stdout) =>
      (chunk: unknown, ...rest: unknown[]): boolean => {
        this.captured.push(String(chunk));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      };
    process.stdout.write = capture(stdout) as typeof process.stdout.write;
    process.stderr.write = capture(stderr) as typeof process.stderr.write;
    this.restore = () => {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    };
  }

  stop(): void {
    this.restore?.();
    this.restore = null;
  }

  lines(): string[] {
    return this.captured.flatMap((chunk) => chunk.split('\n')).filter((line) => line.trim().length > 0);
  }

  log(message: unknown, ...context: unknown[]): void {
    this.push('log', message, context);
  }
  error(message: unknown, ...context: unknown[]): void {
    this.push('error', message, context);
  }
  warn(message: unknown, ...context: unknown[]): void {
    this.push('warn', message, context);
  }
  debug(message: unknown, ...context: unknown[]): void {
    this.push('debug', message, context);
  }
  verbose(message: unknown, ...context: unknown[]): void {
    this.push('verbose', message, context);
  }
  fatal(message: unknown, ...context: unknown[]): void {
    this.push('fatal', message, context);
  }

  private push(level: string, message: unknown, context: unknown[]): void {
    this.captured.push(
      `${level} ${typeof message === 'string' ? message : JSON.stringify(message)} ${context.map(String).join(' ')}`,
    );
  }
}

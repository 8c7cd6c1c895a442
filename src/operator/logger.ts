/**
 * The operator's structured logger: one JSON object per line through pino, implementing the
 * controllers' Logger. Fields ("nodeclaim", "node", "nodepool", "err", ...) and messages pass
 * through redact.ts first, so secrets never reach the output.
 */
import pino from 'pino';
import type { DestinationStream, Logger as Pino } from 'pino';
import type { Logger } from '../controllers/context.js';
import type { Clock } from '../utils/clock.js';
import { redactFields, scrubText } from './redact.js';
import type { LogLevel } from './options.js';

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go (default: stdout, written synchronously). */
  destination?: DestinationStream;
  /** Stamps the "time" field (ISO-8601); default the wall clock. */
  clock?: Clock;
  /** Fields on every line (default: pid and hostname). */
  base?: Record<string, unknown>;
}

/** A Logger over pino. Lines: {"level":"info","time":"…","msg":"…", ...fields}. */
export class PinoLogger implements Logger {
  readonly #pino: Pino;

  constructor(instance: Pino) {
    this.#pino = instance;
  }

  /** Whether lines at this level are written. */
  isLevelEnabled(level: LogLevel): boolean {
    return this.#pino.isLevelEnabled(level);
  }

  debug(fields: Record<string, unknown>, message: string): void {
    if (this.#pino.isLevelEnabled('debug')) this.#pino.debug(redactFields(fields), scrubText(message));
  }

  info(fields: Record<string, unknown>, message: string): void {
    if (this.#pino.isLevelEnabled('info')) this.#pino.info(redactFields(fields), scrubText(message));
  }

  warn(fields: Record<string, unknown>, message: string): void {
    if (this.#pino.isLevelEnabled('warn')) this.#pino.warn(redactFields(fields), scrubText(message));
  }

  error(fields: Record<string, unknown>, message: string): void {
    if (this.#pino.isLevelEnabled('error')) this.#pino.error(redactFields(fields), scrubText(message));
  }

  child(fields: Record<string, unknown>): PinoLogger {
    return new PinoLogger(this.#pino.child(redactFields(fields)));
  }

  /** Writes out anything buffered (before the process exits). */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      this.#pino.flush(() => resolve());
    });
  }
}

/** A JSON logger at the given level. Never throws for valid options. */
export function createLogger(options: LoggerOptions): PinoLogger {
  const clock = options.clock;
  const instance = pino({
    level: options.level,
    ...(options.base !== undefined ? { base: options.base } : {}),
    timestamp: clock ? () => `,"time":"${clock.nowIso()}"` : pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Errors were already turned into plain, redacted objects: pino's own err serializer would retype them.
    serializers: { err: (v: unknown) => v },
  }, options.destination ?? pino.destination({ dest: 1, sync: true }));
  return new PinoLogger(instance);
}

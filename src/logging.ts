import winston from 'winston';

// NOTE: these field names are shared by every log line; use the constants, not string literals.
export const LOG_FIELDS = {
  namespace: 'namespace',
  rollout: 'rollout',
  revision: 'revision',
  step: 'step',
  phase: 'phase',
  canaryWeight: 'canaryWeight',
  reason: 'reason',
} as const;

export type Logger = winston.Logger;

export interface LoggerOptions {
  level?: 'error' | 'warn' | 'info' | 'debug';
  /** Where lines go; defaults to stdout. Tests pass a stream to capture them. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

/** One JSON object per line: a static message plus fields. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
}

export interface RolloutLogContext {
  namespace: string;
  rollout: string;
  revision?: string | undefined;
  step?: number | undefined;
  phase?: string | undefined;
  canaryWeight?: number | undefined;
}

export function rolloutLogger(base: Logger, ctx: RolloutLogContext): Logger {
  return base.child({
    [LOG_FIELDS.namespace]: ctx.namespace,
    [LOG_FIELDS.rollout]: ctx.rollout,
    [LOG_FIELDS.revision]: ctx.revision,
    [LOG_FIELDS.step]: ctx.step,
    [LOG_FIELDS.phase]: ctx.phase,
    [LOG_FIELDS.canaryWeight]: ctx.canaryWeight,
  });
}

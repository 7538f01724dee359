/** Structured JSON logs (winston): one line per event, machine-readable, with the request id where there is one. */
import { Writable } from 'node:stream';
import winston from 'winston';

export type Logger = winston.Logger;

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { service: 'calibloop' },
    transports: [new winston.transports.Console()],
  });
}

/** For tests: keeps what was logged as parsed objects, prints nothing. */
export function createMemoryLogger(): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        lines.push(JSON.parse(chunk.toString()));
      } catch {
        // not JSON: ignore
      }
      cb();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  return Object.assign(logger, { lines });
}

import type { Logger } from 'pino';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/http/logging.js';

/** classlab's real logger, writing its JSON lines into an array that a test can read. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, lines };
}

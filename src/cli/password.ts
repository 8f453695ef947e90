import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * A password from the environment, or typed at a prompt without echo, or the first line of
 * standard input when it is not a terminal (for scripts).
 */
export async function readPassword(envKey: string, prompt: string): Promise<string> {
  const fromEnv = process.env[envKey];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const input = process.stdin;
  if (!input.isTTY) {
    const line = await readFirstLine();
    if (!line) {
      throw new MissingPasswordError(
        `no password given: standard input is not a terminal, so none was asked for, and it held no line. ` +
          `Set ${envKey}, pipe the password in as the first line, or run this in a terminal to be asked`,
      );
    }
    return line;
  }
  process.stderr.write(prompt);
  let muted = true;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input, output, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    muted = false;
    rl.close();
    process.stderr.write('\n');
  }
}

/** No password came from the environment or standard input, and there was no terminal to ask at. */
export class MissingPasswordError extends Error {
  override readonly name = 'MissingPasswordError';
}

async function readFirstLine(): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return undefined;
  } finally {
    rl.close();
  }
}

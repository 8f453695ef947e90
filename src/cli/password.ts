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
  if (!input.isTTY) return readFirstLine();
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

async function readFirstLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

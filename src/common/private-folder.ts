import { chmod, mkdir, stat } from 'node:fs/promises';

/**
 * Makes a folder only its owner may enter (0700), and closes one that was open, when it is ours:
 * the data folder holds the database and students' work, which no other local user, and no job,
 * may read.
 */
export async function privateFolder(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0 && info.uid === process.geteuid?.()) await chmod(path, info.mode & 0o700);
}

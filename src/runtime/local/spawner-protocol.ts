/**
 * What the local runtime and its spawner process (spawner-process.ts) tell each other over Node's
 * IPC channel: a request to spawn one job's process, and for each request the pid or why it could
 * not start, then once the process has exited its exit status and the last of its stderr.
 */

export interface SpawnRequest {
  kind: 'spawn';
  /** The runtime's number for this request; every reply about its process carries it. */
  id: number;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export type SpawnerReply =
  | { kind: 'spawned'; id: number; pid: number }
  | { kind: 'failed'; id: number; code: string | undefined; message: string }
  /** `stderr`: the tail the spawner kept (output-tail.ts), raw, for the runtime to trim and redact. */
  | { kind: 'exited'; id: number; code: number | null; signal: NodeJS.Signals | null; stderr: string };

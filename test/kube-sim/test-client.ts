// Helpers for the simulator's own tests: raw HTTP against it, watch streams read line by line,
// and polling until the controllers have caught up.
import { afterEach } from 'vitest';
import { startKubeSimulator, type KubeObject, type KubeSimOptions, type KubeSimulator } from './index.js';

/** A simulator with quick controllers for the test calling it, stopped after the test. Call once per suite. */
export function simPerTest(): (options?: KubeSimOptions) => Promise<KubeSimulator> {
  let current: KubeSimulator | undefined;
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return async (options = {}) => {
    await current?.stop();
    current = await startKubeSimulator({ delays: { scheduleMs: 5, pullMs: 5, readyMs: 5 }, ...options });
    return current;
  };
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export async function call<T = Record<string, unknown>>(
  sim: KubeSimulator,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply<T>> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: 'Bearer kube-sim-token', ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as T };
}

export interface WatchEvent {
  type: string;
  object: KubeObject & { code?: number; message?: string };
}

export interface OpenWatch {
  events: WatchEvent[];
  /** Resolves when the server ends the stream (cleanly or not). */
  ended: Promise<'end' | 'error'>;
  close(): void;
}

export async function openWatch(sim: KubeSimulator, path: string): Promise<OpenWatch> {
  const controller = new AbortController();
  const response = await fetch(`${sim.url}${path}`, { signal: controller.signal });
  if (!response.body) throw new Error('watch has no body');
  const events: WatchEvent[] = [];
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const ended = (async (): Promise<'end' | 'error'> => {
    let buffered = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return 'end';
        buffered += decoder.decode(value, { stream: true });
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          events.push(JSON.parse(buffered.slice(0, newline)) as WatchEvent);
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
        }
      }
    } catch {
      return 'error';
    }
  })();
  return { events, ended, close: () => controller.abort() };
}

/** Polls `check` until it returns something truthy, or fails with the last value seen. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(last)}`);
}

export function deployment(name: string, options: { image?: string; gpus?: number; replicas?: number; labels?: Record<string, string> } = {}): KubeObject {
  const labels = { app: name, ...options.labels };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'main',
              image: options.image ?? 'jupyter/base-notebook:latest',
              ports: [{ containerPort: 8888, name: 'jupyter' }],
              ...(options.gpus ? { resources: { limits: { 'nvidia.com/gpu': String(options.gpus) } } } : {}),
            },
          ],
        },
      },
    },
  };
}

export function conditionOf(object: KubeObject | undefined, type: string): Record<string, unknown> | undefined {
  const conditions = object?.status?.['conditions'];
  return Array.isArray(conditions) ? (conditions as Record<string, unknown>[]).find((c) => c['type'] === type) : undefined;
}

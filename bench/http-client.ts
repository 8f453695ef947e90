// Plain node:http requests for the harness: no compression is asked for, so sizes are the bytes
// the server writes, as autocannon receives them.
import { request as httpRequest, Agent } from 'node:http';

export interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  token?: string;
  body?: unknown;
}

export interface Answer {
  status: number;
  bytes: number;
  text: string;
}

/** Many sockets at once: launches and streams are bursts of hundreds. */
export const burstAgent = new Agent({ keepAlive: true, maxSockets: Infinity });

export function headersOf(call: Call): Record<string, string> {
  return {
    ...(call.token ? { authorization: `Bearer ${call.token}` } : {}),
    ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
  };
}

/** `timeoutMs`: give up on an answer that takes longer (the promise rejects). */
export function send(baseUrl: string, call: Call, timeoutMs?: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    const req = httpRequest(new URL(call.path, baseUrl), { method: call.method, headers: headersOf(call), agent: burstAgent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, bytes: buffer.length, text: buffer.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs)} ms`)));
    req.end(payload);
  });
}

/** The answer, or an error that says which call failed how: a scenario must not measure errors. */
export async function sendOk(baseUrl: string, call: Call): Promise<Answer> {
  const answer = await send(baseUrl, call);
  if (answer.status !== 200) throw new Error(`${call.method} ${call.path}: ${answer.status} ${answer.text.slice(0, 300)}`);
  return answer;
}

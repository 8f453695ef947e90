// Request counters and injected failures, shared by the programmatic API and /_sim/ over HTTP.
import { ApiError } from './status.js';

export interface FailureRule {
  /** HTTP method (GET, POST…) or Kubernetes verb (list, watch, create…); any when absent. */
  method?: string;
  /** Plural resource name (`deployments`), optionally with a subresource (`deployments/status`). */
  resource?: string;
  status: number;
  message?: string;
  /** How many matching requests fail; 1 when absent. */
  count?: number;
}

export interface RequestDescription {
  httpMethod: string;
  verb: string;
  resource: string;
  subresource?: string;
}

export class Faults {
  private counters = new Map<string, number>();
  private rules: (FailureRule & { remaining: number })[] = [];

  count(request: RequestDescription): void {
    const key = `${request.verb} ${request.resource}${request.subresource ? `/${request.subresource}` : ''}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
  }

  stats(): Record<string, number> {
    return Object.fromEntries([...this.counters.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  resetStats(): void {
    this.counters = new Map();
  }

  failNext(rule: FailureRule): void {
    this.rules.push({ ...rule, remaining: rule.count ?? 1 });
  }

  /** The error the next matching request must answer with, using up one of the rule's count. */
  takeFailure(request: RequestDescription): ApiError | undefined {
    const rule = this.rules.find((candidate) => matches(candidate, request));
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((candidate) => candidate !== rule);
    const message = rule.message ?? defaultMessage(rule.status);
    return new ApiError(rule.status, message);
  }
}

function matches(rule: FailureRule, request: RequestDescription): boolean {
  if (rule.method !== undefined) {
    const wanted = rule.method.toLowerCase();
    if (wanted !== request.httpMethod.toLowerCase() && wanted !== request.verb) return false;
  }
  if (rule.resource !== undefined) {
    const full = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
    if (rule.resource !== full) return false;
  }
  return true;
}

function defaultMessage(status: number): string {
  if (status === 503) return 'the server is currently unable to handle the request';
  if (status === 429) return 'the server has received too many requests and has asked us to try again later';
  if (status === 504) return 'the server was unable to return a response in the time allotted, but may still be processing the request';
  if (status >= 500) return 'Internal error occurred: injected by kube-sim';
  return `injected failure (${status})`;
}

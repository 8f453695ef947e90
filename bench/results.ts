import type { Measured } from './load.js';

/** One line of the table: a figure, its ceiling where one exists, and whether its target is met. */
export interface Row {
  scenario: string;
  /** What was measured, e.g. "POST /v1/course/list, teacher with 100 courses". */
  what: string;
  figure: number;
  unit: string;
  p50Ms?: number;
  p99Ms?: number;
  /** Requests per second of a bare node:http server sending the same bytes, in the same run. */
  ceiling?: number;
  ratio?: number;
  bytes?: number;
  /** Empty for rows of a growth series that have no target of their own. */
  target: string;
  met: boolean | null;
  /** Figures beside the main one (RSS, counts, errors). */
  notes?: string;
}

export function loadRow(scenario: string, what: string, measured: Measured, target: string, met: boolean | null): Row {
  const { figure, ceiling } = measured;
  const errors = figure.non2xx + figure.errors;
  return {
    scenario,
    what,
    figure: Math.round(figure.requestsPerSecond),
    unit: 'req/s',
    p50Ms: figure.p50Ms,
    p99Ms: figure.p99Ms,
    ceiling: Math.round(ceiling.requestsPerSecond),
    ratio: round(measured.ratio, 3),
    bytes: measured.bytes,
    target,
    met: errors > 0 ? false : met,
    ...(errors > 0 ? { notes: `${errors} answers were errors or not 2xx` } : {}),
  };
}

/** The T1 rule: ≥ 5,000 req/s, ≥ 30 % of the ceiling, p99 ≤ 25 ms. */
export const T1_TARGET = '≥ 5,000 req/s, ≥ 30 % of ceiling, p99 ≤ 25 ms';
export function meetsT1(measured: Measured): boolean {
  return measured.figure.requestsPerSecond >= 5_000 && measured.ratio >= 0.3 && measured.figure.p99Ms <= 25;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export const MB = 1024 * 1024;

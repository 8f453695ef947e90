import { describe, expect, it } from 'vitest';
import { SseParser } from '../src/api/events';

describe('SseParser', () => {
  it('reads frames split across chunks, skipping comments and retry lines', () => {
    const parser = new SseParser();
    expect(parser.push('retry: 3000\n\nevent: state\ndata: {"a"')).toEqual([]);
    expect(parser.push(':1}\n\n: keep-alive\n\nevent: event\r\ndata: x\r\ndata: y\r\n\r\n')).toEqual([
      { event: 'state', data: '{"a":1}' },
      { event: 'event', data: 'x\ny' },
    ]);
  });
});

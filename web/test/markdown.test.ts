// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/markdown';

describe('course introductions', () => {
  it('render markdown', () => {
    const html = renderMarkdown('# Hello\n\n*a* [site](https://example.org/)');
    expect(html).toContain('<h1>Hello</h1>');
    expect(html).toContain('<em>a</em>');
    expect(html).toMatch(/<a href="https:\/\/example.org\/" target="_blank" rel="noopener noreferrer">site<\/a>/);
  });

  it('keep nothing that runs: script, event handlers, javascript: links, inline styles', () => {
    const html = renderMarkdown(
      '<script>window.pwned = 1</script>\n\n<img src="x" onerror="window.pwned = 2">\n\n[click](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)">two</a>\n\n<p style="color:red" onclick="x()">styled</p><iframe src="https://evil.test"></iframe>',
    );
    expect(html).not.toMatch(/<script|onerror|onclick|javascript:|style=|<iframe/i);
    expect(html).toContain('<img src="x" alt="">');
    expect(html).toContain('styled');
  });
});

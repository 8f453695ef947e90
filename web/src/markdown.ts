import DOMPurify from 'dompurify';
import { marked } from 'marked';

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  // Links in an introduction leave the app: a new tab, and no window.opener for the other site.
  if (node.tagName === 'A' && node.getAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
  // An image written as raw HTML without alt text is taken as decoration, not read out as its URL.
  if (node.tagName === 'IMG' && !node.hasAttribute('alt')) node.setAttribute('alt', '');
});

/**
 * A course introduction as safe HTML. The original platform put introductions into the page as
 * raw HTML (stored XSS); here markdown becomes HTML, and DOMPurify keeps only inert markup:
 * no script, no event handler attribute, no `javascript:` URL, no inline style (the CSP forbids it).
 */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false, gfm: true });
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe'],
    FORBID_ATTR: ['style'],
  });
}

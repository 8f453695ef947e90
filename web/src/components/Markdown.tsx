import { useMemo } from 'react';
import { renderMarkdown } from '../markdown';

/** Sanitised markdown: the course page and the editor's preview use this one renderer. */
export function Markdown({ source, label }: { source: string; label?: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  // renderMarkdown's output went through DOMPurify; nothing in it can run.
  return <div className="markdown" aria-label={label} dangerouslySetInnerHTML={{ __html: html }} />;
}

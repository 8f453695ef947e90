import { cleanup, render } from '@testing-library/react';
import { afterEach, vi } from 'vitest';
import { App } from '../src/App';
import { endSession } from '../src/api/session';
import { I18nProvider, type Language } from '../src/i18n/i18n';

// jsdom does not scroll.
window.scrollTo = () => undefined;

/** The whole app at a path, in a fixed language; each test starts signed out, with no fetch mock. */
export function show(path: string, language: Language = 'en') {
  history.replaceState(null, '', path);
  return render(
    <I18nProvider language={language}>
      <App />
    </I18nProvider>,
  );
}

afterEach(() => {
  cleanup();
  endSession();
  vi.unstubAllGlobals();
});

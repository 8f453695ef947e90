import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey } from './en';
import { zhTW } from './zh-TW';

export type Language = 'en' | 'zh-TW';
export const LANGUAGES: readonly Language[] = ['en', 'zh-TW'];
export const MESSAGES: Record<Language, Record<MessageKey, string>> = { en, 'zh-TW': zhTW };
const STORAGE_KEY = 'classlab.language';

/** The remembered choice, else the browser's: any Chinese reads the Traditional one, else English. */
export function initialLanguage(stored: string | null, browser: readonly string[]): Language {
  if (stored === 'en' || stored === 'zh-TW') return stored;
  for (const tag of browser) {
    if (/^zh\b/i.test(tag)) return 'zh-TW';
    if (/^en\b/i.test(tag)) return 'en';
  }
  return 'en';
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function translator(language: Language): Translate {
  const messages = MESSAGES[language];
  return (key, values) => messages[key].replace(/\{(\w+)\}/g, (whole, name: string) => (values && name in values ? String(values[name]) : whole));
}

interface I18n {
  language: Language;
  setLanguage: (language: Language) => void;
  t: Translate;
}

const I18nContext = createContext<I18n>({ language: 'en', setLanguage: () => undefined, t: translator('en') });

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function I18nProvider({ children, language: fixed }: { children: ReactNode; language?: Language }) {
  const [language, setChosen] = useState<Language>(() => fixed ?? initialLanguage(readStored(), navigator.languages ?? []));
  const setLanguage = useCallback((next: Language) => {
    setChosen(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private windows may refuse storage; the choice lasts for this page.
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  const value = useMemo(() => ({ language, setLanguage, t: translator(language) }), [language, setLanguage]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export const useI18n = (): I18n => useContext(I18nContext);
export const useT = (): Translate => useContext(I18nContext).t;

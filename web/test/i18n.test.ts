import { describe, expect, it } from 'vitest';
import { en } from '../src/i18n/en';
import { initialLanguage, MESSAGES, translator } from '../src/i18n/i18n';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  it('every key is in both languages, with text and the same placeholders', () => {
    const english = Object.keys(MESSAGES.en).sort();
    const chinese = Object.keys(MESSAGES['zh-TW']).sort();
    expect(chinese).toEqual(english);
    for (const key of english as (keyof typeof en)[]) {
      expect(MESSAGES['zh-TW'][key].trim(), key).not.toBe('');
      expect(placeholders(MESSAGES['zh-TW'][key]), key).toEqual(placeholders(MESSAGES.en[key]));
    }
  });

  it('fills placeholders', () => {
    expect(translator('en')('launch.retryAfter', { s: 60 })).toBe('Try again in 60 seconds.');
    expect(translator('zh-TW')('launch.retryAfter', { s: 60 })).toBe('請在 60 秒後再試。');
  });

  it('follows the browser unless a choice was remembered', () => {
    expect(initialLanguage(null, ['zh-TW', 'en'])).toBe('zh-TW');
    expect(initialLanguage(null, ['zh-Hant-HK'])).toBe('zh-TW');
    expect(initialLanguage(null, ['fr-FR', 'en-GB'])).toBe('en');
    expect(initialLanguage(null, [])).toBe('en');
    expect(initialLanguage('en', ['zh-TW'])).toBe('en');
    expect(initialLanguage('klingon', ['zh-TW'])).toBe('zh-TW');
  });
});

import { defineConfig } from 'vitest/config';

// .ci/run asks for a JSON report to count passes and failures from.
const jsonReport = process.env.CLASSLAB_TEST_JSON;

export default defineConfig({
  test: {
    // The web app's tests name their own DOM environment (`// @vitest-environment jsdom`).
    include: ['test/**/*.test.ts', 'web/test/**/*.test.{ts,tsx}'],
    pool: 'forks',
    // PGlite takes 3-5 s to start under load, and argon2 is slow on purpose.
    hookTimeout: 30_000,
    testTimeout: 30_000,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});

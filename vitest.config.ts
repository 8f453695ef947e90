import { defineConfig } from 'vitest/config';

// .ci/run asks for a JSON report to count passes and failures from.
const jsonReport = process.env.CLASSLAB_TEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // PGlite takes 3-5 s to start under load, and argon2 is slow on purpose.
    hookTimeout: 30_000,
    testTimeout: 30_000,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});

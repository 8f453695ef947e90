import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * In a process of its own, since V8's young generation only grows: the size of the young generation
 * (MB) when kept small, after churning through short-lived objects, and after churning again once
 * let grow.
 */
function youngGenerationSizes(): { before: number; small: number; grown: number } {
  const program = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { keepYoungGenerationSmall, letYoungGenerationGrow } from './src/cli/young-generation.ts';
    const size = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size / 2 ** 20;
    const churn = () => { let kept = []; for (let i = 0; i < 2e6; i += 1) { kept.push({ i }); if (kept.length > 5e4) kept = []; } };
    keepYoungGenerationSmall();
    const before = size();
    churn();
    const small = size();
    letYoungGenerationGrow();
    churn();
    console.log(JSON.stringify({ before, small, grown: size() }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { encoding: 'utf8' });
  return JSON.parse(out) as { before: number; small: number; grown: number };
}

describe("V8's young generation", () => {
  it('stays at its first size while kept small, and grows under allocation once let grow', () => {
    const { before, small, grown } = youngGenerationSizes();
    expect(small).toBe(before);
    expect(grown).toBeGreaterThan(small);
  });
});

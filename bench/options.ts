/** What one bench run does: its sizes (full or --quick), how often each figure is taken, where results go. */
export interface Sizes {
  /** Courses in the whole catalog, and the ones at level basic (the public list T1 reads). */
  courses: number;
  basicCourses: number;
  /** Courses owned by each measured teacher: the T1 growth series. */
  teacherCourses: number[];
  /** The teacher whose list is the headline T1 figure (one of teacherCourses). */
  headlineTeacherCourses: number;
  users: number;
  /** Active jobs for T5: the growth series, ascending. */
  activeJobs: number[];
  /** T3: launches on the simulator, how many in flight at once, and the time they may take. */
  clusterLaunches: number;
  clusterConcurrency: number;
  clusterBudgetMs: number;
  /** T6: open event streams, ascending. */
  streams: number[];
  /** T7: students launching classlab/hello at once on the local runtime. */
  localLaunches: number;
  /** autocannon: connections, and seconds per figure and per ceiling. */
  connections: number;
  loadSeconds: number;
  ceilingSeconds: number;
  /** Each figure is the median of this many runs. */
  runs: number;
  /** How long the server is left idle before its memory is read (T9). */
  idleSettleMs: number;
}

export interface BenchOptions {
  quick: boolean;
  profile: boolean;
  /** Folder for results.json and benchmarks.md; the committed ones by default. */
  outDir: string | undefined;
  /** Only these scenarios (T1…T9); all when empty. */
  only: string[];
  databaseUrl: string | undefined;
  sizes: Sizes;
}

const FULL: Sizes = {
  courses: 10_000,
  basicCourses: 1_000,
  teacherCourses: [10, 100, 1_000],
  headlineTeacherCourses: 100,
  users: 1_000,
  activeJobs: [1_000, 10_000],
  clusterLaunches: 1_000,
  clusterConcurrency: 100,
  clusterBudgetMs: 30_000,
  streams: [100, 1_000],
  localLaunches: 100,
  connections: 50,
  loadSeconds: 4,
  ceilingSeconds: 2,
  runs: 3,
  idleSettleMs: 2_000,
};

const QUICK: Sizes = {
  courses: 300,
  basicCourses: 100,
  teacherCourses: [10, 100],
  headlineTeacherCourses: 100,
  users: 60,
  // One size each: a growth series would cost another PGlite start, seconds on a busy machine.
  activeJobs: [200],
  clusterLaunches: 20,
  clusterConcurrency: 10,
  clusterBudgetMs: 8_000,
  streams: [20],
  localLaunches: 5,
  connections: 10,
  loadSeconds: 1,
  ceilingSeconds: 1,
  runs: 1,
  idleSettleMs: 500,
};

export const SCENARIOS = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8', 'T9'] as const;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const args = [...argv];
  const valueOf = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const known = new Set(['--quick', '--profile', '--out', '--only']);
  for (const [index, arg] of args.entries()) {
    const isValue = index > 0 && (args[index - 1] === '--out' || args[index - 1] === '--only');
    if (!isValue && !known.has(arg)) throw new Error(`unknown argument ${arg}; use --quick, --profile, --out DIR, --only T1,T2`);
  }
  const quick = args.includes('--quick');
  const only = (valueOf('--only') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (const name of only) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario ${name}`);
  }
  return {
    quick,
    profile: args.includes('--profile'),
    outDir: valueOf('--out'),
    only,
    databaseUrl: env['DATABASE_URL'] || undefined,
    sizes: quick ? QUICK : FULL,
  };
}

export function wants(options: BenchOptions, scenario: (typeof SCENARIOS)[number]): boolean {
  return options.only.length === 0 || options.only.includes(scenario);
}

import { HomeExpansionRefused, type HomeRef, type HomeStatus, type HomeVolumes } from '../../src/runtime/types.js';

/**
 * Homes the test drives by hand, for the scripted runtime: each is Bound when made unless the test
 * set `nextState`, and the test decides whether the storage can grow.
 */
export class ScriptedHomes implements HomeVolumes {
  singleAttach = true;
  readonly made = new Map<string, HomeStatus & { capacity: string }>();
  readonly removed: string[] = [];
  /** State of the next home made, and its reason. */
  nextState: HomeStatus = { state: 'Bound' };
  /** When set, expand() refuses with this reason. */
  expansionRefusal: string | undefined;
  failEnsure: Error | undefined;

  async ensure(home: HomeRef): Promise<HomeStatus> {
    if (this.failEnsure) throw this.failEnsure;
    const existing = this.made.get(home.name);
    if (existing) return existing;
    const made = { ...this.nextState, capacity: home.capacity };
    this.made.set(home.name, made);
    return made;
  }

  async status(home: HomeRef): Promise<HomeStatus> {
    return this.made.get(home.name) ?? { state: 'Absent' };
  }

  async expand(home: HomeRef, capacity: string): Promise<void> {
    if (this.expansionRefusal) throw new HomeExpansionRefused(this.expansionRefusal);
    const existing = this.made.get(home.name);
    if (existing) existing.capacity = capacity;
  }

  async remove(home: HomeRef): Promise<void> {
    this.made.delete(home.name);
    this.removed.push(home.name);
  }
}

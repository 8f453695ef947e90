import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HomeRepository } from '../../src/homes/repository.js';
import { IdentityService } from '../../src/identity/service.js';
import type { Store } from '../../src/store/store.js';
import { storeTargets } from '../support/stores.js';

/** First launches that arrive together make their homes in one round: each gets its own, and two of one user make one. */
describe.each(storeTargets)('homes made by launches at once on $name', (target) => {
  let store: Store;
  let repository: HomeRepository;
  const userIds: string[] = [];

  beforeAll(async () => {
    store = await target.open();
    repository = new HomeRepository(store.db);
    const identity = new IdentityService(store.db, { tokenTtlSeconds: 3600 });
    for (const name of ['ann', 'bob']) userIds.push((await identity.createUser(name, 'password-1', ['student'])).id);
  });
  afterAll(() => store?.close());

  it('answers each launch its own home, makes one for two launches of one user, and finds them all', async () => {
    const [ann, bob] = userIds as [string, string];
    const home = (userId: string, name: string, capacity: string) => ({ userId, name: `home-${name}`, ownerName: name, capacity });
    const made = await Promise.all([repository.insertOnce(home(ann, 'ann', '1Gi')), repository.insertOnce(home(bob, 'bob', '2Gi')), repository.insertOnce(home(ann, 'ann', '5Gi'))]);
    expect(made.map((row) => [row.userName, row.name, row.capacity])).toEqual([
      ['ann', 'home-ann', '1Gi'],
      ['bob', 'home-bob', '2Gi'],
      ['ann', 'home-ann', '1Gi'],
    ]);
    const found = await Promise.all([repository.find(bob), repository.find(ann), repository.find('00000000-0000-4000-8000-000000000000')]);
    expect(found.map((row) => row?.userName)).toEqual(['bob', 'ann', undefined]);
    expect(await repository.list()).toHaveLength(2);
  });
});

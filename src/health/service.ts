import { listTables, type Database } from '../store/store.js';

/** What the health routes report. The cluster's nodes join this with the runtime. */
export class HealthService {
  constructor(private readonly db: Database) {}

  databaseTables(): Promise<string[]> {
    return listTables(this.db);
  }
}

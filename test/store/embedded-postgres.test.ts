import { describe, expect, it } from 'vitest';
import { openEmbeddedPostgres, SHARED_BUFFERS } from '../../src/store/embedded-postgres.js';

describe('the embedded PostgreSQL', () => {
  it('runs with small shared buffers, since each megabyte of them stays resident', async () => {
    const db = await openEmbeddedPostgres();
    try {
      const { rows } = await db.query<{ shared_buffers: string }>('show shared_buffers');
      expect(rows[0]?.shared_buffers).toBe(SHARED_BUFFERS);
      expect(SHARED_BUFFERS).toBe('4MB');
    } finally {
      await db.close();
    }
  });
});

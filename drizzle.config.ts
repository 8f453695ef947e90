import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes reviewable SQL migrations into drizzle/ from src/store/schema.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './drizzle',
});

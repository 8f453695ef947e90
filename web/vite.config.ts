import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built by `npm run build` into web/dist, which the server serves at `/` (hashed files under /assets).
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The app's CSP allows no inline script: never inline the module preload polyfill.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});

import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// `vite` (dev) proxies the API to a running control plane; PRESSLUFT_URL overrides the default.
const apiTarget = process.env.PRESSLUFT_URL ?? 'http://127.0.0.1:8080';

// The app imports only zod-free modules of shared (types, errors.ts, slug-text.ts): no zod in the bundle.
export default defineConfig({
  plugins: [preact()],
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/api': { target: apiTarget, changeOrigin: false } } },
});

/**
 * Vite: builds the app into dist/ (served by the gateway at /), and in dev
 * mode (`npm run dev -w web`) serves it with hot reload, proxying the API
 * paths to a running platform (LAB_GATEWAY_URL, default http://localhost:4000).
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const gateway = process.env.LAB_GATEWAY_URL ?? 'http://localhost:4000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline script or data: URL: the gateway's Content-Security-Policy allows this origin's files only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1000,
  },
  server: {
    port: 5173,
    proxy: {
      '/graphql': { target: gateway, ws: true, changeOrigin: true },
      '/v1': { target: gateway, changeOrigin: true },
      '/health': { target: gateway, changeOrigin: true },
    },
  },
});

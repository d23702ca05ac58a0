import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const outDir = resolve(import.meta.dirname, '../polyvox/web/dist');

/** Write a .gz twin of every text asset; polyvox/web/serve.py sends it to clients that take gzip. */
function precompress(): Plugin {
  return {
    name: 'polyvox-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const p = join(dir, name);
          if (statSync(p).isDirectory()) walk(p);
          else if (/\.(js|css|html|svg|json)$/.test(name) && statSync(p).size > 1024) {
            writeFileSync(p + '.gz', gzipSync(readFileSync(p), { level: 9 }));
          }
        }
      };
      walk(outDir);
    },
  };
}

export default defineConfig({
  plugins: [svelte(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: {
    // `npm run dev` against a polyvox server on :8000
    proxy: { '/v1': 'http://127.0.0.1:8000', '/v2': 'http://127.0.0.1:8000', '/openapi.json': 'http://127.0.0.1:8000', '/health': 'http://127.0.0.1:8000' },
  },
});

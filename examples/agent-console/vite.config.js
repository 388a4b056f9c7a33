// Nothing here is needed for the SDK: @klink.cloud/call-sdk imports like any package.
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs, so the build works under any path (scripts/demo serves it at
  // /agent-console/ of the dev gateway).
  base: './',
  server: {
    host: '127.0.0.1',
    // Inside this repository the package is npm/ itself, linked from the root node_modules,
    // and so are react and vite: let the dev server read files up there.
    fs: { allow: ['../..'] },
  },
});

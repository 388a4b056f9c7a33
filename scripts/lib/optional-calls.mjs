// node scripts/lib/optional-calls.mjs FILE...: fails when a built file has an optional call
// (`f?.(...)`, `o?.m(...)`) with a spread among its arguments. Chrome 80 to 90 run such a call
// wrongly (crbug.com/42201552), which is why esbuild lowers every `?.` for Chrome 85; the
// build tells esbuild that optional chaining is supported, and this keeps that true. It reads
// minified script roughly (a string holding `(` or `...` fails it too, which is only a false
// alarm).
import { readFileSync } from 'node:fs';

let failed = false;
for (const file of process.argv.slice(2)) {
  const code = readFileSync(file, 'utf8');
  for (const m of code.matchAll(/\?\.(?:#?[\w$]+)?\(/g)) {
    let depth = 1;
    let i = m.index + m[0].length;
    for (; i < code.length && depth > 0; i++) {
      if (code[i] === '(') depth++;
      else if (code[i] === ')') depth--;
    }
    const args = code.slice(m.index + m[0].length, i - 1);
    if (args.includes('...')) {
      console.error(`optional-calls: ${file}: an optional call with a spread argument: ${code.slice(m.index, i).slice(0, 120)}`);
      failed = true;
    }
  }
}
if (failed) process.exit(1);

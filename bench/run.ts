// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose name contains the filter),
// each in its own Node process so one benchmark's servers and memory never skew the next. Each
// file is a standalone script that prints its own comparisons (see bench/measure.ts for the
// `name: ours X ms vs baseline Y ms → ratio R` format).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function runFile(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, file)], { stdio: 'inherit' });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files = readdirSync(__dirname)
    .filter((name) => name.endsWith('.bench.ts') && (!filter || name.includes(filter)))
    .sort();
  if (files.length === 0) {
    console.error(`no benchmarks match ${filter ?? '*.bench.ts'}`);
    process.exit(2);
  }
  const failed: string[] = [];
  for (const file of files) {
    console.log(`\n=== ${file} ===`);
    const started = Date.now();
    const code = await runFile(file);
    console.log(`--- ${file}: ${code === 0 ? 'done' : `exit ${code}`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (code !== 0) failed.push(file);
  }
  if (failed.length) console.error(`benchmarks that did not finish: ${failed.join(', ')}`);
  process.exit(failed.length ? 1 : 0);
}

void main();

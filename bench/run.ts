/**
 * `npm run bench -- <name> [options]`: runs the benchmark bench/<name>.ts; with no name, lists them.
 *
 * Output contract, the same for every bench:
 *  - a human-readable report on stdout (tables, then one PASS or MISS line per target);
 *  - the same figures as JSON in `.bench/<name>.json` (git-ignored), its path printed last as
 *    `bench json: .bench/<name>.json`.
 * The exit code is 0 whether targets are met or missed (they are reported, not enforced); only a
 * crash of the bench itself exits non-zero.
 *
 * A bench module exports `description` (one line) and `run(args)`, which prints its report and
 * returns its JSON. Adding one is one line in BENCHES.
 */
import { mkdirSync, writeFileSync } from 'node:fs';

export interface Bench {
  description: string;
  run(args: string[]): Promise<unknown>;
}

const BENCHES: Record<string, () => Promise<Bench>> = {
  quality: () => import('./quality.ts'),
  profile: () => import('./profile.ts'),
  privacy: () => import('./privacy.ts'),
};

const list = async (): Promise<void> => {
  console.log('usage: npm run bench -- <name> [options]\n\nbenchmarks:');
  for (const [name, load] of Object.entries(BENCHES))
    console.log(`  ${name.padEnd(10)} ${(await load()).description}`);
};

const main = async (): Promise<number> => {
  const [name, ...args] = process.argv.slice(2);
  if (name === undefined || name === '--help' || name === '-h') {
    await list();
    return 0;
  }
  const load = BENCHES[name];
  if (load === undefined) {
    console.error(`unknown benchmark '${name}'`);
    await list();
    return 2;
  }
  const bench = await load();
  console.log(`bench ${name}: ${bench.description}\n`);
  const json = await bench.run(args);
  mkdirSync('.bench', { recursive: true });
  const path = `.bench/${name}.json`;
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nbench json: ${path}`);
  return 0;
};

process.exitCode = await main();

/**
 * Writes the CRDs to src/apis/crds/generated/*.yaml from their definitions in src/apis, and
 * removes generated files no kind produces any more. Usage: npx tsx scripts/gen-crds.ts
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCrds } from '../src/apis/crds/index.js';

const dir = fileURLToPath(new URL('../src/apis/crds/generated/', import.meta.url));
mkdirSync(dir, { recursive: true });
const files = generateCrds();
const wanted = new Set(files.map((f) => f.fileName));
for (const { fileName, yaml } of files) {
  const path = join(dir, fileName);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === yaml) continue;
  writeFileSync(path, yaml);
  console.log(`wrote ${path}`);
}
for (const name of readdirSync(dir)) {
  if (name.endsWith('.yaml') && !wanted.has(name)) {
    rmSync(join(dir, name));
    console.log(`removed ${join(dir, name)}`);
  }
}

/**
 * Screenshots an HTML file in Debian's headless Chromium (for the README's picture of the report):
 *   npx tsx scripts/screenshot.ts report.html docs/report.png [height]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [input, output, height] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: tsx scripts/screenshot.ts FILE.html OUT.png [height]');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'nodewright-shot-'));
const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: Number(height ?? 1700) },
});
try {
  const page = await context.newPage();
  await page.goto(`file://${resolve(input)}`);
  await page.screenshot({ path: output, fullPage: false });
} finally {
  await context.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Browser tier: the rendered report opened from file:// in Debian's headless Chromium through
 * playwright-core. It must render its table and charts with data, its decision-log filters must
 * work, and it must neither log errors nor fetch anything. A full-page screenshot is kept in
 * test-artifacts/report.png. Without Chromium the test fails and says what to install.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { SimulationResult } from '../result.js';
import { syntheticResult } from './fixtures.js';
import { renderReport } from './html.js';
import { comparisonRows } from './metrics.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url);

/** The few DOM members the in-page callbacks use (the project's TypeScript has no DOM library). */
interface DomElement {
  getAttribute(name: string): string | null;
}
interface SvgPath extends DomElement {
  getBBox(): { width: number };
  getTotalLength(): number;
}
interface HtmlElement extends DomElement {
  readonly offsetParent: unknown;
}

interface Problems {
  readonly console: string[];
  readonly failed: string[];
  readonly foreign: string[];
}

describe('the HTML report in headless Chromium', () => {
  let context: BrowserContext | undefined;
  let dir = '';

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      assert.fail(`Chromium is not installed at ${CHROMIUM}, so the browser tier cannot run: install it with \`apt-get install chromium\``);
    }
    dir = mkdtempSync(join(tmpdir(), 'nodewright-report-'));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
  });

  after(async () => {
    await context?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the report into the temp dir, opens it, and collects every console error and request problem. */
  async function open(result: SimulationResult, name: string): Promise<{ page: Page; problems: Problems }> {
    assert.ok(context, 'the browser did not start');
    const file = join(dir, name);
    writeFileSync(file, renderReport(result));
    const page = await context.newPage();
    const problems: Problems = { console: [], failed: [], foreign: [] };
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.console.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.console.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.failed.push(`${r.url()}: ${r.failure()?.errorText ?? '?'}`));
    page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.foreign.push(r.url()); });
    const response = await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    assert.ok(response === null || response.ok(), 'the report file did not load');
    return { page, problems };
  }

  function assertClean(problems: Problems): void {
    assert.deepEqual(problems.console, [], 'console errors or warnings');
    assert.deepEqual(problems.failed, [], 'failed requests');
    assert.deepEqual(problems.foreign, [], 'requests beyond the file itself');
  }

  it('renders the title, the comparison table and every chart with data, then is screenshotted', async () => {
    const result = syntheticResult();
    const { page, problems } = await open(result, 'report.html');
    assert.equal(await page.title(), 'nodewright simulation: burst');
    assert.equal(await page.locator('h1 .scenario').textContent(), 'burst');
    assert.equal(await page.locator('#comparison tbody tr').count(), comparisonRows(result).length);
    const costRow = page.locator('#comparison tbody tr', { hasText: 'Total cost' });
    assert.match(await costRow.innerText(), /\$3\.02\s+\$8\.85\s+−\$5\.83 \(−66%\)/);

    const charts = page.locator('figure.chart');
    assert.deepEqual(await charts.evaluateAll((fs: DomElement[]) => fs.map((f) => f.getAttribute('data-chart'))), ['nodes', 'cost', 'pending', 'cpu']);
    for (const chart of await charts.all()) {
      const id = await chart.getAttribute('data-chart');
      assert.equal(await chart.locator('svg').count(), 1, `chart ${id}: one svg`);
      const paths = await chart.locator('path.series').evaluateAll((ps: SvgPath[]) => ps.map((p) => ({
        series: p.getAttribute('data-series'), length: p.getTotalLength(), width: p.getBBox().width, d: p.getAttribute('d') ?? '',
      })));
      const expected = id === 'cost' ? ['nodewright', 'cluster-autoscaler', 'lower bound'] : ['nodewright', 'cluster-autoscaler'];
      assert.deepEqual(paths.map((p) => p.series), expected, `chart ${id}: series`);
      for (const p of paths) {
        assert.ok(p.length > 500 && p.width > 500, `chart ${id}: ${p.series} is drawn across the plot (length ${p.length}, width ${p.width})`);
        assert.ok((p.d.match(/[HV]/g) ?? []).length >= 3, `chart ${id}: ${p.series} has data points`);
      }
      const svgBox = await chart.locator('svg').boundingBox();
      assert.ok(svgBox !== null && svgBox.width > 400 && svgBox.height > 150, `chart ${id}: visible at a readable size`);
      assert.ok((await chart.locator('svg text.tick').count()) >= 6, `chart ${id}: axis ticks`);
      assert.equal(await chart.locator('.legend li').count(), expected.length, `chart ${id}: legend`);
    }

    // The hover read-out shows each strategy's value at the pointer.
    const nodes = page.locator('figure[data-chart="nodes"] svg');
    const box = await nodes.boundingBox();
    assert.ok(box);
    await nodes.hover({ position: { x: box.width * 0.3, y: box.height / 2 } });
    const readout = page.locator('figure[data-chart="nodes"] .readout');
    assert.equal(await readout.isVisible(), true);
    assert.match(await readout.innerText(), /nodewright: 15[\s\S]*cluster-autoscaler: 34/);
    await page.mouse.move(0, 0);

    assert.equal(await page.locator('.mix[data-strategy="nodewright"] tbody tr').count(), 2);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('report.png', ARTIFACTS).pathname, fullPage: true });
    assertClean(problems);
    await page.close();
  });

  it('filters the decision log by strategy, kind and text when clicked', async () => {
    const result = syntheticResult();
    const decisions = [...(result.strategies.nodewright?.decisions ?? []), ...(result.strategies['cluster-autoscaler']?.decisions ?? [])];
    const { page, problems } = await open(result, 'filters.html');
    const visible = async (): Promise<{ strategy: string | null; kind: string | null }[]> =>
      page.locator('#decision-log tbody tr').evaluateAll((rows: HtmlElement[]) => rows
        .filter((r) => r.offsetParent !== null)
        .map((r) => ({ strategy: r.getAttribute('data-strategy'), kind: r.getAttribute('data-kind') })));
    const count = page.locator('#log-count');

    assert.equal((await visible()).length, decisions.length);
    await page.locator('[data-filter="strategy"] button[data-value="cluster-autoscaler"]').click();
    const ca = await visible();
    assert.equal(ca.length, decisions.filter((d) => d.strategy === 'cluster-autoscaler').length);
    assert.ok(ca.every((r) => r.strategy === 'cluster-autoscaler'));
    assert.equal(await count.textContent(), `Showing ${ca.length} of ${decisions.length} decisions`);
    assert.equal(await page.locator('[data-filter="strategy"] button[aria-pressed="true"]').textContent(), 'cluster-autoscaler');

    await page.locator('[data-filter="kind"] button[data-value="scale-up"]').click();
    assert.equal((await visible()).length, decisions.filter((d) => d.kind === 'scale-up').length);
    await page.locator('[data-filter="kind"] button[data-value="provision"]').click();
    assert.equal((await visible()).length, 0, 'no cluster-autoscaler decision is a provision');
    assert.equal(await page.locator('#log-empty').isVisible(), true);

    await page.locator('[data-filter="strategy"] button[data-value="all"]').click();
    const provisions = await visible();
    assert.equal(provisions.length, decisions.filter((d) => d.kind === 'provision').length);
    assert.ok(provisions.length > 0 && provisions.every((r) => r.kind === 'provision' && r.strategy === 'nodewright'));

    await page.locator('[data-filter="kind"] button[data-value="all"]').click();
    await page.locator('#log-search').fill('INTERRUPTION warning');
    assert.deepEqual(await visible(), [{ strategy: 'nodewright', kind: 'interruption' }]);

    // A row opens to its reasons.
    const row = page.locator('#decision-log tbody tr[data-kind="interruption"]');
    await row.locator('summary').click();
    assert.equal(await row.locator('.why').isVisible(), true);
    assert.match(await row.locator('.why').innerText(), /Why: EC2 sent a two-minute spot interruption warning/);
    assertClean(problems);
    await page.close();
  });

  it('shows hostile text from a scenario as text and runs none of it', async () => {
    const base = syntheticResult({ strategies: ['nodewright'] });
    const nw = base.strategies.nodewright!;
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const result: SimulationResult = {
      ...base,
      scenario: evil,
      notes: [evil],
      strategies: {
        nodewright: {
          ...nw,
          instanceTypes: { [evil]: { nodeHours: 1, spotNodeHours: 0, cost: 0.5 } },
          decisions: nw.decisions.map((d) => ({ ...d, summary: evil, details: { ...d.details, why: evil, alternativesRejected: [evil] } })),
        },
      },
    };
    const { page, problems } = await open(result, 'hostile.html');
    assert.equal(await page.title(), `nodewright simulation: ${evil}`);
    assert.equal(await page.locator('h1 .scenario').textContent(), evil);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('script').count(), 1);
    assertClean(problems);
    await page.close();
  });
});

/**
 * The built-in page in a real browser (Debian's chromium, driven by
 * playwright-core) against the real service on a free loopback port, with a
 * token: it loads with no console error and no request outside the service,
 * each plot draws its lines at the width of its card, a target that changes
 * state changes on the page without a reload, and a backtest started from the
 * page shows its report. Screenshots at 1280 px and 390 px go to
 * $PRESCIENT_SCREENSHOT_DIR (default: a temporary folder, named in the log).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { DATA_DIR } from '../support/app.js';
import { findExecutable } from '../support/prometheus.js';

const TOKEN = 'page-test-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'prescient-page-'));
const screenshots = process.env.PRESCIENT_SCREENSHOT_DIR ?? join(dir, 'screenshots');
let browser: Browser;
let app: Awaited<ReturnType<typeof buildApp>>;
let base: string;

beforeAll(async () => {
  const executablePath = findExecutable('chromium');
  if (!executablePath) throw new Error('chromium not found on PATH: run `bash scripts/ensure-debian.sh chromium chromium`.');
  copyFileSync(join(DATA_DIR, 'nab/nyc_taxi.csv'), join(dir, 'taxi.csv'));
  copyFileSync(join(DATA_DIR, 'worldcup98/invocation_count.csv'), join(dir, 'worldcup.csv'));
  const target = (name: string, file: string, capacityPerReplica: number, step?: string) => ({
    name,
    source: { type: 'file', path: join(dir, file), shiftToNow: true, ...(step ? { step } : {}) },
    history: '14d',
    horizon: '1d',
    models: ['mstl'],
    seasonalPeriods: ['1d'],
    scaling: { capacityPerReplica, minReplicas: 1, maxReplicas: 40 },
  });
  const config = parseConfig({
    server: { authToken: TOKEN, port: 0 },
    pool: { threads: 1, fitTimeout: '120s' },
    modelsDir: join(dir, 'models'),
    targets: [target('taxi', 'taxi.csv', 2500), target('worldcup', 'worldcup.csv', 500, '5m')],
  });
  app = await buildApp({ config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const deadline = Date.now() + 240_000;
  while (app.prescient.states.list().some((s) => !s.forecast) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Watched {
  page: Page;
  errors: string[];
  foreign: string[];
}

async function open(width: number, height: number): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith(`${base}/`)) foreign.push(r.url());
  });
  await page.goto(`${base}/`);
  await page.locator('#targets tbody tr').nth(1).waitFor();
  return { page, errors, foreign };
}

interface PlotFacts {
  id: string;
  plotWidth: number;
  canvasWidth: number;
  canvasHeight: number;
  actual: number;
  forecast: number;
  replicas: number;
}

/**
 * For each target's plot: its card's width, the canvas' drawn size, and how
 * many pixels carry each line's colour (run in the page; a string because
 * the tests compile without the DOM's types).
 */
const PLOT_FACTS = `[...document.querySelectorAll('.card')].map((card) => {
  const plot = card.querySelector('.plot');
  const canvas = plot.querySelector('canvas');
  const box = canvas.getBoundingClientRect();
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const count = (r, g, b) => {
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - r) < 12 && Math.abs(data[i + 1] - g) < 12 && Math.abs(data[i + 2] - b) < 12 && data[i + 3] > 200) n++;
    return n;
  };
  return { id: card.id, plotWidth: plot.clientWidth, canvasWidth: box.width, canvasHeight: box.height,
    actual: count(0x1d, 0x23, 0x30), forecast: count(0x1f, 0x6f, 0xeb), replicas: count(0xbf, 0x57, 0x00) };
})`;

async function plotFacts(page: Page): Promise<PlotFacts[]> {
  return page.evaluate(PLOT_FACTS) as Promise<PlotFacts[]>;
}

describe('the built-in page in Chromium', () => {
  it('shows every target with its state, model and replicas, and draws each plot at full size, touching nothing outside the service', { timeout: 120_000 }, async () => {
    const { page, errors, foreign } = await open(1280, 900);
    const rows = (await page.evaluate(
      `[...document.querySelectorAll('#targets tbody tr')].map((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c.hidden ? null : c.textContent)))`,
    )) as Array<Array<string | null>>;
    expect(rows.map((r) => r[0])).toEqual(['taxi', 'worldcup']);
    for (const row of rows) {
      expect(row[1]).toBe('fitted');
      expect(row[2]).toBe('mstl');
      expect(Number(row[4])).toBeGreaterThanOrEqual(1);
    }
    await page.waitForFunction("document.querySelectorAll('.card .plot canvas').length === 2");
    await page.waitForTimeout(500);
    const plots = await plotFacts(page);
    expect(plots).toHaveLength(2);
    for (const plot of plots) {
      expect(plot.canvasWidth, plot.id).toBeGreaterThan(0.9 * plot.plotWidth);
      expect(plot.canvasWidth, plot.id).toBeGreaterThan(1000);
      expect(plot.canvasHeight, plot.id).toBeGreaterThanOrEqual(200);
      // Lines drawn, not just axes: a 1,000-px-wide line covers hundreds of pixels at least.
      expect(plot.actual, `${plot.id} actual`).toBeGreaterThan(300);
      expect(plot.forecast, `${plot.id} forecast`).toBeGreaterThan(300);
      expect(plot.replicas, `${plot.id} replicas`).toBeGreaterThan(100);
    }
    // Every control has an accessible name.
    const unnamed = await page.evaluate(
      `[...document.querySelectorAll('button, input, select')].filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim())).map((e) => e.outerHTML)`,
    );
    expect(unnamed).toEqual([]);
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, 'page-1280.png'), fullPage: true });
    process.stdout.write(`screenshots: ${screenshots}\n`);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });

  it('fits a phone-width window: no sideways scrolling of the page, plots as wide as their cards', { timeout: 120_000 }, async () => {
    const { page, errors, foreign } = await open(390, 844);
    await page.waitForFunction("document.querySelectorAll('.card .plot canvas').length === 2");
    await page.waitForTimeout(500);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    for (const plot of await plotFacts(page)) {
      expect(plot.canvasWidth, plot.id).toBeGreaterThan(0.9 * plot.plotWidth);
      expect(plot.canvasWidth, plot.id).toBeLessThanOrEqual(390);
      expect(plot.actual, `${plot.id} actual`).toBeGreaterThan(100);
      expect(plot.forecast, `${plot.id} forecast`).toBeGreaterThan(100);
    }
    await page.screenshot({ path: join(screenshots, 'page-390.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });

  it('shows a target that changes state without a reload, and runs a backtest with the token to its report', { timeout: 240_000 }, async () => {
    const { page, errors, foreign } = await open(1280, 900);
    const taxiState = page.locator('#targets tbody tr[data-target="taxi"] td').first();
    await expect.poll(() => taxiState.textContent()).toBe('fitted');
    // The source breaks: the next refresh fails, the last forecast is kept and served as stale.
    writeFileSync(join(dir, 'taxi.csv'), 'not,a\nseries,at all\n');
    await app.prescient.engine.refresh('taxi').catch(() => undefined);
    await expect.poll(() => taxiState.textContent(), { timeout: 20_000 }).toBe('fitted, stale');
    expect(await page.locator('#targets tbody tr[data-target="taxi"] td').last().textContent()).toMatch(/PRESCIENT_ERR_/);
    expect(await page.locator('#target-taxi .events').textContent()).toContain('fitted → fitted, stale');
    // A deploy the platform announces appears among the target's events without a reload.
    const announced = await fetch(`${base}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'deploy', target: 'taxi', start: new Date().toISOString(), note: 'checkout v2.14 rolled out' }),
    });
    expect(announced.status).toBeLessThan(300);
    await expect.poll(() => page.locator('#target-taxi .events').textContent(), { timeout: 20_000 }).toContain('deploy: checkout v2.14 rolled out');

    // Without the token the service refuses; entered once, it is sent as a header and never put in a URL.
    await page.selectOption('#bt-target', 'worldcup');
    await page.click('#bt-run');
    await expect.poll(() => page.locator('#bt-status').textContent()).toContain('needs a token');
    await page.fill('#token', TOKEN);
    await page.click('#token-save');
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(`${r.url()} ${r.headers().authorization ?? ''}`);
    });
    await page.click('#bt-run');
    await expect.poll(() => page.locator('#backtests tbody tr td[data-status]').first().textContent(), { timeout: 180_000, interval: 1000 }).toBe('succeeded');
    expect(posts).toEqual([`${base}/api/v1/backtests Bearer ${TOKEN}`]);
    await page.locator('#backtests tbody button').first().click();
    const report = page.frameLocator('#report');
    await expect.poll(() => report.locator('svg').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.evaluate(() => sessionStorage.getItem('prescient.token'))).toBe(TOKEN);
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });
});

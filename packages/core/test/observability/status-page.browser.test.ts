import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manager } from '@governance/core';
import { governanceRouter } from '@governance/core/express';
import { createStatusPage } from '@governance/core/ui';
import { MemoryStore } from '@governance/store-memory';
import { FAST, Fleet, podRegistration, waitFor } from '../manager/helpers';

/** Where the screenshots go (ignored by git). */
const OUTPUT = fileURLToPath(new URL('../../../../test-output/status-page/', import.meta.url));

/** Debian's chromium (scripts/ensure-chromium.sh installs it), or the one CHROMIUM_PATH names. */
function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

const executablePath = findChromium();
if (executablePath === undefined) {
  if (process.env.CI === 'true') {
    throw new Error('[status page browser test] no Chromium found (CI=true): run scripts/ensure-chromium.sh or set CHROMIUM_PATH');
  }
  console.warn('[status page browser test] SKIPPED: no Chromium found; run scripts/ensure-chromium.sh or set CHROMIUM_PATH');
}

describe.skipIf(executablePath === undefined)('the status page in headless Chromium', () => {
  let browser: Browser;
  let fleet: Fleet;
  let manager: Manager;
  let server: http.Server;
  let base: string;
  const page = createStatusPageHolder();

  beforeAll(async () => {
    fleet = await Fleet.start();
    manager = new Manager({ ...FAST, healthCheckInterval: 60_000, notificationRetries: 0 }, new MemoryStore());
    await manager.start();
    page.value = createStatusPage(manager, { refreshMs: 250 });
    const app = express();
    app.use('/gov', governanceRouter(manager, { statusPage: page.value }));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gov`;
    await manager.register(podRegistration(fleet, 'eir', 'eir-1', [], 3868));
    await manager.register(podRegistration(fleet, 'eir', 'eir-2', [], 3868));
    await manager.register(podRegistration(fleet, 'http-gw', 'gw-1', ['eir']));
    await manager.register(podRegistration(fleet, 'diam-gw', 'dgw-1', ['eir', 'http-gw']));
    await manager.checkNow();
    await waitFor(() => fleet.received('gw-1').length > 0 && fleet.received('dgw-1').length > 0, 'the subscribers to hear about eir');
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    page.value?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await manager?.stop();
    await fleet?.close();
  });

  it('shows the services, updates without a reload when a pod turns unhealthy, with no errors', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme: 'light' });
    const tab = await context.newPage();
    const problems: string[] = [];
    tab.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    tab.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    tab.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    tab.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    let navigations = 0;
    tab.on('framenavigated', (frame) => {
      if (frame === tab.mainFrame()) navigations++;
    });

    await tab.goto(`${base}/ui`);
    expect(await tab.title()).toBe('Governance status');
    const rows = await tab.locator('#services ~ .scroll tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.children].map((cell) => cell.textContent)),
    );
    expect(rows).toEqual([
      ['diam-gw', '1', '1', '0', '0', 'eir, http-gw'],
      ['eir', '2', '2', '0', '0', '—'],
      ['http-gw', '1', '1', '0', '0', 'eir'],
    ]);
    await expect.poll(() => tab.locator('#live-status').textContent()).toMatch(/^Live: updated/);
    await tab.evaluate('window.notReloaded = true');

    // eir-2 goes unhealthy; gw-1 refuses the update about it.
    fleet.failNext('gw-1', 1);
    fleet.setHealth('eir-2', 'down');
    await manager.checkNow();
    await waitFor(() => manager.stats().deliveries.failed === 1, 'the update to gw-1 to fail');

    const eir2 = tab.locator('tr[data-pod="eir:eir-2"] .status');
    await expect.poll(() => eir2.textContent(), { timeout: 10_000 }).toBe('unhealthy');
    await expect.poll(() => tab.locator('tr[data-subscriber="http-gw:gw-1"] .status').textContent()).toBe('failed');
    expect(await tab.locator('tr[data-service="eir"] .status.unhealthy').textContent()).toBe('1');
    expect(await tab.locator('.events li.bad').first().textContent()).toMatch(/gw-1 failed|eir:eir-2 healthy → unhealthy/);
    await expect.poll(() => tab.locator('#live-announce').textContent()).toBe('4 pods: 3 healthy, 1 unhealthy, 0 unknown');
    expect(await tab.evaluate('window.notReloaded')).toBe(true);
    expect(navigations).toBe(1);

    // Keyboard: the skip link comes first, the pause button next.
    await tab.keyboard.press('Tab');
    expect(await tab.evaluate('document.activeElement.textContent')).toBe('Skip to services');
    await tab.keyboard.press('Tab');
    expect(await tab.evaluate('document.activeElement.id')).toBe('live-toggle');
    await tab.keyboard.press('Enter');
    expect(await tab.locator('#live-status').textContent()).toBe('Live updates paused');
    await tab.keyboard.press('Enter');

    mkdirSync(OUTPUT, { recursive: true });
    await tab.screenshot({ path: `${OUTPUT}status-page.png`, fullPage: true });
    await tab.screenshot({ path: `${OUTPUT}status-page-top.png`, clip: { x: 0, y: 0, width: 1100, height: 820 } });

    // A phone: nothing wider than the screen except inside the scrollable table regions.
    await tab.setViewportSize({ width: 390, height: 844 });
    const overflow = await tab.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await tab.screenshot({ path: `${OUTPUT}status-page-phone.png`, fullPage: false });

    expect(problems).toEqual([]);
    await context.close();
  });

  it('runs under its CSP and renders without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await context.newPage();
    const response = await tab.goto(`${base}/ui/`);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(await tab.locator('tr[data-pod="eir:eir-1"] .status').textContent()).toBe('healthy');
    expect(await tab.locator('#live-toggle').isHidden()).toBe(true);
    // The stylesheet applied (from ui/app.css; no inline styles are allowed by the CSP).
    const display = await tab.locator('.cards').evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).display);
    expect(display).toBe('grid');
    await context.close();
  });
});

function createStatusPageHolder(): { value: ReturnType<typeof createStatusPage> | undefined } {
  return { value: undefined };
}

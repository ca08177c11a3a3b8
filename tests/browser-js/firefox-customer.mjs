// Drives Debian's Firefox ESR over WebDriver BiDi (puppeteer-core) as the customer of a call, through the
// product's own page: opens /call/{token}, fills in the form, waits in the queue, then follows the call.
// Usage: node firefox-customer.mjs <call-page-url> <customer-name> <seconds>
// Prints one JSON line when the customer waits in the queue ({"phase":"waiting"}), then one line every
// 500 ms: {"phase": the page's state, "stats": window.__voki.inboundStats(), "events": [event names]}.
// It stops after <seconds>, or a second after the page shows the call has ended.
import { launchFirefox } from './firefox.mjs';

const [url, name, seconds = '20'] = process.argv.slice(2);
const browser = await launchFirefox();
const state = (page, phase) => page.waitForSelector(`body[data-state="${phase}"]`, { timeout: 15000 });
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log(JSON.stringify({ pageError: e.message })));
  await page.goto(url);
  await state(page, 'join');
  await page.type('[data-testid="join-name"]', name);
  await page.type('[data-testid="join-email"]', 'firefox@example.com');
  await page.click('[data-testid="join-submit"]');
  await state(page, 'waiting');
  console.log(JSON.stringify({ phase: 'waiting' }));
  const until = Date.now() + Number(seconds) * 1000;
  let endedAt = null;
  while (Date.now() < until && (endedAt === null || Date.now() - endedAt < 1000)) {
    await new Promise((r) => setTimeout(r, 500));
    const seen = await page.evaluate(async () => ({
      phase: document.body.dataset.state,
      stats: await window.__voki.inboundStats(),
      events: window.__voki.events.map((e) => e.event),
    }));
    console.log(JSON.stringify(seen));
    if (seen.phase === 'ended') endedAt ??= Date.now();
  }
} finally {
  await browser.close();
}

// Drives Debian's Firefox ESR over WebDriver BiDi (puppeteer-core) as one participant of a call.
// Usage: node firefox-peer.mjs <page-url> <participant> <seconds>
// Prints one JSON line of inbound statistics per second: {"video":frames,"audio":packets,"streams":n,"state":"..."}.
import { launchFirefox } from './firefox.mjs';

const [url, participant, seconds = '20'] = process.argv.slice(2);
const browser = await launchFirefox();
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.evaluate(p => window.start(p), participant);
  for (let i = 0; i < Number(seconds); i++) {
    await new Promise(r => setTimeout(r, 1000));
    console.log(JSON.stringify(await page.evaluate(() => window.inbound())));
  }
} finally {
  await browser.close();
}

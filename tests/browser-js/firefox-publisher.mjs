// Drives Debian's Firefox ESR over WebDriver BiDi (puppeteer-core) as the customer of a call who publishes a moving
// picture: its camera is a canvas animated at 30 fps (Firefox's fake camera changes too little from frame to frame to
// tell frames apart in a recording), its microphone Firefox's fake one. Opens /call/{token}, fills in the form, waits.
// Usage: node firefox-publisher.mjs <call-page-url> <customer-name>, with the stats function (a JavaScript function of
// one RTCPeerConnection) in the environment variable VOKI_STATS_FUNCTION.
// Prints {"phase":"waiting"} once in the queue. Then reads commands on stdin, one a line:
//   sample  → prints {"phase": the page's state, "sample": the stats function's result, or null without media}
//   quit    → closes Firefox and exits.
import { launchFirefox } from './firefox.mjs';
import readline from 'node:readline';

const [url, name] = process.argv.slice(2);
const statsFunction = process.env.VOKI_STATS_FUNCTION;
const browser = await launchFirefox();
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log(JSON.stringify({ pageError: e.message })));
  await page.evaluateOnNewDocument(() => {
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      if (!constraints?.video) return stream;
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 480;
      const g = canvas.getContext('2d');
      let frame = 0;
      setInterval(() => {
        frame++;
        g.fillStyle = '#203040';
        g.fillRect(0, 0, 640, 480);
        g.fillStyle = '#e0c040';
        g.beginPath();
        g.moveTo(320, 240);
        g.arc(320, 240, 150, (frame % 60) / 60 * 2 * Math.PI, ((frame % 60) / 60 + 0.8) * 2 * Math.PI);
        g.fill();
        g.fillStyle = '#ffffff';
        g.fillRect((frame * 8) % 640, 440, 40, 30);
        g.font = '48px sans-serif';
        g.fillText(String(frame), 20, 60);
      }, 1000 / 30);
      for (const track of stream.getVideoTracks()) {
        stream.removeTrack(track);
        track.stop();
      }
      stream.addTrack(canvas.captureStream(30).getVideoTracks()[0]);
      return stream;
    };
  });
  await page.goto(url);
  const state = (phase) => page.waitForSelector(`body[data-state="${phase}"]`, { timeout: 15000 });
  await state('join');
  await page.type('[data-testid="join-name"]', name);
  await page.type('[data-testid="join-email"]', 'firefox@example.com');
  await page.click('[data-testid="join-submit"]');
  await state('waiting');
  console.log(JSON.stringify({ phase: 'waiting' }));
  for await (const command of readline.createInterface({ input: process.stdin })) {
    if (command === 'quit') break;
    if (command !== 'sample') continue;
    const seen = await page.evaluate(`(async () => ({
      phase: document.body.dataset.state,
      sample: window.voki.media?.pc ? await (${statsFunction})(window.voki.media.pc) : null,
    }))()`);
    console.log(JSON.stringify(seen));
  }
} finally {
  await browser.close();
}

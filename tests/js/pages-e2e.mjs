// Drives the pages in headless Chromium with fake camera and microphone, as a customer and an
// attendant would: join through the link, take the call from the console, toggle the microphone,
// complete the call, rate it. Usage: node pages-e2e.mjs '{"baseUrl", "linkToken", "tenant", "email", "password"}'
// Prints one JSON line with what the pages showed; exits non-zero on any failure.
import { chromium } from "playwright-core";

const { baseUrl, linkToken, tenant, email, password } = JSON.parse(process.argv[2]);
const executablePath = process.env.VOKI_CHROMIUM ?? "/usr/bin/chromium";
const seen = {};
const browser = await chromium.launch({
  executablePath,
  args: ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection"],
});
const consoleErrors = [];
const open = async () => {
  const context = await browser.newContext({ permissions: ["camera", "microphone"] });
  const page = await context.newPage();
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  page.setDefaultTimeout(20000);
  return page;
};
const testid = (page, id) => page.locator(`[data-testid="${id}"]`);
const state = (page, name) => page.waitForSelector(`body[data-state="${name}"]`);
// VOKI_SCREENSHOTS=<folder> keeps a picture of each step, for people reviewing the pages.
const shoot = async (page, name) => {
  if (process.env.VOKI_SCREENSHOTS) await page.screenshot({ path: `${process.env.VOKI_SCREENSHOTS}/${name}.png`, fullPage: true });
};

try {
  const customer = await open();
  await customer.goto(`${baseUrl}/call/${linkToken}`);
  await state(customer, "join");
  seen.department = await customer.locator("#department-name").textContent();
  await testid(customer, "join-submit").click();
  seen.blankNameError = await customer.locator("#join-name-error").textContent();
  await shoot(customer, "1-customer-join");
  await testid(customer, "join-name").fill("Paula Mendes");
  await testid(customer, "join-email").fill("paula@example.com");
  await testid(customer, "join-reason").fill("Second copy of my bill");
  await testid(customer, "join-submit").click();
  await state(customer, "waiting");
  seen.position = (await testid(customer, "queue-position").textContent()).trim();
  await shoot(customer, "2-customer-waiting");

  const attendant = await open();
  await attendant.goto(`${baseUrl}/app`);
  await state(attendant, "login");
  await testid(attendant, "login-tenant").fill(tenant);
  await testid(attendant, "login-email").fill(email);
  await testid(attendant, "login-password").fill(password);
  await testid(attendant, "login-submit").click();
  await state(attendant, "queue");
  const item = attendant.locator('[data-testid="queue-item"]', { hasText: "Paula Mendes" });
  await item.waitFor();
  seen.queueItem = (await item.textContent()).replace(/\s+/g, " ").trim();
  await shoot(attendant, "3-console-queue");
  await item.locator('[data-testid="take-call"]').click();
  await state(attendant, "call");
  seen.callTitle = await attendant.locator("#call-title").textContent();

  // The customer's page follows: participant_joined (or the status poll) opens the call view.
  await state(customer, "call");
  // Media: a remote video once the SFU answers, or the SFU's refusal shown to the user.
  await Promise.race([
    testid(customer, "remote-video").first().waitFor().then(() => { seen.customerMedia = "remote video"; }),
    customer.locator('[data-testid="alert"]:not([hidden])').waitFor().then(async () => {
      seen.customerMedia = await testid(customer, "alert").textContent();
    }),
  ]);
  await customer.waitForTimeout(2000);
  seen.offers = await customer.evaluate(() => window.voki.media?.offers ?? 0);
  seen.localVideoPlaying = await customer.evaluate(() => {
    const video = document.querySelector('[data-testid="local-video"]');
    return !!video.srcObject && video.srcObject.getTracks().length > 0;
  });

  await testid(attendant, "toggle-mic").click();
  seen.micPressed = await testid(attendant, "toggle-mic").getAttribute("aria-pressed");
  await customer.waitForFunction(() => /microphone off/.test(document.querySelector('[data-testid="status"]').textContent));
  seen.customerHeardMute = await testid(customer, "status").textContent();
  await shoot(customer, "4-customer-call");
  await shoot(attendant, "5-console-call");

  await testid(attendant, "call-notes").fill("Sent the second copy");
  await testid(attendant, "complete-call").click();
  await state(attendant, "queue");

  await state(customer, "ended");
  await testid(customer, "rating-form").waitFor();
  await shoot(customer, "6-customer-rating");
  await testid(customer, "rating-5").check();
  await testid(customer, "rating-comment").fill("Very helpful");
  await testid(customer, "rating-submit").click();
  await testid(customer, "rating-thanks").waitFor();
  seen.thanks = await testid(customer, "rating-thanks").textContent();
  seen.pageErrors = consoleErrors;
  console.log(JSON.stringify(seen));
  await browser.close();
  process.exit(0);
} catch (e) {
  console.error(`FAILED: ${e.message}\nseen so far: ${JSON.stringify(seen)}\npage errors: ${consoleErrors.join(" | ")}`);
  await browser.close();
  process.exit(1);
}

// Opens /docs in headless Chromium (Debian's, driven by playwright-core), checks that every
// tag's operations render, runs one "Try it out" call, saves a screenshot, and fails if the page
// asked any host but the server for anything.
import { chromium } from "playwright-core";

const base = process.env.INVESTDESK_URL ?? "http://127.0.0.1:8080";
const screenshot = process.env.SCREENSHOT ?? "docs.png";
const document = await (await fetch(`${base}/openapi.json`)).json();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const foreign = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.origin === new URL(base).origin || url.protocol === "data:") return route.continue();
    foreign.push(url.href);
    return route.abort();
  });
  await page.goto(`${base}/docs/`, { waitUntil: "networkidle" });
  await page.waitForSelector(".opblock-tag", { timeout: 15000 });

  // The API's operations and the 3.1 webhooks (each delivery is rendered as an operation too).
  const items = [...Object.values(document.paths), ...Object.values(document.webhooks ?? {})];
  const tags = [...new Set(items.flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? [])))];
  const operations = items.reduce((n, item) => n + Object.keys(item).length, 0);
  for (const tag of tags) {
    const section = page.locator(`.opblock-tag-section:has(.opblock-tag[data-tag="${tag}"])`);
    if ((await section.count()) !== 1) throw new Error(`tag ${tag} is not rendered`);
  }
  const rendered = await page.locator(".opblock").count();
  if (rendered !== operations) throw new Error(`${rendered} operations rendered, the document has ${operations}`);

  // Try it out: GET /healthz.
  const health = page.locator("#operations-operations-healthz");
  await health.locator(".opblock-summary").click();
  await health.locator("button.try-out__btn").click();
  await health.locator("button.execute").click();
  const status = health.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor({ timeout: 10000 });
  const code = (await status.innerText()).trim();
  if (code !== "200") throw new Error(`Try it out answered ${code}`);
  await page.screenshot({ path: screenshot, fullPage: false });
  if (foreign.length) throw new Error(`the docs page asked other hosts: ${foreign.join(", ")}`);
  console.log(`docs: ${tags.length} tags and ${rendered} operations rendered; Try it out GET /healthz → ${code}; no request left ${new URL(base).host}; screenshot ${screenshot}`);
} finally {
  await browser.close();
}

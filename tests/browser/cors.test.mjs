// CORS in a real browser: a page served from a second origin calls the API's list with
// `Authorization: Token …`. From the allowed origin (http://127.0.0.1:<page port>, which run.sh
// passes to --cors-allowed-origins) it reads the answer and its paging headers; from
// http://localhost:<page port>, another origin on the same server, the browser blocks it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { apiUrl, artifact, launch, setting, token } from "./lib.mjs";

const page = readFileSync(new URL("./cors-page.html", import.meta.url));
const pagePort = Number(setting("WOU_PAGE_PORT"));
let pageServer;
let browser;

before(async () => {
  pageServer = createServer((request, response) => {
    if (new URL(request.url, "http://x").pathname !== "/cors.html") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
  });
  await new Promise((resolve) => pageServer.listen(pagePort, "127.0.0.1", resolve));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => pageServer?.close(resolve) ?? resolve());
});

/** Opens the probe page on `origin` and returns what it wrote once the fetch settled. */
async function probe(origin, screenshot) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const messages = [];
  tab.on("console", (message) => messages.push(message.text()));
  const query = new URLSearchParams({ api: apiUrl(), token: token() });
  await tab.goto(`${origin}/cors.html?${query}`);
  await tab.waitForFunction(() => document.getElementById("status").textContent !== "pending");
  const seen = {};
  for (const id of ["status", "count", "link", "error"]) seen[id] = await tab.textContent(`#${id}`);
  await tab.screenshot({ path: artifact(screenshot) });
  await context.close();
  return { seen, messages };
}

test("a page of the allowed origin reads the list and X-Result-Count", async () => {
  const direct = await fetch(`${apiUrl()}/api/marketplace-offering-users/`, {
    headers: { Authorization: `Token ${token()}` },
  });
  assert.equal(direct.status, 200);
  const expected = direct.headers.get("x-result-count");
  assert.match(expected, /^[1-9][0-9]*$/, "the imported document has offering users");

  const { seen } = await probe(`http://127.0.0.1:${pagePort}`, "cors-allowed.png");
  console.log(`allowed origin http://127.0.0.1:${pagePort}: ${JSON.stringify(seen)}`);
  assert.equal(seen.status, "200");
  assert.equal(seen.count, expected);
  assert.match(seen.link, /rel="first"/);
  assert.equal(seen.error, "");
});

test("a page of another origin is blocked by the browser", async () => {
  const { seen, messages } = await probe(`http://localhost:${pagePort}`, "cors-blocked.png");
  console.log(`other origin http://localhost:${pagePort}: ${JSON.stringify(seen)}`);
  assert.equal(seen.status, "blocked");
  assert.match(seen.error, /^TypeError: Failed to fetch/);
  assert.equal(seen.count, "");
  const blocked = messages.find((m) => m.includes("blocked by CORS policy") && m.includes("Access-Control-Allow-Origin"));
  assert.ok(blocked, `no CORS message in the console: ${JSON.stringify(messages)}`);
  console.log(`console: ${blocked}`);
});

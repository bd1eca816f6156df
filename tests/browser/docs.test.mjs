// /api/docs/ in a real browser: Swagger UI renders the operations of
// /api/marketplace-offering-users/ from /api/schema/, and "Authorize" with a token, then
// "Try it out" → "Execute" on the list operation, shows a 200. Every request of the page stays
// on the server (no CDN, no validator).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { apiUrl, artifact, launch, token } from "./lib.mjs";

const LIST_OPERATION = "operations-marketplace-offering-users-marketplace_offering_users_list";
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test("the docs page lists the operations and runs an authorised list call", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const tab = await context.newPage();
  const requested = [];
  tab.on("request", (request) => requested.push(request.url()));
  const errors = [];
  tab.on("pageerror", (error) => errors.push(String(error)));

  await tab.goto(`${apiUrl()}/api/docs/`);
  await tab.locator(`[id="${LIST_OPERATION}"]`).waitFor();
  await tab.screenshot({ path: artifact("docs-operations.png") });

  // The operations of /api/marketplace-offering-users/, by Waldur's operation ids and paths.
  const operationIds = await tab.locator(".opblock-summary-operation-id").allTextContents();
  const paths = await tab.locator(".opblock-summary-path").evaluateAll((nodes) => nodes.map((n) => n.dataset.path));
  console.log(`${operationIds.length} operations rendered, e.g. ${operationIds.slice(0, 4).join(", ")}`);
  for (const id of [
    "marketplace_offering_users_list",
    "marketplace_offering_users_create",
    "marketplace_offering_users_retrieve",
    "marketplace_offering_users_set_ok",
    "marketplace_offering_users_checklist_template_retrieve",
  ]) {
    assert.ok(operationIds.includes(id), `${id} not rendered`);
  }
  assert.ok(paths.includes("/api/marketplace-offering-users/"));
  assert.ok(paths.includes("/api/marketplace-offering-users/{uuid}/set_ok/"));

  // "Authorize": `Token <key>` for the TokenAuth scheme (an apiKey in Authorization).
  await tab.locator(".auth-wrapper button.authorize").click();
  const tokenAuth = tab.locator(".auth-container").filter({ hasText: "TokenAuth" });
  await tokenAuth.locator("input").fill(`Token ${token()}`);
  // Swagger UI labels these buttons for screen readers ("Apply credentials"): match the text.
  await tokenAuth.locator("button.authorize", { hasText: "Authorize" }).click();
  await tokenAuth.locator("button", { hasText: "Logout" }).waitFor();
  await tab.locator(".modal-ux button.close-modal").click();

  // The list operation: expand, "Try it out", "Execute".
  const list = tab.locator(`[id="${LIST_OPERATION}"]`);
  await list.locator(".opblock-summary-control").click();
  await list.locator("button.try-out__btn", { hasText: "Try it out" }).click();
  await list.locator("button.execute", { hasText: "Execute" }).click();
  const status = list.locator(".live-responses-table tr.response .response-col_status").first();
  await status.waitFor();
  const code = (await status.textContent()).trim();
  const curl = await list.locator(".curl-command").textContent();
  const liveResponse = await list.locator(".live-responses-table").textContent();
  console.log(`try it out: response code ${code}; the curl shown sends ${curl.match(/Authorization: Token [^'\s]+/)?.[0]}`);
  await list.locator(".live-responses-table").first().scrollIntoViewIfNeeded();
  await tab.screenshot({ path: artifact("docs-try-it-out.png") });

  assert.equal(code, "200");
  assert.match(curl, /-H 'Authorization: Token /);
  assert.match(liveResponse, /x-result-count: [1-9]/);
  assert.deepEqual(errors, [], "no script errors");
  const elsewhere = requested.filter((url) => !url.startsWith(`${apiUrl()}/`) && !url.startsWith("data:"));
  assert.deepEqual(elsewhere, [], "the page asked another host");
  await context.close();
});

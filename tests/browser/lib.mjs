// What both browser tests share: the server run.sh started, Debian's Chromium, and where
// screenshots go.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

/** Reads a variable run.sh sets; the tests make no sense without it. */
export function setting(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests/browser/run.sh`);
  return value;
}

/** The API under test, e.g. http://127.0.0.1:41234 */
export const apiUrl = () => setting("WOU_API_URL");
/** A staff token of the imported directory document. */
export const token = () => setting("WOU_TOKEN");

/**
 * Debian's Chromium, headless, with the flags this machine needs: its closed network refuses
 * the background connections Chromium makes (updates, sync, safe browsing), and as root it
 * runs without the sandbox. Playwright gives every launch a fresh, empty profile directory.
 */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    chromiumSandbox: false,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The path of a test artefact (a screenshot), in a directory that exists. */
export function artifact(name) {
  const dir = setting("WOU_ARTIFACTS");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

import { defineConfig } from "@playwright/test";

// Debian's Chromium (no browser download); the services are started by scripts/test-ui.
export default defineConfig({
  testDir: "tests",
  timeout: 120_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: Number(process.env.UI_TEST_WORKERS ?? 2),
  retries: 0,
  reporter: [["list"]],
  // Runs building into their own UI_OUT keep their own results too.
  outputDir: process.env.UI_OUT ? `test-results-${process.env.UI_OUT}` : "test-results",
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    viewport: { width: 1280, height: 800 },
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    },
  },
});

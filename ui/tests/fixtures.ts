// What every browser test shares: new users, the accessibility check, the
// screenshots for docs/, and a look at the database the services use.
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test as base } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";

export interface Person {
  name: string;
  email: string;
  password: string;
}

export const test = base.extend<{ person: Person }>({
  // Every test signs up people of its own, so tests never share state.
  // eslint-disable-next-line no-empty-pattern
  person: async ({}, use) => use(newPerson("Ama")),
});
export { expect };

export function newPerson(name: string): Person {
  const id = randomUUID().slice(0, 8);
  return { name: `${name} ${id}`, email: `${name.toLowerCase()}-${id}@example.test`, password: "correct horse battery" };
}

/** Signs `person` up through the API (the sign-up page has a test of its own) and in through the page. */
export async function signUpAndIn(page: Page, person: Person): Promise<void> {
  const res = await page.request.post("/api/users/signup", {
    data: { name: person.name, email: person.email, password: person.password },
  });
  expect(res.status(), await res.text()).toBe(201);
  await signIn(page, person);
}

export async function signIn(page: Page, person: Person): Promise<void> {
  await page.goto("/#/signin");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(person.name);
}

/** No serious or critical axe-core violation (WCAG 2.1 A and AA) on the page as it is now. */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

/** A PNG of the page at phone (390 px) and desktop width, for docs/screenshots/. */
export async function screenshots(page: Page, name: string): Promise<void> {
  const dir = process.env.SCREENSHOTS;
  if (!dir) return;
  const before = page.viewportSize();
  for (const [suffix, width] of [["phone", 390], ["desktop", 1280]] as const) {
    await page.setViewportSize({ width, height: suffix === "phone" ? 844 : 800 });
    await expectAccessible(page);
    await page.screenshot({ path: `${dir}/${name}-${suffix}.png`, fullPage: true, animations: "disabled" });
  }
  if (before) await page.setViewportSize(before);
}

/** One SQL statement against the services' database (to expire a hold, say); its rows as text. */
export function sql(query: string): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (run through scripts/test-ui)");
  return execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-tAc", query], { encoding: "utf8" }).trim();
}

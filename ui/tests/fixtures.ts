// What every browser test shares: new users, the accessibility check, the
// screenshots for docs/, and a look at the database the services use.
import AxeBuilder from "@axe-core/playwright";
import { type APIRequestContext, expect, type Page, test as base } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";

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
  expect(res.status(), await res.text()).toBe(202);
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

/** The last link of `topic` (account.verify_email, account.password_reset) mailed to `email`, as its reader sees it. */
export function mailedLink(topic: string, email: string): string {
  return sql(`SELECT mail->>'link' FROM outbox WHERE topic = '${topic}' AND email = '${email.toLowerCase()}' ORDER BY created_at DESC, id DESC LIMIT 1`);
}

/**
 * The text of the last mail of `topic` to `email`, as it reached the local
 * SMTP sink (scripts/test-ui starts one; its files are named by the outbox
 * row's Message-ID), waiting until it has arrived. Python's email package
 * reads the MIME (quoted-printable or base64 parts) as a mail client would.
 */
export async function mailedText(topic: string, email: string): Promise<string> {
  const dir = process.env.MAIL_DIR;
  if (!dir) throw new Error("MAIL_DIR is not set (run through scripts/test-ui)");
  const row = () => sql(`SELECT id FROM outbox WHERE topic = '${topic}' AND email = '${email.toLowerCase()}' ORDER BY created_at DESC, id DESC LIMIT 1`);
  await expect.poll(() => row() !== "" && existsSync(join(dir, `${row()}@slotwise.dev.eml`)), { timeout: 30_000 }).toBe(true);
  const reader = "import email, email.policy, sys\n"
    + "m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n"
    + "print(m.get_body(preferencelist=('plain',)).get_content())";
  return execFileSync("python3", ["-c", reader, join(dir, `${row()}@slotwise.dev.eml`)], { encoding: "utf8" });
}

/** A new account made (and its address verified) through the API; its session token. */
export async function signUpApi(
  request: APIRequestContext,
  person: Person,
  role: "client" | "professional" = "client",
): Promise<string> {
  const res = await request.post("/api/users/signup", { data: { ...person, role } });
  expect(res.status(), await res.text()).toBe(202);
  const token = mailedLink("account.verify_email", person.email).split("token=")[1];
  const verified = await request.post("/api/users/verify-email", { data: { token } });
  expect(verified.status(), await verified.text()).toBe(200);
  const signin = await request.post("/api/users/signin", { data: { email: person.email, password: person.password } });
  expect(signin.status(), await signin.text()).toBe(200);
  return (await signin.json()).token as string;
}

/** A call to the booking API as the holder of `token`; the JSON answer, after checking the status. */
export async function apiCall(
  request: APIRequestContext,
  token: string,
  method: "GET" | "POST",
  path: string,
  data?: unknown,
  status = method === "POST" ? 201 : 200,
): Promise<any> {
  const res = await request.fetch(path, {
    method,
    data,
    headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": randomUUID() },
  });
  expect(res.status(), `${method} ${path}: ${await res.text()}`).toBe(status);
  return res.json();
}

/** Pays a PaymentIntent at the emulator as a card holder would (pm_card_visa), without a page. */
export async function payAtEmulator(request: APIRequestContext, intent: string): Promise<void> {
  const base = process.env.STRIPE_API_BASE ?? "http://127.0.0.1:8420/";
  const auth = { Authorization: `Basic ${Buffer.from("sk_test_slotwise_local:").toString("base64")}` };
  const attach = await request.post(`${base}v1/payment_intents/${intent}`, { form: { payment_method: "pm_card_visa" }, headers: auth });
  expect(attach.ok(), await attach.text()).toBeTruthy();
  const confirm = await request.post(`${base}v1/payment_intents/${intent}/confirm`, { headers: auth });
  expect(confirm.ok(), await confirm.text()).toBeTruthy();
}

/** A GA event published through the API by the holder of `token`. */
export async function publishEvent(request: APIRequestContext, token: string, title: string, tiers: unknown[], extra: object = {}): Promise<any> {
  return apiCall(request, token, "POST", "/events", {
    title, category: "Music", venue: { name: "Test Hall", lat: 5.6037, long: -0.187 },
    starts_at: new Date(Date.now() + 10 * 86400_000).toISOString(), tiers, ...extra,
  });
}

/** `quantity` tickets of `tierId` bought and paid through the API; the confirmed order. */
export async function buyTickets(request: APIRequestContext, token: string, eventId: string, tierId: string, quantity: number): Promise<any> {
  const order = await apiCall(request, token, "POST", `/events/${eventId}/orders`, { items: [{ tier_id: tierId, quantity }] });
  await payAtEmulator(request, order.payment.payment_intent_id);
  let now = order;
  await expect.poll(async () => (now = await apiCall(request, token, "GET", `/orders/${order.id}`)).status, { timeout: 30_000 }).toBe("confirmed");
  return now;
}

/** Follows a link of the site's main navigation. */
export async function navigate(page: Page, name: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
}

/** Types a card into the Stripe.js card fields (any future expiry, any CVC) and pays. */
export async function payByCard(page: Page, number = "4242424242424242"): Promise<void> {
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Expiry (MM/YY)").fill("12/34");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: /^Pay / }).click();
}

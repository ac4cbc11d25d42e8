// Flow 3: find an event, buy general-admission tickets and a seat, get the
// tickets with their QR codes, and the invoice.
import { randomUUID } from "node:crypto";
import {
  apiCall, expect, expectAccessible, newPerson, payAtEmulator, payByCard, screenshots, signUpAndIn, signUpApi, test,
} from "./fixtures";

test("a person finds an event, buys tickets and a seat, and gets QR tickets and an invoice", async ({ page, person }) => {
  // An organizer of this test's own publishes a GA event and a seated one, both in Accra.
  const word = `tune${randomUUID().slice(0, 8).replace(/-/g, "")}`;
  const organizer = await signUpApi(page.request, newPerson("Kofi"));
  const inAccra = { category: "Music", venue: { name: "Osu Garden", lat: 5.556, long: -0.182 },
    starts_at: new Date(Date.now() + 10 * 86400_000).toISOString(), currency: "usd", description: `An evening of ${word} songs` };
  const ga = await apiCall(page.request, organizer, "POST", "/events", {
    ...inAccra, title: `Highlife ${word}`,
    tiers: [{ name: "General", price_cents: 2500, capacity: 50 }, { name: "VIP", price_cents: 8000, capacity: 10 }],
  });
  const seated = await apiCall(page.request, organizer, "POST", "/events", {
    ...inAccra, title: `Theatre ${word}`, starts_at: new Date(Date.now() + 12 * 86400_000).toISOString(),
    seat_rows: [{ row: "A", first: 1, last: 6, price_cents: 3000 }, { row: "B", first: 1, last: 6, price_cents: 2000 }],
  });

  await signUpAndIn(page, person);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Events" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Events" })).toBeVisible();
  await page.getByLabel("Place").selectOption({ label: "Accra" });
  await page.getByLabel("Keywords").fill(word);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("heading", { name: `Events near Accra matching “${word}”` })).toBeVisible();
  const results = page.getByRole("list", { name: /Events near Accra/ }).getByRole("listitem");
  await expect(results).toHaveCount(2);
  await expect(results.first()).toContainText("Osu Garden");
  await expect(results.first()).toContainText("km away");
  await expect(results.first()).toContainText("From $25.00");
  await expect(results.first()).toContainText("60 left");
  await expectAccessible(page);
  await screenshots(page, "events");

  // General admission: two tickets, paid while the hold counts down.
  await page.getByRole("link", { name: `Highlife ${word}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Highlife ${word}` })).toBeVisible();
  await expect(page.getByRole("link", { name: "Resale tickets" })).toHaveAttribute("href", `#/events/${ga.id}/resale`);
  await expect(page.getByRole("listitem").filter({ hasText: "VIP" })).toContainText("10 left");
  await page.getByLabel("General tickets").fill("2");
  await expectAccessible(page);
  await screenshots(page, "event-tiers");
  await page.getByRole("button", { name: "Check out" }).click();

  await expect(page.getByRole("heading", { level: 1, name: `Check out: Highlife ${word}` })).toBeVisible();
  await expect(page.getByTestId("countdown")).toHaveText(/^1[45]:\d\d$/);
  await expect(page.getByRole("row", { name: /General/ })).toContainText("$50.00");
  await expect(page.getByLabel("Card number")).toBeVisible();
  await expectAccessible(page);
  await screenshots(page, "checkout");
  await payByCard(page);

  await expect(page.getByRole("heading", { level: 1, name: `Your tickets: Highlife ${word}` })).toBeVisible({ timeout: 30_000 });
  const tickets = page.getByRole("list", { name: "Tickets" }).getByRole("listitem");
  await expect(tickets).toHaveCount(2);
  for (const ticket of await tickets.all()) {
    const code = await ticket.getByTestId("ticket-code").textContent();
    expect(code).toBeTruthy();
    await expect(ticket.getByRole("img", { name: `QR code of ticket ${code}` })).toBeVisible();
  }
  await expectAccessible(page);
  await screenshots(page, "order");

  await page.getByRole("link", { name: "Invoice" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Invoice" })).toBeVisible();
  const invoice = page.getByRole("article");
  await expect(invoice).toContainText(`Highlife ${word}`);
  await expect(invoice).toContainText(person.name);
  await expect(invoice).toContainText(person.email);
  await expect(invoice).toContainText("USD");
  await expect(page.getByRole("row", { name: /General/ })).toHaveText(/General\s*\$25\.00\s*2\s*\$50\.00/);
  await expect(page.getByRole("row", { name: /^Total \(USD\)/ })).toContainText("$50.00");
  await page.evaluate(() => { (window as unknown as { printed: boolean }).printed = false; window.print = () => { (window as unknown as { printed: boolean }).printed = true; }; });
  await page.getByRole("button", { name: "Print" }).click();
  expect(await page.evaluate(() => (window as unknown as { printed: boolean }).printed)).toBe(true);
  await page.emulateMedia({ media: "print" });
  await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();
  await expect(page.getByRole("button", { name: "Print" })).toBeHidden();
  await page.emulateMedia({ media: "screen" });
  await expectAccessible(page);
  await screenshots(page, "invoice");

  // A seated event: another buyer holds A2 (unpaid) and has bought A3.
  const other = await signUpApi(page.request, newPerson("Esi"));
  await apiCall(page.request, other, "POST", `/events/${seated.id}/orders`, { seats: ["A2"] });
  const bought = await apiCall(page.request, other, "POST", `/events/${seated.id}/orders`, { seats: ["A3"] });
  await payAtEmulator(page.request, bought.payment.payment_intent_id);
  await expect.poll(async () => (await apiCall(page.request, other, "GET", `/orders/${bought.id}`)).status, { timeout: 30_000 }).toBe("confirmed");

  await page.goto(`/#/events/${seated.slug}`);
  await expect(page.getByRole("heading", { level: 1, name: `Theatre ${word}` })).toBeVisible();
  await expect(page.getByRole("list", { name: "Legend" })).toContainText("Held");
  await expect(page.getByRole("button", { name: "A2, $30.00, held" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "A3, $30.00, sold" })).toBeDisabled();
  const seat = page.getByRole("button", { name: "A1, $30.00, available" });
  await seat.focus();
  await page.keyboard.press("Enter");
  await expect(seat).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByText("Your seats: A1 · $30.00")).toBeVisible();
  await expectAccessible(page);
  await screenshots(page, "event-seats");
  await page.getByRole("button", { name: "Check out" }).click();

  await expect(page.getByRole("heading", { level: 1, name: `Check out: Theatre ${word}` })).toBeVisible();
  await expect(page.getByTestId("countdown")).toHaveText(/^1[45]:\d\d$/);
  await payByCard(page);
  await expect(page.getByRole("heading", { level: 1, name: `Your tickets: Theatre ${word}` })).toBeVisible({ timeout: 30_000 });
  const seatTicket = page.getByRole("list", { name: "Tickets" }).getByRole("listitem");
  await expect(seatTicket).toHaveCount(1);
  await expect(seatTicket).toContainText("Seat A1");
  await expect(seatTicket.getByRole("img", { name: /^QR code of ticket / })).toBeVisible();
});

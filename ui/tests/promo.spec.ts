// Selling tools a buyer meets: a tier not on sale yet says when it opens, a
// wrong promo code is explained, and a right one lowers the price paid.
import { randomUUID } from "node:crypto";
import { apiCall, expect, expectAccessible, newPerson, payByCard, signUpAndIn, signUpApi, test } from "./fixtures";

test("a buyer sees when a tier opens and buys with a promo code at the discounted price", async ({ page, person }) => {
  const word = `promo${randomUUID().slice(0, 8)}`;
  const organizer = await signUpApi(page.request, newPerson("Ama"));
  const opens = new Date(Date.now() + 2 * 86400_000);
  const event = await apiCall(page.request, organizer, "POST", "/events", {
    title: `Spring show ${word}`, category: "Music", venue: { name: "Garden Stage", lat: 5.6037, long: -0.187 },
    starts_at: new Date(Date.now() + 10 * 86400_000).toISOString(), currency: "usd",
    tiers: [
      { name: "General", price_cents: 2000, capacity: 20 },
      { name: "Late release", price_cents: 3000, capacity: 20, sales_start: opens.toISOString() },
    ],
  });
  await apiCall(page.request, organizer, "POST", `/events/${event.id}/vouchers`, { code: "SPRING", percent_off: 25, max_uses: 5 });

  await signUpAndIn(page, person);
  await page.goto(`/#/events/${event.slug}`);
  await expect(page.getByRole("heading", { level: 1, name: `Spring show ${word}` })).toBeVisible();
  const late = page.getByRole("listitem").filter({ hasText: "Late release" });
  await expect(late).toContainText("On sale");
  await expect(page.getByLabel("Late release tickets")).toBeDisabled();

  await page.getByLabel("General tickets").fill("2");
  await page.getByLabel("Promo code (optional)").fill("SPRNG");
  await page.getByRole("button", { name: "Check out" }).click();
  await expect(page.getByRole("alert")).toHaveText("That promo code isn't valid for this event. Check its spelling.");
  await expectAccessible(page);

  await page.getByLabel("Promo code (optional)").fill("spring");
  await page.getByRole("button", { name: "Check out" }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Check out: Spring show ${word}` })).toBeVisible();
  await expect(page.getByRole("row", { name: /General/ })).toContainText("$30.00");
  await payByCard(page);
  await expect(page.getByRole("heading", { level: 1, name: `Your tickets: Spring show ${word}` })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("list", { name: "Tickets" }).getByRole("listitem")).toHaveCount(2);

  const list = await apiCall(page.request, organizer, "GET", `/events/${event.id}/vouchers`);
  expect(list.items[0].stats).toEqual({ orders: 1, tickets: 2, revenue_cents: 3000, discount_cents: 1000 });
});

// What goes wrong buying tickets, in words: asking for more than are left,
// and a hold that runs out before paying.
import { randomUUID } from "node:crypto";
import { apiCall, expect, expectAccessible, newPerson, signUpAndIn, signUpApi, sql, test } from "./fixtures";

test("sold out names how many are left; an expired hold says so and leads back to the event", async ({ page, person }) => {
  const word = `gig${randomUUID().slice(0, 8)}`;
  const organizer = await signUpApi(page.request, newPerson("Kofi"));
  const event = await apiCall(page.request, organizer, "POST", "/events", {
    title: `Small room ${word}`, category: "Music", venue: { name: "Back Room", lat: 5.6037, long: -0.187 },
    starts_at: new Date(Date.now() + 10 * 86400_000).toISOString(), currency: "usd",
    tiers: [{ name: "Standing", price_cents: 1500, capacity: 3 }],
  });

  await signUpAndIn(page, person);
  await page.goto(`/#/events/${event.slug}`);
  await expect(page.getByRole("heading", { level: 1, name: `Small room ${word}` })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Standing" })).toContainText("3 left");

  // Meanwhile another buyer holds two of the three.
  const other = await signUpApi(page.request, newPerson("Esi"));
  await apiCall(page.request, other, "POST", `/events/${event.id}/orders`, { items: [{ tier_id: event.tiers[0].id, quantity: 2 }] });

  await page.getByLabel("Standing tickets").fill("2");
  await page.getByRole("button", { name: "Check out" }).click();
  await expect(page.getByRole("alert")).toHaveText("Sold out: only 1 left in that tier. Choose fewer tickets.");
  await expect(page.getByRole("listitem").filter({ hasText: "Standing" })).toContainText("1 left");
  await expectAccessible(page);

  // One is still there: held, then the hold runs out before paying.
  await page.getByLabel("Standing tickets").fill("1");
  await page.getByRole("button", { name: "Check out" }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Check out: Small room ${word}` })).toBeVisible();
  await expect(page.getByTestId("countdown")).toBeVisible();
  const orderId = new URL(page.url()).hash.split("/").pop()!;
  sql(`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = '${orderId}'`);

  await expect(page.getByRole("alert")).toContainText("Your hold expired and the tickets went back on sale", { timeout: 30_000 });
  await expect(page.getByRole("heading", { level: 1, name: `Your hold expired: Small room ${word}` })).toBeVisible();
  await expect(page.getByLabel("Card number")).toHaveCount(0);
  await expectAccessible(page);
  await page.getByRole("link", { name: `Back to Small room ${word}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Small room ${word}` })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Standing" })).toContainText("1 left");
});

// Flow: a sold-out tier's waiting list. A person joins it and sees their
// place; when the tickets come back (another buyer's hold runs out) they
// are held for them and mailed; the link in that mail, read from the local
// SMTP sink, opens the offer, and they buy the tickets through it.
import { randomUUID } from "node:crypto";
import {
  apiCall, expect, expectAccessible, mailedText, newPerson, payByCard, publishEvent, screenshots, signIn, signUpApi, sql, test,
} from "./fixtures";

test("a person waits for a sold-out tier, gets the offer mail and buys through its link", async ({ page, person }) => {
  const title = `Sold-out night ${randomUUID().slice(0, 8)}`;
  const organizer = await signUpApi(page.request, newPerson("Kofi"));
  const event = await publishEvent(page.request, organizer, title, [{ name: "General", price_cents: 2500, capacity: 2 }]);
  const first = await signUpApi(page.request, newPerson("Esi"));
  const held = await apiCall(page.request, first, "POST", `/events/${event.id}/orders`, {
    items: [{ tier_id: event.tiers[0].id, quantity: 2 }],
  });

  await signUpApi(page.request, person);
  await signIn(page, person);
  await page.goto(`/#/events/${event.slug}`);
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "General" }).first()).toContainText("Sold out");
  const waitlist = page.getByRole("region", { name: "Waiting list" });
  await waitlist.getByLabel("Tickets wanted").fill("2");
  await waitlist.getByRole("button", { name: "Join the waiting list" }).click();
  await expect(waitlist.getByRole("status")).toHaveText("You are on the waiting list: number 1 in line.");
  await expect(waitlist).toContainText("You are number 1 in line for 2 × General.");
  await expectAccessible(page);

  // The first buyer's hold runs out: the two tickets are held for the line, not sold to the public.
  sql(`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = '${held.id}'`);
  const mail = await mailedText("waitlist.offered", person.email);
  const link = /https?:\/\/\S+\?offer=[0-9a-f-]{36}/.exec(mail)?.[0];
  expect(link, mail).toBeTruthy();
  const stranger = await signUpApi(page.request, newPerson("Yaw"));
  await apiCall(page.request, stranger, "POST", `/events/${event.id}/orders`, {
    items: [{ tier_id: event.tiers[0].id, quantity: 1 }],
  }, 409);

  await page.goto(link!.replace(/^https?:\/\/[^/]+/, ""));
  const offer = page.getByRole("region", { name: "Waiting list" }).getByRole("listitem").filter({ hasText: "Tickets held for you" });
  await expect(offer).toContainText("2 × General · $50.00, held for you until");
  await screenshots(page, "waitlist-offer");
  await offer.getByRole("button", { name: "Buy them now" }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Check out: ${title}` })).toBeVisible();
  await payByCard(page);
  await expect(page.getByRole("heading", { level: 1, name: `Your tickets: ${title}` })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("list", { name: "Tickets" }).getByRole("listitem")).toHaveCount(2);

  // The link again: the offer is spent, and said so.
  await page.goto(link!.replace(/^https?:\/\/[^/]+/, ""));
  await expect(page.getByRole("region", { name: "Waiting list" })).toContainText("You already bought the tickets of this offer");

  // The session ends (signed out elsewhere): the event page still shows, and
  // the offer link asks to sign in again instead of failing.
  sql(`DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = '${person.email.toLowerCase()}')`);
  await page.goto(`/#/events/${event.slug}`);
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await page.goto(link!.replace(/^https?:\/\/[^/]+/, ""));
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
});

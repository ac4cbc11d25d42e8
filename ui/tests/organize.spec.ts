// Flow 5: an organizer publishes events (tiers, then a seat grid), sees
// sales, and cancels one: its buyers are refunded.
import { apiCall, buyTickets, expect, expectAccessible, navigate, newPerson, screenshots, signUpAndIn, signUpApi, test } from "./fixtures";

test("an organizer creates events with tiers and with seats, sees sales and cancels one", async ({ page, request, person }) => {
  await signUpAndIn(page, person);
  await navigate(page, "Organize");
  await expect(page.getByText("You have not published an event yet.")).toBeVisible();
  await page.getByRole("link", { name: "Create an event" }).click();
  await expectAccessible(page);

  // A form left incomplete says what is missing.
  await page.getByRole("button", { name: "Publish the event" }).click();
  await expect(page.getByRole("alert")).toHaveText(/Please give a title/);

  const title = `Highlife at dusk ${Date.now()}`;
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Description").fill("Two bands, one evening.");
  await page.getByLabel("Venue").fill("Jamestown Lighthouse");
  await page.getByLabel("City").selectOption({ label: "Accra" });
  await page.getByLabel("Tier name", { exact: true }).first().fill("Early bird");
  await page.getByLabel("Price", { exact: true }).first().fill("12.50");
  await page.getByLabel("Tickets", { exact: true }).first().fill("30");
  await page.getByRole("button", { name: "Add a tier" }).click();
  await page.locator("#tier-name-2").fill("VIP");
  await page.locator("#tier-price-2").fill("40");
  await page.locator("#tier-capacity-2").fill("10");
  await screenshots(page, "organize-new");
  await page.getByRole("button", { name: "Publish the event" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  await expect(page.getByTestId("sales-summary")).toHaveText("0 of 40 tickets sold · $0.00");
  const eventId = page.url().split("/").pop()!;

  // Someone buys two early-bird tickets; the organizer sees them.
  const buyerToken = await signUpApi(request, newPerson("Buyer"));
  const event = await apiCall(request, buyerToken, "GET", `/events/${eventId}`);
  const order = await buyTickets(request, buyerToken, eventId, event.tiers[0].id, 2);
  await page.reload();
  await expect(page.getByTestId("sales-summary")).toHaveText("2 of 40 tickets sold · $25.00");
  // The sales table (the door section has a table by tier too).
  await expect(page.getByRole("table", { name: "Sales by tier" }).getByRole("row", { name: /Early bird/ })).toContainText("2 / 30");
  await screenshots(page, "organize-event");

  // A seated event from the same form.
  await page.goto("/#/organize/new");
  await page.getByLabel("Title").fill(`${title} (seated)`);
  await page.getByLabel("Venue").fill("National Theatre");
  await page.getByLabel("Named seats on a grid").check();
  await page.getByLabel("Rows").fill("A-B");
  await page.getByLabel("Seats per row").fill("5");
  await page.getByLabel("Price per seat").fill("30");
  await page.getByRole("button", { name: "Publish the event" }).click();
  await expect(page.getByTestId("sales-summary")).toHaveText("0 of 10 seats sold · 0 held · 10 available");

  await page.getByRole("link", { name: "All my events" }).click();
  await expect(page.getByRole("main").getByRole("listitem")).toHaveCount(2);
  await screenshots(page, "organize");

  // Cancel the first: asked once more, then cancelled, and the buyer refunded.
  await page.getByRole("link", { name: title, exact: true }).click();
  await page.getByRole("button", { name: "Cancel this event" }).click();
  await page.getByRole("button", { name: "Yes, cancel and refund everyone" }).click();
  await expect(page.getByTestId("event-status")).toHaveText("cancelled");
  await expect(page.getByRole("button", { name: "Cancel this event" })).toHaveCount(0);
  await expect.poll(async () => {
    const o = await apiCall(request, buyerToken, "GET", `/orders/${order.id}`);
    return [o.status, o.refund?.amount_cents];
  }, { timeout: 30_000 }).toEqual(["cancelled", 2500]);
});

// Flow 4: my tickets: give one away by email, list one for resale and change
// its price (refused while a buyer holds it), and another person buys it.
import {
  apiCall, buyTickets, expect, expectAccessible, navigate, newPerson, payByCard, publishEvent, screenshots, signIn, signUpApi, test,
} from "./fixtures";

test("a holder gives a ticket away, resells another, and cannot reprice it while a buyer pays", async ({ page, browser, request }) => {
  const organizer = await signUpApi(request, newPerson("Organizer"));
  const event = await publishEvent(request, organizer, `Resale night ${Date.now()}`, [{ name: "Floor", price_cents: 1500, capacity: 50 }]);
  const seller = newPerson("Seller");
  const sellerToken = await signUpApi(request, seller);
  const friend = newPerson("Friend");
  const friendToken = await signUpApi(request, friend);
  await buyTickets(request, sellerToken, event.id, event.tiers[0].id, 2);

  await signIn(page, seller);
  await navigate(page, "My tickets");
  const tickets = page.getByRole("main").getByRole("listitem");
  await expect(tickets).toHaveCount(2);
  await screenshots(page, "tickets");

  // Give the first to a friend: it leaves the seller's list and reaches the friend.
  await tickets.first().getByRole("link").click();
  await expect(page.getByTestId("ticket-code")).not.toBeEmpty();
  await page.getByLabel("Their email").fill(friend.email);
  await page.getByRole("button", { name: "Send the ticket" }).click();
  await expect(page.getByRole("status").filter({ hasText: "on its way" })).toContainText(friend.email);
  expect((await apiCall(request, friendToken, "GET", "/tickets")).items).toHaveLength(1);
  await page.getByRole("link", { name: "Back to my tickets" }).click();
  await expect(tickets).toHaveCount(1);

  // List the other, then change its price.
  await tickets.first().getByRole("link").click();
  const sellerCode = (await page.getByTestId("ticket-code").textContent()) ?? "";
  await page.getByLabel("Price (USD)").fill("20");
  await page.getByRole("button", { name: "List for resale" }).click();
  await expect(page.getByTestId("listing-status")).toHaveText("Listed at $20.00");
  await page.getByLabel("New price (USD)").fill("18.50");
  await page.getByRole("button", { name: "Change price" }).click();
  await expect(page.getByTestId("listing-status")).toHaveText("Listed at $18.50");
  await screenshots(page, "ticket");
  const ticketUrl = page.url();

  // Another person starts buying it...
  const buyer = newPerson("Buyer");
  await signUpApi(request, buyer);
  const buyerContext = await browser.newContext();
  const buyerPage = await buyerContext.newPage();
  await signIn(buyerPage, buyer);
  await buyerPage.goto(`/#/events/${event.id}/resale`);
  await expectAccessible(buyerPage);
  await buyerPage.getByRole("button", { name: "Buy for $18.50" }).click();
  await expect(buyerPage.getByLabel("Card number")).toBeVisible();

  // ...so the seller's new price is refused, in words.
  await page.goto(ticketUrl);
  await page.reload();
  await expect(page.getByRole("form", { name: "Give it to someone" })).toHaveCount(0);
  await expect(page.getByTestId("listing-status")).toContainText("a buyer is paying until");
  await page.getByLabel("New price (USD)").fill("17");
  await page.getByRole("button", { name: "Change price" }).click();
  await expect(page.getByRole("alert")).toHaveText(/A buyer is paying for this ticket right now/);

  // The buyer pays what the listing said when they started.
  await expect(buyerPage.getByRole("button", { name: "Pay $18.50" })).toBeVisible();
  await payByCard(buyerPage, "4242 4242 4242 4242");
  await expect(buyerPage.getByRole("heading", { level: 1 })).toHaveText(/^Your tickets/, { timeout: 60_000 });
  // The resale order shows the ticket it bought, with a new code.
  await expect(buyerPage.getByTestId("ticket-code")).toHaveCount(1);
  await expect(buyerPage.getByTestId("ticket-code")).not.toHaveText(sellerCode);
  await navigate(buyerPage, "My tickets");
  await expect(buyerPage.getByRole("main").getByRole("listitem")).toHaveCount(1);
  await buyerContext.close();

  await page.goto("/#/tickets");
  await expect(page.getByText("No tickets yet.")).toBeVisible();
});

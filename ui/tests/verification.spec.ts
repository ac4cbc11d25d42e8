// Flow 8: a gift waits for a verified address; the link mailed at sign-up
// verifies it in the browser; a forgotten password is reset by a link that
// works once and signs every device out.
import { apiCall, buyTickets, expect, expectAccessible, mailedLink, newPerson, publishEvent, signUpApi, test } from "./fixtures";

test("a gift reaches a new account once its address is verified, and a password is reset by its link", async ({ page, request }) => {
  const organizer = await signUpApi(request, newPerson("Organizer"));
  const event = await publishEvent(request, organizer, `Verify night ${Date.now()}`, [{ name: "Floor", price_cents: 500, capacity: 10 }]);
  const giver = await signUpApi(request, newPerson("Giver"));
  const order = await buyTickets(request, giver, event.id, event.tiers[0].id, 1);
  const friend = newPerson("Friend");
  await apiCall(request, giver, "POST", `/tickets/${order.tickets[0].id}/transfer`, { to_email: friend.email });

  // The friend signs up in the browser: signed in at once, but the gift waits.
  await page.goto("/#/signup");
  await page.getByLabel("Name").fill(friend.name);
  await page.getByLabel("Email").fill(friend.email);
  await page.getByLabel("Password").fill(friend.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("signed-in-as")).toHaveText(friend.name);
  await page.goto("/#/tickets");
  await expect(page.getByText("No tickets yet.")).toBeVisible();

  // The link in their mail verifies the address: the ticket is theirs.
  await page.goto(mailedLink("account.verify_email", friend.email).replace(/^https?:\/\/[^/]+/, ""));
  await expect(page.getByRole("status").filter({ hasText: "is confirmed" })).toBeVisible();
  await expectAccessible(page);
  await page.goto("/#/tickets");
  await expect(page.getByRole("main").getByRole("listitem")).toHaveCount(1);

  // Forgot the password: the sign-in page leads to the reset.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.getByLabel("Email").fill(friend.email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByRole("status").filter({ hasText: "a link is on its way" })).toBeVisible();
  await expectAccessible(page);
  const link = mailedLink("account.password_reset", friend.email).replace(/^https?:\/\/[^/]+/, "");
  await page.goto(link);
  await page.getByLabel("New password").fill("a brand new password");
  await page.getByLabel("New password").press("Enter");
  await expect(page.getByRole("status").filter({ hasText: "Your password is changed" })).toBeVisible();
  // The link works once.
  await page.goto("/#/");
  await page.goto(link);
  await page.getByLabel("New password").fill("yet another password");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("alert")).toContainText("invalid, expired or already used");
  // The new password signs in.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign in" }).click();
  await page.getByLabel("Email").fill(friend.email);
  await page.getByLabel("Password").fill("a brand new password");
  await page.getByLabel("Password").press("Enter");
  await expect(page.getByTestId("signed-in-as")).toHaveText(friend.name);
});

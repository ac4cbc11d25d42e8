// Flow 2: find a professional near a place, book a free slot, pay by card,
// see it confirmed when the webhook lands, then cancel it for a refund.
import { expect, expectAccessible, payByCard, screenshots, signUpAndIn, test } from "./fixtures";
import { createProfessional } from "./pros-fixtures";

test("a client finds a professional, books and pays a slot, sees it confirmed, and cancels it for a refund", async ({ page, context, person }) => {
  const pro = await createProfessional(page);
  await signUpAndIn(page, person);

  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Find a pro" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Find a professional");
  await page.getByLabel("Place").selectOption({ label: "Accra" });
  await page.getByLabel("Category").fill(pro.category);
  await page.getByLabel("Max rate per minute").fill("1.00");
  await page.getByLabel("Travel mode").selectOption({ label: "Driving" });
  await page.getByRole("button", { name: "Search" }).click();
  const hit = page.getByRole("listitem").filter({ hasText: pro.name });
  await expect(hit).toContainText(`${pro.category} · $0.50 per minute`);
  await expect(hit).toContainText(/\d+\.\d km away · about \d+ min by car/);
  await expectAccessible(page);
  await screenshots(page, "pros-search");

  // "Use my location": refused, it says so; allowed, at the professional's door, they are 0 km away.
  await context.clearPermissions();
  await page.getByRole("button", { name: "Use my location" }).click();
  await expect(page.getByRole("alert")).toContainText("We couldn't get your location");
  await context.grantPermissions(["geolocation"]);
  await context.setGeolocation({ latitude: pro.lat, longitude: pro.long });
  await page.getByRole("button", { name: "Use my location" }).click();
  await expect(page.getByRole("status")).toContainText("Using your location");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("heading", { name: "Professionals near your location" })).toBeVisible();
  await expect(hit).toContainText("0.0 km away");

  await hit.getByRole("link", { name: pro.name }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(pro.name);
  await expect(page.getByRole("heading", { name: "Free times in the next 7 days" })).toBeVisible();
  await expect(page.locator("[data-start]").first()).toBeVisible();
  await expectAccessible(page);
  await screenshots(page, "pro");

  await page.locator("[data-start]").first().click();
  await expect(page.locator("[data-start]").first()).toHaveAttribute("aria-pressed", "true");
  await expect(page.locator("#booking-summary")).toContainText("(60 minutes): $30.00");
  await page.getByRole("button", { name: "Book this time" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Booking with ${pro.name}`);
  await expect(page.getByTestId("booking-status")).toHaveText("Awaiting payment");
  await expectAccessible(page);
  await payByCard(page, "4242424242424242");
  // The page polls; the webhook from the emulator confirms the booking.
  await expect(page.getByTestId("booking-status")).toHaveText("Confirmed", { timeout: 60_000 });
  await expect(page.getByRole("status")).toHaveText("Your booking is confirmed.");

  await nav.getByRole("link", { name: "My bookings" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("My bookings");
  const mine = page.getByRole("listitem").filter({ hasText: pro.name });
  await expect(mine).toContainText("60 minutes · $30.00 · Confirmed");
  await expectAccessible(page);
  await screenshots(page, "bookings");

  await mine.getByRole("link").click();
  await page.getByRole("button", { name: "Cancel booking" }).click();
  await expect(page.getByText("Cancel this booking? You get a full refund of $30.00.")).toBeVisible();
  await page.getByRole("button", { name: "Yes, cancel it" }).click();
  await expect(page.getByTestId("booking-status")).toHaveText("Cancelled");
  await expect(page.getByRole("status")).toHaveText("Booking cancelled. Refund: $30.00 to your card.");
  await expect(page.getByTestId("refund")).toContainText("$30.00");
  await expect(page.getByRole("button", { name: "Cancel booking" })).toHaveCount(0);
  await expectAccessible(page);
});

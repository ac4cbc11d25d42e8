// Errors of flow 2: a slot another client took since the page loaded, and a
// declined card. Each is a clear message and the client gets on with it.
import { randomUUID } from "node:crypto";
import { expect, expectAccessible, newPerson, payByCard, signUpAndIn, signUpApi, test } from "./fixtures";
import { createProfessional } from "./pros-fixtures";

test("a slot taken meanwhile and a declined card are explained, and the client still books and pays", async ({ page, person }) => {
  const pro = await createProfessional(page);
  const rival = await signUpApi(page.request, newPerson("Kwame"));
  await signUpAndIn(page, person);

  await page.goto(`/#/pros/${pro.slug}`);
  const firstSlot = page.locator("[data-start]").first();
  await expect(firstSlot).toBeVisible();
  const taken = (await firstSlot.getAttribute("data-start"))!;

  // Another client books that slot after the page showed it free.
  const theirs = await page.request.post("/bookings", {
    headers: { Authorization: `Bearer ${rival}`, "Idempotency-Key": randomUUID() },
    data: { professional_id: pro.id, start_time: taken, duration_minutes: 60 },
  });
  expect(theirs.status(), await theirs.text()).toBe(201);

  await firstSlot.click();
  await page.getByRole("button", { name: "Book this time" }).click();
  await expect(page.getByRole("alert")).toHaveText(
    "That slot was just taken by someone else. Please pick another time. The list of free times is updated.");
  await expect(page.locator(`[data-start="${taken}"]`)).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Book this time" })).toHaveCount(0);
  await expectAccessible(page);

  // The next free time books; a declined card is explained, a good one pays.
  await page.locator("[data-start]").first().click();
  await page.getByRole("button", { name: "Book this time" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Booking with ${pro.name}`);
  await payByCard(page, "4000000000000002");
  await expect(page.getByRole("alert")).toHaveText("Your card was declined. Please try another card.");
  await expect(page.getByTestId("booking-status")).toHaveText("Awaiting payment");
  await expectAccessible(page);
  await payByCard(page, "4242424242424242");
  await expect(page.getByTestId("booking-status")).toHaveText("Confirmed", { timeout: 60_000 });
  await expect(page.getByRole("status")).toHaveText("Your booking is confirmed.");
});

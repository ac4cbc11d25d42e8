// Flow 9: the door. An organizer adds a scanner device and opens the scanner;
// it admits a ticket once, says why not for the rest, keeps deciding with the
// network off (queueing its scans), and uploads them when the network returns.
import { apiCall, expect, expectAccessible, newPerson, publishEvent, screenshots, signIn, signUpApi, sql, test } from "./fixtures";

test("a door scanner admits a ticket once, says why not, and keeps working offline", async ({ page, context, request, person }) => {
  const organizer = await signUpApi(request, person);
  await signIn(page, person);
  const title = `Door night ${Date.now()}`;
  const event = await publishEvent(request, organizer, title, [{ name: "General", price_cents: 0, capacity: 10 }]);
  const buyer = await signUpApi(request, newPerson("Kofi"));
  const order = await apiCall(request, buyer, "POST", `/events/${event.id}/orders`, { items: [{ tier_id: event.tiers[0].id, quantity: 3 }] });
  const codes: string[] = order.tickets.map((t: { code: string }) => t.code);

  // The organizer adds a device and opens the scanner on this one.
  await page.goto(`/#/organize/${event.id}`);
  await expect(page.getByTestId("checkin-summary")).toHaveText("0 of 3 checked in");
  await page.getByLabel("Device name").fill("North door");
  await page.getByRole("button", { name: "Add a scanner device" }).click();
  await expect(page.getByTestId("scanner-token")).toHaveText(/^sct_/);
  await page.getByRole("button", { name: "Open the scanner on this device" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Door: ${title}`);
  await expect(page.getByTestId("scan-banner")).toHaveText("Online · 3 tickets on this device");
  // Its service worker holds the page from now on.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

  // Keyboard only, as a USB scanner types: the code, then Enter.
  const answer = page.getByTestId("scan-answer");
  const scan = async (code: string) => {
    await page.getByLabel("Ticket code").fill(code);
    await page.getByLabel("Ticket code").press("Enter");
  };
  await scan(codes[0]);
  await expect(answer).toContainText("Admitted");
  await expect(answer).toContainText("General");
  await expect(answer).toHaveClass(/go/);
  await expectAccessible(page);
  await screenshots(page, "door-scanner");
  await scan(codes[0]);
  await expect(answer).toContainText("Already checked in");
  await expect(answer).toContainText("by North door");
  await expect(answer).toHaveClass(/wait/);
  await scan("not a ticket");
  await expect(answer).toContainText("Scan again");

  // The network goes: the device decides from its list and queues.
  await context.setOffline(true);
  await expect(page.getByTestId("scan-banner")).toHaveText(/^Offline, 0 scans queued/);
  await scan(codes[1]);
  await expect(answer).toContainText("Admitted");
  await expect(answer).toContainText("Offline: will sync");
  await expect(page.getByTestId("scan-banner")).toHaveText(/^Offline, 1 scans queued/);
  await scan(codes[1]);
  await expect(answer).toContainText("Already checked in");
  await scan(codes[0]);
  await expect(answer).toContainText("Already checked in");
  // A code signed by someone else fails the device's own signature check.
  const forged = codes[2].slice(0, 60) + (codes[2][60] === "A" ? "B" : "A") + codes[2].slice(61);
  await scan(forged);
  await expect(answer).toHaveClass(/stop/);
  expect(sql(`SELECT count(*) FROM checkins WHERE event_id = '${event.id}' AND result = 'admitted'`)).toBe("1");
  // The page itself comes back without the network (its service worker), queue and all.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Door: ${title}`);
  await expect(page.getByTestId("scan-banner")).toHaveText(/^Offline, 1 scans queued/);
  await scan(codes[1]);
  await expect(answer).toContainText("Already checked in");

  // Back online: the queued scan is uploaded and recorded as it happened.
  await context.setOffline(false);
  await expect(page.getByTestId("scan-banner")).toHaveText("Online · 3 tickets on this device", { timeout: 30_000 });
  await expect.poll(() => sql(`SELECT count(*) FROM checkins WHERE event_id = '${event.id}' AND result = 'admitted' AND offline`)).toBe("1");

  // The organizer sees it.
  await page.goto(`/#/organize/${event.id}`);
  await expect(page.getByTestId("checkin-summary")).toHaveText("2 of 3 checked in");
  await expect(page.getByRole("main")).toContainText("North door: 2");
});

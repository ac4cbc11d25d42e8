// Flow 9: the door. An organizer adds a scanner device and opens the scanner;
// it admits a ticket once, says why not for the rest, keeps deciding with the
// network off (queueing its scans), and uploads them when the network returns;
// a ticket two offline doors both let in is a conflict on the organizer's page.
import { type Page } from "@playwright/test";
import { apiCall, expect, expectAccessible, newPerson, publishEvent, screenshots, signIn, signUpApi, sql, test } from "./fixtures";

/** Types a code into the scanner's field as a USB scanner does: the code, then Enter. */
async function scan(page: Page, code: string): Promise<void> {
  await page.getByLabel("Ticket code").fill(code);
  await page.getByLabel("Ticket code").press("Enter");
}

test("a door scanner admits a ticket once, says why not, and keeps working offline", async ({ page, browser, request, person }) => {
  const organizer = await signUpApi(request, person);
  await signIn(page, person);
  const title = `Door night ${Date.now()}`;
  const event = await publishEvent(request, organizer, title, [{ name: "General", price_cents: 0, capacity: 10 }]);
  const buyer = await signUpApi(request, newPerson("Kofi"));
  const order = await apiCall(request, buyer, "POST", `/events/${event.id}/orders`, { items: [{ tier_id: event.tiers[0].id, quantity: 4 }] });
  const codes: string[] = order.tickets.map((t: { code: string }) => t.code);

  // The organizer adds a device and opens the scanner on this one.
  await page.goto(`/#/organize/${event.id}`);
  await expect(page.getByTestId("checkin-summary")).toHaveText("0 of 4 checked in");
  await page.getByLabel("Device name").fill("North door");
  await page.getByRole("button", { name: "Add a scanner device" }).click();
  await expect(page.getByTestId("scanner-token")).toHaveText(/^sct_/);
  await page.getByRole("button", { name: "Open the scanner on this device" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Door: ${title}`);
  await expect(page.getByTestId("scan-banner")).toHaveText("Online · 4 tickets on this device");
  // Its service worker holds the page from now on.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

  // A second door: another browser, another device, its token typed in.
  const south = await apiCall(request, organizer, "POST", `/events/${event.id}/scanners`, { name: "South door" });
  const other = await browser.newContext();
  const door2 = await other.newPage();
  await door2.goto(`/#/scan/${event.id}`);
  await door2.getByLabel("Scanner device token").fill(south.token);
  await door2.getByRole("button", { name: "Start scanning" }).click();
  await expect(door2.getByTestId("scan-banner")).toHaveText("Online · 4 tickets on this device");

  const answer = page.getByTestId("scan-answer");
  await scan(page, codes[0]);
  await expect(answer).toContainText("Admitted");
  await expect(answer).toContainText("General");
  await expect(answer).toHaveClass(/go/);
  await expectAccessible(page);
  await screenshots(page, "door-scanner");
  await scan(page, codes[0]);
  await expect(answer).toContainText("Already checked in");
  await expect(answer).toContainText("by North door");
  await expect(answer).toHaveClass(/wait/);
  await scan(page, "not a ticket");
  await expect(answer).toContainText("Scan again");

  // The network goes at both doors: each decides from its list and queues.
  await page.context().setOffline(true);
  await other.setOffline(true);
  await expect(page.getByTestId("scan-banner")).toHaveText(/^Offline, 0 scans queued/);
  for (const code of codes.slice(1)) {
    await scan(page, code);
    await expect(answer).toContainText("Offline: will sync");
  }
  await expect(page.getByTestId("scan-banner")).toHaveText(/^Offline, 3 scans queued/);
  await expectAccessible(page);
  await scan(page, codes[1]);
  await expect(answer).toContainText("Already checked in");
  await scan(page, codes[0]);
  await expect(answer).toContainText("Already checked in");
  // A code signed by someone else fails the device's own signature check.
  const forged = codes[2].slice(0, 60) + (codes[2][60] === "A" ? "B" : "A") + codes[2].slice(61);
  await scan(page, forged);
  await expect(answer).toHaveClass(/stop/);
  // The South door lets the holder of ticket 3 in too: one of the two is a conflict.
  await scan(door2, codes[3]);
  await expect(door2.getByTestId("scan-answer")).toContainText("Offline: will sync");
  expect(sql(`SELECT count(*) FROM checkins WHERE event_id = '${event.id}' AND result = 'admitted'`)).toBe("1");
  // The page itself comes back without the network (its service worker), queue and all.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Door: ${title}`);
  await expect(page.getByTestId("scan-banner")).toHaveText(/^Offline, 3 scans queued/);
  await scan(page, codes[1]);
  await expect(answer).toContainText("Already checked in");

  // Back online: the queued scans are uploaded and recorded as they happened.
  await page.context().setOffline(false);
  await other.setOffline(false);
  await expect(page.getByTestId("scan-banner")).toHaveText("Online · 4 tickets on this device", { timeout: 30_000 });
  await expect(door2.getByTestId("scan-banner")).toHaveText("Online · 4 tickets on this device", { timeout: 30_000 });
  await expect.poll(() => sql(`SELECT count(*) FROM checkins WHERE event_id = '${event.id}' AND offline`)).toBe("4");
  expect(sql(`SELECT count(*) FROM checkins WHERE event_id = '${event.id}' AND result = 'admitted'`)).toBe("4");
  await other.close();

  // The organizer sees the counts and the conflict.
  await page.goto(`/#/organize/${event.id}`);
  await expect(page.getByTestId("checkin-summary")).toHaveText("4 of 4 checked in");
  await expect(page.getByTestId("checkin-conflicts").getByRole("listitem")).toHaveCount(1);
  await expect(page.getByTestId("checkin-conflicts")).toContainText("admitted it first");
  await expectAccessible(page);
});

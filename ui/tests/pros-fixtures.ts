// A professional of a test's own, made through the API: a unique category,
// a spot near Accra nobody else uses, and free time two days from now (so a
// cancellation is refunded in full and no other test books its slots).
import type { Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { expect, newPerson, signUpApi } from "./fixtures";

export interface TestPro {
  id: string;
  slug: string;
  name: string;
  category: string;
  lat: number;
  long: number;
  /** The first free slot: the start of its availability window. */
  windowStart: string;
}

/** A professional charging 50 cents a minute, free for 3 hours two days from now. */
export async function createProfessional(page: Page): Promise<TestPro> {
  const tag = randomUUID().slice(0, 8);
  const headers = { Authorization: `Bearer ${await signUpApi(page.request, newPerson("Owner"), "professional")}` };
  const lat = 5.6037 + (Math.random() - 0.5) * 0.1;
  const long = -0.187 + (Math.random() - 0.5) * 0.1;
  const made = await page.request.post("/professionals", {
    headers,
    data: {
      slug: `drums-${tag}`, name: `Kofi Mensah ${tag}`, category: `Drum teacher ${tag}`,
      description: "Djembe and kpanlogo lessons at your place.",
      rate_per_minute: 50, currency: "usd", location: { lat, long }, timezone: "Africa/Accra",
    },
  });
  expect(made.status(), await made.text()).toBe(201);
  const pro = (await made.json()) as { id: string; slug: string; name: string; category: string };
  const start = new Date(Math.ceil(Date.now() / 3600_000) * 3600_000 + 48 * 3600_000);
  const end = new Date(start.getTime() + 3 * 3600_000);
  const window = await page.request.post(`/professionals/${pro.id}/availability`, {
    headers,
    data: { start_time: start.toISOString(), end_time: end.toISOString() },
  });
  expect(window.status(), await window.text()).toBe(201);
  return { ...pro, lat, long, windowStart: start.toISOString() };
}

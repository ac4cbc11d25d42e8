// Finding a professional: the search (`#/pros`, its filters kept in the hash
// so a result list can be linked and the back button works) and a
// professional's page (`#/pros/:id`) with the free slots of the next 7 days.
import { ApiError, booking, call, newKey, type Professional, type ProfessionalHit, search, type Slot } from "../api";
import { append, busy, field, h, messageBox, replace } from "../dom";
import { day, money, parseCents, time } from "../format";
import { go, type Route } from "../router";
import { PLACES } from "../places";
import { session } from "../session";

/** The preset places by the key the hash keeps (`place=accra`). */
const places = new Map(PLACES.map((p) => [p.name.toLowerCase(), p]));

const categories = ["Plumber", "Electrician", "Tutor", "Trainer", "Consultant"];
const travelModes = { "": "None (distance only)", driving: "Driving", walking: "Walking", bicycling: "Bicycling", transit: "Transit" } as const;
type TravelMode = Exclude<keyof typeof travelModes, "">;
const radii = [5, 10, 25, 50, 100];

const professionals = new Map<string, Promise<Professional>>();

/** A professional once per page load: a list of bookings often repeats one. */
export function professionalOf(id: string): Promise<Professional> {
  let found = professionals.get(id);
  if (!found) {
    found = call(search.GET("/professionals/{id}", { params: { path: { id } } }));
    found.catch(() => professionals.delete(id));
    professionals.set(id, found);
  }
  return found;
}

function ratePerMinute(cents: number, currency: string): string {
  return `${money(cents, currency)} per minute`;
}

function option(value: string, text: string, selected: boolean): HTMLOptionElement {
  return h("option", { value, selected }, text);
}

export async function prosPage(route: Route): Promise<void> {
  const q = route.query;
  const placeKey = q.get("place") ?? "accra";
  const here = placeKey === "here" && q.has("lat") && q.has("long") ? { lat: Number(q.get("lat")), long: Number(q.get("long")) } : null;

  const place = h("select", { id: "pros-place", name: "place" },
    [...places].map(([key, p]) => option(key, p.name, key === placeKey)),
    here ? option("here", "My location", true) : null,
  );
  const locate = h("button", { type: "button" }, "Use my location");
  const category = h("input", { id: "pros-category", name: "category", list: "pros-categories", value: q.get("category") ?? "", autocomplete: "off" });
  const maxRate = h("input", { id: "pros-max-rate", name: "max_rate", inputmode: "decimal", value: q.get("max_rate") ?? "" });
  const mode = h("select", { id: "pros-mode", name: "mode" },
    Object.entries(travelModes).map(([value, text]) => option(value, text, value === (q.get("mode") ?? ""))));
  const radius = h("select", { id: "pros-radius", name: "radius" },
    radii.map((km) => option(String(km), `${km} km`, String(km) === (q.get("radius") ?? "25"))));
  const message = messageBox();
  let coords = here;

  locate.addEventListener("click", () => {
    message.clear();
    if (!navigator.geolocation) return message.show("error", "This browser can't share your location. Please choose a city.");
    locate.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        locate.disabled = false;
        coords = { lat: pos.coords.latitude, long: pos.coords.longitude };
        place.querySelector('option[value="here"]')?.remove();
        place.append(option("here", "My location", true));
        place.value = "here";
        message.show("info", "Using your location. Press Search to see who is near you.");
      },
      () => {
        locate.disabled = false;
        message.show("error", "We couldn't get your location (access was refused or it is unavailable). Please choose a city instead.");
      },
      { timeout: 15_000 },
    );
  });

  const form = h("form", { class: "card search-form", role: "search", "aria-label": "Find a professional", novalidate: true },
    h("div", { class: "row" },
      h("div", { class: "field place" }, h("label", { for: place.id }, "Place"), h("div", { class: "with-button" }, place, locate)),
      field("Category", category, "Type or pick one, e.g. Plumber."),
    ),
    h("datalist", { id: "pros-categories" }, categories.map((c) => h("option", { value: c }))),
    h("div", { class: "row" },
      field("Max rate per minute", maxRate, "In the professional's currency, e.g. 1.50. Empty for any."),
      field("Travel mode", mode),
      field("Within", radius),
    ),
    message,
    h("button", { type: "submit", class: "primary" }, "Search"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    message.clear();
    const rate = maxRate.value.trim();
    if (rate && parseCents(rate) === null) return message.show("error", "Please give the max rate as a number, like 1.50, or leave it empty.");
    const next = new URLSearchParams({ place: place.value });
    if (place.value === "here" && coords) {
      next.set("lat", coords.lat.toFixed(5));
      next.set("long", coords.long.toFixed(5));
    }
    if (category.value.trim()) next.set("category", category.value.trim());
    if (rate) next.set("max_rate", rate);
    if (mode.value) next.set("mode", mode.value);
    next.set("radius", radius.value);
    go(`/pros?${next}`);
  });

  route.main.append(h("h1", null, "Find a professional"), form);
  if (!q.has("place")) return;

  const city = places.get(placeKey) ?? PLACES[0];
  const point = here ?? city;
  const travelMode = (q.get("mode") || undefined) as TravelMode | undefined;
  const query = {
    lat: point.lat, long: point.long,
    location_radius_km: Number(q.get("radius") ?? 25),
    category: q.get("category") || undefined,
    rate_per_minute: q.get("max_rate") ? parseCents(q.get("max_rate")!) ?? undefined : undefined,
    travel_mode: travelMode,
    limit: 20,
  };
  const results = h("section", { "aria-labelledby": "results-heading" });
  route.main.append(results);
  let first;
  try {
    first = await call(search.GET("/search/professionals", { params: { query } }));
  } catch (err) {
    message.show("error", (err as Error).message);
    return;
  }
  const list = h("ul", { class: "list results" });
  const where = here ? "your location" : city.name;
  replace(results, h("h2", { id: "results-heading" }, first.items.length ? `Professionals near ${where}` : `No professionals found near ${where}`), list);
  if (!first.items.length) {
    results.append(h("p", null, "Try a wider distance, another category, or a higher max rate."));
    return;
  }
  const more = h("button", { type: "button" }, "Show more");
  const moreMessage = messageBox();
  let cursor = first.next_cursor ?? null;
  const show = (items: ProfessionalHit[]) => list.append(...items.map(resultItem));
  show(first.items);
  more.addEventListener("click", () => void busy(more, async () => {
    try {
      const page = await call(search.GET("/search/professionals", { params: { query: { ...query, cursor: cursor ?? undefined } } }));
      show(page.items);
      cursor = page.next_cursor ?? null;
      if (!cursor) more.remove();
    } catch (err) {
      moreMessage.show("error", (err as Error).message);
    }
  }));
  if (cursor) results.append(moreMessage, h("div", { class: "actions" }, more));
}

function resultItem(p: ProfessionalHit): HTMLElement {
  const distance = p.distance_km == null ? null : `${p.distance_km.toFixed(1)} km away`;
  const travel = p.travel_time_minutes === undefined ? null : `about ${p.travel_time_minutes} min ${travelWords(p.travel_mode ?? undefined)}`;
  return h("li", { class: "result" },
    h("h3", null, h("a", { href: `#/pros/${encodeURIComponent(p.slug)}` }, p.name)),
    h("p", { class: "meta" }, [p.category, ratePerMinute(p.rate_per_minute, p.currency)].join(" · ")),
    h("p", { class: "meta" }, [distance, travel].filter(Boolean).join(" · ")),
  );
}

function travelWords(mode?: string): string {
  switch (mode) {
    case "walking": return "on foot";
    case "bicycling": return "by bike";
    case "transit": return "by transit";
    default: return "by car";
  }
}

const lengths = [30, 60, 90, 120];

export async function proPage(route: Route): Promise<void> {
  const pro = await call(search.GET("/professionals/{id}", { params: { path: { id: route.params.id } } }));
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const length = h("select", { id: "slot-length", name: "duration" },
    lengths.map((m) => option(String(m), `${m} minutes (${money(pro.rate_per_minute * m, pro.currency)})`, m === 60)));
  const slotsArea = h("div", { class: "slot-days" });
  const message = messageBox();
  const bookArea = h("div");
  // One key per slot the person picks: a retry of the same pick (after a
  // network failure, say) must not book twice; a new pick is a new attempt.
  let picked: { slot: Slot; key: string } | null = null;

  async function loadSlots(): Promise<void> {
    picked = null;
    replace(bookArea);
    replace(slotsArea, h("p", { class: "loading" }, "Loading free times…"));
    const from = new Date();
    const to = new Date(from.getTime() + 7 * 24 * 3600_000);
    try {
      const { items } = await call(search.GET("/professionals/{id}/slots", {
        params: { path: { id: pro.id }, query: { from: from.toISOString(), to: to.toISOString(), duration_minutes: Number(length.value) } },
      }));
      drawSlots(items);
    } catch (err) {
      replace(slotsArea);
      message.show("error", (err as Error).message);
    }
  }

  function drawSlots(items: Slot[]): void {
    if (!items.length) {
      replace(slotsArea, h("p", null, "No free times in the next 7 days. Try a shorter length, or check back later."));
      return;
    }
    const byDay = new Map<string, Slot[]>();
    for (const s of items) byDay.set(day(s.start_time), [...(byDay.get(day(s.start_time)) ?? []), s]);
    const buttons: HTMLButtonElement[] = [];
    replace(slotsArea, [...byDay].map(([label, slots], i) => h("div", { class: "slot-day" },
      h("h3", { id: `slot-day-${i}` }, label),
      h("ul", { class: "slots", "aria-labelledby": `slot-day-${i}` }, slots.map((s) => {
        const b = h("button", { type: "button", "aria-pressed": "false", "data-start": s.start_time }, time(s.start_time));
        b.addEventListener("click", () => {
          buttons.forEach((other) => other.setAttribute("aria-pressed", String(other === b)));
          pick(s);
        });
        buttons.push(b);
        return h("li", null, b);
      })),
    )));
  }

  function pick(slot: Slot): void {
    message.clear();
    picked = { slot, key: newKey() };
    const minutes = Number(length.value);
    const summary = h("p", { id: "booking-summary" },
      `${day(slot.start_time)}, ${time(slot.start_time)} to ${time(slot.end_time)} (${minutes} minutes): `,
      h("strong", null, money(pro.rate_per_minute * minutes, pro.currency)));
    if (!session.user()) {
      const here = location.hash.replace(/^#/, "");
      replace(bookArea, h("div", { class: "card booking-choice" }, summary,
        h("p", null, h("a", { class: "button primary", href: `#/signin?next=${encodeURIComponent(here)}` }, "Sign in to book"))));
      return;
    }
    const book = h("button", { type: "button", class: "primary", "aria-describedby": "booking-summary" }, "Book this time");
    book.addEventListener("click", () => void busy(book, () => submit(minutes)));
    replace(bookArea, h("div", { class: "card booking-choice" }, summary, h("div", { class: "actions" }, book)));
    book.focus();
  }

  async function submit(minutes: number): Promise<void> {
    if (!picked) return;
    message.clear();
    try {
      const made = await call(booking.POST("/bookings", {
        params: { header: { "Idempotency-Key": picked.key } },
        body: { professional_id: pro.id, start_time: picked.slot.start_time, duration_minutes: minutes },
      }));
      go(`/bookings/${made.id}`);
    } catch (err) {
      const e = err as ApiError;
      if (e.code === "booking_conflict" || e.code === "outside_availability") {
        await loadSlots();
        message.show("error", `${e.message} The list of free times is updated.`);
        // The button that had focus is gone: start the person again at the list.
        document.getElementById("slots-heading")?.focus();
      } else {
        message.show("error", e.message);
      }
    }
  }

  length.addEventListener("change", () => void loadSlots());
  append(route.main, [
    h("h1", null, pro.name),
    h("p", { class: "meta" }, `${pro.category} · ${ratePerMinute(pro.rate_per_minute, pro.currency)}`),
    pro.description ? h("p", null, pro.description) : null,
    h("section", { "aria-labelledby": "slots-heading" },
      h("h2", { id: "slots-heading", tabindex: -1 }, "Free times in the next 7 days"),
      h("p", { class: "hint zone" }, `Times are shown in your time zone (${zone}).`),
      h("div", { class: "narrow" }, field("Length", length)),
      slotsArea,
      // Kept in view at the foot of the window while the person scrolls a long list of times.
      h("div", { class: "booking-bar" }, message, bookArea),
    ),
  ]);
  await loadSlots();
}

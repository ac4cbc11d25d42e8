// The organizer's side: my events with their sales, publishing a new one
// (tiers or a seat grid), and cancelling one (every buyer refunded).
import { Attempts, booking, call, type Event } from "../api";
import { busy, field, h, messageBox } from "../dom";
import { dateTime, localInput, money, parseCents } from "../format";
import { go, type Route } from "../router";
import { requireUser } from "./auth";
import { PLACES } from "../places";
import { doorSection } from "./door";
import { promoSection } from "./promo";

type Tier = Event["tiers"][number];

/** What has sold, in money: paid units at their price. */
function revenue(e: Event): number {
  return e.tiers.reduce((sum, t: Tier) => sum + t.sold * t.price_cents, 0);
}

function salesLine(e: Event): string {
  if (e.seating) return `${e.seating.sold} of ${e.seating.total} seats sold · ${e.seating.held} held · ${e.seating.available} available`;
  const sold = e.tiers.reduce((s, t) => s + t.sold, 0);
  const capacity = e.tiers.reduce((s, t) => s + t.capacity, 0);
  return `${sold} of ${capacity} tickets sold · ${money(revenue(e), e.currency)}`;
}

export async function organizePage(route: Route): Promise<void> {
  if (!requireUser(route)) return;
  const mine = await call(booking.GET("/events"));
  route.main.append(
    h("h1", null, "Organize"),
    h("p", null, h("a", { class: "button primary", href: "#/organize/new" }, "Create an event")),
    h("h2", null, "My events"),
  );
  if (mine.items.length === 0) {
    route.main.append(h("p", null, "You have not published an event yet."));
    return;
  }
  route.main.append(h("ul", { class: "list" }, mine.items.map((e) =>
    h("li", null,
      h("h3", null, h("a", { href: `#/organize/${e.id}` }, e.title)),
      h("p", { class: "meta" }, `${dateTime(e.starts_at)} · ${e.venue.name} · `, h("span", { class: `badge ${e.status}` }, e.status)),
      h("p", null, salesLine(e)),
    ))));
}

export async function organizedEventPage(route: Route): Promise<void> {
  if (!requireUser(route)) return;
  const event = await call(booking.GET("/events/{id}", { params: { path: { id: route.params.id } } }));
  const message = messageBox();
  route.main.append(
    h("h1", null, event.title),
    h("p", { class: "meta" }, `${dateTime(event.starts_at)} · ${event.venue.name} · `,
      h("span", { class: `badge ${event.status}`, "data-testid": "event-status" }, event.status)),
    h("p", null, h("a", { href: `#/events/${event.slug}` }, "The public event page"), " · ", h("a", { href: "#/organize" }, "All my events")),
    h("h2", null, "Sales"),
    h("p", { "data-testid": "sales-summary" }, salesLine(event)),
    event.seated ? seatingTable(event) : tierTable(event),
    message,
  );
  if (event.status !== "published") return;
  route.main.append(promoSection(event), doorSection(event));
  const cancel = h("button", { type: "button", class: "danger" }, "Cancel this event");
  const sure = h("button", { type: "button", class: "danger" }, "Yes, cancel and refund everyone");
  const keep = h("button", { type: "button" }, "Keep the event");
  const confirmBox = h("div", { class: "card narrow", hidden: true, role: "group", "aria-labelledby": "cancel-q" },
    h("p", { id: "cancel-q" }, "Cancel the event? Every ticket sold is refunded and every unpaid order is cancelled. This can't be undone."),
    h("div", { class: "actions" }, sure, keep));
  cancel.addEventListener("click", () => { confirmBox.hidden = false; sure.focus(); });
  keep.addEventListener("click", () => { confirmBox.hidden = true; cancel.focus(); });
  sure.addEventListener("click", () => busy(sure, async () => {
    try {
      await call(booking.POST("/events/{id}/cancel", { params: { path: { id: event.id } } }));
      go(`/organize/${event.id}`);
    } catch (err) {
      message.show("error", (err as Error).message);
    }
  }));
  route.main.append(h("div", { class: "actions" }, cancel), confirmBox);
}

function tierTable(e: Event): HTMLElement {
  return h("table", null,
    h("caption", { class: "visually-hidden" }, "Sales by tier"),
    h("thead", null, h("tr", null, ["Tier", "Price", "Sold", "Held", "Available", "Revenue"].map((c, i) => h("th", { scope: "col", class: i ? "num" : undefined }, c)))),
    h("tbody", null, e.tiers.map((t) => h("tr", null,
      h("th", { scope: "row" }, t.name),
      h("td", { class: "num" }, money(t.price_cents, e.currency)),
      h("td", { class: "num" }, `${t.sold} / ${t.capacity}`),
      h("td", { class: "num" }, t.held),
      h("td", { class: "num" }, t.available),
      h("td", { class: "num" }, money(t.sold * t.price_cents, e.currency)),
    ))),
  );
}

function seatingTable(e: Event): HTMLElement {
  const s = e.seating!;
  return h("table", null,
    h("caption", { class: "visually-hidden" }, "Seats"),
    h("tbody", null,
      [["Seats", s.total], ["Sold", s.sold], ["Held", s.held], ["Available", s.available],
        ["Prices", `${money(s.min_price_cents, e.currency)} to ${money(s.max_price_cents, e.currency)}`]]
        .map(([k, v]) => h("tr", null, h("th", { scope: "row" }, k), h("td", { class: "num" }, v))),
    ),
  );
}

export function newEventPage(route: Route): void {
  if (!requireUser(route)) return;
  const input = (id: string, attrs: Record<string, string | boolean> = {}) => h("input", { id, ...attrs });
  const title = input("ev-title", { required: true, maxlength: "200" });
  const description = h("textarea", { id: "ev-description", rows: 3 });
  const category = input("ev-category", { required: true, value: "Music" });
  const venue = input("ev-venue", { required: true });
  const place = h("select", { id: "ev-place" }, PLACES.map((p, i) => h("option", { value: i }, p.name)));
  const tomorrow = new Date(Date.now() + 7 * 86400_000);
  tomorrow.setHours(19, 0, 0, 0);
  const starts = input("ev-starts", { type: "datetime-local", required: true, value: localInput(tomorrow) });
  const currency = h("select", { id: "ev-currency" }, ["usd", "ghs", "ngn", "kes", "eur"].map((c) => h("option", { value: c }, c.toUpperCase())));
  const resale = input("ev-resale", { type: "checkbox", checked: true });
  const cap = input("ev-resale-cap", { inputmode: "numeric", placeholder: "none" });

  const kindTiers = input("ev-kind-tiers", { type: "radio", name: "kind", value: "tiers", checked: true });
  const kindSeats = input("ev-kind-seats", { type: "radio", name: "kind", value: "seats" });
  const tiers = h("div", { id: "tiers" });
  let tierCount = 0;
  const addTier = (name = "", price = "", capacity = "") => {
    const n = ++tierCount;
    const row = h("fieldset", { class: "tier" },
      h("legend", null, `Tier ${n}`),
      h("div", { class: "row" },
        field("Tier name", h("input", { id: `tier-name-${n}`, required: true, value: name })),
        field("Price", h("input", { id: `tier-price-${n}`, inputmode: "decimal", required: true, value: price })),
        field("Tickets", h("input", { id: `tier-capacity-${n}`, inputmode: "numeric", required: true, value: capacity })),
      ));
    tiers.append(row);
  };
  addTier("General", "20", "100");
  const addTierButton = h("button", { type: "button", onclick: () => { addTier(); document.getElementById(`tier-name-${tierCount}`)?.focus(); } }, "Add a tier");
  const tiersBox = h("div", null, tiers, addTierButton);

  const rows = input("ev-rows", { value: "A-D", required: true });
  const perRow = input("ev-per-row", { inputmode: "numeric", value: "10", required: true });
  const seatPrice = input("ev-seat-price", { inputmode: "decimal", value: "25", required: true });
  const seatsBox = h("div", { hidden: true },
    h("div", { class: "row" },
      field("Rows", rows, "Letters, e.g. A-D for rows A, B, C and D."),
      field("Seats per row", perRow),
      field("Price per seat", seatPrice),
    ));
  const switchKind = () => { tiersBox.hidden = !kindTiers.checked; seatsBox.hidden = !kindSeats.checked; };
  kindTiers.addEventListener("change", switchKind);
  kindSeats.addEventListener("change", switchKind);

  const submit = h("button", { type: "submit", class: "primary" }, "Publish the event");
  const message = messageBox();
  const attempts = new Attempts();
  const form = h("form", { class: "card", novalidate: true },
    field("Title", title), field("Description", description), field("Category", category),
    h("div", { class: "row" }, field("Venue", venue), field("City", place)),
    h("div", { class: "row" }, field("Starts", starts), field("Currency", currency)),
    h("fieldset", null, h("legend", null, "Resale"),
      h("div", { class: "check" }, resale, h("label", { for: "ev-resale" }, "Ticket holders may resell")),
      field("Resale price cap (% of face value)", cap, "Leave empty for no cap.")),
    h("fieldset", null, h("legend", null, "What you sell"),
      h("div", { class: "check" }, kindTiers, h("label", { for: "ev-kind-tiers" }, "General admission tiers")),
      h("div", { class: "check" }, kindSeats, h("label", { for: "ev-kind-seats" }, "Named seats on a grid")),
      tiersBox, seatsBox),
    message, submit,
  );

  const seatRows = () => {
    const m = /^\s*([A-Z])\s*(?:-\s*([A-Z]))?\s*$/i.exec(rows.value);
    const n = Number(perRow.value);
    const price = parseCents(seatPrice.value);
    if (!m || !Number.isInteger(n) || n < 1 || n > 100 || price === null) return null;
    const from = m[1].toUpperCase().charCodeAt(0);
    const to = (m[2] ?? m[1]).toUpperCase().charCodeAt(0);
    if (to < from) return null;
    return Array.from({ length: to - from + 1 }, (_, i) => ({ row: String.fromCharCode(from + i), first: 1, last: n, price_cents: price }));
  };
  const tierList = () => {
    const out = [];
    for (let n = 1; n <= tierCount; n++) {
      const name = (document.getElementById(`tier-name-${n}`) as HTMLInputElement).value.trim();
      const price = parseCents((document.getElementById(`tier-price-${n}`) as HTMLInputElement).value);
      const capacity = Number((document.getElementById(`tier-capacity-${n}`) as HTMLInputElement).value);
      if (!name && price === null) continue;
      if (!name || price === null || !Number.isInteger(capacity) || capacity < 1) return null;
      out.push({ name, price_cents: price, capacity });
    }
    return out.length ? out : null;
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    message.clear();
    if (!title.value.trim() || !category.value.trim() || !venue.value.trim() || !starts.value) {
      return message.show("error", "Please give a title, a category, a venue and a start time.");
    }
    const capValue = cap.value.trim() ? Number(cap.value) : undefined;
    if (capValue !== undefined && (!Number.isInteger(capValue) || capValue < 1)) {
      return message.show("error", "The resale cap is a whole percentage, like 110.");
    }
    const seated = kindSeats.checked;
    const seatRowsValue = seated ? seatRows() : undefined;
    const tiersValue = seated ? undefined : tierList();
    if (seatRowsValue === null || tiersValue === null) {
      return message.show("error", seated
        ? "Please give rows as letters (like A-D), 1 to 100 seats per row and a price like 25 or 25.50."
        : "Each tier needs a name, a price like 20 or 20.50 and a whole number of tickets.");
    }
    const spot = PLACES[Number(place.value)];
    await busy(submit, async () => {
      try {
        const body = {
          title: title.value.trim(), description: description.value.trim() || undefined, category: category.value.trim(),
          venue: { name: venue.value.trim(), lat: spot.lat, long: spot.long },
          starts_at: new Date(starts.value).toISOString(), currency: currency.value,
          resale: { allowed: resale.checked, max_percent_of_face: capValue },
          seat_rows: seatRowsValue,
          tiers: tiersValue,
        };
        const event = await call(booking.POST("/events", {
          params: { header: { "Idempotency-Key": attempts.keyFor(body) } },
          body,
        }));
        go(`/organize/${event.id}`);
      } catch (err) {
        attempts.failed(err);
        message.show("error", (err as Error).message);
      }
    });
  });
  route.main.append(h("h1", null, "Create an event"), form);
}

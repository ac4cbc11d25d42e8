// One event: pick quantities per tier (general admission) or seats on the
// grid, then "Check out" holds them in an order for 15 minutes.
import { ApiError, Attempts, booking, call, type Event } from "../api";
import { append, busy, field, h, messageBox, type MessageBox, replace } from "../dom";
import { dateTime, money } from "../format";
import { go, type Route } from "../router";
import { session } from "../session";
import { waitlistSection } from "./waitlist";

type Seat = Awaited<ReturnType<typeof loadSeats>>[number];
type OrderBody = { items: Array<{ tier_id: string; quantity: number }>; voucher?: string } | { seats: string[]; voucher?: string };

async function loadSeats(eventId: string) {
  return (await call(booking.GET("/events/{id}/seats", { params: { path: { id: eventId } } }))).items;
}

function loadEvent(id: string): Promise<Event> {
  return call(booking.GET("/events/{id}", { params: { path: { id } } }));
}

export async function eventPage(route: Route): Promise<void> {
  const event = await loadEvent(route.params.id);
  const message = messageBox();
  append(route.main, [
    h("h1", null, event.title),
    h("p", { class: "meta" },
      h("time", { datetime: event.starts_at }, dateTime(event.starts_at)), " · ", event.venue.name, " · ", event.category),
    event.description ? h("p", null, event.description) : null,
    event.status === "cancelled" ? h("p", { class: "message error", role: "alert" }, "This event was cancelled.") : null,
  ]);
  if (event.status !== "cancelled") {
    const checkout = orderer(event, message);
    route.main.append(event.seated ? await seatPicker(event, message, checkout) : tierPicker(event, message, checkout));
    if (!event.seated) {
      const waitlist = await waitlistSection(event, (box) => orderer(event, box), route.query.get("offer"));
      if (waitlist) route.main.append(waitlist);
    }
  }
  route.main.append(
    h("p", null, h("a", { href: `#/events/${encodeURIComponent(event.id)}/resale` }, "Resale tickets"),
      " · ", h("a", { href: "#/events" }, "All events")),
  );
}

/**
 * Creates the order and opens it. One Idempotency-Key per choice: a retry of
 * the same choice replays, a changed choice (or one after a refusal) is a new order.
 */
function orderer(event: Event, message: MessageBox) {
  const attempts = new Attempts();
  return async (button: HTMLButtonElement, body: OrderBody, onRefused: () => Promise<void>) => {
    message.clear();
    if (!session.user()) {
      go(`/signin?next=${encodeURIComponent(`/events/${event.slug}`)}`);
      return;
    }
    await busy(button, async () => {
      try {
        const order = await call(booking.POST("/events/{id}/orders", {
          params: { path: { id: event.id }, header: { "Idempotency-Key": attempts.keyFor(body) } }, body,
        }));
        go(`/orders/${order.id}`);
      } catch (err) {
        attempts.failed(err);
        message.show("error", (err as Error).message);
        if (err instanceof ApiError && (err.code === "sold_out" || err.code === "seat_unavailable")) {
          await onRefused().catch(() => undefined);
        }
      }
    });
  };
}

type Checkout = ReturnType<typeof orderer>;

function tierPicker(event: Event, message: MessageBox, checkout: Checkout): HTMLElement {
  const list = h("ul", { class: "list tiers" });
  const inputs = new Map<string, HTMLInputElement>();
  const draw = (current: Event) => {
    replace(list, current.tiers.map((tier) => {
      const input = inputs.get(tier.id) ?? h("input", {
        id: `qty-${tier.id}`, type: "number", inputmode: "numeric", min: 0, max: current.max_per_order, value: 0,
      });
      inputs.set(tier.id, input);
      const closed = !tier.on_sale;
      input.disabled = tier.sold_out || closed;
      if (input.disabled) input.value = "0";
      const opensLater = closed && tier.sales_start != null && new Date(tier.sales_start) > new Date();
      return h("li", { class: "tier" },
        h("div", null,
          h("h3", null, tier.name),
          h("p", { class: "meta" }, money(tier.price_cents, current.currency), " · ",
            opensLater
              ? h("span", { class: "badge soon" }, "On sale ", h("time", { datetime: tier.sales_start }, dateTime(tier.sales_start as string)))
              : closed
                ? h("span", { class: "badge sold" }, "Sales ended")
                : tier.sold_out
                  ? h("span", { class: "badge sold" }, "Sold out")
                  : h("span", { class: "badge available" }, `${tier.available} left`)),
        ),
        field(`${tier.name} tickets`, input),
      );
    }));
  };
  draw(event);
  const submit = h("button", { type: "submit", class: "primary" }, "Check out");
  const promo = h("input", { id: "promo-code", type: "text", autocomplete: "off", maxlength: 40, spellcheck: "false" });
  const form = h("form", { class: "card tickets-form", "aria-labelledby": "tickets-heading", novalidate: true },
    h("h2", { id: "tickets-heading" }, "Tickets"),
    h("p", { class: "hint" }, `Up to ${event.max_per_order} tickets per order. They are held for 15 minutes while you pay.`),
    list, field("Promo code (optional)", promo), message, submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const items = [];
    for (const [tierId, input] of inputs) {
      const quantity = Number(input.value || 0);
      if (!Number.isInteger(quantity) || quantity < 0) {
        message.show("error", "Please enter whole numbers of tickets.");
        return input.focus();
      }
      if (quantity > 0) items.push({ tier_id: tierId, quantity });
    }
    const total = items.reduce((n, i) => n + i.quantity, 0);
    if (total === 0) return message.show("error", "Choose how many tickets you want first.");
    if (total > event.max_per_order) return message.show("error", `At most ${event.max_per_order} tickets per order. Choose fewer.`);
    const voucher = promo.value.trim();
    await checkout(submit, voucher ? { items, voucher } : { items }, async () => draw(await loadEvent(event.id)));
  });
  return form;
}

async function seatPicker(event: Event, message: MessageBox, checkout: Checkout): Promise<HTMLElement> {
  const picked = new Set<string>();
  const rows = h("div", { class: "seat-rows" });
  const summary = h("p", { class: "seat-summary", "aria-live": "polite" });
  let seats: Seat[] = [];
  const showSummary = () => {
    const chosen = seats.filter((s) => picked.has(s.label));
    const total = chosen.reduce((n, s) => n + s.price_cents, 0);
    summary.textContent = chosen.length
      ? `Your seats: ${chosen.map((s) => s.label).join(", ")} · ${money(total, event.currency)}`
      : "No seats chosen yet.";
  };
  const draw = () => {
    const byRow = new Map<string, Seat[]>();
    for (const seat of seats) byRow.set(seat.row ?? "", [...(byRow.get(seat.row ?? "") ?? []), seat]);
    replace(rows, [...byRow].map(([row, inRow]) => {
      const name = row ? `Row ${row}` : "Seats";
      return h("div", { class: "seat-row", role: "group", "aria-label": name },
        h("h3", { "aria-hidden": "true" }, name),
        h("div", { class: "seat-grid" }, inRow.map((seat) => seatButton(seat))),
      );
    }));
    showSummary();
  };
  const seatButton = (seat: Seat) => {
    const free = seat.status === "available";
    if (!free) picked.delete(seat.label);
    const button = h("button", {
      type: "button", class: `seat ${seat.status}`, disabled: !free,
      "aria-pressed": String(picked.has(seat.label)),
      "aria-label": `${seat.label}, ${money(seat.price_cents, event.currency)}, ${seat.status}`,
    }, seat.label);
    button.addEventListener("click", () => {
      if (picked.has(seat.label)) picked.delete(seat.label);
      else picked.add(seat.label);
      button.setAttribute("aria-pressed", String(picked.has(seat.label)));
      showSummary();
    });
    return button;
  };
  seats = await loadSeats(event.id);
  draw();
  const submit = h("button", { type: "submit", class: "primary" }, "Check out");
  const form = h("form", { class: "card seats-form", "aria-labelledby": "seats-heading" },
    h("h2", { id: "seats-heading" }, "Pick your seats"),
    h("ul", { class: "legend", "aria-label": "Legend" },
      h("li", null, h("span", { class: "swatch available", "aria-hidden": "true" }), "Available"),
      h("li", null, h("span", { class: "swatch picked", "aria-hidden": "true" }), "Your pick"),
      h("li", null, h("span", { class: "swatch held", "aria-hidden": "true" }), "Held (someone is paying)"),
      h("li", null, h("span", { class: "swatch sold", "aria-hidden": "true" }), "Sold"),
    ),
    rows, summary, message, submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (picked.size === 0) return message.show("error", "Pick at least one seat first.");
    if (picked.size > event.max_per_order) return message.show("error", `At most ${event.max_per_order} seats per order. Pick fewer.`);
    await checkout(submit, { seats: [...picked] }, async () => {
      seats = await loadSeats(event.id);
      draw();
    });
  });
  return form;
}

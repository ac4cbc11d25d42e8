// My tickets: each one's code, and what a holder does with it after
// buying: give it away, or sell it on (and change or withdraw the price).
import { Attempts, booking, call, type Event, type Listing, type Ticket } from "../api";
import { busy, field, h, messageBox } from "../dom";
import { dateTime, money, parseCents } from "../format";
import { go, type Route } from "../router";
import { requireUser } from "./auth";

const events = new Map<string, Promise<Event>>();

/** An event once per page load: many tickets share one. */
export function eventOf(id: string): Promise<Event> {
  let found = events.get(id);
  if (!found) {
    found = call(booking.GET("/events/{id}", { params: { path: { id } } }));
    found.catch(() => events.delete(id));
    events.set(id, found);
  }
  return found;
}

function ticketName(t: Ticket, e: Event): string {
  if (t.seat) return `Seat ${t.seat}`;
  return e.tiers.find((tier) => tier.id === t.tier_id)?.name ?? "Ticket";
}

export async function myTicketsPage(route: Route): Promise<void> {
  if (!requireUser(route)) return;
  const page = await call(booking.GET("/tickets", { params: { query: { limit: 100 } } }));
  route.main.append(h("h1", null, "My tickets"));
  if (page.items.length === 0) {
    route.main.append(h("p", null, "No tickets yet. ", h("a", { href: "#/events" }, "Find an event"), "."));
    return;
  }
  const list = h("ul", { class: "list" });
  for (const t of page.items) {
    const e = await eventOf(t.event_id);
    list.append(h("li", null,
      h("h2", null, h("a", { href: `#/tickets/${t.id}` }, `${e.title}: ${ticketName(t, e)}`)),
      h("p", { class: "meta" }, `${dateTime(e.starts_at)} · ${e.venue.name} · `, h("span", { class: `badge ${t.status}` }, t.status)),
    ));
  }
  route.main.append(list);
}

export async function ticketPage(route: Route): Promise<void> {
  if (!requireUser(route)) return;
  const id = route.params.id;
  const ticket = await call(booking.GET("/tickets/{id}", { params: { path: { id } } }));
  const event = await eventOf(ticket.event_id);
  route.main.append(
    h("h1", null, `${event.title}: ${ticketName(ticket, event)}`),
    h("p", { class: "meta" }, `${dateTime(event.starts_at)} · ${event.venue.name}`),
    h("div", { class: "ticket narrow" },
      h("p", null, h("span", { class: `badge ${ticket.status}` }, ticket.status)),
      ticket.code ? h("p", null, "Code: ", h("code", { "data-testid": "ticket-code" }, ticket.code)) : null,
      h("p", { class: "meta" }, `Face value ${money(ticket.price_cents, event.currency)}`),
    ),
  );
  if (ticket.status !== "valid") return;
  route.main.append(ticket.listing ? listingPanel(ticket, ticket.listing, event) : sellPanel(ticket, event));
  if (!ticket.listing) route.main.append(giftPanel(ticket));
}

function giftPanel(ticket: Ticket): HTMLElement {
  const email = h("input", { id: "gift-email", type: "email", autocomplete: "email", required: true });
  const send = h("button", { type: "submit", class: "primary" }, "Send the ticket");
  const message = messageBox();
  const attempts = new Attempts();
  const form = h("form", { id: "gift-panel", class: "card narrow", "aria-labelledby": "gift-heading" },
    h("h2", { id: "gift-heading" }, "Give it to someone"),
    field("Their email", email, "If they have no account yet, the ticket waits for them to sign up with this email."),
    message, send,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!email.checkValidity()) return message.show("error", "Please enter a valid email address.");
    await busy(send, async () => {
      try {
        await call(booking.POST("/tickets/{id}/transfer", {
          params: { path: { id: ticket.id }, header: { "Idempotency-Key": attempts.keyFor(email.value) } },
          body: { to_email: email.value },
        }));
        form.replaceChildren(h("h2", { id: "gift-heading" }, "Ticket sent"),
          h("p", { class: "message success", role: "status" }, `The ticket is on its way to ${email.value}.`),
          h("p", null, h("a", { href: "#/tickets" }, "Back to my tickets")));
        form.querySelector<HTMLElement>("h2")?.setAttribute("tabindex", "-1");
        form.querySelector<HTMLElement>("h2")?.focus();
      } catch (err) {
        attempts.failed(err);
        message.show("error", (err as Error).message);
      }
    });
  });
  return form;
}

function priceInput(id: string, value?: number): HTMLInputElement {
  return h("input", { id, inputmode: "decimal", required: true, value: value === undefined ? undefined : (value / 100).toFixed(2) });
}

function capHint(event: Event): string {
  const cap = event.resale.max_percent_of_face;
  return cap ? `The organizer allows at most ${cap}% of face value.` : "Set any price.";
}

function sellPanel(ticket: Ticket, event: Event): HTMLElement {
  if (!event.resale.allowed) return h("p", { class: "card narrow" }, "The organizer does not allow resale for this event.");
  const price = priceInput("resale-price", ticket.price_cents);
  const list = h("button", { type: "submit", class: "primary" }, "List for resale");
  const message = messageBox();
  const form = h("form", { class: "card narrow", "aria-labelledby": "sell-heading" },
    h("h2", { id: "sell-heading" }, "Sell it on"),
    field(`Price (${event.currency.toUpperCase()})`, price, capHint(event)),
    message, list,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const cents = parseCents(price.value);
    if (cents === null) return message.show("error", "Please enter a price like 25 or 25.50.");
    await busy(list, async () => {
      try {
        const listing = await call(booking.POST("/tickets/{id}/listing", {
          params: { path: { id: ticket.id } }, body: { price_cents: cents },
        }));
        form.replaceWith(listingPanel(ticket, listing, event, "Your ticket is listed for resale."));
        // A listed ticket can't be given away until the listing is withdrawn.
        document.getElementById("gift-panel")?.remove();
      } catch (err) {
        message.show("error", (err as Error).message);
      }
    });
  });
  return form;
}

function listingPanel(ticket: Ticket, listing: Listing, event: Event, note?: string): HTMLElement {
  const price = priceInput("listing-price", listing.price_cents);
  const save = h("button", { type: "submit", class: "primary" }, "Change price");
  const withdraw = h("button", { type: "button", class: "danger" }, "Withdraw listing");
  const message = messageBox();
  let current = listing;
  const status = h("p", { "data-testid": "listing-status" });
  const showStatus = () => {
    status.replaceChildren(`Listed at ${money(current.price_cents, current.currency)}`,
      current.locked_until && new Date(current.locked_until) > new Date()
        ? ` · a buyer is paying until ${dateTime(current.locked_until)}` : "");
  };
  showStatus();
  const form = h("form", { class: "card narrow", "aria-labelledby": "listing-heading" },
    h("h2", { id: "listing-heading" }, "Your resale listing"),
    status,
    field(`New price (${event.currency.toUpperCase()})`, price, capHint(event)),
    message,
    h("div", { class: "actions" }, save, withdraw),
  );
  if (note) message.show("success", note);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const cents = parseCents(price.value);
    if (cents === null) return message.show("error", "Please enter a price like 25 or 25.50.");
    await busy(save, async () => {
      try {
        current = await call(booking.PATCH("/listings/{id}", {
          params: { path: { id: current.id }, header: { "If-Match": String(current.version) } },
          body: { price_cents: cents },
        }));
        showStatus();
        message.show("success", `Price changed to ${money(current.price_cents, current.currency)}.`);
      } catch (err) {
        message.show("error", (err as Error).message);
      }
    });
  });
  withdraw.addEventListener("click", async () => {
    if (!confirm("Withdraw this ticket from resale?")) return;
    await busy(withdraw, async () => {
      try {
        await call(booking.DELETE("/listings/{id}", { params: { path: { id: current.id } } }));
        go(`/tickets/${ticket.id}`);
      } catch (err) {
        message.show("error", (err as Error).message);
      }
    });
  });
  return form;
}

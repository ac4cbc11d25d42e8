// An order of tickets (or a resale purchase of one): pay while the hold
// lasts, then the tickets with their QR codes, and an invoice to print.
// The page asks the service for the order's state and never decides it:
// the webhook confirms a payment, the expiry job ends a hold.
import { booking, call, type Event, type Order, type Ticket } from "../api";
import { announce, h, messageBox, replace } from "../dom";
import { countdown, dateTime, money } from "../format";
import { pollUntil, payWithCard } from "../pay";
import { qrSvg } from "../qr";
import { type Route, stillOn } from "../router";
import { session } from "../session";
import { requireUser } from "./auth";
import { eventOf } from "./tickets";

type Item = Order["items"][number];

function loadOrder(id: string): Promise<Order> {
  return call(booking.GET("/orders/{id}", { params: { path: { id } } }));
}

function itemName(item: Item, event: Event, order: Order): string {
  const what = item.seat
    ? `Seat ${item.seat}`
    : event.tiers.find((t) => t.id === item.tier_id)?.name ?? "Ticket";
  return order.kind === "resale" ? `${what} (resale)` : what;
}

function ticketName(ticket: Ticket, event: Event): string {
  if (ticket.seat) return `Seat ${ticket.seat}`;
  return event.tiers.find((t) => t.id === ticket.tier_id)?.name ?? "Ticket";
}

function itemsTable(order: Order, event: Event): HTMLElement {
  return h("table", { class: "order-items" },
    h("caption", { class: "visually-hidden" }, "What this order holds"),
    h("thead", null, h("tr", null,
      h("th", { scope: "col" }, "Item"), h("th", { scope: "col", class: "num" }, "Unit price"),
      h("th", { scope: "col", class: "num" }, "Quantity"), h("th", { scope: "col", class: "num" }, "Total"))),
    h("tbody", null, order.items.map((item) => h("tr", null,
      h("td", null, itemName(item, event, order)),
      h("td", { class: "num" }, money(item.unit_price_cents, order.currency)),
      h("td", { class: "num" }, item.quantity),
      h("td", { class: "num" }, money(item.unit_price_cents * item.quantity, order.currency)),
    ))),
    h("tfoot", null, h("tr", null,
      h("th", { scope: "row", colspan: 3 }, `Total (${order.currency.toUpperCase()})`),
      h("td", { class: "num" }, money(order.total_cents, order.currency)))),
  );
}

const headings: Record<string, string> = {
  pending: "Check out",
  confirmed: "Your tickets",
  expired: "Your hold expired",
  failed: "The payment did not go through",
  cancelled: "Order cancelled",
  refunded: "Order refunded",
};

export async function orderPage(route: Route): Promise<void> {
  if (!requireUser(route)) return;
  const here = location.hash;
  let order = await loadOrder(route.params.id);
  const event = await eventOf(order.event_id);
  const heading = h("h1");
  const state = h("section", { class: "order-state", "aria-labelledby": "order-state-heading" });
  route.main.append(
    heading,
    h("p", { class: "meta" }, h("strong", null, event.title), ` · ${dateTime(event.starts_at)} · ${event.venue.name}`),
    itemsTable(order, event),
    state,
  );
  const eventLink = () => h("a", { href: `#/events/${encodeURIComponent(event.slug)}` }, `Back to ${event.title}`);

  const show = async () => {
    heading.textContent = `${headings[order.status] ?? "Order"}: ${event.title}`;
    document.title = `${heading.textContent} · Slotwise`;
    const title = h("h2", { id: "order-state-heading", class: "visually-hidden" }, "Status");
    switch (order.status) {
      case "pending":
        replace(state, title);
        await pending(state);
        break;
      case "confirmed": {
        const tickets = order.tickets;
        replace(state, title,
          h("p", { class: "message success", role: "status" },
            tickets.length === 1 ? "Paid. Here is your ticket: show its code at the door." : "Paid. Here are your tickets: show each code at the door."),
          h("ul", { class: "tickets", "aria-label": "Tickets" }, tickets.map((t) => ticketCard(t, event))),
          h("p", { class: "actions" },
            h("a", { class: "button", href: `#/orders/${order.id}/invoice` }, "Invoice"),
            h("a", { href: "#/tickets" }, "My tickets")),
        );
        break;
      }
      case "expired":
        replace(state, title,
          h("p", { class: "message error", role: "alert" }, "Your hold expired and the tickets went back on sale. You were not charged."),
          h("p", null, "Start again: ", eventLink()));
        break;
      case "failed":
        replace(state, title,
          h("p", { class: "message error", role: "alert" },
            order.payment?.last_error ? `The payment did not go through: ${order.payment.last_error}` : "The payment did not go through, so the tickets went back on sale."),
          h("p", null, "Start again: ", eventLink()));
        break;
      default:
        replace(state, title,
          h("p", { class: "message info", role: "status" }, `This order is ${order.status}.`),
          order.refund ? h("p", null, `Refunded ${money(order.refund.amount_cents, order.currency)}.`) : null,
          h("p", null, eventLink()));
    }
  };

  /** The countdown and card form; the order's next state comes from polling. */
  const pending = async (into: HTMLElement) => {
    const clock = h("span", { class: "countdown", role: "timer", "data-testid": "countdown" });
    const spoken = h("p", { class: "visually-hidden", "aria-live": "polite" });
    const message = messageBox();
    into.append(
      h("p", { class: "hold card" }, "Your tickets are held for you for ", clock, ". Pay before the time runs out."),
      spoken, message,
    );
    let spokenMinute = -1;
    let timeUp = false;
    const tick = () => {
      const left = order.expires_at ? countdown(order.expires_at) : null;
      clock.textContent = left ?? "0:00";
      const minutes = left ? Number(left.split(":")[0]) : 0;
      // Only whole minutes are spoken: a screen reader hearing every second is noise.
      if (left && minutes !== spokenMinute && (spokenMinute === -1 || left.endsWith(":00"))) {
        spoken.textContent = `${minutes} ${minutes === 1 ? "minute" : "minutes"} left to pay.`;
        spokenMinute = minutes;
      }
      if (!left && !timeUp) {
        timeUp = true;
        message.show("info", "Time is up. Checking your order…");
      }
    };
    tick();
    const timer = window.setInterval(() => (stillOn(here) && order.status === "pending" ? tick() : clearInterval(timer)), 1000);
    if (order.payment) {
      await payWithCard(into, {
        clientSecret: order.payment.client_secret,
        amountCents: order.total_cents,
        currency: order.currency,
        message,
        onPaid: () => {
          message.show("info", "Payment received. Confirming your order…");
          announce("Payment received. Confirming your order.");
        },
      }).catch((err: Error) => message.show("error", err.message));
    }
  };

  await show();
  if (order.status !== "pending") return;
  // Poll in the background: confirmation, expiry or failure shows without a reload.
  void (async () => {
    const until = order.expires_at ? new Date(order.expires_at).getTime() - Date.now() : 0;
    try {
      order = await pollUntil(() => loadOrder(order.id), (o) => o.status !== "pending",
        { whileOn: here, timeoutMs: Math.max(until, 0) + 5 * 60_000 });
    } catch {
      order.status = "pending"; // a failed poll: say so below
    }
    if (!stillOn(here)) return;
    if (order.status !== "pending") {
      await show();
      announce(heading.textContent ?? "");
    } else {
      state.append(h("p", { class: "message info", role: "status" }, "We could not confirm this order yet. Reload the page in a minute to check again."));
    }
  })();
}

function ticketCard(ticket: Ticket, event: Event): HTMLElement {
  const name = ticketName(ticket, event);
  // A ticket given or sold on (or no longer valid) comes without its code.
  if (!ticket.code) {
    return h("li", { class: "ticket" }, h("h3", null, name), h("p", { class: "meta" }, `No longer yours to use (${ticket.status === "valid" ? "passed on" : ticket.status}).`));
  }
  return h("li", { class: "ticket" },
    h("h3", null, name),
    qrSvg(ticket.code, `QR code of ticket ${ticket.code}`),
    h("p", null, "Code: ", h("code", { "data-testid": "ticket-code" }, ticket.code)),
  );
}

export async function invoicePage(route: Route): Promise<void> {
  if (!requireUser(route)) return;
  const order = await loadOrder(route.params.id);
  const event = await eventOf(order.event_id);
  if (order.status !== "confirmed" && order.status !== "refunded") {
    route.main.append(h("h1", null, "No invoice yet"),
      h("p", null, "The invoice is ready once the order is paid. ", h("a", { href: `#/orders/${order.id}` }, "Go to the order")));
    return;
  }
  const buyer = session.user()!;
  const tickets = order.tickets;
  // The order has no paid-at time; its tickets are issued when the payment is confirmed.
  const paidAt = tickets.map((t) => t.created_at).sort()[0] ?? order.created_at;
  const print = h("button", { type: "button", class: "primary", onclick: () => window.print() }, "Print");
  route.main.append(
    h("article", { class: "invoice card" },
      h("h1", null, "Invoice"),
      h("dl", { class: "invoice-facts" },
        h("dt", null, "Order"), h("dd", null, h("code", null, order.id)),
        h("dt", null, "Paid"), h("dd", null, h("time", { datetime: paidAt }, dateTime(paidAt))),
        h("dt", null, "Currency"), h("dd", null, order.currency.toUpperCase()),
      ),
      h("div", { class: "parties" },
        h("section", { "aria-labelledby": "seller-heading" },
          h("h2", { id: "seller-heading" }, "Seller"),
          h("p", null, h("strong", null, event.title), h("br"), event.venue.name, h("br"), dateTime(event.starts_at))),
        h("section", { "aria-labelledby": "buyer-heading" },
          h("h2", { id: "buyer-heading" }, "Buyer"),
          h("p", null, h("strong", null, buyer.name), h("br"), buyer.email)),
      ),
      itemsTable(order, event),
      order.refund ? h("p", null, `Refunded ${money(order.refund.amount_cents, order.currency)}.`) : null,
      h("p", { class: "actions no-print" }, print, h("a", { href: `#/orders/${order.id}` }, "Back to the order")),
    ),
  );
}

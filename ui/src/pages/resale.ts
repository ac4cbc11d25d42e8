// Tickets others sell on for one event, cheapest first; buying one makes a
// resale order, paid on the order page like any other.
import { Attempts, booking, call } from "../api";
import { busy, h, messageBox } from "../dom";
import { money } from "../format";
import { go, type Route } from "../router";
import { session } from "../session";
import { eventOf } from "./tickets";

export async function resalePage(route: Route): Promise<void> {
  const event = await eventOf(route.params.id);
  const listings = await call(booking.GET("/events/{id}/listings", { params: { path: { id: event.id } } }));
  const message = messageBox();
  route.main.append(
    h("h1", null, `Resale tickets: ${event.title}`),
    h("p", null, h("a", { href: `#/events/${event.slug}` }, "Back to the event")),
    message,
  );
  if (listings.items.length === 0) {
    route.main.append(h("p", null, "Nobody is reselling tickets for this event right now."));
    return;
  }
  const list = h("ul", { class: "list" });
  for (const listing of listings.items) {
    const buy = h("button", { type: "button", class: "primary" }, `Buy for ${money(listing.price_cents, listing.currency)}`);
    const locked = listing.locked_until && new Date(listing.locked_until) > new Date();
    const attempts = new Attempts();
    buy.addEventListener("click", async () => {
      if (!session.user()) return go(`/signin?next=${encodeURIComponent(`/events/${event.id}/resale`)}`);
      message.clear();
      await busy(buy, async () => {
        try {
          const order = await call(booking.POST("/listings/{id}/orders", {
            params: { path: { id: listing.id }, header: { "Idempotency-Key": attempts.keyFor({}) } }, body: {},
          }));
          go(`/orders/${order.id}`);
        } catch (err) {
          attempts.failed(err);
          message.show("error", (err as Error).message);
        }
      });
    });
    list.append(h("li", null,
      h("h2", null, `Resale ticket · ${money(listing.price_cents, listing.currency)}`),
      locked ? h("p", { class: "meta" }, "Someone is buying this ticket right now.") : buy,
    ));
  }
  route.main.append(list);
}

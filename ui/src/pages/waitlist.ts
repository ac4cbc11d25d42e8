// A sold-out tier's waiting list on the event page: join it (signed in),
// see one's place in line, leave it, and buy an offer: when tickets come
// back they are held for the first person in line, who is mailed a link to
// `#/events/{id}?offer={entry}` that opens this section with the offer.
import { ApiError, booking, call, type Event } from "../api";
import { busy, field, h, type MessageBox, messageBox, replace } from "../dom";
import { dateTime, money } from "../format";
import { go } from "../router";
import { session } from "../session";

type Entry = Awaited<ReturnType<typeof mine>>[number];
type Tier = Event["tiers"][number];
/** The event page's checkout, telling its refusals in `message`: orders, then opens the order. */
export type CheckoutWith = (message: MessageBox) => (
  button: HTMLButtonElement,
  body: { items: Array<{ tier_id: string; quantity: number }> },
  onRefused: () => Promise<void>,
) => Promise<void>;

async function mine(eventId: string) {
  return (await call(booking.GET("/events/{id}/waitlist/me", { params: { path: { id: eventId } } }))).items;
}

/** Tiers a person may join the line of: public, on sale and sold out. */
function joinable(event: Event): Tier[] {
  if (!event.waitlist || event.status !== "published") return [];
  return event.tiers.filter((t) => t.sold_out && t.on_sale && !t.hidden);
}

/**
 * The section, or null when the event has no waiting list to show. `offer`
 * is the entry id of a mailed link: that offer is shown first and focused,
 * or explained when it has passed.
 */
export async function waitlistSection(event: Event, checkoutWith: CheckoutWith, offer: string | null): Promise<HTMLElement | null> {
  const here = `/events/${event.slug}${offer ? `?offer=${encodeURIComponent(offer)}` : ""}`;
  // One's places; a session that has ended (cleared by the 401) or a failed
  // read leaves the event page as anyone sees it, never an error page.
  let entries: Entry[] = session.user() ? await mine(event.id).catch(() => []) : [];
  if (offer && !session.user()) {
    go(`/signin?next=${encodeURIComponent(here)}`);
    return null;
  }
  const live = entries.filter((e) => e.status === "waiting" || e.status === "offered");
  if (joinable(event).length === 0 && live.length === 0 && !offer) return null;

  const message = messageBox();
  const checkout = checkoutWith(message);
  const body = h("div");
  const tierOf = (id: string) => event.tiers.find((t) => t.id === id);
  const draw = () => {
    const active = entries.filter((e) => e.status === "waiting" || e.status === "offered");
    const inLine = new Set(active.map((e) => e.tier_id));
    const open = joinable(event).filter((t) => !inLine.has(t.id));
    replace(body,
      active.length ? h("ul", { class: "list waitlist-places" }, active.map(place)) : null,
      open.length ? joinForm(open) : null,
    );
  };
  const refresh = async () => {
    entries = await mine(event.id);
    draw();
  };

  const place = (entry: Entry): HTMLElement => {
    const tier = tierOf(entry.tier_id);
    const what = `${entry.quantity} × ${tier?.name ?? "ticket"}`;
    const leave = h("button", { type: "button", class: "danger" }, entry.status === "offered" ? "Give up the offer" : "Leave the waiting list");
    leave.addEventListener("click", () => busy(leave, async () => {
      message.clear();
      try {
        entries = (await call(booking.DELETE("/events/{id}/waitlist/me/{tier_id}", {
          params: { path: { id: event.id, tier_id: entry.tier_id } },
        }))).items;
        draw();
        message.show("info", `You left the waiting list for ${tier?.name ?? "that tier"}.`);
      } catch (err) {
        message.show("error", (err as Error).message);
      }
    }));
    if (entry.status === "offered" && entry.offered_until) {
      const take = h("button", { type: "button", class: "primary" }, "Buy them now");
      take.addEventListener("click", () =>
        checkout(take, { items: [{ tier_id: entry.tier_id, quantity: entry.quantity }] }, refresh));
      const total = tier ? ` · ${money(tier.price_cents * entry.quantity, event.currency)}` : "";
      return h("li", { class: "card offer", id: `offer-${entry.id}`, tabindex: -1 },
        h("h3", null, "Tickets held for you"),
        h("p", null, `${what}${total}, held for you until `,
          h("time", { datetime: entry.offered_until }, dateTime(entry.offered_until)),
          ". After that they go to the next person in line."),
        h("p", { class: "with-button" }, take, leave));
    }
    return h("li", { class: "card" },
      h("p", null, h("strong", null, `You are number ${entry.place ?? "?"} in line`), ` for ${what}. `,
        "When tickets come back, they are held for the first person in line and we mail them a link."),
      h("p", null, leave));
  };

  const joinForm = (tiers: Tier[]): HTMLElement => {
    if (!session.user()) {
      return h("p", null, h("a", { href: `#/signin?next=${encodeURIComponent(here)}` }, "Sign in"),
        " to join the waiting list for sold-out tickets.");
    }
    const tier = h("select", { id: "waitlist-tier" }, tiers.map((t) => h("option", { value: t.id }, t.name)));
    const quantity = h("input", {
      id: "waitlist-quantity", type: "number", inputmode: "numeric", min: 1, max: event.max_per_order, value: 1,
    });
    const join = h("button", { type: "submit" }, "Join the waiting list");
    const form = h("form", { class: "with-button", novalidate: true },
      tiers.length > 1 ? field("Tier", tier) : null, field("Tickets wanted", quantity), join);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      message.clear();
      const wanted = Number(quantity.value || 0);
      if (!Number.isInteger(wanted) || wanted < 1 || wanted > event.max_per_order) {
        message.show("error", `Choose 1 to ${event.max_per_order} tickets.`);
        return quantity.focus();
      }
      void busy(join, async () => {
        try {
          const entry = await call(booking.POST("/events/{id}/waitlist", {
            params: { path: { id: event.id } }, body: { tier_id: tier.value, quantity: wanted },
          }));
          await refresh();
          message.show("success", `You are on the waiting list: number ${entry.place ?? "?"} in line.`);
        } catch (err) {
          message.show("error", (err as Error).message);
          if (err instanceof ApiError && err.code === "not_sold_out") go(`/events/${event.slug}`);
        }
      });
    });
    return form;
  };

  draw();
  const section = h("section", { class: "card waitlist", "aria-labelledby": "waitlist-h" },
    h("h2", { id: "waitlist-h" }, "Waiting list"), body, message);
  if (offer) {
    const mailed = entries.find((e) => e.id === offer);
    const passed: Record<string, string> = {
      bought: "You already bought the tickets of this offer: they are in My tickets.",
      closed: "The organizer closed this waiting list, so this offer has ended.",
      left: "You gave up this offer: its tickets went to the next person in line.",
      lapsed: "This offer has passed: its tickets went to the next person in line.",
    };
    if (!mailed) {
      message.show("info", "This offer isn't one of yours. Sign in with the account it was mailed to.");
    } else if (mailed.status !== "offered") {
      message.show("info", passed[mailed.status] ?? passed.lapsed);
    }
    queueMicrotask(() => (document.getElementById(`offer-${offer}`) ?? section).scrollIntoView());
  }
  return section;
}

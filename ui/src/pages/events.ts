// Events near a place, between dates, matching words: the search service
// answers; the form writes its choices into the address so a search can be
// shared and the back button returns to it.
import { call, type EventHit, search } from "../api";
import { busy, field, h, messageBox } from "../dom";
import { dateTime, money } from "../format";
import { PLACES } from "../places";
import { go, type Route } from "../router";

/** The preset places by the key the address uses (`?place=accra`). */
const places = new Map(PLACES.map((p) => [p.name.toLowerCase(), p]));

/** The start of a local calendar day (`yyyy-mm-dd`), `days` later, as RFC 3339. */
function dayStart(date: string, days = 0): string | undefined {
  if (!date) return undefined;
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + days);
  return d.toISOString();
}

export async function eventsPage(route: Route): Promise<void> {
  const q = route.query;
  const place = h("select", { id: "events-place", name: "place" },
    h("option", { value: "" }, "Anywhere"),
    [...places].map(([key, p]) => h("option", { value: key, selected: q.get("place") === key }, p.name)),
  );
  const from = h("input", { id: "events-from", name: "from", type: "date", value: q.get("from") ?? "" });
  const to = h("input", { id: "events-to", name: "to", type: "date", value: q.get("to") ?? "" });
  const words = h("input", { id: "events-q", name: "q", type: "search", value: q.get("q") ?? "" });
  const submit = h("button", { type: "submit", class: "primary" }, "Search");
  const message = messageBox();
  const form = h("form", { class: "card", role: "search", "aria-label": "Events" },
    h("div", { class: "row" },
      field("Place", place),
      field("From", from),
      field("To", to),
      field("Keywords", words, "Words in the title or description."),
    ),
    h("div", { class: "actions" }, submit),
    message,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (from.value && to.value && to.value < from.value) {
      message.show("error", "The “To” date must be on or after the “From” date.");
      return;
    }
    const next = new URLSearchParams();
    for (const [k, v] of [["place", place.value], ["from", from.value], ["to", to.value], ["q", words.value.trim()]]) {
      if (v) next.set(k, v);
    }
    go(`/events?${next}`);
  });

  const results = h("ul", { class: "list", "aria-labelledby": "results-heading" });
  const heading = h("h2", { id: "results-heading" }, "Upcoming events");
  route.main.append(h("h1", null, "Events"), form, heading, results);

  const near = places.get(q.get("place") ?? "");
  let cursor: string | null | undefined;
  const more = h("button", { type: "button" }, "More events");
  const load = async () => {
    const page = await call(search.GET("/search/events", {
      params: {
        query: {
          lat: near?.lat, long: near?.long, radius_km: near ? 50 : undefined,
          from: dayStart(q.get("from") ?? ""), to: dayStart(q.get("to") ?? "", 1),
          q: q.get("q") || undefined, cursor: cursor ?? undefined,
        },
      },
    }));
    results.append(...page.items.map(hitItem));
    cursor = page.next_cursor;
    if (cursor) results.after(more);
    else more.remove();
    return page.items.length;
  };
  more.addEventListener("click", () => void busy(more, async () => {
    try {
      await load();
    } catch (err) {
      message.show("error", (err as Error).message);
    }
  }));
  const found = await load();
  if (found === 0) {
    results.replaceWith(h("p", null, "No events match. Try another place, wider dates or fewer words."));
  } else if (near || q.get("q")) {
    heading.textContent = `Events${near ? ` near ${near.name}` : ""}${q.get("q") ? ` matching “${q.get("q")}”` : ""}`;
  }
}

function hitItem(hit: EventHit): HTMLElement {
  return h("li", { class: "event-hit" },
    h("h3", null, h("a", { href: `#/events/${encodeURIComponent(hit.slug)}` }, hit.title)),
    h("p", { class: "meta" },
      h("time", { datetime: hit.starts_at }, dateTime(hit.starts_at)), " · ", hit.venue.name,
      hit.distance_km != null ? ` · ${hit.distance_km.toFixed(1)} km away` : "",
    ),
    h("p", { class: "meta" },
      `From ${money(hit.min_price_cents, hit.currency)} · `,
      hit.on_sale_at != null
        ? h("span", { class: "badge soon" }, "On sale ", h("time", { datetime: hit.on_sale_at }, dateTime(hit.on_sale_at)))
        : hit.sold_out
          ? h("span", { class: "badge sold" }, "Sold out")
          : h("span", { class: "badge available" }, `${hit.seats_left} left`),
    ),
  );
}

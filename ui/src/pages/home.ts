import { h } from "../dom";
import type { Route } from "../router";
import { session } from "../session";

export function homePage(route: Route): void {
  const user = session.user();
  route.main.append(
    h("h1", null, user ? `Welcome back, ${user.name}` : "Book the pros and events near you"),
    h("div", { class: "tiles" },
      h("a", { class: "tile", href: "#/pros" }, h("h2", null, "Find a professional"), h("p", null, "Plumbers, tutors, trainers near you, by price and travel time. Book a free slot and pay by card.")),
      h("a", { class: "tile", href: "#/events" }, h("h2", null, "Go to an event"), h("p", null, "Concerts and shows: pick tickets or a seat, pay, and get your tickets at once.")),
      h("a", { class: "tile", href: "#/organize" }, h("h2", null, "Organize an event"), h("p", null, "Sell tickets by tier or seat, see sales, and cancel with automatic refunds.")),
    ),
  );
}

// Every page beyond the start and sign-in pages, by route.
import { route } from "../router";
import { bookingPage, myBookingsPage } from "./bookings";
import { proPage, prosPage } from "./pros";
import { newEventPage, organizedEventPage, organizePage } from "./organize";
import { resalePage } from "./resale";
import { myTicketsPage, ticketPage } from "./tickets";
import { eventPage } from "./event";
import { eventsPage } from "./events";
import { invoicePage, orderPage } from "./order";
import { scanPage } from "./scan";

export function registerPages(): void {
  route("/tickets", myTicketsPage);
  route("/tickets/:id", ticketPage);
  route("/events/:id/resale", resalePage);
  route("/organize", organizePage);
  route("/organize/new", newEventPage);
  route("/organize/:id", organizedEventPage);
  route("/events", eventsPage);
  route("/events/:id", eventPage);
  route("/orders/:id", orderPage);
  route("/scan/:event", scanPage);
  route("/orders/:id/invoice", invoicePage);
  route("/pros", prosPage);
  route("/pros/:id", proPage);
  route("/bookings", myBookingsPage);
  route("/bookings/:id", bookingPage);
}

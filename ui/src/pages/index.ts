// Every page beyond the start and sign-in pages, by route.
import { route } from "../router";
import { resalePage } from "./resale";
import { myTicketsPage, ticketPage } from "./tickets";

export function registerPages(): void {
  route("/tickets", myTicketsPage);
  route("/tickets/:id", ticketPage);
  route("/events/:id/resale", resalePage);
}

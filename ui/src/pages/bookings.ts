// My bookings (`#/bookings`) and one booking (`#/bookings/:id`): paying a
// pending one, waiting for the webhook to confirm it, cancelling with a refund.
import { booking, type Booking, call } from "../api";
import { busy, h, messageBox, replace, type MessageBox } from "../dom";
import { dateTime, day, money, time } from "../format";
import { payWithCard, pollUntil } from "../pay";
import { type Route, stillOn } from "../router";
import { requireUser } from "./auth";
import { professionalOf } from "./pros";

const statusWords: Record<string, string> = {
  pending: "Awaiting payment",
  confirmed: "Confirmed",
  cancelled: "Cancelled",
  expired: "Expired",
  failed: "Payment failed",
  refunded: "Refunded",
};

function badge(b: Booking, testId?: string): HTMLElement {
  return h("span", { class: `badge ${b.status}`, "data-testid": testId }, statusWords[b.status] ?? b.status);
}

/** The professional's name, or their handle when the search service can't say. */
async function proName(b: Booking): Promise<string> {
  return professionalOf(b.professional_id).then((p) => p.name, () => b.professional_slug);
}

export async function myBookingsPage(route: Route): Promise<void> {
  if (!requireUser(route)) return;
  const page = await call(booking.GET("/bookings", { params: { query: { limit: 100 } } }));
  route.main.append(h("h1", null, "My bookings"));
  if (!page.items.length) {
    route.main.append(h("p", null, "No bookings yet. ", h("a", { href: "#/pros" }, "Find a professional"), "."));
    return;
  }
  const names = await Promise.all(page.items.map(proName));
  route.main.append(h("ul", { class: "list" }, page.items.map((b, i) => h("li", null,
    h("h2", null, h("a", { href: `#/bookings/${b.id}` }, `${names[i]}, ${dateTime(b.start_time)}`)),
    h("p", { class: "meta" }, `${b.duration_minutes} minutes · ${money(b.price_cents, b.currency)} · `, badge(b)),
  ))));
}

export async function bookingPage(route: Route): Promise<void> {
  if (!requireUser(route)) return;
  const hash = location.hash;
  const id = route.params.id;
  const load = () => call(booking.GET("/bookings/{id}", { params: { path: { id } } }));
  const first = await load();
  const name = await proName(first);
  const message = messageBox();
  const view = h("div");

  function draw(b: Booking): void {
    replace(view,
      h("p", null, "Status: ", badge(b, "booking-status")),
      h("dl", { class: "facts card" },
        h("dt", null, "When"), h("dd", null, `${day(b.start_time)}, ${time(b.start_time)} to ${time(b.end_time)}`),
        h("dt", null, "Length"), h("dd", null, `${b.duration_minutes} minutes`),
        h("dt", null, "Price"), h("dd", null, money(b.price_cents, b.currency)),
        b.status === "pending" && b.expires_at ? [h("dt", null, "Held for you until"), h("dd", null, time(b.expires_at))] : null,
        b.refund ? [h("dt", null, "Refund"), h("dd", { "data-testid": "refund" }, refundWords(b.refund, b.currency))] : null,
      ),
    );
    const payArea = h("div");
    view.append(payArea);
    if (b.status === "pending" && b.payment) {
      // A payment Stripe already took waits for our webhook, not a second card.
      if (["succeeded", "processing"].includes(b.payment.status)) void waitForConfirmation();
      else void payWithCard(payArea, {
        clientSecret: b.payment.client_secret,
        amountCents: b.price_cents,
        currency: b.currency,
        message,
        onPaid: () => void waitForConfirmation(),
      }).catch((err: Error) => message.show("error", err.message));
    }
    if (b.status === "pending" || b.status === "confirmed") view.append(cancelPanel(b, message, draw));
  }

  async function waitForConfirmation(): Promise<void> {
    message.show("info", "Payment received. Confirming your booking…");
    let b: Booking;
    try {
      b = await pollUntil(load, (x) => x.status !== "pending", { whileOn: hash });
    } catch (err) {
      message.show("error", (err as Error).message);
      return;
    }
    if (!stillOn(hash)) return;
    if (b.status === "pending") {
      message.show("info", "Your payment is still being processed. Reload this page in a minute, or check My bookings later.");
      return;
    }
    if (b.status === "confirmed") message.show("success", "Your booking is confirmed.");
    else message.show("error", `The booking could not be confirmed: it is ${statusWords[b.status]?.toLowerCase() ?? b.status}.`);
    draw(b);
  }

  route.main.append(h("h1", null, `Booking with ${name}`), message, view,
    h("p", null, h("a", { href: "#/bookings" }, "All my bookings")));
  draw(first);
}

function refundWords(refund: NonNullable<Booking["refund"]>, currency: string): string {
  const amount = money(refund.amount_cents, currency);
  return refund.refund_id ? `${amount} refunded to your card` : `${amount}, on its way to your card`;
}

/** Cancel, with a second step so one stray click or key press cannot cancel. */
function cancelPanel(b: Booking, message: MessageBox, draw: (b: Booking) => void): HTMLElement {
  const panel = h("div", { class: "actions" });
  const ask = h("button", { type: "button", class: "danger" }, "Cancel booking");
  ask.addEventListener("click", () => {
    const yes = h("button", { type: "button", class: "danger" }, "Yes, cancel it");
    const no = h("button", { type: "button" }, "Keep the booking");
    const question = h("p", { id: "cancel-question" }, `Cancel this booking? ${refundPromise(b)}`);
    yes.setAttribute("aria-describedby", "cancel-question");
    no.addEventListener("click", () => {
      replace(panel, ask);
      ask.focus();
    });
    yes.addEventListener("click", () => void busy(yes, async () => {
      try {
        const cancelled = await call(booking.POST("/bookings/{id}/cancel", { params: { path: { id: b.id } } }));
        const text = cancelled.refund
          ? `Booking cancelled. Refund: ${money(cancelled.refund.amount_cents, cancelled.currency)} to your card.`
          : "Booking cancelled. Nothing was charged.";
        message.show("success", text);
        draw(cancelled);
      } catch (err) {
        message.show("error", (err as Error).message);
      }
    }));
    replace(panel, h("div", { class: "card confirm" }, question, h("div", { class: "actions" }, yes, no)));
    no.focus();
  });
  panel.append(ask);
  return panel;
}

function refundPromise(b: Booking): string {
  if (b.status === "pending") return "You have not paid, so nothing is charged.";
  const hoursAhead = (new Date(b.start_time).getTime() - Date.now()) / 3600_000;
  return hoursAhead >= 24
    ? `You get a full refund of ${money(b.price_cents, b.currency)}.`
    : "It starts within 24 hours, so you may get only part of the price back.";
}

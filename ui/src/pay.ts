// Paying with Stripe.js card fields: the real Stripe.js against Stripe, the
// emulator's stand-in offline; both loaded from `config.stripe_js_url`.
import { config } from "./api";
import { busy, h, type MessageBox } from "./dom";
import { money } from "./format";

interface CardElement {
  mount(target: HTMLElement): void;
  on(event: string, handler: (e: { error?: { message: string } }) => void): void;
  focus?(): void;
  destroy(): void;
}
interface PaymentResult {
  paymentIntent?: { id: string; status: string };
  error?: { type?: string; code?: string; message?: string };
}
interface StripeLike {
  elements(): { create(type: "card", options?: object): CardElement };
  confirmCardPayment(clientSecret: string, data: { payment_method: { card: CardElement } }): Promise<PaymentResult>;
}
declare global {
  interface Window {
    Stripe?: (key: string) => StripeLike;
  }
}

let loading: Promise<StripeLike> | null = null;

/** Stripe.js, loaded once, on the first page that takes a payment. */
export function loadStripe(): Promise<StripeLike> {
  loading ??= new Promise<StripeLike>((resolve, reject) => {
    if (!config.stripe_js_url || !config.stripe_publishable_key) {
      reject(new Error("Card payments are not set up on this server."));
      return;
    }
    const script = document.createElement("script");
    script.src = config.stripe_js_url;
    script.onload = () => {
      if (window.Stripe) return resolve(window.Stripe(config.stripe_publishable_key));
      loading = null;
      reject(new Error("Stripe.js did not load."));
    };
    script.onerror = () => {
      loading = null;
      reject(new Error("The card form could not be loaded. Check your connection and try again."));
    };
    document.head.appendChild(script);
  });
  return loading;
}

/** The words for a Stripe.js error a person can act on. */
function cardProblem(error: NonNullable<PaymentResult["error"]>): string {
  if (error.code === "card_declined") return "Your card was declined. Please try another card.";
  return error.message || "The payment did not go through. Please try again.";
}

/**
 * A card form paying `clientSecret`, appended to `container`. `onPaid` runs
 * once Stripe accepted the payment; the caller then waits for our webhook to
 * confirm the booking or order (the page never trusts the browser alone).
 */
export async function payWithCard(
  container: HTMLElement,
  opts: { clientSecret: string; amountCents: number; currency: string; message: MessageBox; onPaid: () => void },
): Promise<void> {
  const stripe = await loadStripe();
  const mountPoint = h("div", { id: "card-element" });
  const pay = h("button", { type: "submit", class: "primary" }, `Pay ${money(opts.amountCents, opts.currency)}`);
  const form = h("form", { class: "card payment", "aria-labelledby": "payment-heading" },
    h("h2", { id: "payment-heading" }, "Pay by card"),
    // Test keys only: a live page never suggests card numbers.
    config.stripe_publishable_key.startsWith("pk_test_")
      ? h("p", { class: "hint" }, "Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined. Any future expiry and CVC.")
      : null,
    mountPoint,
    pay,
  );
  container.appendChild(form);
  const card = stripe.elements().create("card");
  card.mount(mountPoint);
  card.on("change", (e) => {
    if (e.error) opts.message.show("error", e.error.message);
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    opts.message.clear();
    await busy(pay, async () => {
      const result = await stripe.confirmCardPayment(opts.clientSecret, { payment_method: { card } });
      if (result.error) {
        opts.message.show("error", cardProblem(result.error));
        return;
      }
      form.remove();
      opts.onPaid();
      // The form that had focus is gone: the message saying what happens now takes it.
      opts.message.tabIndex = -1;
      opts.message.focus();
    });
  });
}

/** Asks `load` every second until `done` says so (or `timeoutMs` passes); the last answer. */
export async function pollUntil<T>(
  load: () => Promise<T>,
  done: (value: T) => boolean,
  opts: { timeoutMs?: number; whileOn?: string } = {},
): Promise<T> {
  const until = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    const value = await load();
    if (done(value) || Date.now() > until) return value;
    if (opts.whileOn && location.hash !== opts.whileOn) return value;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

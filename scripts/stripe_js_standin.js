/*
 * Slotwise's stand-in for Stripe.js v3, served by scripts/stripe_emulator.py
 * at /js.stripe.com/v3/ so the web app pays offline against the emulator
 * with the same calls it makes to real Stripe.js:
 *   const stripe = Stripe(publishableKey);
 *   const card = stripe.elements().create("card"); card.mount(node);
 *   const { paymentIntent, error } = await stripe.confirmCardPayment(clientSecret, { payment_method: { card } });
 * localstripe's own stand-in only finishes 3-D Secure for an intent that is
 * already confirmed with a method, and ignores the card typed; this one
 * takes the card and confirms. Test cards as on Stripe: 4242 4242 4242 4242
 * pays, 4000 0000 0000 0002 is declined.
 */
(function () {
  "use strict";
  var base = document.currentScript.src.replace(/\/js\.stripe\.com\/v3\/?$/, "");
  var counter = 0;

  function field(id, labelText, attrs) {
    var wrap = document.createElement("div");
    wrap.className = "standin-field";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText;
    var input = document.createElement("input");
    input.id = id;
    input.type = "text";
    Object.keys(attrs).forEach(function (k) { input.setAttribute(k, attrs[k]); });
    wrap.appendChild(label);
    wrap.appendChild(input);
    return { wrap: wrap, input: input };
  }

  function CardElement() {
    this.listeners = {};
    this.node = null;
  }
  CardElement.prototype.mount = function (target) {
    if (typeof target === "string") target = document.querySelector(target);
    var n = ++counter;
    var box = document.createElement("div");
    box.className = "standin-card";
    box.setAttribute("data-stripe-standin", "card");
    this.number = field("standin-card-number-" + n, "Card number", {
      inputmode: "numeric", autocomplete: "cc-number", placeholder: "4242 4242 4242 4242" });
    this.expiry = field("standin-card-expiry-" + n, "Expiry (MM/YY)", {
      inputmode: "numeric", autocomplete: "cc-exp", placeholder: "12/34" });
    this.cvc = field("standin-card-cvc-" + n, "CVC", {
      inputmode: "numeric", autocomplete: "cc-csc", placeholder: "123" });
    var self = this;
    [this.number, this.expiry, this.cvc].forEach(function (f) {
      box.appendChild(f.wrap);
      f.input.addEventListener("input", function () { self.emit("change", self.state()); });
    });
    target.appendChild(box);
    this.node = box;
    this.emit("ready", {});
  };
  CardElement.prototype.state = function () {
    var v = this.value();
    return { elementType: "card", empty: !v.number && !v.expiry && !v.cvc,
      complete: v.number.length >= 12 && /^\d\d\/\d\d$/.test(v.expiry) && v.cvc.length >= 3, error: undefined };
  };
  CardElement.prototype.value = function () {
    return { number: this.number.input.value.replace(/\s+/g, ""),
      expiry: this.expiry.input.value.trim(), cvc: this.cvc.input.value.trim() };
  };
  CardElement.prototype.on = function (event, handler) {
    (this.listeners[event] = this.listeners[event] || []).push(handler);
  };
  CardElement.prototype.emit = function (event, payload) {
    (this.listeners[event] || []).forEach(function (h) { h(payload); });
  };
  CardElement.prototype.focus = function () { if (this.number) this.number.input.focus(); };
  CardElement.prototype.clear = function () {
    [this.number, this.expiry, this.cvc].forEach(function (f) { if (f) f.input.value = ""; });
  };
  CardElement.prototype.unmount = function () { if (this.node) this.node.remove(); this.node = null; };
  CardElement.prototype.destroy = CardElement.prototype.unmount;

  window.Stripe = function (publishableKey) {
    return {
      elements: function () {
        var created = null;
        return {
          create: function () { created = new CardElement(); return created; },
          getElement: function () { return created; }
        };
      },
      confirmCardPayment: function (clientSecret, data) {
        var card = data && data.payment_method && data.payment_method.card;
        var value = card && card.value ? card.value() : { number: "", expiry: "", cvc: "" };
        return fetch(base + "/js.stripe.com/v3/confirm_card_payment", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ key: publishableKey, client_secret: clientSecret, card: value })
        }).then(function (r) { return r.json(); }).catch(function () {
          return { error: { type: "api_connection_error", message: "Stripe could not be reached." } };
        });
      }
    };
  };
})();

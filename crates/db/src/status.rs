//! Where a held, paid-for thing stands (a booking today; any order kind that
//! uses the payment core): stored as text, handled as an enum.
//!
//! `pending -> confirmed | expired | cancelled | failed`,
//! `confirmed -> cancelled | refunded`, and a late payment may bring
//! `expired | failed -> confirmed | refunded`.

crate::text_enum! {
    pub enum Status {
        /// Holding its slot (or seats) until paid or `expires_at`.
        Pending = "pending",
        Confirmed = "confirmed",
        /// The hold ran out unpaid.
        Expired = "expired",
        Cancelled = "cancelled",
        /// Payment failed (declined, or could not be set up).
        Failed = "failed",
        Refunded = "refunded",
    }
}

crate::text_enum! {
    /// What is paid for through one PaymentIntent: stored in the intent's
    /// metadata (`kind`) and on the idempotency key that made it, and
    /// dispatched to its type in one place (`with_payable!` in the booking
    /// crate).
    pub enum PayableKind {
        Booking = "booking",
        Order = "order",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_text() {
        for status in Status::ALL.iter().copied() {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("paid"), None);
    }
}

//! Recovery points a test can stop a booking at, as if the process died there.
//! Compiled in only with the `fault-injection` feature (test builds).

use crate::failure::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrashPoint {
    /// Phase 1 committed (booking + key), Stripe not yet asked.
    AfterBookingCreated,
    /// Stripe made the PaymentIntent; phase 3 has not stored it.
    AfterIntentCreated,
    /// A refund is owed and recorded as such; Stripe not yet asked.
    BeforeRefund,
    /// An event's cancellation committed (refunds owed); none made yet.
    AfterEventCancelled,
    /// A notification was sent; its delivery is not yet marked sent.
    AfterNotificationSent,
}

/// The armed crash points of a test build; nothing in a real build.
#[derive(Clone, Default)]
pub struct Faults(
    #[cfg(feature = "fault-injection")]
    std::sync::Arc<std::sync::Mutex<std::collections::HashSet<CrashPoint>>>,
);

impl Faults {
    /// The next request to reach `point` stops there.
    #[cfg(feature = "fault-injection")]
    pub fn arm(&self, point: CrashPoint) {
        self.0.lock().expect("faults lock").insert(point);
    }

    /// Stops here when a test armed `point`; a no-op in real builds.
    pub fn crash_point(&self, point: CrashPoint) -> Result<(), Failure> {
        #[cfg(feature = "fault-injection")]
        if self.0.lock().expect("faults lock").remove(&point) {
            tracing::warn!(?point, "injected crash");
            return Err(Failure::Crashed(point));
        }
        let _ = point;
        Ok(())
    }
}

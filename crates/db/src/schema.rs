// Hand-written to match migrations/. Generated columns (`geog`, `period`) are
// declared only where a query needs them and are never inserted.

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamptz,
        email_verified_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    account_tokens (token_hash) {
        token_hash -> Bytea,
        user_id -> Uuid,
        purpose -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Bytea,
        user_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        client_ip -> Nullable<Text>,
    }
}

diesel::table! {
    professionals (id) {
        id -> Uuid,
        slug -> Text,
        owner_id -> Uuid,
        name -> Text,
        category -> Text,
        description -> Text,
        rate_per_minute -> Int8,
        currency -> Text,
        lat -> Float8,
        long -> Float8,
        service_radius_km -> Nullable<Float8>,
        timezone -> Text,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    availability_windows (id) {
        id -> Uuid,
        professional_id -> Uuid,
        start_time -> Timestamptz,
        end_time -> Timestamptz,
        period -> Tstzrange,
        created_at -> Timestamptz,
        from_schedule -> Bool,
    }
}

diesel::table! {
    professional_schedules (professional_id) {
        professional_id -> Uuid,
        timezone -> Text,
        weekly -> Jsonb,
        exceptions -> Jsonb,
        buffer_minutes -> Int4,
        min_notice_minutes -> Int4,
        max_advance_days -> Int4,
        materialized_until -> Date,
        extend_on -> Date,
        version -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    bookings (id) {
        id -> Uuid,
        professional_id -> Uuid,
        client_id -> Nullable<Uuid>,
        start_time -> Timestamptz,
        end_time -> Timestamptz,
        period -> Tstzrange,
        duration_minutes -> Int4,
        price_cents -> Int8,
        currency -> Text,
        status -> Text,
        expires_at -> Nullable<Timestamptz>,
        cancelled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        payment_intent_id -> Nullable<Text>,
        payment_client_secret -> Nullable<Text>,
        payment_status -> Nullable<Text>,
        payment_error -> Nullable<Text>,
        client_ip -> Nullable<Text>,
        blocked_until -> Nullable<Timestamptz>,
        blocked -> Tstzrange,
    }
}

diesel::table! {
    intent_traces (intent_id) {
        intent_id -> Text,
        traceparent -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    stripe_events (id) {
        id -> Text,
        #[sql_name = "type"]
        type_ -> Text,
        payable_id -> Nullable<Uuid>,
        outcome -> Text,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    booking_transitions (id) {
        id -> Int8,
        booking_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Text,
        source -> Text,
        at -> Timestamptz,
        professional_id -> Uuid,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        fingerprint -> Bytea,
        request_method -> Text,
        request_path -> Text,
        request_body -> Jsonb,
        user_id -> Nullable<Uuid>,
        recovery_point -> Text,
        locked_at -> Nullable<Timestamptz>,
        payable_id -> Nullable<Uuid>,
        response_status -> Nullable<Int4>,
        response_body -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        payable_kind -> Nullable<Text>,
    }
}

diesel::table! {
    events (id) {
        id -> Uuid,
        slug -> Text,
        organizer_id -> Uuid,
        title -> Text,
        description -> Text,
        category -> Text,
        venue_name -> Text,
        lat -> Float8,
        long -> Float8,
        starts_at -> Timestamptz,
        ends_at -> Nullable<Timestamptz>,
        currency -> Text,
        max_per_order -> Int4,
        resale_allowed -> Bool,
        resale_max_percent_of_face -> Nullable<Int4>,
        seated -> Bool,
        min_price_cents -> Int8,
        capacity -> Int4,
        status -> Text,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        reentry -> Bool,
        waitlist -> Bool,
    }
}

diesel::table! {
    event_slugs (slug) {
        slug -> Text,
        event_id -> Uuid,
    }
}

diesel::table! {
    ticket_tiers (id) {
        id -> Uuid,
        event_id -> Uuid,
        name -> Text,
        price_cents -> Int8,
        capacity -> Int4,
        position -> Int4,
        sales_start -> Nullable<Timestamptz>,
        sales_end -> Nullable<Timestamptz>,
        hidden -> Bool,
    }
}

diesel::table! {
    tier_stock (tier_id, bucket) {
        event_id -> Uuid,
        tier_id -> Uuid,
        bucket -> Int2,
        capacity -> Int4,
        held -> Int4,
        sold -> Int4,
    }
}

diesel::table! {
    seats (id) {
        id -> Uuid,
        event_id -> Uuid,
        label -> Text,
        section -> Nullable<Text>,
        row -> Nullable<Text>,
        price_cents -> Int8,
        position -> Int4,
        order_id -> Nullable<Uuid>,
        sold -> Bool,
    }
}

diesel::table! {
    orders (id) {
        id -> Uuid,
        event_id -> Uuid,
        kind -> Text,
        buyer_id -> Uuid,
        total_cents -> Int8,
        currency -> Text,
        status -> Text,
        expires_at -> Nullable<Timestamptz>,
        cancelled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        payment_intent_id -> Nullable<Text>,
        payment_client_secret -> Nullable<Text>,
        payment_status -> Nullable<Text>,
        payment_error -> Nullable<Text>,
        client_ip -> Nullable<Text>,
        listing_id -> Nullable<Uuid>,
        payout_cents -> Nullable<Int8>,
        voucher_id -> Nullable<Uuid>,
        discount_cents -> Int8,
        voucher_held -> Bool,
    }
}

diesel::table! {
    ticket_moves (id) {
        id -> Int8,
        event_id -> Uuid,
        ticket_id -> Uuid,
        kind -> Text,
        from_holder -> Nullable<Uuid>,
        to_holder -> Nullable<Uuid>,
        source -> Text,
        at -> Timestamptz,
    }
}

diesel::table! {
    listings (id) {
        id -> Uuid,
        event_id -> Uuid,
        ticket_id -> Uuid,
        seller_id -> Uuid,
        price_cents -> Int8,
        currency -> Text,
        status -> Text,
        version -> Int8,
        locked_by -> Nullable<Uuid>,
        locked_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        max_price_cents -> Int8,
    }
}

diesel::table! {
    payouts (id) {
        id -> Uuid,
        event_id -> Uuid,
        listing_id -> Uuid,
        order_id -> Uuid,
        seller_id -> Uuid,
        amount_cents -> Int8,
        fee_cents -> Int8,
        currency -> Text,
        status -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    order_items (id) {
        id -> Int8,
        order_id -> Uuid,
        event_id -> Uuid,
        tier_id -> Nullable<Uuid>,
        bucket -> Nullable<Int2>,
        seat_id -> Nullable<Uuid>,
        quantity -> Int4,
        unit_price_cents -> Int8,
    }
}

diesel::table! {
    tickets (id) {
        id -> Uuid,
        event_id -> Uuid,
        order_id -> Nullable<Uuid>,
        tier_id -> Nullable<Uuid>,
        seat_id -> Nullable<Uuid>,
        holder_id -> Nullable<Uuid>,
        price_cents -> Int8,
        status -> Text,
        code -> Text,
        created_at -> Timestamptz,
        bucket -> Nullable<Int2>,
        pending_email -> Nullable<Text>,
        moves -> Int4,
        changed_at -> Timestamptz,
        entries -> Int4,
        inside -> Bool,
    }
}

diesel::table! {
    refunds (scope_id, id) {
        scope_id -> Uuid,
        id -> Uuid,
        payable_kind -> Text,
        payable_id -> Uuid,
        intent_id -> Text,
        closing -> Bool,
        ticket_ids -> Array<Uuid>,
        amount_cents -> Int8,
        reason -> Text,
        source -> Text,
        idempotency_key -> Text,
        requested_at -> Timestamptz,
        attempted_at -> Nullable<Timestamptz>,
        refund_id -> Nullable<Text>,
    }
}

diesel::table! {
    order_transitions (id) {
        id -> Int8,
        order_id -> Uuid,
        event_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Text,
        source -> Text,
        at -> Timestamptz,
    }
}

diesel::table! {
    scanners (event_id, id) {
        event_id -> Uuid,
        id -> Uuid,
        name -> Text,
        token_hash -> Bytea,
        created_by -> Uuid,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    vouchers (event_id, id) {
        event_id -> Uuid,
        id -> Uuid,
        code -> Text,
        percent_off -> Nullable<Int4>,
        amount_off_cents -> Nullable<Int8>,
        tier_ids -> Array<Uuid>,
        valid_from -> Nullable<Timestamptz>,
        valid_until -> Nullable<Timestamptz>,
        max_uses -> Int4,
        uses -> Int4,
        max_per_order -> Nullable<Int4>,
        created_at -> Timestamptz,
        disabled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    checkins (event_id, id) {
        event_id -> Uuid,
        id -> Uuid,
        scanner_id -> Uuid,
        scan_id -> Text,
        code_hash -> Bytea,
        ticket_id -> Nullable<Uuid>,
        direction -> Text,
        result -> Text,
        entry -> Nullable<Int4>,
        offline -> Bool,
        scanned_at -> Timestamptz,
        recorded_at -> Timestamptz,
        status -> Int2,
        answer -> Jsonb,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(deliveries -> outbox (outbox_id));
diesel::joinable!(professionals -> users (owner_id));
diesel::joinable!(availability_windows -> professionals (professional_id));
diesel::joinable!(professional_schedules -> professionals (professional_id));
diesel::joinable!(bookings -> professionals (professional_id));

diesel::table! {
    outbox (id) {
        id -> Uuid,
        topic -> Text,
        subject_id -> Uuid,
        owner_id -> Nullable<Uuid>,
        email -> Nullable<Text>,
        mail -> Jsonb,
        payload -> Jsonb,
        created_at -> Timestamptz,
        dispatched_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        owner_id -> Uuid,
        url -> Text,
        event_types -> Array<Text>,
        secret -> Text,
        description -> Text,
        consecutive_failures -> Int4,
        disabled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Uuid,
        outbox_id -> Uuid,
        channel -> Text,
        target -> Text,
        endpoint_id -> Nullable<Uuid>,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    account_tokens,
    professionals,
    availability_windows,
    professional_schedules,
    bookings,
    idempotency_keys,
    stripe_events,
    intent_traces,
    booking_transitions,
    events,
    event_slugs,
    ticket_tiers,
    tier_stock,
    seats,
    orders,
    order_items,
    tickets,
    order_transitions,
    refunds,
    listings,
    payouts,
    ticket_moves,
    outbox,
    webhook_endpoints,
    deliveries,
    scanners,
    checkins,
    vouchers,
);

diesel::define_sql_function! {
    /// `tstzrange(lower, upper)`: the half-open range `[lower, upper)`.
    fn tstzrange(lower: diesel::sql_types::Timestamptz, upper: diesel::sql_types::Timestamptz) -> diesel::sql_types::Tstzrange;
}

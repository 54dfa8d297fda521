// Table definitions matching migrations/{sqlite,postgres}. Both trees create the same tables; keep
// this file in step with them (every API test runs the migrations and then these queries).

diesel::table! {
    app_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    parties (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        country -> Text,
        identifier_scheme -> Nullable<Text>,
        identifier_id -> Nullable<Text>,
        website -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        contact_telephone -> Nullable<Text>,
        focal_person_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    party_members (party_id, member_id) {
        party_id -> Text,
        member_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    people (id) {
        id -> Text,
        party_id -> Text,
        name -> Text,
        job_title -> Nullable<Text>,
        email -> Nullable<Text>,
        telephone -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    initiatives (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        countries -> Text,
        lead_party_id -> Nullable<Text>,
        focal_person_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    opportunities (id) {
        id -> Text,
        title -> Text,
        description -> Text,
        purpose -> Nullable<Text>,
        sectors -> Text,
        project_type -> Nullable<Text>,
        project_status -> Text,
        listing_status -> Text,
        engagement_models -> Text,
        ppp_model -> Nullable<Text>,
        host_country -> Text,
        locations -> Text,
        estimated_cost_minor -> Nullable<BigInt>,
        estimated_cost_currency -> Nullable<Text>,
        investment_sought_minor -> Nullable<BigInt>,
        investment_sought_currency -> Nullable<Text>,
        eoi_deadline -> Nullable<Date>,
        public_authority_id -> Nullable<Text>,
        focal_person_id -> Nullable<Text>,
        partner_countries -> Text,
        initiative_id -> Nullable<Text>,
        documents -> Text,
        oc4ids_id -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        version -> Integer,
        is_public -> Integer,
        facet_mask -> BigInt,
        representation -> Nullable<Text>,
    }
}

diesel::table! {
    opportunity_facets (facet, value, opportunity_id) {
        facet -> Text,
        value -> Text,
        opportunity_id -> Text,
    }
}

diesel::table! {
    oc4ids_sources (opportunity_id) {
        opportunity_id -> Text,
        source -> Text,
        modelled -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        party_id -> Nullable<Text>,
        secret_hash -> Text,
        hint -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    interests (id) {
        id -> Text,
        opportunity_id -> Text,
        party_id -> Text,
        engagement_model -> Text,
        stage -> Text,
        held_stage -> Nullable<Text>,
        furthest_stage -> Text,
        probability_override -> Nullable<Integer>,
        indicative_amount_minor -> Nullable<BigInt>,
        indicative_amount_currency -> Nullable<Text>,
        message -> Nullable<Text>,
        contact_person_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        notes -> Nullable<Text>,
        stage_changed_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        previous_interest_id -> Nullable<Text>,
    }
}

diesel::table! {
    interest_co_investors (interest_id, party_id) {
        interest_id -> Text,
        party_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    interest_events (id) {
        id -> Text,
        interest_id -> Text,
        kind -> Text,
        from_stage -> Nullable<Text>,
        to_stage -> Nullable<Text>,
        seconds_in_stage -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        details -> Text,
        actor_key_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        #[sql_name = "type"]
        kind -> Text,
        subject_id -> Text,
        audience -> Text,
        data -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    event_parties (party_id, event_seq) {
        event_seq -> BigInt,
        party_id -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        event_types -> Text,
        active -> Integer,
        secret -> Text,
        owner_key_id -> Text,
        owner_party_id -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_seq -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        last_latency_ms -> Nullable<BigInt>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        event_type -> Text,
        attempt -> Integer,
        status_code -> Nullable<Integer>,
        latency_ms -> BigInt,
        error -> Nullable<Text>,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_records (api_key_id, idempotency_key) {
        api_key_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_location -> Nullable<Text>,
        response_etag -> Nullable<Text>,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(people -> parties (party_id));
diesel::joinable!(interest_events -> interests (interest_id));
diesel::joinable!(opportunity_facets -> opportunities (opportunity_id));
diesel::joinable!(oc4ids_sources -> opportunities (opportunity_id));
diesel::joinable!(api_keys -> parties (party_id));

diesel::allow_tables_to_appear_in_same_query!(
    app_settings,
    parties,
    party_members,
    people,
    initiatives,
    opportunities,
    opportunity_facets,
    api_keys,
    interests,
    interest_co_investors,
    interest_events,
    events,
    event_parties,
    webhooks,
    webhook_deliveries,
    webhook_attempts,
    idempotency_records,
    oc4ids_sources,
);

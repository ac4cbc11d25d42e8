//! Raw statements diesel prepares once per connection and reuses. A plain
//! `sql_query` is marked unsafe to cache, so it is parsed, planned and sent
//! in two round trips on every call; on the ticket-order path that cost a
//! fifth of the time. A statement here is a struct with a static query id:
//! SQL pieces with the binds between them, in order (a value used twice is
//! bound twice).

macro_rules! cached_sql {
    (
        $(#[$doc:meta])*
        $name:ident { $($field:ident : $ty:ty),* $(,)? }
        $first:literal $( ( $bind:ident : $st:ty ) $piece:literal )*
    ) => {
        $(#[$doc])*
        #[derive(diesel::query_builder::QueryId)]
        pub(crate) struct $name {
            $(pub $field: $ty),*
        }

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($first);
                $(
                    out.push_bind_param::<$st, _>(&self.$bind)?;
                    out.push_sql($piece);
                )*
                Ok(())
            }
        }

        impl diesel::query_builder::Query for $name {
            type SqlType = diesel::sql_types::Untyped;
        }
    };
}
pub(crate) use cached_sql;

/// A statement whose text is built at run time from a few fixed shapes (the
/// search filters a request uses), with every value bound: diesel prepares it
/// once per connection, keyed by its SQL text, instead of parsing and planning
/// it on every call as it does a plain `sql_query`. Only for text made of the
/// code's own fragments: a text with a value spliced in would fill the cache.
pub(crate) struct PreparedByText<Q>(pub Q);

impl<Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>>
    diesel::query_builder::QueryFragment<diesel::pg::Pg> for PreparedByText<Q>
{
    fn walk_ast<'b>(
        &'b self,
        pass: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> diesel::QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &diesel::pg::Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> diesel::query_builder::QueryId for PreparedByText<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for PreparedByText<Q> {
    type SqlType = Q::SqlType;
}
